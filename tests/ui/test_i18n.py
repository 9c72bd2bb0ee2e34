"""The UI in English and Chinese: every text in both, the page's language from the browser, the
documents table with its filter, and the conversation exported as Markdown."""
import re
from types import SimpleNamespace

import pytest

from rag.types import Answer, Citation, Document, IngestReport, Skipped
from rag.ui.render import (conversation_markdown, documents_table, info_markdown, ingest_markdown, message_html,
                           sources_html, turn_record)
from rag.ui.texts import REASONS_ZH, TEXTS, language_of, reason, t, translations


def test_every_text_has_both_languages_with_the_same_blanks():
    for key, (en, zh) in TEXTS.items():
        assert en.strip() and zh.strip(), key
        assert sorted(re.findall(r"{(\w+)", en)) == sorted(re.findall(r"{(\w+)", zh)), key
        if not key.startswith(("md_", "title", "search_settings", "documents", "sources_title")):
            assert re.search(r"[\u4e00-\u9fff]", zh), f"{key} is not Chinese"


@pytest.mark.parametrize("header, lang", [("zh-CN,zh;q=0.9,en;q=0.8", "zh"), ("zh-TW", "zh"), ("zh", "zh"),
                                          ("en-US,en;q=0.9", "en"), ("en;q=0.5,zh-CN;q=0.9", "zh"),
                                          ("fr-FR,fr;q=0.9", "en"), ("", "en"), (None, "en"), ("*", "en"),
                                          ("zh;q=abc,en", "en")])
def test_language_of_the_browser(header, lang):
    assert language_of(header) == lang


def test_gradio_translations_cover_the_locales_it_knows():
    tr = translations(mb=20, name="qwen")
    assert set(tr) == {"en", "zh-CN", "zh-TW"}
    assert tr["zh-CN"]["upload"] == "上传简报（每个不超过 20 MB）" and tr["en"]["answerer_llm"] == "LLM: qwen"
    assert tr["zh-CN"]["add"] == "加入索引" and tr["en"]["add"] == "Add to index"


def test_skip_reasons_in_chinese():
    cases = {"empty file": "空文件",
             "unsupported format '.exe' (supported: .txt, .md)": "不支持的格式 '.exe'（支持：.txt, .md）",
             "unzips to 1,024 MB > 100 MB (limits.max_unzipped_mb)": "解压后为 1,024 MB > 100 MB（limits.max_unzipped_mb）",
             "too many pages: 3 > 2 (limits.max_pdf_pages)": "页数过多：3 > 2（limits.max_pdf_pages）",
             "unreadable PDF (PdfStreamError: Stream has ended unexpectedly)":
                 "无法读取的 PDF（PdfStreamError: Stream has ended unexpectedly）",
             "something new": "something new"}
    for en, zh in cases.items():
        assert reason(en, "zh") == zh and reason(en, "en") == en
    assert all(re.compile(p) for p, _ in REASONS_ZH)


def test_readers_reasons_are_all_translated(tmp_path):
    """Every reason the readers give for the usual bad files has its Chinese."""
    from rag.config import ReadLimits
    from rag.ingest import read_path

    files = {"empty.txt": b"", "binary.txt": b"\x00\x01\x02", "x.exe": b"MZ", "broken.pdf": b"%PDF-1.4 x",
             "broken.docx": b"PK\x03\x04 nope", "latin.txt": bytes(range(128, 256)) * 4, "r.jsonl": b"{bad}\n",
             "long.txt": b"a" * 100}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        for r in read_path(tmp_path / name, ReadLimits(max_chars=10)):
            assert reason(r.reason, "zh") != r.reason, r.reason


def test_sources_and_messages_in_chinese():
    cite = Citation(1, "d#0", "d", "青岛高新区", "青岛高新区 > 开放引领", "项目311个。", 0.9, "肖玲玲", "2024-01-05",
                    kind="caption")
    from rag.types import Chunk, Hit

    ans = Answer("问题", "项目311个[1]。", [cite], [Hit(Chunk("d#0", "d", "新引进项目311个。"), 1, 1.0, 0.9)])
    html = sources_html(ans, "t", "zh")
    assert "作者：肖玲玲" in html and "日期：2024-01-05" in html and "图片说明" in html and "相关度" in html
    assert "来源 1" in message_html(ans.text, "t", lang="zh")
    assert "简报中没有" in sources_html(Answer("q", "x", refused=True), "t", "zh")
    md = info_markdown({"folder": "index", "documents": 2, "chunks": 60, "model": "m", "dim": 384,
                        "index_type": "flat", "bytes": 300_000, "answerer": "extractive", "llm": "none"}, "zh")
    assert "2 篇文档" in md and "60 个段落" in md and "大模型：** 无" in md
    report = IngestReport(documents=2, chunks=9, added=["a.txt"], skipped=[Skipped("/x/bad.pdf", "no text")])
    md = ingest_markdown(report, [], "zh")
    assert "新增 1 篇" in md and "`bad.pdf`: 没有文字" in md
    assert ingest_markdown(None, [], "zh") == "没有需要处理的内容。"
    assert "`a\\nb.txt`" in ingest_markdown(None, [Skipped("a\nb.txt", "empty file")])  # one line per file


