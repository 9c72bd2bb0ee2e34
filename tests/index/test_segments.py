"""Writes in segments: each ingest adds a segment and marks what it replaces deleted, yet the
index answers exactly as one built in one go from the same passages (BM25 weights from global
statistics, dense search per segment); merges and `rag compact` copy, never re-embed; a process
killed at any step leaves the last commit loadable and the next writer clears what it left."""
import json
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag.config import load_settings
from rag.index import (FORMAT_VERSION, Index, IndexMismatch, Manifest, check_index, compact_index, ingest,
                       remove_documents)
from rag.search import Filters
from rag.text import tokenize_query

from ..conftest import ROOT, SEED
from ..faults.conftest import fake_embedder

QUESTIONS = ["青岛高新区累计培育了几家国家级绿色工厂？", "海洋科技论坛有多少专家参加", "阿斯利康吸入气雾剂工厂项目",
             "瞪羚企业", "智能灯塔", "2024年1月", "GDP 增长"]
SOURCES = ["新华社", "人民网", "中新网"]


def _docs() -> list[dict]:
    """Twelve records cut from the seed bulletin, each with a date and a source."""
    paras = [p for p in SEED.read_text(encoding="utf-8").split("\n") if len(p.strip()) > 20]
    step = max(1, len(paras) // 12)
    return [{"id": f"doc{i:02d}", "title": f"青岛高新区简讯第{i}号", "date": f"2024-0{1 + i % 6}-{10 + i:02d}", "source": SOURCES[i % 3],
             "text": "\n".join(paras[i * step:(i + 1) * step]) + f"\n第{i}号简讯：海鸥湾示范区新建智能灯塔{i + 20}座。"}
            for i in range(12)]


def _write(path: Path, records: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    return path


def _settings(folder: Path, **kw):
    return load_settings(env={}, index_dir=folder / "index", cache_dir=folder / "cache", **kw)


@pytest.fixture
def fake():
    return fake_embedder()


def _scores(index: Index, fake) -> dict:
    """Every lexical and dense score by passage id, and the statistics, for the questions."""
    out = {}
    by_id = lambda hits: {index.chunk(r).chunk_id: s for r, s in hits}
    for q in QUESTIONS:
        toks = tokenize_query(q)
        lex = index.lexical(toks, len(index))
        dense = index.dense(fake.embed_queries([q])[0], len(index))
        out[q] = (by_id(lex), by_id(dense), index.doc_freq(toks), index.idf(toks),
                  [index.chunk(r).chunk_id for r, _ in lex[:5]], [index.chunk(r).chunk_id for r, _ in dense[:5]])
    return out


def _same(a: dict, b: dict) -> None:
    for q in QUESTIONS:
        (la, da, dfa, idfa, ra, rda), (lb, db, dfb, idfb, rb, rdb) = a[q], b[q]
        assert set(la) == set(lb) and set(da) == set(db), q
        assert max((abs(la[k] - lb[k]) for k in la), default=0) < 1e-5, q
        assert max((abs(da[k] - db[k]) for k in da), default=0) < 1e-5, q
        assert dfa == dfb and idfa == pytest.approx(idfb, abs=1e-9), q
        # rankings: the same passages in the same order (a tie may come in either order)
        for ids_a, ids_b, scores in ((ra, rb, la), (rda, rdb, da)):
            assert np.allclose([scores[i] for i in ids_a], [scores[i] for i in ids_b], atol=1e-5), q
            for i, (x, y) in enumerate(zip(ids_a, ids_b)):
                tied = [k for k in scores if abs(scores[k] - scores[x]) < 1e-5]
                assert x == y or y in tied, q


def _one_go(tmp_path, records, fake, name="single"):
    s = _settings(tmp_path / name)
    ingest([_write(tmp_path / name / "all.jsonl", records)], s, fake)
    return s, Index.load(s.index_dir)


def test_several_ingests_score_as_one(tmp_path, fake):
    docs = _docs()
    s = _settings(tmp_path / "multi")
    for i in range(3):
        ingest([_write(tmp_path / "multi" / f"part{i}.jsonl", docs[i * 4:(i + 1) * 4])], s, fake)
    multi = Index.load(s.index_dir)
    assert len(multi.segments) == 3 and multi.manifest.format_version == FORMAT_VERSION
    assert sorted(multi.documents) == sorted(d["id"] for d in docs)
    _, single = _one_go(tmp_path, docs, fake)
    assert len(single.segments) == 1 and len(single) == len(multi)
    assert multi.manifest.total_len == single.manifest.total_len
    _same(_scores(multi, fake), _scores(single, fake))
    assert check_index(s.index_dir).healthy
    # an ingest adds a segment and leaves the older ones as they were written
    first = multi.segments[0].segment.path
    stamp = {p: p.stat().st_mtime_ns for p in first.rglob("*") if p.is_file()}
    ingest([_write(tmp_path / "multi" / "part3.jsonl", [{"id": "extra", "text": "新增一篇：海洋科技论坛闭幕。"}])], s, fake)
    assert {p: p.stat().st_mtime_ns for p in first.rglob("*") if p.is_file()} == stamp
    assert len(Index.load(s.index_dir).segments) == 4


def test_update_and_remove_in_an_old_segment(tmp_path, fake):
    docs = _docs()
    s = _settings(tmp_path / "multi")
    a = _write(tmp_path / "multi" / "a.jsonl", docs[:6])
    ingest([a], s, fake)
    ingest([_write(tmp_path / "multi" / "b.jsonl", docs[6:])], s, fake)
    # doc02 changes and doc04 leaves file a (both live in the first segment); doc08 is removed
    changed = [dict(d) for d in docs[:6] if d["id"] != "doc04"]
    changed[2]["text"] = "更新后的简讯：青岛高新区新增瞪羚企业15家，GDP 增长 7%。"
    _write(a, changed)
    report = ingest([a], s, fake)
    assert report.updated == ["doc02"] and report.removed == ["doc04"] and report.embedded == 1
    remove_documents(["doc08"], s)
    idx = Index.load(s.index_dir)
    assert "doc04" not in idx.documents and "doc08" not in idx.documents
    assert idx.documents["doc02"].text.startswith("更新后的简讯")
    assert [c.text for c in idx.chunks_at(idx.rows_of_document("doc02"))] == [changed[2]["text"]]
    assert sum(len(x.deleted_rows) for x in idx.segments) > 0
    final = changed + [d for d in docs[6:] if d["id"] != "doc08"]
    _, single = _one_go(tmp_path, final, fake)
    assert sorted(idx.documents) == sorted(single.documents) and len(idx) == len(single)
    assert idx.passages_per_document() == single.passages_per_document()
    _same(_scores(idx, fake), _scores(single, fake))
    assert check_index(s.index_dir).healthy


def test_filters_across_segments(tmp_path, fake):
    docs = _docs()
    s = _settings(tmp_path / "multi")
    for i in range(3):
        ingest([_write(tmp_path / "multi" / f"part{i}.jsonl", docs[i * 4:(i + 1) * 4])], s, fake)
    remove_documents(["doc05"], s)
    multi = Index.load(s.index_dir)
    _, single = _one_go(tmp_path, [d for d in docs if d["id"] != "doc05"], fake)
    ids = lambda idx, rows: sorted(idx.chunk(r).chunk_id for r in rows)
    for f in (Filters(doc_ids=("doc01", "doc06", "doc11", "doc05")), Filters(sources=("人民网",)),
              Filters(date_from="2024-03-01", date_to="2024-04-30"), Filters(sources=("新华社",), date_from="2024-04"),
              Filters(doc_ids=("doc05",))):
        rows_m, rows_s = multi.rows_matching(f), single.rows_matching(f)
        assert ids(multi, rows_m) == ids(single, rows_s), f
        for q in QUESTIONS[:3]:
            toks = tokenize_query(q)
            lm = {multi.chunk(r).chunk_id: sc for r, sc in multi.lexical(toks, 50, rows_m)}
            ls = {single.chunk(r).chunk_id: sc for r, sc in single.lexical(toks, 50, rows_s)}
            assert lm.keys() == ls.keys() and all(abs(lm[k] - ls[k]) < 1e-5 for k in lm)
            qv = fake.embed_queries([q])[0]
            dm = {multi.chunk(r).chunk_id: sc for r, sc in multi.dense(qv, 50, rows_m)}
            ds = {single.chunk(r).chunk_id: sc for r, sc in single.dense(qv, 50, rows_s)}
            assert dm.keys() == ds.keys() and all(abs(dm[k] - ds[k]) < 1e-5 for k in dm)
    assert multi.rows_matching(Filters(doc_ids=("doc05",))).tolist() == []


def test_merges_keep_the_segment_count_down(tmp_path, fake):
    docs = _docs()
    s = _settings(tmp_path / "multi", max_segments=3)
    for i, d in enumerate(docs):
        ingest([_write(tmp_path / "multi" / f"p{i:02d}.jsonl", [d])], s, fake)
        assert len(Index.load(s.index_dir).segments) <= 3
    idx = Index.load(s.index_dir)
    _, single = _one_go(tmp_path, docs, fake)
    _same(_scores(idx, fake), _scores(single, fake))
    # a segment with most of its rows deleted is rewritten without them
    s2 = _settings(tmp_path / "deleted", segment_deleted_max=0.5)
    ingest([_write(tmp_path / "deleted" / "a.jsonl", docs[:4])], s2, fake)
    ingest([_write(tmp_path / "deleted" / "b.jsonl", docs[4:])], s2, fake)
    sizes = Index.load(s2.index_dir).passages_per_document()
    first = sum(sizes[d["id"]] for d in docs[:4])
    gone = 0
    for d in docs[:3]:
        remove_documents([d["id"]], s2)
        gone += sizes[d["id"]]
        after = Index.load(s2.index_dir)
        deleted = sum(len(x.deleted_rows) for x in after.segments)
        assert deleted == (gone if gone / first <= 0.5 else 0)  # rewritten without them past half
    assert gone / first > 0.5 and sorted(after.documents) == [d["id"] for d in docs[3:]]
    assert check_index(s2.index_dir).healthy
    assert len(list((s2.index_dir / "segments").iterdir())) == len(after.segments)


def test_compact_merges_everything_without_embedding(tmp_path, fake, monkeypatch):
    docs = _docs()
    s = _settings(tmp_path / "multi")
    for i in range(3):
        ingest([_write(tmp_path / "multi" / f"part{i}.jsonl", docs[i * 4:(i + 1) * 4])], s, fake)
    remove_documents(["doc01", "doc09"], s)
    before = Index.load(s.index_dir)
    scores = _scores(before, fake)
    calls = fake.calls
    report = compact_index(s)
    after = Index.load(s.index_dir)
    assert len(after.segments) == 1 and not len(after.segments[0].deleted_rows) and fake.calls == calls
    assert report.documents == 10 and sorted(after.documents) == sorted(before.documents)
    assert after.passages_per_document() == before.passages_per_document()
    assert np.allclose(after.vectors_of(range(len(after))), before.vectors_of(range(len(before))))
    _same(_scores(after, fake), scores)
    assert [p.name for p in (s.index_dir / "segments").iterdir()] == [after.segments[0].segment.name]
    assert check_index(s.index_dir).healthy
    assert compact_index(s).chunks == len(after)  # nothing left to merge: unchanged
    assert Index.load(s.index_dir).generation == after.generation
    # `rag compact`
    import rag.embed
    from rag.cli import main

    ingest([_write(tmp_path / "multi" / "part9.jsonl", [{"id": "x", "text": "海洋科技论坛闭幕。"}])], s, fake)
    monkeypatch.setattr(rag.embed, "load_embedder", lambda settings, log=None, **kw: fake)
    assert main(["compact", "--index", str(s.index_dir)]) == 0
    assert len(Index.load(s.index_dir).segments) == 1


def test_aliases_in_an_old_segment_follow_removals(tmp_path, fake):
    """A copy of a document in an old segment: removing the original hands its passages to the
    copy (rewritten in a new segment, nothing embedded)."""
    s = _settings(tmp_path / "multi")
    text = _docs()[0]["text"]
    ingest([_write(tmp_path / "multi" / "a.jsonl", [{"id": "orig", "title": "原文", "text": text}, {"id": "copy", "title": "原文", "text": text}])],
           s, fake)
    ingest([_write(tmp_path / "multi" / "b.jsonl", _docs()[1:3])], s, fake)
    assert Index.load(s.index_dir).documents["orig"].aliases == ["copy"]
    text = Index.load(s.index_dir).documents["orig"].text
    calls = fake.calls
    remove_documents(["orig"], s)
    idx = Index.load(s.index_dir)
    assert "orig" not in idx.documents and idx.documents["copy"].text == text and fake.calls == calls
    assert all(c.doc_id == "copy" for c in idx.chunks_at(idx.rows_of_document("copy")))
    assert idx.rows_matching(Filters(doc_ids=("orig",))).tolist() == []
    assert check_index(s.index_dir).healthy


def test_an_index_of_format_4_says_rebuild(tmp_path, fake):
    """The layout before segments: one generation holding every file, format 4."""
    s = _settings(tmp_path / "old")
    gen = s.index_dir / "gen-20261101T000000-1-1"
    gen.mkdir(parents=True)
    (gen / "meta.sqlite").write_bytes(b"")
    (s.index_dir / "CURRENT").write_text(gen.name)
    m = Manifest(model={"id": "m", "dim": 64}, chunker={}, lexical="bigram", index_type="flat", format_version=4,
                 files={"meta.sqlite": {"bytes": 0, "xxh3_128": ""}})
    data = {k: v for k, v in json.loads(m.to_json()).items() if k not in ("segments", "total_len", "digest")}
    (gen / "manifest.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(IndexMismatch, match=rf"index format 4, this version reads {FORMAT_VERSION}.*--rebuild"):
        Index.load(s.index_dir)
    src = _write(tmp_path / "old" / "a.jsonl", _docs()[:2])
    with pytest.raises(IndexMismatch, match="--rebuild"):
        ingest([src], s, fake)
    report = ingest([src], s, fake, rebuild_on_mismatch=True)
    assert "index format 4" in report.rebuilt and len(Index.load(s.index_dir).documents) == 2


# ------------------------------------------------------------------ killed writers
KILLER = r"""
import os, signal, sys
sys.path.insert(0, {root!r})
from pathlib import Path
from rag.config import load_settings
from tests.faults.conftest import fake_embedder
import rag.index.local.build as build, rag.index.local.format as fmt, rag.index.local.segment as segment

point, what = sys.argv[1], sys.argv[2:]
def die_after(mod, name):
    fn = getattr(mod, name)
    def run(*a, **k):
        out = fn(*a, **k)
        os.kill(os.getpid(), signal.SIGKILL)
    setattr(mod, name, run)
def die_before(mod, name):
    setattr(mod, name, lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL))
if point == "segment":  # the new segment written and fsynced, no generation yet
    die_after(build, "write_segment")
elif point == "manifest":  # the generation and its manifest written, CURRENT not swapped
    die_before(build, "commit_generation")
elif point == "fsynced":  # the generation fsynced, CURRENT not swapped
    die_before(fmt, "write_pointer")
elif point == "current":  # CURRENT swapped, markers and old generations not yet cleared
    die_after(fmt, "write_pointer")
elif point == "merge":  # a merge half done: its metadata and rows written, not its BM25
    die_before(segment, "_merge_tf")
s = load_settings(env={{}}, index_dir=Path(what[1]), cache_dir=Path(what[2]), max_segments=2)
if what[0] == "ingest":
    from rag.index import ingest
    ingest([what[3]], s, fake_embedder())
elif what[0] == "remove":
    from rag.index import remove_documents
    remove_documents([what[3]], s)
else:
    from rag.index import compact_index
    compact_index(s)
print("finished")
"""


def _killed(tmp_path, point, *what) -> bool:
    """Run a writer that kills itself (SIGKILL) at ``point``; True when it finished instead."""
    script = tmp_path / "killer.py"
    script.write_text(KILLER.format(root=str(ROOT)), encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script), point, *map(str, what)], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert proc.returncode in (0, -signal.SIGKILL), proc.stderr[-2000:]
    return proc.returncode == 0


def _assert_clean(s) -> None:
    """What the next writer leaves: one generation, only the segments it lists, no markers."""
    idx = Index.load(s.index_dir)
    assert [p.name for p in s.index_dir.glob("gen-*")] == [idx.generation.name]
    assert sorted(p.name for p in (s.index_dir / "segments").iterdir()) == sorted(x.segment.name for x in idx.segments)
    assert not list(s.index_dir.rglob(".writing")) and not list(s.index_dir.glob("CURRENT.*"))
    assert check_index(s.index_dir).healthy


@pytest.mark.parametrize("point", ["segment", "manifest", "fsynced", "current", "merge"])
def test_a_writer_killed_at_each_step_leaves_the_last_commit(tmp_path, fake, point):
    docs = _docs()
    s = _settings(tmp_path / "multi", max_segments=2)
    ingest([_write(tmp_path / "multi" / "a.jsonl", docs[:4])], s, fake)
    ingest([_write(tmp_path / "multi" / "b.jsonl", docs[4:8])], s, fake)  # two segments: the next ingest merges
    before = set(Index.load(s.index_dir).documents)
    new = _write(tmp_path / "multi" / "c.jsonl", docs[8:])
    cache = tmp_path / "multi" / "cache"

    finished = _killed(tmp_path, point, "ingest", s.index_dir, cache, new)
    assert not finished
    idx = Index.load(s.index_dir)  # never half-written
    docs_now = set(idx.documents)
    assert docs_now == (before | {d["id"] for d in docs[8:]} if point == "current" else before)
    assert sum(x.segment.vectors.ntotal - len(x.deleted_rows) for x in idx.segments) == len(idx) == idx.bm25.n
    assert check_index(s.index_dir).healthy
    if point != "current":  # the killed writer left a segment no generation lists
        listed = {x.segment.name for x in idx.segments}
        assert any(p.name not in listed for p in (s.index_dir / "segments").iterdir())

    # a removal and a compaction, killed the same way
    victim = sorted(docs_now)[0]
    # (a removal of a document without copies writes no segment and merges nothing)
    at = {"segment": "manifest", "merge": "fsynced"}.get(point, point)
    assert not _killed(tmp_path, at, "remove", s.index_dir, cache, victim)
    assert set(Index.load(s.index_dir).documents) in (docs_now, docs_now - {victim})
    assert check_index(s.index_dir).healthy
    if point != "segment":  # compact writes only the merged segment
        live = Index.load(s.index_dir)
        segments, docs_now = len(live.segments), set(live.documents)
        assert segments > 1 or any(len(x.deleted_rows) for x in live.segments)  # something to compact
        finished = _killed(tmp_path, point, "compact", s.index_dir, cache, "-")
        idx = Index.load(s.index_dir)
        assert not finished and check_index(s.index_dir).healthy and set(idx.documents) == docs_now
        assert len(idx.segments) == (1 if point == "current" else segments)

    ingest([new], s, fake)  # the next writer clears what the killed ones left
    _assert_clean(s)
    assert {d["id"] for d in docs[8:]} <= set(Index.load(s.index_dir).documents)


def test_the_assistant_compacts_and_keeps_answering(tmp_path, fake):
    from rag.answering import Assistant

    docs = _docs()
    s = _settings(tmp_path / "bot")
    bot = Assistant(s, embedder=fake)
    bot.ingest([_write(tmp_path / "bot" / "a.jsonl", docs[:6])])
    bot.ingest([_write(tmp_path / "bot" / "b.jsonl", docs[6:])])
    bot.remove(["doc03"])
    before = [h.chunk.chunk_id for h in bot.search("海鸥湾示范区新建智能灯塔", k=5).hits]
    assert len(bot.index.segments) == 2
    report = bot.compact()
    assert report.documents == 11 and len(bot.index.segments) == 1  # reloaded
    assert [h.chunk.chunk_id for h in bot.search("海鸥湾示范区新建智能灯塔", k=5).hits] == before


def test_adding_a_file_reads_only_the_documents_it_can_change(tmp_path, fake, monkeypatch):
    """An ingest lists in full only the stored documents under the paths it reads, those read
    again and those with copies; the rest are kept unread. A file identical to an unread document
    still becomes its copy, and a file gone from an ingested folder still leaves the index."""
    from rag.index.local.meta import MetaStore

    s = _settings(tmp_path)
    records = _docs()
    ingest([_write(tmp_path / "a" / "news.jsonl", records[:8])], s, fake)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "one.txt").write_text(records[8]["text"], encoding="utf-8")
    (tmp_path / "b" / "two.txt").write_text(records[9]["text"], encoding="utf-8")
    ingest([tmp_path / "b"], s, fake)
    listed = []
    real = MetaStore.listing_where

    def spy(self, column, values):
        rows = real(self, column, values)
        listed.extend(r[1] for r in rows)
        return rows

    monkeypatch.setattr(MetaStore, "listing_where", spy)
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "new.txt").write_text(records[10]["text"], encoding="utf-8")
    report = ingest([tmp_path / "c"], s, fake)
    assert [Path(d).name for d in report.added] == ["new.txt"] and listed == []  # nothing else read
    # an identical copy of a stored, unread document: its copy, not a second document
    (tmp_path / "c" / "again.txt").write_text(records[3]["text"], encoding="utf-8")
    report = ingest([tmp_path / "c" / "again.txt"], s, fake)
    assert report.duplicates == {str(tmp_path / "c" / "again.txt"): "doc03"} and listed == ["doc03"]
    idx = Index.load(s.index_dir)
    assert str(tmp_path / "c" / "again.txt") in idx.documents["doc03"].aliases and len(idx.documents) == 11
    # a file gone from an ingested folder leaves; the other folders' documents stay
    (tmp_path / "b" / "two.txt").unlink()
    listed.clear()
    report = ingest([tmp_path / "b"], s, fake)
    assert [Path(d).name for d in report.removed] == ["two.txt"]
    assert {Path(d).name for d in listed} == {"doc03", "one.txt", "two.txt"}  # doc03 has a copy
    assert len(Index.load(s.index_dir).documents) == 10
