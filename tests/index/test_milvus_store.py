"""The Milvus store on Milvus Lite with a stand-in embedder: a writer that fails half-way leaves
the last commit as the index, the next writer clears what it left, copies survive removal, and
a second process on one Lite database is told how to share it."""
import hashlib
import subprocess
import sys

import numpy as np
import pytest

from rag.embed import Embedder
from rag.index import Store, ingest, open_index, remove_documents
from rag.index.milvus import write as milvus_write
from rag.index.milvus.store import connect, disconnect
from rag.search import Filters, Retriever

from ..conftest import ROOT

DIM = 32


def _encode(texts):
    out = np.zeros((len(texts), DIM), np.float32)
    for i, t in enumerate(texts):
        for ch in t:
            out[i, hashlib.md5(ch.encode()).digest()[0] % DIM] += 1
    return out + 1e-3


@pytest.fixture
def lite(tmp_path):
    from rag.config import load_settings

    s = load_settings(env={}, index_dir=tmp_path / "index", cache_dir=tmp_path / "cache", store="milvus")
    yield s
    disconnect(s)


@pytest.fixture
def fake():
    return Embedder("test/char-hash", _encode, DIM)


def _docs(folder, **texts):
    folder.mkdir(exist_ok=True)
    for name, text in texts.items():
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    return folder


def _count(s):
    client = connect(s)
    return client.query(s.milvus_collection, filter="", output_fields=["count(*)"])[0]["count(*)"]


def _texts(s, fake, q, mode="lexical"):
    return " ".join(h.chunk.text for h in Retriever(open_index(s), fake, s).search(q, k=10, mode=mode).hits)


def test_a_failed_write_leaves_the_last_commit_and_the_next_writer_clears_it(lite, fake, tmp_path, monkeypatch):
    corpus = _docs(tmp_path / "c", a="青岛高新区新增瞪羚企业11家。", b="海洋科技论坛吸引200余名专家参加。")
    ingest([corpus], lite, fake)
    before = open_index(lite)
    assert len(before) == 2 and _count(lite) == 2
    _docs(corpus, c="独角兽企业首次落户高新区，估值超过百亿元。")

    def killed(*a, **k):
        raise KeyboardInterrupt  # as if the process died after inserting, before its commit

    monkeypatch.setattr(milvus_write, "_set_meta", killed)
    with pytest.raises(KeyboardInterrupt):
        ingest([corpus], lite, fake)
    monkeypatch.undo()
    assert _count(lite) == 3  # the uncommitted row is in Milvus ...
    idx = open_index(lite)
    assert sorted(idx.documents) == sorted(before.documents) and len(idx) == 2
    assert "1 rows of the collection are not listed" in idx.verify()[0]  # what `rag check` says
    assert "独角兽" not in _texts(lite, fake, "独角兽企业")  # ... but no search returns it
    report = ingest([corpus], lite, fake)
    assert [p.rsplit("/", 1)[-1] for p in report.added] == ["c.txt"]
    assert _count(lite) == len(open_index(lite)) == 3 and open_index(lite).verify() == []
    assert "独角兽" in _texts(lite, fake, "独角兽企业")


def test_pending_deletions_are_finished_by_the_next_writer(lite, fake, tmp_path, monkeypatch):
    corpus = _docs(tmp_path / "c", a="青岛高新区新增瞪羚企业11家。", b="海洋科技论坛吸引200余名专家参加。")
    ingest([corpus], lite, fake)
    victim = next(d for d in open_index(lite).documents if d.endswith("b.txt"))

    def killed(*a, **k):
        raise KeyboardInterrupt  # died after its commit, before deleting in Milvus

    monkeypatch.setattr(milvus_write, "_delete_pks", killed)
    with pytest.raises(KeyboardInterrupt):
        remove_documents([victim], lite)
    monkeypatch.undo()
    idx = open_index(lite)
    assert victim not in idx.documents and len(idx) == 1 and _count(lite) == 2
    assert "论坛" not in _texts(lite, fake, "海洋科技论坛")
    for mode in ("dense", "hybrid"):
        assert all(h.chunk.doc_id != victim for h in Retriever(idx, fake, lite).search("论坛", mode=mode).hits)
    ingest([corpus / "a.txt"], lite, fake)  # the next writer
    assert _count(lite) == len(open_index(lite)) == 1


def test_removing_a_stored_document_hands_its_passages_to_its_copy(lite, fake, tmp_path):
    text = "青岛高新区新增瞪羚企业11家，总数达到86家。"
    corpus = _docs(tmp_path / "c", a=text, b=text, other="海洋科技论坛吸引200余名专家参加。")
    report = ingest([corpus], lite, fake)
    (copy, stored), = report.duplicates.items()
    remove_documents([stored], lite)
    idx = open_index(lite)
    assert stored not in idx.documents and copy in idx.documents and not idx.documents[copy].aliases
    hits = Retriever(idx, fake, lite).search("瞪羚企业", k=3, mode="lexical",
                                             filters=Filters(doc_ids=(copy,))).hits
    assert hits and all(h.chunk.doc_id == copy and h.chunk.chunk_id.startswith(copy + "#") for h in hits)
    assert _count(lite) == len(idx) == 2


