"""Upload names and paths, and who may connect (no model, no server)."""
from pathlib import Path

import pytest

from rag.types import Skipped
from rag.ui.safety import (ExposureError, check_exposure, forget_upload, is_inside, is_loopback, parse_auth,
                           safe_filename, save_upload, settle_upload, uploaded_names)


def listing(folder: Path) -> list[str]:
    """The files an ingest of ``folder`` would read (hidden ones are not)."""
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


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
    assert listing(tmp_path / "up") == ["bulletin.txt"]


def test_names_that_clash_after_cleaning_keep_both_files(tmp_path):
    """dup?.txt and dup_.txt both clean to dup.txt: the second gets a number, in one batch or
    later; each uploaded again under its own name replaces its own file."""
    up = tmp_path / "up"
    src = tmp_path / "in.txt"

    def upload(batch: list[tuple[str, str]]) -> list[Path]:
        taken, out = set(), []
        for name, text in batch:
            src.write_text(text, encoding="utf-8")
            dest = save_upload(src, name, up, max_bytes=100, taken=taken)
            taken.add(dest.name)
            out.append(dest)
        for dest, (name, _) in zip(out, batch):
            settle_upload(dest, accepted=True, original_name=name)
        return out

    assert [p.name for p in upload([("dup?.txt", "问号"), ("dup_.txt", "下划线")])] == ["dup.txt", "dup-2.txt"]
    assert [p.name for p in upload([("dup*.txt", "星号")])] == ["dup-3.txt"]
    assert [p.name for p in upload([("dup_.txt", "下划线二版"), ("dup?.txt", "问号二版")])] == ["dup-2.txt", "dup.txt"]
    assert listing(up) == ["dup-2.txt", "dup-3.txt", "dup.txt"]
    assert (up / "dup.txt").read_text(encoding="utf-8") == "问号二版"
    assert (up / "dup-2.txt").read_text(encoding="utf-8") == "下划线二版"
    assert uploaded_names(up) == {"dup.txt": "dup?.txt", "dup-2.txt": "dup_.txt", "dup-3.txt": "dup*.txt"}
    # a file saved before names were recorded keeps being replaced by an upload of its own name
    (up / "old.txt").write_text("旧", encoding="utf-8")
    assert [p.name for p in upload([("old.txt", "新")])] == ["old.txt"]
    forget_upload(up / "dup-3.txt")
    assert "dup-3.txt" not in uploaded_names(up) and not (up / "dup-3.txt").exists()


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
    assert listing(tmp_path / "up") == ["bulletin.txt"]
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