def test_documents_table_and_its_filter():
    docs = [Document("corpus/a.txt", "…", title="青岛高新区简讯", date="2024-01-05"),
            Document("news:1", "…", title="中炬高新年报", source="新华社", aliases=["news:9"]),
            Document("corpus/b.txt", "…")]
    table = documents_table(docs, {"corpus/a.txt": 12, "news:1": 3}, "", "zh")
    assert table["headers"] == ["标题", "日期", "来源", "段落数"]
    assert table["data"] == [["青岛高新区简讯", "2024-01-05", "corpus/a.txt", 12], ["中炬高新年报", "", "新华社", 3],
                             ["b.txt", "", "corpus/b.txt", 0]]
    assert [r[0] for r in documents_table(docs, {}, "新华", "en")["data"]] == ["中炬高新年报"]
    assert [r[0] for r in documents_table(docs, {}, "2024-01", "en")["data"]] == ["青岛高新区简讯"]
    assert [r[0] for r in documents_table(docs, {}, "NEWS:9", "en")["data"]] == ["中炬高新年报"]  # by a copy's id
    assert documents_table(docs, {}, "nothing like it", "en")["data"] == [["", "", "", ""]]


def test_conversation_exported_as_markdown_with_sources():
    cite = Citation(1, "d#0", "corpus/a.txt", "青岛高新区", "青岛高新区 > 开放引领", "新引进高质量项目311个。", 0.93,
                    "肖玲玲", "2024-01-05")
    first = Answer("q", "新引进高质量项目311个[1]。", [cite], note="LLM timed out; extractive answer shown")
    refused = Answer("q", "抱歉，简报中没有找到能回答这个问题的内容。", refused=True)
    history = [{"role": "user", "content": "2023年引进了多少项目？"},
               {"role": "assistant", "content": message_html(first.text, "t1", first.note)},
               {"role": "user", "content": "火星上有企鹅吗？"},
               {"role": "assistant", "content": message_html(refused.text, "t2")}]
    turns = {first.text: turn_record(first), refused.text: turn_record(refused)}
    md = conversation_markdown(history, turns, "en", "2026-01-01 10:00")
    assert md.startswith("# bulletin-rag: conversation\n\n_Exported 2026-01-01 10:00._")
    assert "## Question 1\n\n> 2023年引进了多少项目？\n\n**Answer**\n\n新引进高质量项目311个[1]。" in md
    assert "_LLM timed out; extractive answer shown_" in md
    assert "1. **青岛高新区** — 开放引领 · 肖玲玲 · 2024-01-05" in md and "`corpus/a.txt` · relevance 0.93" in md
    assert "   > 新引进高质量项目311个。" in md
    assert "## Question 2" in md and md.rstrip().endswith("(no sources)")
    zh = conversation_markdown(history, turns, "zh", "2026-01-01 10:00")
    assert "# bulletin-rag：对话记录" in zh and "## 问题 2" in zh and "**来源**" in zh and "相关度 0.93" in zh
    assert conversation_markdown([], {}, "zh").endswith("（尚未提问）\n")


def test_the_page_learns_its_language_when_it_loads(tmp_path):
    from rag.config import load_settings
    from rag.ui.app import UI

    from .test_handlers import FakeBot

    ui = UI(FakeBot(), load_settings(env={}, data_dir=tmp_path))
    for header, lang, words in (("zh-CN,zh;q=0.9", "zh", "回答的来源显示在这里"), ("en-GB", "en", "Sources of the answer")):
        lang_, session, kbs, *_, table, history, chat, _, _, turns, sources, _, original, status, rules = ui.on_load(
            "", None, SimpleNamespace(headers={"accept-language": header}))
        assert lang_ == lang and words in sources and session == {"kb": "default", "conversation": ""}
        assert table["headers"][0] == t("col_title", lang) and chat["value"] == [] and turns == {}
        assert kbs["choices"] == [(t("kb_default", lang), "default")] and history["choices"] == []
        assert status == t("upload_help", lang) and 'data-max="20971520"' in rules


def test_chat_in_chinese_keeps_sources_for_the_export(tmp_path):
    from rag.config import load_settings
    from rag.ui.app import UI

    from .test_handlers import FakeBot

    ui = UI(FakeBot(), load_settings(env={}, data_dir=tmp_path))
    *_, (html, sources, turns, *_) = list(ui.chat("问题", [], 5, "hybrid", "extractive", [], "", "", "zh", {}))
    assert "作者：肖玲玲" in sources and "来源 1" in html
    history = [{"role": "user", "content": "问题"}, {"role": "assistant", "content": html}]
    path = ui.export(history, turns, "zh")["value"]
    text = open(path, encoding="utf-8").read()
    assert path.endswith(".md") and "## 问题 1" in text and "新引进高质量项目311个" in text and "肖玲玲" in text
