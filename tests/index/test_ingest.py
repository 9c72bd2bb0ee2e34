"""The index end to end on the real model and real files: ingest, search, re-ingest, errors."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from rag.index import Index, IndexMismatch, check_index, current_generation
from rag.index import ingest, open_index, remove_documents
from rag.search import Filters, Retriever

from ..conftest import ROOT, SEED

pytestmark = pytest.mark.slow


@pytest.fixture
def corpus(tmp_path):
    d = tmp_path / "corpus"
    d.mkdir()
    shutil.copy(SEED, d / "seed.txt")
    (d / "brief.md").write_text("## 青岛高新区简讯\n\n青岛高新区举办首届海洋科技论坛，吸引200余名专家参加。\n\n王小明\n",
                                encoding="utf-8")
    return d


@pytest.fixture(params=["faiss", "milvus"])
def store(request, settings):
    """The settings with each store in turn (Milvus: Lite, in this test's own folder)."""
    s = settings.replace(store=request.param)
    yield s
    if request.param == "milvus":
        from rag.index.milvus.store import disconnect

        disconnect(s)


def _search(settings, embedder, q, **kw):
    return Retriever(open_index(settings), embedder, settings).search(q, **kw)


def _chunks(idx):
    return idx.chunks_at(range(len(idx)))


def test_ingest_then_search_each_mode(store, embedder, corpus):
    report = ingest([corpus], store, embedder)
    assert report.documents == 2 and report.chunks > 30 and not report.skipped
    for mode in ("hybrid", "dense", "lexical"):
        res = _search(store, embedder, "青岛高新区累计培育了几家国家级绿色工厂？", k=5, mode=mode)
        assert "累计培育6家国家级绿色工厂" in res.hits[0].chunk.text, mode
        assert [h.rank for h in res.hits] == [1, 2, 3, 4, 5]
        assert all(h.chunk.title for h in res.hits)
    hit = _search(store, embedder, "海洋科技论坛有多少专家参加？").hits[0]
    assert hit.chunk.doc_id.endswith("brief.md") and hit.chunk.author == "王小明"
    # a cross-lingual question finds the Chinese passage
    res = _search(store, embedder, "How much did the AstraZeneca inhaler aerosol factory project invest?", k=5)
    assert any("总投资7亿元的阿斯利康吸入气雾剂工厂项目" in h.chunk.text for h in res.hits)


def test_relevance_floor_and_filters(store, embedder, corpus):
    ingest([corpus], store, embedder)
    res = _search(store, embedder, "青岛高新区累计培育了几家国家级绿色工厂？", floor=0.99)
    assert not res.found and res.hits  # hits are still returned, marked as not relevant enough
    assert _search(store, embedder, "青岛高新区累计培育了几家国家级绿色工厂？", floor=0.5).found
    only = [d for d in open_index(store).documents if d.endswith("brief.md")]
    res = _search(store, embedder, "绿色工厂", filters=Filters(doc_ids=tuple(only)))
    assert res.hits and all(h.chunk.doc_id == only[0] for h in res.hits)
    for mode in ("dense", "lexical", "hybrid"):
        res = _search(store, embedder, "绿色工厂", mode=mode, filters=Filters(date_from="2030-01-01"))
        assert res.hits == [] and not res.found


def test_date_and_source_filters_on_jsonl(store, embedder, tmp_path):
    p = tmp_path / "news.jsonl"
    recs = [{"id": "a", "date": "2023-07-24", "source": "新华社", "text": "中炬高新召开临时股东大会，审议罢免董事议案。"},
            {"id": "b", "date": "2023年9月1日", "source": "人民网", "text": "中炬高新发布半年报，营收增长。"},
            {"id": "c", "date": "07-24 12:43", "source": "人民网", "text": "中炬高新股价下跌。"}]
    p.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in recs), encoding="utf-8")
    report = ingest([p], store, embedder)
    # a date without a year cannot be read: the record is kept, undated, and the report says so
    assert [w.path for w in report.warnings] == [f"{p} (c)"] and "relative" in report.warnings[0].reason
    assert {c.doc_id: c.date for c in _chunks(open_index(store))} == {
        "a": "2023-07-24", "b": "2023-09-01", "c": ""}
    ids = lambda res: sorted(h.chunk.doc_id for h in res.hits)
    assert ids(_search(store, embedder, "中炬高新", filters=Filters(date_from="2023/8/1"))) == ["b"]
    assert ids(_search(store, embedder, "中炬高新", filters=Filters(date_to="2023年7月31日"))) == ["a"]
    assert ids(_search(store, embedder, "中炬高新", filters=Filters(date_from="2023-07", date_to="2023-07"))) == ["a"]
    assert ids(_search(store, embedder, "中炬高新", filters=Filters(sources=("人民网",)))) == ["b", "c"]


