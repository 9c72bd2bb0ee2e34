"""Ingest as a hostile user drives it: bad paths in a batch, paths that do not exist, concurrent
writers, a writer waiting on the lock, NUL bytes, odd file names, copies of documents."""
import json
import os
import threading
import time
from pathlib import Path

import pytest

from rag.index import Index, NothingToIngest, check_index, ingest, remove_documents, write_lock

from .conftest import fake_embedder


def test_a_symlink_loop_in_a_batch_keeps_the_good_files(tmp_path, corpus, cli):
    """`rag ingest good/ loop.txt` exited 2 and ingested nothing."""
    loop = tmp_path / "loop.txt"
    loop.symlink_to(loop)
    inner = corpus / "inner-loop.txt"
    inner.symlink_to(inner)
    code, out, errs = cli("ingest", corpus, loop, "--index", tmp_path / "index", "--quiet")
    assert code == 1 and "Traceback" not in errs
    assert "documents: 2" in out and "loop.txt: a symbolic link that loops" in out
    assert "inner-loop.txt: cannot read" in out
    assert len(Index.load(tmp_path / "index").documents) == 2


def test_a_path_that_does_not_exist_is_an_error_not_an_empty_index(tmp_path, cli, corpus):
    """`rag ingest /no/such/path` exited 0 and created an empty index."""
    code, out, errs = cli("ingest", "/no/such/path", "--index", tmp_path / "index", "--quiet")
    assert code == 2 and "/no/such/path: no such file or folder" in errs and not (tmp_path / "index").exists()
    # among good paths, a missing one is reported and skipped; the exit code says so
    code, out, errs = cli("ingest", corpus, "/no/such/path", "--index", tmp_path / "index", "--quiet")
    assert code == 1 and "documents: 2" in out and "/no/such/path: no such file or folder" in out


def test_nothing_readable_never_replaces_or_creates_an_index(built, fake, tmp_path, cli):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "tool.pdf").write_bytes(b"MZ\x90\x00 an exe named .pdf")
    (bad / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    with pytest.raises(NothingToIngest, match="tool.pdf"):
        ingest([bad], built.replace(index_dir=tmp_path / "fresh"), fake)
    assert not (tmp_path / "fresh" / "CURRENT").exists()
    before = Index.load(built.index_dir)
    with pytest.raises(NothingToIngest, match="unchanged"):
        ingest([bad], built, fake, rebuild=True)
    after = Index.load(built.index_dir)
    assert after.generation == before.generation and len(after.documents) == 2
    # into an existing index, an unreadable batch is reported and changes nothing
    report = ingest([bad], built, fake)
    assert report.documents == 2 and len(report.skipped) == 2
    assert Index.load(built.index_dir).generation == before.generation
    code, out, errs = cli("ingest", bad, "--index", built.index_dir, "--quiet")
    assert code == 1 and "tool.pdf: unreadable PDF" in out


def test_a_waiting_writer_says_so(built, fake, corpus, cli):
    """A second `rag ingest` waiting on the lock printed nothing."""
    messages = []
    with write_lock(built.index_dir):
        t = threading.Thread(target=lambda: ingest([corpus], built, fake, log=messages.append))
        t.start()
        time.sleep(0.5)
        assert t.is_alive() and messages and f"process {os.getpid()}" in messages[0]
        assert "waiting" in messages[0] and str(built.index_dir) in messages[0]
    t.join(30)
    assert not t.is_alive()
    result = []
    with write_lock(built.index_dir):
        t = threading.Thread(target=lambda: result.append(cli("ingest", corpus, "--index", built.index_dir, "--quiet")))
        t.start()
        time.sleep(0.5)
        assert t.is_alive()
    t.join(30)
    code, out, errs = result[0]
    assert code == 0 and f"rag: waiting for process {os.getpid()}, which is writing the index at" in errs


def test_concurrent_writers_all_land(built, tmp_path):
    """Four threads ingest four files into one index at once: each ends in it, none is lost."""
    files = []
    for i in range(4):
        f = tmp_path / f"w{i}.txt"
        f.write_text(f"第{i}号简讯：海鸥湾示范区第{i}期工程新建智能灯塔{i + 20}座。", encoding="utf-8")
        files.append(f)
    errors = []

    def write(f):
        try:
            ingest([f], built, fake_embedder())
        except Exception as exc:  # pragma: no cover - the assertion below shows it
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(f,)) for f in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    docs = Index.load(built.index_dir).documents
    assert all(any(d.endswith(f.name) for d in docs) for f in files) and len(docs) == 6
    assert check_index(built.index_dir).healthy
    assert len(list(built.index_dir.glob("gen-*"))) == 1


