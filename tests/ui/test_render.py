"""The UI's HTML: linked markers, source cards, the quote marked, small labels (no Gradio)."""
from rag.types import Answer, Chunk, Citation, Hit, IngestReport, Skipped
from rag.ui.render import (card_id, find_quote, highlight, info_markdown, ingest_markdown, link_markers,
                           message_html, plain_history, section_label, sources_html)


# ---------------------------------------------------------------- file names

PASSAGE = "去年成绩喜人。\n2023年以来，新引进高质量项目311个、总投资350亿元。<b>其余</b>略。"
QUOTE = "2023年以来，新引进高质量项目311个、总投资350亿元。"


def make_answer(**kw) -> Answer:
    chunk = Chunk("doc.txt#3", "doc.txt", PASSAGE, title="青岛高新区", section="青岛高新区 > 开放引领",
                  author="肖玲玲", date="2024-01-05")
    cite = Citation(1, "doc.txt#3", "doc.txt", "青岛高新区", "青岛高新区 > 开放引领", QUOTE, 0.93,
                    "肖玲玲", "2024-01-05")
    return Answer("问题", "新引进高质量项目311个[1]。", [cite], [Hit(chunk, 1, 1.0, 0.93)], **kw)


def test_markers_link_to_their_source_cards():
    html = link_markers("项目311个[1]，总投资350亿元[2]。<script>", "t1")
    assert '<a class="cite" href="#src-t1-1"' in html and '>[1]</a>' in html
    assert 'href="#src-t1-2"' in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert link_markers("未完[1", "t") == "未完[1"  # a marker still streaming in stays text


def test_sources_panel_marks_the_supporting_sentence():
    html = sources_html(make_answer(), "t1")
    assert f'id="{card_id("t1", 1)}"' in html
    assert "青岛高新区" in html and "开放引领" in html and "肖玲玲" in html and "2024-01-05" in html
    assert f"<mark>{QUOTE}</mark>" in html
    assert "&lt;b&gt;其余&lt;/b&gt;" in html  # passage text is escaped


def test_a_source_card_shows_the_reranker_score_when_there_is_one():
    answer = make_answer()
    assert "src-rerank" not in sources_html(answer, "t1")  # not reranked: nothing shown
    answer.passages[0].rerank_score = 2.345
    assert '<span class="src-rerank">reranker score 2.35</span>' in sources_html(answer, "t1")
    assert "重排序得分 2.35" in sources_html(answer, "t1", "zh")


def test_quote_found_despite_whitespace_or_final_stop():
    passage = "第一句。\n新引进高质量项目 311 个，总投资350亿元；其余。"
    start, end = find_quote(passage, "新引进高质量项目311个，总投资350亿元。")
    assert passage[start:end].startswith("新引进高质量项目 311 个")
    assert "<mark>" in highlight(passage, "新引进高质量项目311个，总投资350亿元。")
    assert find_quote("完全无关的文字。", "另一件事情") == (-1, -1)
    assert '<mark class="quote-apart">另一件事情</mark>' in highlight("完全无关的文字。", "另一件事情")


def test_refusal_and_note_are_shown():
    refused = Answer("火星？", "抱歉，简报中没有找到能回答这个问题的内容。", refused=True,
                     note="nothing relevant found in the index")
    assert "No passage in the bulletins answers" in sources_html(refused, "t")
    msg = message_html(refused.text, "t", refused.note)
    assert "没有找到" in msg and "nothing relevant found" in msg
    assert "LLM timed out" in message_html("答案[1]。", "t", note="LLM timed out; extractive answer shown")


def test_history_goes_back_to_plain_text():
    history = [{"role": "user", "content": "2023年引进了多少项目？"},
               {"role": "assistant", "content": message_html("项目311个[1]。", "t", note="a note")},
               {"role": "assistant", "content": [{"type": "text", "text": "<b>x</b> &amp; y"}]}]
    assert plain_history(history) == [{"role": "user", "content": "2023年引进了多少项目？"},
                                      {"role": "assistant", "content": "项目311个[1]。"},
                                      {"role": "assistant", "content": "x & y"}]


def test_small_labels():
    assert section_label("青岛高新区 > 开放引领", "青岛高新区") == "开放引领"
    assert section_label("青岛高新区", "青岛高新区") == ""
    md = info_markdown({"folder": "index", "documents": 2, "chunks": 60, "model": "m", "dim": 384,
                        "index_type": "flat", "bytes": 300_000, "answerer": "extractive", "llm": "none"})
    assert "2 documents" in md and "60 passages" in md and "293.0 KB" in md and "384" in md
    report = IngestReport(documents=2, chunks=9, added=["a.txt"], skipped=[Skipped("/x/bad.pdf", "no text")])
    md = ingest_markdown(report, [Skipped("../evil.exe", "unsupported format '.exe'")])
    assert "1 added" in md and "`bad.pdf`: no text" in md and "`evil.exe`: unsupported" in md


def test_upload_status_names_files_as_uploaded():
    names = {"dup.txt": "dup?.txt", "dup-2.txt": "dup_.txt"}
    report = IngestReport(documents=3, chunks=9, added=["corpus/uploads/dup.txt"],
                          skipped=[Skipped("corpus/uploads/dup-2.txt (corpus/uploads/dup-2.txt)", "duplicate document id")])
    md = ingest_markdown(report, [Skipped("tool?.exe", "unsupported format '.exe' (supported: .txt)")], "en", names)
    assert "- `dup_.txt`: duplicate document id" in md and "- `tool?.exe`: unsupported" in md
    assert "dup-2.txt)" not in md
    ok = IngestReport(documents=3, chunks=9, added=["corpus/uploads/dup.txt", "corpus/uploads/dup-2.txt"])
    md = ingest_markdown(ok, [], "zh", names)
    assert "- `dup_.txt` 已保存为 `dup-2.txt`" in md and "`dup?.txt` 已保存" not in md  # dup.txt is its cleaned name


def test_a_card_shows_the_page_and_a_table():
    ans = make_answer()
    ans.citations[0].page, ans.citations[0].kind = 3, "table"
    zh, en = sources_html(ans, "t1", "zh"), sources_html(ans, "t1", "en")
    assert "第3页" in zh and "表格" in zh and "p. 3" in en and ">table<" in en
    assert "第" not in sources_html(make_answer(), "t1", "zh").split("src-doc")[1][:80]  # no page: none shown