def test_manifest_mismatch_says_how_to_rebuild(store, embedder, corpus):
    ingest([corpus], store, embedder)
    other = store.replace(chunk_tokens=store.chunk_tokens + 64)
    with pytest.raises(IndexMismatch) as err:
        ingest([corpus], other, embedder)
    assert "--rebuild" in str(err.value) and "chunker" in str(err.value)
    # a model with another id or dimension is refused at query time too
    from rag.embed import Embedder

    fake = Embedder("some/other-model", lambda t: np.ones((len(t), 8)), 8)
    with pytest.raises(IndexMismatch) as err:
        Retriever(open_index(store), fake, store)
    assert "model id" in str(err.value) and "rebuild" in str(err.value)
    # and the index is untouched
    assert open_index(store).manifest.chunker["max_tokens"] == store.chunk_tokens
    report = ingest([corpus], other, embedder, rebuild=True)
    assert open_index(store).manifest.chunker["max_tokens"] == other.chunk_tokens
    assert report.documents == 2 and not report.rebuilt
    # `rag ingest --rebuild-on-mismatch` (make run): rebuilt instead of refused, and it says why
    report = ingest([corpus], store, embedder, rebuild_on_mismatch=True)
    assert "chunker" in report.rebuilt and report.documents == 2
    assert open_index(store).manifest.chunker["max_tokens"] == store.chunk_tokens


def test_incremental_reingest(store, embedder, corpus):
    first = ingest([corpus], store, embedder)
    assert first.embedded == first.chunks
    # nothing changed: nothing is embedded, even with the embedding cache off
    again = ingest([corpus], store, embedder, use_cache=False)
    assert again.embedded == 0 and sorted(again.unchanged) == sorted(first.added)
    # one file edited, one added, one removed
    (corpus / "brief.md").write_text("## 青岛高新区简讯\n\n论坛改期举办，预计吸引300名专家。\n", encoding="utf-8")
    (corpus / "new.txt").write_text("青岛高新区新设立一支规模10亿元的天使投资基金，重点投向海洋科技。", encoding="utf-8")
    before = open_index(store)
    seed_rows = [i for i, c in enumerate(_chunks(before)) if c.doc_id.endswith("seed.txt")]
    seed_vecs = before.vectors_of(seed_rows)
    report = ingest([corpus], store, embedder, use_cache=False)
    assert [Path(d).name for d in report.updated] == ["brief.md"]
    assert [Path(d).name for d in report.added] == ["new.txt"]
    new_chunks = sum(1 for c in _chunks(open_index(store)) if not c.doc_id.endswith("seed.txt"))
    assert report.embedded == new_chunks  # only the edited and the new file were embedded
    after = open_index(store)
    rows = [i for i, c in enumerate(_chunks(after)) if c.doc_id.endswith("seed.txt")]
    assert np.allclose(after.vectors_of(rows), seed_vecs)  # unchanged vectors carried over
    (corpus / "new.txt").unlink()
    report = ingest([corpus], store, embedder)
    assert [Path(d).name for d in report.removed] == ["new.txt"]
    assert not any(c.doc_id.endswith("new.txt") for c in _chunks(open_index(store)))
    assert "天使投资基金" not in " ".join(h.chunk.text for h in _search(store, embedder, "天使投资基金").hits)


def test_other_roots_are_kept_and_documents_can_be_removed(store, embedder, corpus, tmp_path):
    ingest([corpus], store, embedder)
    extra = tmp_path / "extra.txt"
    extra.write_text("青岛高新区新设立一支规模10亿元的天使投资基金。", encoding="utf-8")
    ingest([extra], store, embedder)
    idx = open_index(store)
    assert len(idx.documents) == 3
    ingest([corpus], store, embedder)  # re-ingesting one folder leaves other files alone
    idx = open_index(store)
    assert len(idx.documents) == 3
    extra_id = next(d for d in idx.documents if d.endswith("extra.txt"))
    report = remove_documents([extra_id], store)
    assert report.removed == [extra_id]
    idx = open_index(store)
    assert extra_id not in idx.documents and not idx.rows_of_document(extra_id).size
    with pytest.raises(KeyError):
        remove_documents(["not-there"], store)


