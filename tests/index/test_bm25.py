"""BM25 over passages, saved and loaded as arrays."""
from collections import Counter

import pytest

from rag.index import LexicalIndex
from rag.text import coverage, tokenize, tokenize_query


def test_bm25_ranks_and_roundtrips(tmp_path):
    texts = ["阿斯利康吸入气雾剂工厂项目总投资7亿元", "青岛高新区新增瞪羚企业11家", "天气晴朗"]
    idx = LexicalIndex.build(texts)
    s = idx.scores(tokenize_query("阿斯利康项目投资多少？"))
    assert s.argmax() == 0 and s[2] == 0
    idx.save(tmp_path / "lex")
    again = LexicalIndex.load(tmp_path / "lex")
    assert (again.scores(tokenize_query("阿斯利康项目投资多少？")) == s).all()
    weights = idx.idf(set(tokenize_query("瞪羚企业")))
    assert coverage(weights, set(tokenize(texts[1]))) == pytest.approx(1.0)
    assert coverage(weights, set(tokenize(texts[2]))) == 0.0


def _corpus(n: int, seed: int = 0) -> list[str]:
    """Passages of common and rare characters (a Zipf-like mix), so that some query terms are
    in most passages and some in a few."""
    import numpy as np

    rng = np.random.default_rng(seed)
    chars = "的是在了和有国年中大新区发展企业项目高技术海洋科青岛投资亿元增长建设市场经济服务创新港口能源"
    weights = 1.0 / np.arange(1, len(chars) + 1)
    weights /= weights.sum()
    return ["".join(rng.choice(list(chars), size=rng.integers(8, 60), p=weights)) for _ in range(n)]


def test_pruned_top_k_is_the_top_k_of_every_posting_scored():
    """Max-score pruning (the path above PRUNE_FROM passages) returns the same passages, in the
    same order, with the same scores, as ranking the scores of every posting: for many queries,
    depths, a filter, and an index of two segments whose first has deleted rows."""
    import numpy as np

    from rag.index.local.bm25 import Part, TermFrequencies, _best

    texts = _corpus(3000)
    first, second = TermFrequencies.build(texts[:2000]), TermFrequencies.build(texts[2000:])
    glob = np.full(2000, -1, np.int64)
    live = np.setdiff1d(np.arange(2000), np.arange(0, 2000, 7))  # every 7th row deleted
    glob[live] = np.arange(len(live))
    n = len(live) + 1000
    total = int(first.lengths[live].sum() + second.lengths.sum())
    idx = LexicalIndex([Part(first, 0, glob), Part(second, len(live))], n, total)
    rng = np.random.default_rng(1)
    allowed = np.sort(rng.choice(n, 900, replace=False))
    queries = ["海洋科技项目投资", "青岛高新区企业的发展", "的是在了", "港口能源服务创新增长", "区", "新区新区"]
    queries += [t[:rng.integers(3, 20)] for t in rng.choice(texts, 30)]
    pruned_some = 0
    for q in queries:
        toks = tokenize_query(q)
        for k in (1, 5, 50):
            for filt in (None, allowed):
                full = _best(idx.scores(toks), None, k, filt)
                fast = idx._top_pruned(Counter(toks), k, filt)
                assert [r for r, _ in fast] == [r for r, _ in full], (q, k)
                assert np.allclose([s for _, s in fast], [s for _, s in full], rtol=1e-5)
        pruned_some += len(toks) > 0
    assert pruned_some


def test_pruning_skips_common_terms_where_they_cannot_matter(monkeypatch):
    """The pruned path looks common terms up for a few candidates instead of scoring their
    whole postings (what makes it fast): count the postings it reads in full."""
    import numpy as np

    from rag.index.local import bm25

    idx = LexicalIndex.build(_corpus(5000, seed=2) + ["青岛海洋科技港口能源投资项目"] * 3)
    read = []
    real = bm25.TermFrequencies.column

    def column(self, c):
        rows, tf = real(self, c)
        read.append(len(rows))
        return rows, tf

    monkeypatch.setattr(bm25.TermFrequencies, "column", column)
    toks = tokenize_query("青岛海洋科技港口能源投资项目的发展")
    top = idx._top_pruned(Counter(toks), 3, None)
    assert [r for r, _ in top] == [5000, 5001, 5002]
    every = sum(int(np.diff(idx.parts[0].tf.indptr)[c]) for c in idx.parts[0].tf.columns_of(idx._hashes(list(set(toks)))) if c >= 0)
    assert sum(read) < every / 2
