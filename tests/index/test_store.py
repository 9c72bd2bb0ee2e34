"""An index opened for search holds arrays, not passages: text and documents are read from
SQLite when asked for; filters run on per-row arrays; the vector index is chosen by size and an
approximate one is re-scored exactly."""
import json
from pathlib import Path

import numpy as np
import pytest

from rag.index import Index, Manifest, write_generation
from rag.index.local.bm25 import LexicalIndex
from rag.index.local.meta import Chunks, Documents
from rag.index.local.rows import RowTable
from rag.index.local.vectors import build_vector_index, resolve_index_type, search_rescored, search_vectors
from rag.search import Filters
from rag.text import tokenize, tokenize_query
from rag.text.dates import in_range
from rag.types import Chunk, Document


def _corpus(n_docs=6, dim=8, seed=0):
    rng = np.random.default_rng(seed)
    docs, chunks = [], []
    dates = ["2024-01-05", "2024-02", "", "2023-12-31", "2024", "2024-01-20"]
    sources = ["新华社", "", "人民网", "新华社", "人民网", ""]
    for d in range(n_docs):
        doc_id = f"d{d}.txt"
        texts = [f"青岛高新区第{d}号公告第{i}段，企业{d * 10 + i}家。" for i in range(3)]
        aliases = [f"copy-of-d{d}.txt"] if d == 1 else []
        docs.append(Document(doc_id, "\n".join(texts), f"公告{d}", sources[d], dates[d], doc_id, "txt", f"fp{d}",
                             aliases, {a: a for a in aliases}))
        chunks += [Chunk(f"{doc_id}#{i}", doc_id, t, f"公告{d}", "", "", dates[d], sources[d]) for i, t in enumerate(texts)]
    vecs = rng.normal(size=(len(chunks), dim)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    return docs, chunks, vecs


@pytest.fixture
def index(tmp_path) -> Index:
    docs, chunks, vecs = _corpus()
    m = Manifest(model={"id": "m", "dim": 8}, chunker={}, lexical="bigram", index_type="auto")
    write_generation(tmp_path / "index", m, docs, chunks, vecs, "bigram")
    return Index.load(tmp_path / "index")


def test_passages_and_documents_are_read_on_demand(index):
    assert isinstance(index.chunks, Chunks) and isinstance(index.documents, Documents)
    assert len(index) == index.n == len(index.chunks) == 18 and len(index.documents) == 6
    assert index.manifest.index_type == "flat"  # auto, at this size
    assert index.chunk(4).chunk_id == "d1.txt#1" and index.chunks[-1].chunk_id == "d5.txt#2"
    assert [c.chunk_id for c in index.chunks_at([7, 0, 7])] == ["d2.txt#1", "d0.txt#0", "d2.txt#1"]
    assert [c.chunk_id for c in index.chunks][:2] == ["d0.txt#0", "d0.txt#1"]
    assert index.documents["d1.txt"].aliases == ["copy-of-d1.txt"] and "d9.txt" not in index.documents
    assert list(index.documents)[:2] == ["d0.txt", "d1.txt"]
    with pytest.raises(KeyError):
        index.documents["copy-of-d1.txt"]  # a copy is not a stored document
    with pytest.raises(IndexError):
        index.chunks[18]
    assert index.rows_of_document("d2.txt").tolist() == [6, 7, 8]
    assert index.passages_per_document() == {f"d{d}.txt": 3 for d in range(6)}


def test_filters_match_the_date_parser_and_follow_aliases(index):
    docs, chunks, _ = _corpus()
    for lo, hi in [("2024-01-01", "2024-01-31"), ("2024-01", ""), ("", "2023-12-31"), ("2024-02-10", "2024-02-11")]:
        want = [i for i, c in enumerate(chunks) if in_range(c.date, lo, hi)]
        assert index.rows_matching(Filters(date_from=lo, date_to=hi)).tolist() == want
    assert index.rows_matching(Filters(sources=("新华社",))).tolist() == [0, 1, 2, 9, 10, 11]
    assert index.rows_matching(Filters(doc_ids=("copy-of-d1.txt", "d3.txt"))).tolist() == [3, 4, 5, 9, 10, 11]
    assert index.rows_matching(Filters(doc_ids=("nothing",))).tolist() == []
    assert index.rows_matching(Filters()) is None


def test_dense_and_lexical_search_through_the_index(index):
    _, _, vecs = _corpus()
    assert index.dense(vecs[5], 3)[0][0] == 5
    assert index.dense(vecs[5], 3, np.array([0, 1, 2]))[0][0] in (0, 1, 2)
    top = index.lexical(tokenize_query("第4号公告"), 3)
    assert top[0][0] in (12, 13, 14) and all(s > 0 for _, s in top)
    assert index.lexical(tokenize_query("第4号公告"), 3, np.array([0]))[0][0] == 0
    assert index.doc_freq(["公告", "没有"]) == [18, 0] and index.idf(["公告"])["公告"] > 0
    assert np.allclose(index.vectors_of([2, 3]), vecs[[2, 3]])


def test_bm25_scores_equal_bm25s(tmp_path):
    import bm25s

    texts = [f"青岛高新区新增瞪羚企业{i}家，投资{i * 7}亿元。" + "天气晴朗。" * (i % 3) for i in range(40)] + ["", "GDP 增长 6%"]
    ours = LexicalIndex.build(texts)
    ours.save(tmp_path / "lex")
    ours = LexicalIndex.load(tmp_path / "lex")
    assert isinstance(ours.parts[0].tf.data, np.memmap)  # memory-mapped, not read into memory
    ref = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
    ref.index([tokenize(t) or [""] for t in texts], show_progress=False)
    for q in ["瞪羚企业投资", "GDP 增长", "晴朗的天气", "没有的词"]:
        toks = tokenize_query(q)
        known = [t for t in toks if t in ref.vocab_dict]
        want = np.asarray(ref.get_scores(known)) if known else np.zeros(len(texts))
        assert np.allclose(ours.scores(toks), want, atol=1e-5)
    assert ours.doc_freq(["企业"]) == [int(np.diff(ref.scores["indptr"])[ref.vocab_dict["企业"]])]


def test_row_table_round_trips(tmp_path):
    _, chunks, _ = _corpus()
    t = RowTable.build(chunks, {f"d{d}.txt": d for d in range(6)})
    t.save(tmp_path / "rows")
    again = RowTable.load(tmp_path / "rows")
    assert again.doc.tolist() == [d for d in range(6) for _ in range(3)]
    assert [again.dates[i] if i >= 0 else "" for i in again.date] == [c.date for c in chunks]
    assert json.loads((tmp_path / "rows" / "values.json").read_text())["sources"] == ["新华社", "人民网"]


def test_auto_is_exact_up_to_the_limit_then_approximate():
    assert resolve_index_type("auto", 200_000, 200_000) == "flat"
    assert resolve_index_type("auto", 200_001, 200_000) == "hnswsq8"
    assert resolve_index_type("hnsw", 10, 200_000) == "hnsw"
    with pytest.raises(ValueError, match="choose one of"):
        resolve_index_type("annoy", 10, 1)


@pytest.mark.parametrize("kind", ["ivfsq8", "hnswsq8"])
def test_an_approximate_index_is_rescored_exactly(kind):
    rng = np.random.default_rng(1)
    centers = rng.normal(size=(20, 32))
    vecs = (centers[rng.integers(20, size=5000)] + 0.3 * rng.normal(size=(5000, 32))).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    flat, ivf = build_vector_index(vecs, "flat"), build_vector_index(vecs, kind)
    recall = []
    for q in vecs[:50] + 0.05 * rng.normal(size=(50, 32)).astype(np.float32):
        want, want_scores = search_vectors(flat, q, 10)
        rows, scores = search_rescored(ivf, vecs, q, 10)
        recall.append(len(set(want.tolist()) & set(rows.tolist())) / 10)
        assert np.allclose(scores, vecs[rows] @ q, atol=1e-5)  # exact scores, not the 8-bit codes'
        assert list(scores) == sorted(scores, reverse=True)
    assert np.mean(recall) >= 0.98
    allowed = np.array([3, 30, 300])
    assert set(search_rescored(ivf, vecs, vecs[30], 2, allowed)[0].tolist()) <= set(allowed.tolist())