def test_identical_documents_are_stored_once(store, embedder, corpus):
    shutil.copy(corpus / "seed.txt", corpus / "seed-copy.txt")
    report = ingest([corpus], store, embedder)
    assert len(report.duplicates) == 1
    idx = open_index(store)
    assert len(idx.documents) == 2
    kept = idx.documents[next(iter(report.duplicates.values()))]
    assert next(iter(report.duplicates)) in kept.aliases


def test_bad_files_are_skipped_and_never_abort_the_batch(store, embedder, corpus):
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "binary.txt").write_bytes(b"\x00\x01garbage\x00")
    (corpus / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 broken")
    report = ingest([corpus], store, embedder)
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert set(reasons) == {"empty.txt", "binary.txt", "photo.jpg", "broken.pdf"}
    assert report.documents == 2


def test_a_failed_build_leaves_the_previous_index(settings, embedder, corpus, monkeypatch):
    ingest([corpus], settings, embedder)
    before = Index.load(settings.index_dir)
    (corpus / "new.txt").write_text("新的一篇简讯，讲述海洋科技。", encoding="utf-8")
    import rag.index.local.bm25

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(rag.index.local.bm25.TermFrequencies, "build", boom)
    with pytest.raises(OSError):
        ingest([corpus], settings, embedder)
    after = Index.load(settings.index_dir)
    assert after.generation == before.generation and len(after.chunks) == len(before.chunks)
    assert [p.name for p in settings.index_dir.glob("gen-*")] == [before.generation.name]
    assert sorted(p.name for p in (settings.index_dir / "segments").iterdir()) == [
        s.segment.name for s in before.segments]  # the failed segment was removed


def test_killing_an_ingest_leaves_the_previous_index_loadable(settings, embedder, corpus, tmp_path):
    """kill -9 a real `rag ingest` at many moments; the index must always load, old or new."""
    ingest([corpus], settings, embedder)
    old = Index.load(settings.index_dir)
    big = tmp_path / "big"
    big.mkdir()
    text = SEED.read_text(encoding="utf-8")
    for i in range(12):  # enough work to take a few seconds
        (big / f"copy{i}.txt").write_text(text.replace("青岛", f"第{i}版青岛"), encoding="utf-8")
    env = {**os.environ, "XDG_CACHE_HOME": str(settings.cache_dir.parent), "RAG_CACHE_DIR": str(settings.cache_dir)}
    cmd = [sys.executable, "-m", "rag", "ingest", str(big), "--index", str(settings.index_dir), "--quiet"]
    outcomes = set()
    for delay in (2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0):
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        finished = proc.poll() is not None
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        idx = Index.load(settings.index_dir)  # never half-written
        new_docs = [d for d in idx.documents if "/big/" in f"/{d}"]
        assert len(new_docs) in (0, 12)  # the old index, or the complete new one
        assert set(idx.documents) - set(new_docs) == set(old.documents)
        assert sum(s.segment.vectors.ntotal - len(s.deleted_rows) for s in idx.segments) == len(idx.chunks) == idx.bm25.n
        assert check_index(settings.index_dir).healthy  # checksums and counts hold
        outcomes.add("new" if new_docs else "old")
        if finished or new_docs:
            break
    assert "old" in outcomes  # at least one kill landed mid-ingest
    live = current_generation(settings.index_dir)
    assert live is not None


def _kill_at(cmd, env, delays, after_each):
    """Run ``cmd`` and kill -9 it after each delay in turn (until one run finishes by itself);
    ``after_each(finished)`` checks the index after each kill."""
    for delay in delays:
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        finished = proc.poll() is not None
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if after_each(finished):
            return


def test_killing_a_rebuild_or_a_removal_leaves_a_loadable_index(settings, embedder, corpus, tmp_path):
    """kill -9 a `rag ingest --rebuild` and a `rag remove` at several moments: the index always
    loads, whole (the old one or the new one), passes `rag check`, and the next writer clears
    what the killed one left behind."""
    ingest([corpus], settings, embedder)
    old = set(Index.load(settings.index_dir).documents)
    big = tmp_path / "big"
    big.mkdir()
    text = SEED.read_text(encoding="utf-8")
    for i in range(8):
        (big / f"copy{i}.txt").write_text(text.replace("青岛", f"第{i}版青岛"), encoding="utf-8")
    env = {**os.environ, "XDG_CACHE_HOME": str(settings.cache_dir.parent), "RAG_CACHE_DIR": str(settings.cache_dir)}
    base = [sys.executable, "-m", "rag"]
    seen = set()

    def rebuilt(finished):
        docs = set(Index.load(settings.index_dir).documents)
        assert docs == old or (len(docs) == 8 and all("/big/" in f"/{d}" for d in docs))
        assert check_index(settings.index_dir).healthy
        seen.add("old" if docs == old else "new")
        return finished or docs != old

    _kill_at(base + ["ingest", str(big), "--rebuild", "--index", str(settings.index_dir), "--quiet"], env,
             (3.0, 6.0, 9.0, 12.0, 15.0, 20.0), rebuilt)
    assert "old" in seen
    ingest([corpus], settings, embedder, rebuild=True)
    before = set(Index.load(settings.index_dir).documents)
    victim = sorted(before)[0]

    def removed(finished):
        docs = set(Index.load(settings.index_dir).documents)
        assert docs in (before, before - {victim})
        assert check_index(settings.index_dir).healthy
        return finished or docs != before

    _kill_at(base + ["remove", victim, "--index", str(settings.index_dir)], env,
             (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 6.0), removed)
    ingest([corpus], settings, embedder)  # the next writer clears any debris of the killed ones
    assert [p.name for p in settings.index_dir.glob("gen-*")] == [current_generation(settings.index_dir).name]
    assert not list(settings.index_dir.glob("CURRENT.*")) and not list(settings.index_dir.rglob(".writing"))
    assert sorted(p.name for p in (settings.index_dir / "segments").iterdir()) == sorted(
        s.segment.name for s in Index.load(settings.index_dir).segments)


def test_a_record_whose_title_changed_is_embedded_again_with_it(store, embedder, tmp_path):
    """A passage is embedded with its title as header: the same text under a new title is an
    update, not an unchanged document (whose stored passages would keep the old title)."""
    p = tmp_path / "news.jsonl"
    rec = {"id": "a", "text": "青岛高新区新设立一支规模10亿元的天使投资基金。"}
    p.write_text(json.dumps(rec, ensure_ascii=False), encoding="utf-8")
    ingest([p], store, embedder)
    assert [c.title for c in _chunks(open_index(store))] == [""]  # no file name as the record's title
    p.write_text(json.dumps({**rec, "title": "海洋科技简讯"}, ensure_ascii=False), encoding="utf-8")
    report = ingest([p], store, embedder)
    assert report.updated == ["a"] and report.embedded == 1
    idx = open_index(store)
    assert [c.title for c in _chunks(idx)] == ["海洋科技简讯"] and idx.documents["a"].title == "海洋科技简讯"
    assert ingest([p], store, embedder).unchanged == ["a"]


def test_killing_an_ingest_into_milvus_leaves_the_last_commit(settings, embedder, corpus, tmp_path):
    """kill -9 a real `rag ingest` into Milvus Lite at several moments: the index always opens
    with the old documents or all the new ones, a search returns only listed passages, and the
    next writer deletes the rows a killed one left in the collection."""
    from rag.index.milvus.store import disconnect

    lite = settings.replace(store="milvus")
    ingest([corpus], lite, embedder)
    old = set(open_index(lite).documents)
    disconnect(lite)  # one process per Lite database: the killed writers need it
    big = tmp_path / "big"
    big.mkdir()
    text = SEED.read_text(encoding="utf-8")
    for i in range(12):
        (big / f"copy{i}.txt").write_text(text.replace("青岛", f"第{i}版青岛"), encoding="utf-8")
    env = {**os.environ, "XDG_CACHE_HOME": str(settings.cache_dir.parent), "RAG_CACHE_DIR": str(settings.cache_dir),
           "RAG_STORE": "milvus"}
    cmd = [sys.executable, "-m", "rag", "ingest", str(big), "--index", str(settings.index_dir), "--quiet"]
    seen = set()

    def after(finished):
        try:
            idx = open_index(lite)
            docs = set(idx.documents)
            new = {d for d in docs if "/big/" in f"/{d}"}
            assert docs - new == old and len(new) in (0, 12)
            hits = Retriever(idx, embedder, lite).search("青岛高新区", k=20, mode="hybrid").hits
            assert hits and all(h.chunk.doc_id in docs for h in hits)
            seen.add("new" if new else "old")
            return finished or bool(new)
        finally:
            disconnect(lite)

    _kill_at(cmd, env, (3.0, 6.0, 9.0, 12.0, 15.0, 20.0, 25.0), after)
    assert "old" in seen  # at least one kill landed mid-ingest
    ingest([corpus], lite, embedder)  # the next writer clears what a killed one left
    idx = open_index(lite)
    assert idx.verify() == []
    disconnect(lite)
