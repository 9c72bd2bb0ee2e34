"""Every text of the UI in English and Chinese (no Gradio here, so it is quick to test).

Labels the page shows from the start go to Gradio's i18n (:func:`translations`), which picks the
browser's language; what the server writes later (status messages, the sources panel, errors,
the exported conversation) is written in the language of the browser's ``Accept-Language``
(:func:`language_of`), read once when the page loads. Anything not Chinese gets English.
"""
from __future__ import annotations

import re

LANGS = ("en", "zh")
# Gradio picks a locale among the ones its frontend knows (zh-CN, zh-TW); both get our Chinese.
GRADIO_LOCALES = {"en": ("en",), "zh": ("zh-CN", "zh-TW")}

TEXTS: dict[str, tuple[str, str]] = {
    # the page (Gradio i18n)
    "title": ("## bulletin-rag · ask the news bulletins", "## bulletin-rag · 向新闻简报提问"),
    "sidebar": ("Settings and documents", "设置与文档"),
    "search_settings": ("Search settings", "检索设置"),
    "k": ("Passages to search (k)", "检索段落数 (k)"),
    "mode": ("Retrieval mode", "检索方式"),
    "mode_hybrid": ("hybrid (meaning + words)", "混合（语义 + 词语）"),
    "mode_dense": ("dense (meaning)", "语义"),
    "mode_lexical": ("lexical (words)", "词语"),
    "answerer": ("Answerer", "回答方式"),
    "answerer_extractive": ("Extractive: sentences from the bulletins", "摘录：直接引用简报原句"),
    "answerer_llm": ("LLM: {name}", "大模型：{name}"),
    "only_docs": ("Only these documents", "只在这些文档中检索"),
    "date_from": ("From date", "起始日期"),
    "date_to": ("To date", "截止日期"),
    "date_placeholder": ("YYYY-MM-DD", "年-月-日，如 2024-01-05"),
    "documents": ("### Documents", "### 文档"),
    "doc_table": ("Documents in the index", "索引中的文档"),
    "doc_filter": ("Filter documents", "筛选文档"),
    "doc_filter_placeholder": ("title, date or source", "标题、日期或来源"),
    "upload": ("Upload bulletins (up to {mb} MB each)", "上传简报（每个不超过 {mb} MB）"),
    "add": ("Add to index", "加入索引"),
    "upload_help": ("Uploaded files are kept in the data folder and added to the index.",
                    "上传的文件保存在数据文件夹中，并加入索引。"),
    "to_remove": ("Document to remove", "要移除的文档"),
    "remove": ("Remove from index", "从索引中移除"),
    "chat": ("Chat", "对话"),
    "question": ("Question", "问题"),
    "chat_placeholder": ("Ask a question about the bulletins, in Chinese or English.",
                         "用中文或英文就简报内容提问。"),
    "question_placeholder": ("e.g. 2023年青岛高新区新引进了多少个高质量项目？",
                             "例如：2023年青岛高新区新引进了多少个高质量项目？"),
    "sources_title": ("### Sources", "### 来源"),
    "sources": ("Sources", "来源"),
    "export": ("Export conversation (Markdown)", "导出对话（Markdown）"),
    "export_file": ("Conversation with its sources", "对话及其来源"),
    "export_name": ("conversation", "对话记录"),
    # knowledge bases
    "kb_title": ("### Knowledge base", "### 知识库"),
    "kb": ("Knowledge base", "知识库"),
    "kb_default": ("Bulletins", "简报"),
    "kb_manage": ("Create, rename or delete", "新建、重命名或删除"),
    "kb_name": ("Name", "名称"),
    "kb_name_placeholder": ("e.g. Project files", "例如：项目资料"),
    "kb_create": ("Create", "新建"),
    "kb_rename": ("Rename", "重命名"),
    "kb_delete": ("Delete", "删除"),
    "kb_created": ("Created **{name}**: upload its documents under Documents.", "已新建 **{name}**：请在“文档”中上传它的文档。"),
    "kb_renamed": ("Renamed to **{name}**.", "已改名为 **{name}**。"),
    "kb_deleted": ("Deleted **{name}** with its index, uploads and conversations.",
                   "已删除 **{name}**，连同它的索引、上传的文件和对话。"),
    "kb_delete_confirm": ("To delete **{name}** with its index and uploads, type its name in the box, then press Delete.",
                          "要删除 **{name}**（连同索引和上传的文件），请在名称框中输入它的名称，再点“删除”。"),
    "kb_not_found": ("There is no knowledge base “{name}” any more.", "知识库“{name}”已不存在。"),
    "kb_empty_name": ("Type a name first.", "请先输入名称。"),
    "kb_long_name": ("A name has at most {most} characters.", "名称最多 {most} 个字符。"),
    "kb_name_taken": ("There is already a knowledge base named “{name}”.", "已有名为“{name}”的知识库。"),
    "kb_default_kept": ("The default knowledge base is the configured index: it is not deleted (remove its documents "
                        "instead).", "默认知识库就是配置的索引，不能删除（可以移除其中的文档）。"),
    "kb_empty": ("This knowledge base has no documents yet: upload some under Documents.",
                 "这个知识库还没有文档：请先在“文档”中上传。"),
    "kb_empty_info": ("**Index:** none yet: the first upload builds it.", "**索引：** 还没有，第一次上传时建立。"),
    # conversations
    "history_title": ("### Conversations", "### 对话记录"),
    "new_chat": ("New conversation", "新对话"),
    "history": ("Earlier conversations", "以前的对话"),
    "conv_manage": ("Rename or delete this conversation", "重命名或删除当前对话"),
    "conv_name": ("Title", "标题"),
    "conv_rename": ("Rename", "重命名"),
    "conv_delete": ("Delete", "删除"),
    "conv_renamed": ("Renamed.", "已重命名。"),
    "conv_deleted": ("Deleted “{title}”.", "已删除“{title}”。"),
    "conv_none": ("Open or start a conversation first.", "请先打开或开始一个对话。"),
    "conv_gone": ("That conversation was deleted meanwhile.", "这个对话已被删除。"),
    # feedback on an answer
    "fb_title": ("**What should this answer have been?** (optional) · {question}", "**正确的回答应该是什么？**（可不填）· {question}"),
    "fb_correction": ("The right answer", "正确的回答"),
    "fb_correction_placeholder": ("what the bulletins say", "简报中的说法"),
    "fb_refuse": ("It should have said that the bulletins do not answer this", "应该回答：简报中没有答案"),
    "fb_docs": ("Documents that hold the right answer", "含有正确回答的文档"),
    "fb_save": ("Save", "保存"),
    "fb_up": ("👍 kept. Thank you.", "👍 已记录，谢谢。"),
    "fb_down": ("👎 kept. If you know it, say what the answer should have been.", "👎 已记录。如果知道，请写下正确的回答。"),
    "fb_saved": ("Saved: `rag feedback export` turns it into a question for `rag eval`.",
                 "已保存：`rag feedback export` 会把它变成 `rag eval` 的一道题。"),
    "fb_nothing": ("Write the right answer, or tick the box, first.", "请先写下正确的回答，或勾选上面一项。"),
    "fb_gone": ("That answer is no longer kept (its conversation was deleted).", "这个回答已不在记录中（所在对话已删除）。"),
    "fb_not_answer": ("Only answers can be rated.", "只能评价回答。"),
    "uploading": ("Uploading {n} file(s)…", "正在上传 {n} 个文件……"),
    "liked": ("Liked", "已赞"),
    "disliked": ("Disliked", "已踩"),
    "upload_too_large": ("Not uploaded: larger than {mb} MB: {names}", "没有上传，文件超过 {mb} MB：{names}"),
    # the original of a cited passage
    "open_original": ("Open the original", "查看原文"),
    "orig_close": ("Close", "关闭"),
    "orig_page": ("Page {page} of {pages}", "第 {page} 页，共 {pages} 页"),
    "orig_gone": ("This document is no longer in the index (it was removed).", "这份文档已不在索引中（已被移除）。"),
    "orig_not_found": ("The passage is no longer in this document as it was quoted (the document changed); "
                       "its beginning is shown.", "文档已改动，找不到所引的段落；下面是文档的开头。"),
    "orig_not_placed": ("The quoted sentence could not be placed on this page (the page has no text layer).",
                        "无法在这一页上标出所引的句子（这一页没有文字层）。"),
    "orig_unrenderable": ("The PDF's page could not be shown; its text is shown instead.",
                          "无法显示这份 PDF 的页面，改为显示其文字。"),
    # the table's columns
    "col_title": ("Title", "标题"),
    "col_date": ("Date", "日期"),
    "col_source": ("Source", "来源"),
    "col_passages": ("Passages", "段落数"),
    # the sources panel
    "no_sources": ("Sources of the answer appear here.", "回答的来源显示在这里。"),
    "searching": ("Searching the bulletins…", "正在检索简报……"),
    "source_n": ("source {n}", "来源 {n}"),
    "section": ("Section", "栏目"),
    "author": ("Author", "作者"),
    "date": ("Date", "日期"),
    "caption": ("photo caption", "图片说明"),
    "table": ("table", "表格"),
    "page": ("p. {page}", "第{page}页"),
    "relevance": ("relevance", "相关度"),
    "rerank_score": ("reranker score", "重排序得分"),
    "refused": ("No passage in the bulletins answers this question.", "简报中没有能回答这个问题的段落。"),
    "no_citations": ("No sources cited.", "没有引用来源。"),
    "read_as": ("Read as: ", "理解为："),
    "md_read_as": ("_Read as: {q}_", "_理解为：{q}_"),
    "md_caveat": ("_Caveat: the bulletins do not hold what was asked; the fact quoted is a neighbouring one._",
                  "_说明：简报中没有所问的内容，引用的是相近的事实。_"),
    # the index summary
    "info": ("**Model:** `{model}` ({dim}-dim vectors)  \n"
             "**Index:** `{folder}`: {documents} documents, {chunks} passages, {index_type}, {size} on disk  \n"
             "**LLM:** {llm}",
             "**模型：** `{model}`（{dim} 维向量）  \n"
             "**索引：** `{folder}`：{documents} 篇文档，{chunks} 个段落，{index_type}，占用 {size}  \n"
             "**大模型：** {llm}"),
    "none": ("none", "无"),
    "index_exact": ("exact (flat)", "精确检索"),
    "index_approximate": ("approximate ({index_type})", "近似检索（{index_type}）"),
    # ingest and removal
    "stage_read": ("Reading files", "读取文件"),
    "stage_chunk": ("Cutting into passages", "切分段落"),
    "stage_embed": ("Embedding passages", "计算段落向量"),
    "stage_write": ("Writing the index", "写入索引"),
    "unit_passages": ("passages", "段落"),
    "unit_steps": ("steps", "步"),
    "updated": ("**Index updated** in {seconds:.1f} s: {added} added, {updated} updated, {unchanged} unchanged "
                "({documents} documents, {chunks} passages).",
                "**索引已更新**，用时 {seconds:.1f} 秒：新增 {added} 篇，更新 {updated} 篇，未变 {unchanged} 篇"
                "（共 {documents} 篇文档，{chunks} 个段落）。"),
    "identical": ("- `{name}` is identical to `{kept}` (stored once)", "- `{name}` 与 `{kept}` 内容相同（只存一份）"),
    "saved_as": ("- {name} was saved as {saved}: another file already has that name",
                 "- {name} 已保存为 {saved}：已有同名的文件"),
    "skipped": ("**Skipped {n}:**", "**跳过 {n} 个：**"),
    "nothing": ("Nothing to do.", "没有需要处理的内容。"),
    "choose_files": ("Choose one or more files first.", "请先选择一个或多个文件。"),
    "choose_doc": ("Choose a document to remove.", "请选择要移除的文档。"),
    "not_in_index": ("{doc_id} is not in the index.", "{doc_id} 不在索引中。"),
    "removed": ("**Removed** `{doc_id}` ({documents} documents, {chunks} passages left).",
                "**已移除** `{doc_id}`（剩余 {documents} 篇文档，{chunks} 个段落）。"),
    "file_deleted": (" Its uploaded file was deleted.", "其上传的文件已删除。"),
    "ingest_failed": ("The upload was not added: {error}", "上传的文件未能加入索引：{error}"),
    # options
    "bad_k": ("k must be a whole number from 1 to 1000, not {value!r}.", "k 必须是 1 到 1000 之间的整数，而不是 {value!r}。"),
    "bad_date": ("{field}: “{value}” is not a date that can be read. Accepted forms: {forms}",
                 "{field}“{value}”无法识别为日期。可用的写法：{forms}"),
    "bad_date_relative": ("{field}: “{value}” is a relative date: give a full date. Accepted forms: {forms}",
                          "{field}“{value}”是相对日期，请写出完整的日期。可用的写法：{forms}"),
    "date_forms": ("2024-01-05, 2024/1/5, 2024.1.5, 2024年1月5日, 20240105; a month (2024-01, 2024年1月) or a year (2024)",
                   "2024-01-05、2024/1/5、2024.1.5、2024年1月5日、二〇二四年一月五日、20240105；"
                   "月份（2024-01、2024年1月）或年份（2024）"),
    "date_order": ("The end date {date_to} is before the start date {date_from}.",
                   "截止日期 {date_to} 早于起始日期 {date_from}。"),
    "too_long": ("The question is too long ({n} characters; at most {most}). Shorten it and ask again.",
                 "问题太长（{n} 个字符，最多 {most} 个），请缩短后再问。"),
    "docs_gone": ("No longer in the index, left out of the filter: {names}.", "这些文档已不在索引中，已从筛选中去掉：{names}。"),
    "docs_all_gone": ("None of the documents chosen under “Only these documents” is in the index any more; "
                      "that filter is cleared now: ask again to search every document.",
                      "“只在这些文档中检索”所选的文档都已不在索引中，这一项已清空：再问一次即在全部文档中检索。"),
    "failed": ("This question could not be answered (see the details).", "这个问题没能得到回答（原因见详情）。"),
    "error_title": ("Error", "出错了"),
    "warning_title": ("Note", "提示"),
    "note_other": ("Note", "另有说明（原文见详情）"),
    "details": ("details", "详情"),
    "bad_mode": ("Unknown retrieval mode {value!r}.", "未知的检索方式 {value!r}。"),
    # the exported conversation
    "md_title": ("# bulletin-rag: conversation", "# bulletin-rag：对话记录"),
    "md_exported": ("Exported {when}.", "导出于 {when}。"),
    "md_question": ("## Question {n}", "## 问题 {n}"),
    "md_answer": ("**Answer**", "**回答**"),
    "md_sources": ("**Sources**", "**来源**"),
    "md_no_sources": ("(no sources)", "（无来源）"),
    "md_empty": ("(nothing asked yet)", "（尚未提问）"),
}

