"""The UI's corpus management under hostile uploads: refused files leave nothing behind, crafted
names stay inside corpus/uploads/, and every message comes in the page's language."""
import os
from pathlib import Path

import pytest

from rag.index import Index


@pytest.fixture
def ui(built, fake, tmp_path, monkeypatch):
    from rag.answering import Assistant
    from rag.ui.app import UI

    monkeypatch.chdir(tmp_path)
    bot = Assistant(built, embedder=fake, index=Index.load(built.index_dir))
    return UI(bot, built)


def upload(tmp_path: Path, name: str, data: bytes) -> str:
    """A file as Gradio hands it over: a temporary path whose last part is the client's name."""
    d = tmp_path / "gradio-tmp" / os.urandom(4).hex()
    d.mkdir(parents=True)
    path = d / name
    path.write_bytes(data)
    return str(path)


def ingest(ui, files: list, lang: str) -> tuple:
    """What an upload ends with (the handler says how far it got on the way)."""
    *_, last = ui.ingest(files, lang, "")
    return last


def uploads(ui) -> list[str]:
    folder = Path(ui.settings.corpus_dir) / "uploads"
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) if folder.is_dir() else []


def test_a_refused_upload_does_not_stay_in_uploads(ui, tmp_path):
    """An .exe named .pdf was refused by the ingest but stayed in uploads/."""
    status, *_ = ingest(ui, [upload(tmp_path, "tool.pdf", b"MZ\x90\x00\x03 an executable")], "en")
    assert "Skipped 1" in status and "tool.pdf" in status and "unreadable PDF" in status
    assert uploads(ui) == []
    # a good file next to it is kept, the bad one is not
    status, *_ = ingest(ui, [upload(tmp_path, "tool.pdf", b"MZ\x90\x00"),
                            upload(tmp_path, "good.txt", "海鸥湾示范区新建智能灯塔27座。".encode())], "zh")
    assert "索引已更新" in status and "跳过 1 个" in status and "无法读取的 PDF" in status
    assert uploads(ui) == ["good.txt"]
    # a new version that cannot be read gives the old one back, which the index still holds
    status, *_ = ingest(ui, [upload(tmp_path, "good.txt", b"\x00\x01\x02 binary")], "en")
    assert "binary file" in status and uploads(ui) == ["good.txt"]
    assert (Path(ui.settings.corpus_dir) / "uploads" / "good.txt").read_text(encoding="utf-8").startswith("海鸥湾")


HOSTILE = ["../../escaped.txt", "/etc/passwd.txt", "..\\..\\win.txt", "line\nbreak.txt", "nul\x00byte.txt",
           "rtl\u202egnp.txt", "con.txt", ".hidden.txt", "x" * 300 + ".txt", "报告（2024）.txt"]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_upload_names_stay_inside_uploads(ui, tmp_path, name):
    text = f"海鸥湾通报：{len(name)}号灯塔建成。".encode()
    try:
        src = upload(tmp_path, name, text)
    except (OSError, ValueError):  # a name the file system refuses: the client sends it another way
        src = upload(tmp_path, "plain.txt", text)
    status, *_ = ingest(ui, [src], "en")
    assert "1 added" in status
    folder = (Path(ui.settings.corpus_dir) / "uploads").resolve()
    [saved] = [p for p in folder.iterdir() if p.name != ".names.json"]  # it records the name as uploaded
    assert saved.parent == folder and not saved.name.startswith(".")
    assert "\n" not in saved.name and "\x00" not in saved.name and "\u202e" not in saved.name
    assert not (tmp_path.parent / "escaped.txt").exists()


def test_messages_follow_the_page_language(ui):
    """Said in the status, in the page's language; nothing raised (an error would lock nothing
    here, but its toast is Gradio's, titled in English)."""
    for lang, words in (("en", "Choose one or more files first."), ("zh", "请先选择一个或多个文件。")):
        assert ingest(ui, [], lang)[0] == words
    assert ui.remove(None, "zh")[0] == "请选择要移除的文档。"
    assert "不在索引中" in ui.remove("nope.txt", "zh")[0]
    doc = next(d for d in Index.load(ui.settings.index_dir).documents if d.endswith("brief.md"))
    status, *_ = ui.remove(doc, "zh")
    assert status.startswith("**已移除**")


def test_a_long_question_is_refused_in_the_ui_and_the_box_stays_usable(ui):
    steps = list(ui.chat("青岛高新区" * 2_000, [], 5, "hybrid", "extractive", [], "", "", "zh", {}))
    html = steps[-1][0]
    assert "问题太长" in html and "10000" in html
    steps = list(ui.chat("青岛高新区有多少家高新技术企业？", [], 5, "hybrid", "extractive", [], "", "", "zh", {}))
    assert steps[-1][0]  # the next question is answered as usual