def test_both_stores_answer_the_store_protocol(lite, fake, tmp_path):
    """What search asks of an index: the local store and the Milvus store both answer it."""
    from dataclasses import replace

    corpus = _docs(tmp_path / "c", a="青岛高新区新增瞪羚企业11家。", b="海洋科技论坛吸引200余名专家参加。")
    local = replace(lite, store="faiss", index_dir=tmp_path / "local")
    for s in (lite, local):
        ingest([corpus], s, fake)
        idx = open_index(s)
        assert isinstance(idx, Store) and len(idx) == 2 and set(idx.documents) == {str(corpus / "a.txt"),
                                                                                  str(corpus / "b.txt")}
        rows = idx.rows_matching(Filters(doc_ids=(str(corpus / "a.txt"),)))
        assert rows is not None and [c.doc_id for c in idx.chunks_at(rows)] == [str(corpus / "a.txt")]
    assert type(open_index(lite)).native_filters and not type(open_index(local)).native_filters


@pytest.mark.slow
def test_a_second_process_on_one_lite_database_is_told_how_to_share_it(lite, fake, tmp_path):
    ingest([_docs(tmp_path / "c", a="青岛高新区新增瞪羚企业11家。")], lite, fake)
    code = ("from rag.config import load_settings; from rag.index import open_index; import sys\n"
            f"s = load_settings(env={{}}, index_dir={str(lite.index_dir)!r}, store='milvus')\n"
            "try:\n    open_index(s)\nexcept RuntimeError as e:\n    print(e); sys.exit(3)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 3, out.stdout + out.stderr
    assert "milvus-lite server" in out.stdout and "milvus_uri" in out.stdout


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    """A Milvus Lite database served by `milvus-lite server` on loopback (as a Milvus server is
    reached: over gRPC at http://host:port), and settings pointing at it."""
    import shutil
    import socket
    import time

    from rag.config import load_settings

    exe = shutil.which("milvus-lite") or str(ROOT / ".venv" / "bin" / "milvus-lite")
    port = _free_port()
    log = open(tmp_path / "server.log", "w")
    proc = subprocess.Popen([exe, "server", "--data-dir", str(tmp_path / "served.db"), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("milvus-lite server did not start: " + (tmp_path / "server.log").read_text())
            time.sleep(0.2)
    s = load_settings(env={}, index_dir=tmp_path / "index", cache_dir=tmp_path / "cache", store="milvus",
                      milvus_uri=f"http://127.0.0.1:{port}")
    try:
        yield s
    finally:
        disconnect(s)
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.mark.slow
def test_a_served_milvus_is_shared_by_several_processes(served, fake, tmp_path):
    """The path a Milvus server takes (an http URI, no local database): one process ingests and
    searches, a second process opens the same index and searches it at the same time, then the
    first removes a document and the second process sees it gone."""
    report = ingest([_docs(tmp_path / "c", a="青岛高新区新增瞪羚企业11家。", b="海洋牧场建设项目通过验收。")], served, fake)
    assert not (served.index_dir / "milvus.db").exists()  # the data is the server's, not a local Lite file
    assert "瞪羚企业" in _texts(served, fake, "瞪羚企业")
    code = ("import hashlib, sys\nimport numpy as np\nfrom rag.config import load_settings\n"
            "from rag.embed import Embedder\nfrom rag.index import open_index\nfrom rag.search import Retriever\n"
            "def encode(texts):\n"
            f"    out = np.zeros((len(texts), {DIM}), np.float32)\n"
            "    for i, t in enumerate(texts):\n"
            "        for ch in t:\n"
            f"            out[i, hashlib.md5(ch.encode()).digest()[0] % {DIM}] += 1\n"
            "    return out + 1e-3\n"
            f"s = load_settings(env={{}}, index_dir={str(served.index_dir)!r}, store='milvus', "
            f"milvus_uri={served.milvus_uri!r})\n"
            f"r = Retriever(open_index(s), Embedder('test/char-hash', encode, {DIM}), s)\n"
            "for q in sys.argv[1:]:\n"
            "    print(q, '->', ' | '.join(h.chunk.text for h in r.search(q, k=3, mode='hybrid').hits))\n")
    second = subprocess.run([sys.executable, "-c", code, "瞪羚企业", "海洋牧场"], cwd=ROOT, capture_output=True,
                            text=True, timeout=180)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "瞪羚企业 -> 青岛高新区新增瞪羚企业11家。" in second.stdout
    assert "海洋牧场 -> 海洋牧场建设项目通过验收。" in second.stdout
    assert "瞪羚企业" in _texts(served, fake, "瞪羚企业")  # this process's client still serves
    removed = remove_documents([d for d in report.added if d.endswith("b.txt")], served)
    assert removed.removed, (report, removed)
    after = subprocess.run([sys.executable, "-c", code, "海洋牧场"], cwd=ROOT, capture_output=True, text=True,
                           timeout=180)
    assert after.returncode == 0, after.stdout + after.stderr
    assert "海洋牧场建设" not in after.stdout and _count(served) == 1