# Gradio's own words that its Chinese lacks (its keys, translated here; it shows the key otherwise)
GRADIO_TEXTS: dict[str, tuple[str, str]] = {
    "common.complete": ("Done", "完成"),
    "common.upload": ("Upload", "上传"),
    "chatbot.complete": ("Done", "完成"),
    "chatbot.copy_message": ("Copy message", "复制这条消息"),
    "chatbot.copied_message": ("Copied", "已复制"),
}

# Why a file was skipped (the readers write English): the known reasons, in Chinese.
REASONS_ZH: list[tuple[str, str]] = [
    (r"^empty file$", "空文件"),
    (r"^empty document$", "空文档"),
    (r"^empty text$", "正文为空"),
    (r"^no text$", "没有文字"),
    (r"^no text left after layout cleaning$", "版面清理后没有剩下文字"),
    (r"^binary file \(contains NUL bytes\), not text$", "二进制文件（含 NUL 字节），不是文本"),
    (r"^unsupported format '(.*?)' \(supported: (.*)\)$", r"不支持的格式 '\1'（支持：\2）"),
    (r"^unreadable PDF \((.*)\)$", r"无法读取的 PDF（\1）"),
    (r"^unreadable DOCX(.*)$", r"无法读取的 DOCX\1"),
    (r"^unreadable( \w+)? \((.*)\)$", r"无法读取\1（\2）"),
    (r"^encrypted PDF: decrypt it first$", "加密的 PDF：请先解密"),
    (r"^PDF has no extractable text \(scanned images need OCR first\)$", "PDF 中没有可提取的文字（扫描件需先做 OCR）"),
    (r"^unreadable: not UTF-8, GBK or GB18030 text and no other encoding fits$",
     "无法读取：不是 UTF-8、GBK 或 GB18030 文本，也不符合其他编码"),
    (r"^too large: (.*?) > (.*?) \((limits\.\w+)\)$", r"文件过大：\1 > \2（\3）"),
    (r"^too large for a PDF: (.*?) > (.*?) \((limits\.\w+)\)$", r"PDF 过大：\1 > \2（\3）"),
    (r"^file too large \((.*)\)$", r"文件过大（\1）"),
    (r"^unzips to (.*?) > (.*?) \((limits\.\w+)\)$", r"解压后为 \1 > \2（\3）"),
    (r"^too many pages: (.*?) > (.*?) \((limits\.\w+)\)$", r"页数过多：\1 > \2（\3）"),
    (r"^too long: (.*?) characters > (.*?) \((limits\.\w+)\)$", r"文字过长：\1 个字符 > \2（\3）"),
    (r"^too long: (.*?) of text holds more than (.*?) characters \((limits\.\w+)\)$",
     r"文字过长：\1 的文本超过 \2 个字符（\3）"),
    (r"^took over (.*?) s to read \((.*?)\) \((limits\.\w+) = (.*)\)$", r"读取超过 \1 秒（\2）（\3 = \4）"),
    (r"^permission denied$", "没有读取权限"),
    (r"^cannot read \((.*)\)$", r"无法读取（\1）"),
    (r"^no such file or folder$", "文件或文件夹不存在"),
    (r"^no usable records$", "没有可用的记录"),
    (r"^invalid JSON \((.*)\)$", r"JSON 格式错误（\1）"),
    (r'^record needs a "text" string$', '记录需要 "text" 字符串'),
    (r"^duplicate document id$", "文档编号重复"),
]