def test_nul_bytes_after_the_first_8k_never_reach_passages(tmp_path, fast_settings, fake):
    text = "青岛高新区简讯。" * 2000  # > 8 KB before the NULs
    (tmp_path / "nul.txt").write_bytes(text.encode("utf-8") + b"\x00\x00" + "海洋科技论坛。".encode("utf-8"))
    (tmp_path / "mostly-nul.txt").write_bytes(text.encode("utf-8") + b"\x00" * 200_000)
    report = ingest([tmp_path / "nul.txt", tmp_path / "mostly-nul.txt"], fast_settings, fake)
    assert [Path(s.path).name for s in report.skipped] == ["mostly-nul.txt"]
    assert "binary" in report.skipped[0].reason
    idx = Index.load(fast_settings.index_dir)
    assert not any("\x00" in c.text for c in idx.chunks) and any("海洋科技论坛" in c.text for c in idx.chunks)
    jsonl = tmp_path / "n.jsonl"
    jsonl.write_text(json.dumps({"id": "r1", "text": "正文\u0000含有\u0007控制字符。"}) + "\n", encoding="utf-8")
    ingest([jsonl], fast_settings, fake)
    assert Index.load(fast_settings.index_dir).documents["r1"].text == "正文含有控制字符。"


@pytest.mark.parametrize("name", ["line\nbreak.txt", "tab\there.txt", "cr\rreturn.txt", "esc\x1b[31mred.txt"])
def test_odd_file_names_keep_search_output_one_line_per_record(tmp_path, cli, name):
    """A newline in a file name broke `rag search`'s line output."""
    d = tmp_path / "odd"
    d.mkdir()
    (d / name).write_text("海鸥湾示范区新建智能灯塔27座。", encoding="utf-8")
    code, out, _ = cli("ingest", d, "--index", tmp_path / "index", "--quiet")
    assert code == 0 and len(out.splitlines()) == 1
    code, out, _ = cli("search", "智能灯塔", "--index", tmp_path / "index", "--k", "1", "--mode", "lexical")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2 and lines[0].startswith("[1] ") and lines[1].startswith("    ")
    assert "\x1b" not in out and name.encode("unicode_escape").decode()[:4] in lines[0]
    code, out, _ = cli("search", "智能灯塔", "--index", tmp_path / "index", "--json")
    assert json.loads(out)["hits"][0]["doc_id"].endswith(name)  # the JSON keeps the real name


def test_removing_a_copy_or_its_original(built, fake, corpus, cli):
    """Removing a document stored as a copy of another failed ("not in the index"); removing the
    original dropped both."""
    (corpus / "copy.md").write_text((corpus / "brief.md").read_text(encoding="utf-8"), encoding="utf-8")
    (corpus / "copy2.md").write_text((corpus / "brief.md").read_text(encoding="utf-8"), encoding="utf-8")
    ingest([corpus], built, fake)
    idx = Index.load(built.index_dir)
    brief = next(d for d in idx.documents if d.endswith("brief.md"))
    copy, copy2 = (next(a for a in idx.documents[brief].aliases if a.endswith(n)) for n in ("copy.md", "copy2.md"))
    # a copy can be removed by its own id; the original and the other copy stay
    code, out, errs = cli("remove", copy, "--index", built.index_dir)
    assert code == 0, errs
    idx = Index.load(built.index_dir)
    assert idx.documents[brief].aliases == [copy2] and len(idx.rows_of_document(brief))
    # removing the original hands its passages to the copy that is left
    remove_documents([brief], built)
    idx = Index.load(built.index_dir)
    assert brief not in idx.documents and copy2 in idx.documents
    assert idx.documents[copy2].path.endswith("copy2.md") and len(idx.rows_of_document(copy2))
    assert all(c.chunk_id.startswith(copy2 + "#") for c in idx.chunks if c.doc_id == copy2)
    # the files are still there: ingesting the folder again finds all three, stored once
    report = ingest([corpus], built, fake)
    idx = Index.load(built.index_dir)
    stored = next(d for d in idx.documents.values() if d.doc_id in (brief, copy, copy2))
    assert report.documents == 2 and {stored.doc_id, *stored.aliases} == {brief, copy, copy2}
    assert check_index(built.index_dir).healthy


def test_a_deleted_copy_leaves_the_alias_list(built, fake, corpus):
    (corpus / "copy.md").write_text((corpus / "brief.md").read_text(encoding="utf-8"), encoding="utf-8")
    ingest([corpus], built, fake)
    (corpus / "copy.md").unlink()
    ingest([corpus], built, fake)
    idx = Index.load(built.index_dir)
    assert not any(d.aliases for d in idx.documents.values())


def test_readers_never_fail_while_writers_swap_generations(built, tmp_path):
    """Processes that open the index while another writes it: the old generation is deleted
    under them as the new one goes live; they read the new one instead of failing."""
    stop = threading.Event()
    errors, loads = [], [0]

    def read():
        while not stop.is_set():
            try:
                idx = Index.load(built.index_dir)
                assert sum(s.segment.vectors.ntotal - len(s.deleted_rows) for s in idx.segments) == len(idx.chunks)
                loads[0] += 1
            except Exception as exc:  # pragma: no cover - the assertion below shows it
                errors.append(exc)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for t in readers:
        t.start()
    for i in range(6):
        f = tmp_path / f"n{i}.txt"
        f.write_text(f"第{i}号简讯：海鸥湾示范区新建智能灯塔{i + 20}座。", encoding="utf-8")
        ingest([f], built, fake_embedder())
    stop.set()
    for t in readers:
        t.join(30)
    assert not errors and loads[0] > 6
