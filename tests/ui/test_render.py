"""Fast tests of the web UI's pieces: file names, HTML, the host/login check, and the app wiring
(with a stand-in assistant, so no model is loaded)."""
import os
import socket
from pathlib import Path

import pytest

from rag.types import Answer, Chunk, Citation, Document, Hit, IngestReport, Skipped
from rag.ui.render import (card_id, find_quote, highlight, info_markdown, ingest_markdown, link_markers,
                           message_html, plain_history, section_label, sources_html)
from rag.ui.safety import (ExposureError, check_exposure, is_inside, is_loopback, parse_auth,
                           safe_filename, save_upload, settle_upload)


# ---------------------------------------------------------------- file names
@pytest.mark.parametrize("name, expected", [
    ("../../etc/x.txt", "x.txt"),
    ("..\\..\\windows\\y.md", "y.md"),
    ("/etc/passwd.txt", "passwd.txt"),
    ("C:\\Users\\me\\报告（2024）.docx", "报告_2024.docx"),
    (".bashrc", "bashrc"),
    ("..", "upload"),
    ("", "upload"),
    ("a\x00b;rm -rf ~.TXT", "a_b_rm -rf.txt"),
    ("青岛 高新区 通报.HTML", "青岛 高新区 通报.html"),
    ("x" * 300 + ".pdf", "x" * 100 + ".pdf"),
])
def test_safe_filename(name, expected):
    assert safe_filename(name) == expected


@pytest.mark.parametrize("evil", ["../../etc/x.txt", "../x.txt", "/tmp/abs.txt", "..\\..\\win.txt",
                                  "sub/dir/../../../up.txt", "....//....//x.txt", ".hidden.txt"])
def test_save_upload_never_writes_outside_the_folder(tmp_path, evil):
    src = tmp_path / "incoming.bin"
    src.write_text("通报内容", encoding="utf-8")
    root = tmp_path / "data"
    folder = root / "corpus" / "uploads"
    before = {p for p in tmp_path.rglob("*")}
    dest = save_upload(src, evil, folder, max_bytes=1000)
    assert isinstance(dest, Path)
    assert dest.parent.resolve() == folder.resolve()
    assert not dest.name.startswith(".")
    assert dest.read_text(encoding="utf-8") == "通报内容"
    created = {p for p in tmp_path.rglob("*")} - before
    assert all(p == root or is_inside(p, root) for p in created), created
    assert not any(p.name.endswith(".part") for p in folder.iterdir())


def test_save_upload_refuses_big_and_unknown_files(tmp_path):
    src = tmp_path / "a.bin"
    src.write_bytes(b"x" * 2000)
    big = save_upload(src, "big.txt", tmp_path / "up", max_bytes=1000)
    assert isinstance(big, Skipped) and "too large" in big.reason
    exe = save_upload(src, "tool.exe", tmp_path / "up", max_bytes=10_000)
    assert isinstance(exe, Skipped) and "unsupported" in exe.reason
    assert not (tmp_path / "up").exists() or not any((tmp_path / "up").iterdir())


def test_save_upload_replaces_a_file_of_the_same_name(tmp_path):
    src = tmp_path / "v.txt"
    for version in ("一", "二"):
        src.write_text(version, encoding="utf-8")
        dest = save_upload(src, "bulletin.txt", tmp_path / "up", max_bytes=100)
        settle_upload(dest, accepted=True)
    assert dest.read_text(encoding="utf-8") == "二"
    assert [p.name for p in (tmp_path / "up").iterdir()] == ["bulletin.txt"]


def test_a_refused_upload_leaves_nothing_behind(tmp_path):
    """An upload the index could not read is deleted; a new version that fails gives the old one back."""
    src = tmp_path / "v.pdf"
    src.write_bytes(b"MZ\x90\x00 an exe named .pdf")
    dest = save_upload(src, "tool.pdf", tmp_path / "up", max_bytes=100)
    settle_upload(dest, accepted=False)
    assert list((tmp_path / "up").iterdir()) == []
    src.write_text("第一版", encoding="utf-8")
    settle_upload(save_upload(src, "bulletin.txt", tmp_path / "up", max_bytes=100), accepted=True)
    src.write_bytes(b"\x00\x01 binary")
    settle_upload(save_upload(src, "bulletin.txt", tmp_path / "up", max_bytes=100), accepted=False)
    assert [p.name for p in (tmp_path / "up").iterdir()] == ["bulletin.txt"]
    assert (tmp_path / "up" / "bulletin.txt").read_text(encoding="utf-8") == "第一版"


# ---------------------------------------------------------------- host and login
def test_parse_auth():
    assert parse_auth(None) is None and parse_auth("  ") is None
    assert parse_auth("alice:s3:cret") == ("alice", "s3:cret")
    for bad in ("alice", ":pw", "alice:"):
        with pytest.raises(ExposureError):
            parse_auth(bad)


@pytest.mark.parametrize("host, loopback", [("127.0.0.1", True), ("127.8.0.1", True), ("::1", True),
                                            ("[::1]", True), ("localhost", True), ("0.0.0.0", False),
                                            ("::", False), ("192.168.1.5", False), ("example.org", False)])
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_exposed_host_needs_a_login():
    assert check_exposure("127.0.0.1", None) is None
    assert check_exposure("127.0.0.1", "u:p") == ("u", "p")
    assert check_exposure("0.0.0.0", "u:p") == ("u", "p")
    with pytest.raises(ExposureError, match="RAG_AUTH"):
        check_exposure("0.0.0.0", None)