# What the answering stage says about an answer (``Answer.note``, English, parts joined by "; "):
# the known parts in Chinese. A part marked True keeps its English original in a details line
# (an error text from a library). A part no pattern knows is shown as a general note with the
# original in a details line, so a new reason never shows English words as the message itself.
KINDS_ZH = {"number": "数字", "date": "日期", "person": "人名", "org": "机构名称", "place": "地名", "other": "相关内容"}
NOTES_ZH: list[tuple[str, str, bool]] = [
    (r"^nothing relevant found in the index$", "简报中没有找到相关的内容", False),
    (r"^the passages found tell the reader what to answer: evidence of nothing$",
     "找到的段落在指使读者如何回答，不能作为依据", False),
    (r"^no (number|date|person|org|place|other) in the retrieved passages$", "检索到的段落中没有问题所问的{kind}", False),
    (r"^no sentences$", "检索到的段落中没有可用的句子", False),
    (r"^meaning score (-?[\d.]+) std over the corpus baseline \(< ([\d.]+)\)$",
     r"语义相关度只比整体平均高 \1 个标准差（要求至少 \2）", False),
    (r"^the best sentence holds (\d+)% of the question's terms \(< (\d+)%\)$",
     r"最相关的句子只含问题中 \1% 的关键词（要求至少 \2%）", False),
    (r"^the best passage does not mention (.+)$", r"最相关的段落没有提到“\1”", False),
    (r"^no byline in the retrieved passages$", "检索到的段落中没有署名", False),
    (r"^no signed article holds (\d+)% of the question's terms$", r"没有哪篇署名文章含有问题中 \1% 的关键词", False),
    (r"^the best sentence answers with probability ([\d.]+) \(< ([\d.]+)\)$",
     r"最佳句子能回答问题的概率为 \1（要求至少 \2）", False),
    (r"^no words to look up$", "没有可以检索的词语", False),
    (r"^code, not a question$", "这是一段代码，不是问题", False),
    (r"^a request to write something, not a question$", "这是写作请求，不是关于简报的问题", False),
    (r"^no readable words$", "没有可以识别的词语", False),
    (r"^empty question$", "问题是空的", False),
    (r"^question too long: (\d+) characters \(max_question_chars = (\d+)\)$", r"问题太长：\1 个字符（最多 \2 个）", False),
    (r"^no LLM is configured \(set (\w+) and (\w+)\)$", r"没有配置大模型（请设置 \1 和 \2）", False),
    (r"^extractive answer shown$", "改为显示摘录的回答", False),
    (r"^the LLM did not answer in time$", "大模型没有及时回答", False),
    (r"^the LLM endpoint cannot be reached$", "无法连接大模型服务", False),
    (r"^the LLM stopped answering \(timed out\)$", "大模型中途停止了回答（超时）", False),
    (r"^the LLM reply took too long$", "大模型的回答用时过长", False),
    (r"^the LLM returned an empty reply$", "大模型返回了空的回复", False),
    (r"^the LLM returned no answer$", "大模型没有给出回答", False),
    (r"^the LLM found no answer in the passages$", "大模型在段落中没有找到答案", False),
    (r"^the LLM reply is not supported by the passages$", "大模型的回答没有段落支持", False),
    (r"^some statements are not supported by the passages$", "回答中有些陈述没有段落支持", False),
    (r"^the LLM call failed \(.*\)$", "调用大模型失败", True),
    (r"^the LLM returned no text \(.*\)$", "大模型没有返回文字", True),
]



def t(key: str, lang: str = "en", **values) -> str:
    """The text ``key`` in ``lang`` (``en`` or ``zh``), with ``values`` filled in."""
    en, zh = TEXTS[key]
    text = zh if lang == "zh" else en
    return text.format(**values) if values else text


def language_of(accept_language: str | None) -> str:
    """``zh`` when the browser's most preferred language is Chinese, else ``en``.

    ``accept_language`` is the HTTP header, e.g. ``zh-CN,zh;q=0.9,en;q=0.8``."""
    best, best_q = "", -1.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        m = re.search(r"q\s*=\s*([^;\s]*)", params)
        if m:
            try:
                q = float(m.group(1))
            except ValueError:
                q = 0.0
        if tag and q > best_q:
            best, best_q = tag.lower(), q
    return "zh" if best.startswith("zh") else "en"


def reason(text: str, lang: str) -> str:
    """Why a file was skipped, in ``lang`` (a reason it does not know stays as it is)."""
    if lang != "zh":
        return text
    for pattern, zh in REASONS_ZH:
        if re.match(pattern, text):
            return re.sub(pattern, zh, text)
    return text


def note_parts(note: str, lang: str) -> list[tuple[str, str]]:
    """The parts of an answer's ``note`` in ``lang``: ``(text, details)`` each, ``details`` the
    original words where they are kept aside ("" otherwise). In English the note is as written."""
    parts = [p.strip() for p in (note or "").split("; ") if p.strip()]
    if lang != "zh":
        return [(p, "") for p in parts]
    out = []
    for part in parts:
        for pattern, zh, keep in NOTES_ZH:
            m = re.match(pattern, part)
            if m:
                text = zh.format(kind=KINDS_ZH.get(m.group(1), m.group(1))) if "{kind}" in zh else m.expand(zh)
                out.append((text, part if keep else ""))
                break
        else:
            out.append((t("note_other", lang), part))
    return out


def translations(**values) -> dict[str, dict[str, str]]:
    """Every text, per Gradio locale, with ``values`` (e.g. ``mb``) filled in where asked for:
    the argument of ``gr.I18n``."""
    out: dict[str, dict[str, str]] = {}
    for i, lang in enumerate(LANGS):
        table = {}
        for key, texts in {**TEXTS, **GRADIO_TEXTS}.items():
            text = texts[i]
            try:
                table[key] = text.format(**values) if "{" in text else text
            except (KeyError, IndexError, ValueError):
                table[key] = text  # filled in by the server, not the page
        for locale in GRADIO_LOCALES[lang]:
            out[locale] = table
    return out