def test_serve_refuses_an_exposed_host_without_login(monkeypatch, capsys):
    from rag.cli import main

    monkeypatch.delenv("RAG_AUTH", raising=False)
    assert main(["serve", "--host", "0.0.0.0", "--port", "1"]) == 2
    assert "RAG_AUTH=user:password" in capsys.readouterr().err


# ---------------------------------------------------------------- HTML
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


def test_quote_found_despite_whitespace_or_final_stop():
    passage = "第一句。\n新引进高质量项目 311 个，总投资350亿元；其余。"
    start, end = find_quote(passage, "新引进高质量项目311个，总投资350亿元。")
    assert passage[start:end].startswith("新引进高质量项目 311 个")
    assert "<mark>" in highlight(passage, "新引进高质量项目311个，总投资350亿元。")
    assert find_quote("完全无关的文字。", "另一件事情") == (-1, -1)
    assert '<mark class="quote-apart">另一件事情</mark>' in highlight("完全无关的文字。", "另一件事情")


def test_refusal_and_note_are_shown():
    refused = Answer("火星？", "抱歉，现有公告中没有找到能回答这个问题的内容。", refused=True,
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


# ---------------------------------------------------------------- the app, with a stand-in assistant
class FakeBot:
    """Answers every question the same way, instantly; records what it was asked."""

    llm = None

    def __init__(self):
        self.asked = []

    def stream(self, question, history=None, **options):
        from rag.answering import AnswerStream

        self.asked.append((question, history, options))

        def pieces():
            yield from ("新引进高质量", "项目311个[", "1]。")
            return make_answer()

        return AnswerStream(pieces())

    def documents(self):
        return [Document("doc.txt", "…", title="青岛高新区", date="2024-01-05")]

    def passages_per_document(self):
        return {"doc.txt": 1}

    def info(self):
        return {"folder": "index", "documents": 1, "chunks": 1, "model": "m", "dim": 3, "index_type": "flat",
                "bytes": 1000, "answerer": "extractive", "llm": "none"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_chat_api_streams_linked_answer_and_sources(tmp_path):
    from gradio_client import Client

    from rag.config import load_settings
    from rag.ui.app import launch

    assert os.environ.get("GRADIO_ANALYTICS_ENABLED") == "False"
    settings = load_settings(env={}, port=free_port(), corpus_dir=tmp_path / "corpus")
    bot = FakeBot()
    demo = launch(bot, settings, block=False, quiet=True)
    try:
        assert demo.local_url.startswith("http://127.0.0.1:")
        client = Client(demo.local_url, verbose=False)
        reply, sources = client.predict("2023年引进了多少项目？", 3, "lexical", "extractive", ["doc.txt"],
                                        "2024/1/1", "", api_name="/chat")
        assert "311" in reply and 'href="#src-' in reply
        assert "<mark>" in sources and "青岛高新区" in sources
        question, history, options = bot.asked[-1]
        assert options["k"] == 3 and options["mode"] == "lexical"
        assert options["filters"].doc_ids == ("doc.txt",) and options["filters"].date_from == "2024-01-01"
        client.predict("那总投资呢？", api_name="/chat")  # the follow-up carries the conversation
        assert [m["role"] for m in bot.asked[-1][1]] == ["user", "assistant"]
        assert bot.asked[-1][1][1]["content"] == "新引进高质量项目311个[1]。"
    finally:
        demo.close()


def test_chat_never_waits_for_corpus_changes():
    from rag.config import load_settings
    from rag.ui.app import build_app

    demo = build_app(FakeBot(), load_settings(env={}))
    fns = {fn.api_name: fn for fn in demo.fns.values()}
    assert fns["chat"].concurrency_limit is None and fns["_submit_fn"].concurrency_limit is None
    assert fns["ingest"].concurrency_limit == fns["remove"].concurrency_limit == 1
    assert fns["ingest"].concurrency_id == fns["remove"].concurrency_id == "corpus"
    assert fns["chat"].concurrency_id != "corpus"


def test_theme_loads_no_web_fonts():
    from rag.ui.app import theme

    t = theme()
    assert all(isinstance(f, str) or f.stylesheet()["url"] is None for f in [*t._font, *t._font_mono])


def test_login_from_settings_is_enforced(tmp_path):
    import httpx
    from gradio_client import Client

    from rag.config import load_settings
    from rag.ui.app import launch

    settings = load_settings(env={"RAG_AUTH": "alice:wonder:land"}, port=free_port(), corpus_dir=tmp_path / "c")
    demo = launch(FakeBot(), settings, block=False, quiet=True)
    try:
        assert httpx.get(demo.local_url + "config").status_code == 401
        with pytest.raises(Exception):
            Client(demo.local_url, auth=("alice", "wrong"), verbose=False)
        client = Client(demo.local_url, auth=("alice", "wonder:land"), verbose=False)
        assert "311" in client.predict("问题", api_name="/chat")[0]
    finally:
        demo.close()
