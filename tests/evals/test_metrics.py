"""Evaluation metrics on hand-computed cases: retrieval, answers, bootstrap intervals, and the
per-question scoring of rag.evals.runs / rag.evals.answers (fake searchers, no model)."""
import math

import pytest

from rag.evals import metrics as M
from rag.evals.answers import answer_metrics, citation_supported, run_answers
from rag.evals.runs import (aggregate, breakdown, hit_curve, is_relevant, metric_names, retrieval_metrics,
                          run_questions, score)
from rag.evals.questions import Question
from rag.types import Answer, Chunk, Citation, Hit, SearchResult


def _hit(doc: str, text: str, rank: int, cid: str | None = None) -> Hit:
    return Hit(Chunk(cid or f"{doc}#{rank}", doc, text), rank, 1.0 / rank, 0.9)


class FakeSearcher:
    """Returns canned hits per question text."""

    def __init__(self, hits_by_question: dict[str, list[Hit]], found: bool = True):
        self.hits, self.found, self.calls = hits_by_question, found, []

    def search(self, query, k=5, mode=None):
        self.calls.append((query, k, mode))
        hits = self.hits.get(query, [])[:k]
        return SearchResult(query, mode or "fake", hits, self.found and bool(hits))


# ------------------------------------------------------------------ retrieval metrics
def test_ranks_hand_computed():
    rel = [False, False, True, True]
    assert M.first_relevant(rel) == 3 and M.first_relevant([False]) is None and M.first_relevant([]) is None
    (r,) = M.ranked_metrics([rel], [2, 3], mrr_k=10)
    assert r["hit@2"] == 0.0 and r["hit@3"] == 1.0
    assert r["mrr@10"] == pytest.approx(1 / 3)
    assert M.ranked_metrics([rel], [1], mrr_k=2)[0]["mrr@2"] == 0.0
    # two relevant passages at ranks 3 and 4; the ideal puts them at 1 and 2
    dcg = 1 / math.log2(4) + 1 / math.log2(5)
    assert r["ndcg@10"] == pytest.approx(dcg / (1 + 1 / math.log2(3)))
    # ties: every passage relevant is a perfect ranking, whatever their number
    assert M.ranked_metrics([[True, True, True]], [1])[0]["ndcg@10"] == pytest.approx(1.0)


def test_empty_results():
    assert M.ranked_metrics([[]], [1])[0] == {"hit@1": 0.0, "mrr@10": 0.0, "ndcg@10": 0.0}
    assert M.hit_within_chars([], [], 1000) == 0.0
    assert M.evidence_recall(["x"], [], 5) == 0.0
    assert M.recall_at([], {"a"}, 5) == 0.0 and M.recall_at(["a"], set(), 5) == 0.0


def test_hit_within_budget_counts_leading_passages():
    assert M.hit_within_chars([False, False, True], [400, 400, 200], 1000) == 1.0  # exactly at the budget
    assert M.hit_within_chars([False, False, True], [400, 400, 201], 1000) == 0.0
    assert M.hit_within_chars([True, False], [3000, 10], 1000) == 1.0  # the first always counts


def test_recall_hand_computed():
    assert M.recall_at(["a", "b", "a", "c"], {"a", "c", "z"}, 3) == pytest.approx(1 / 3)
    assert M.recall_at(["a", "b", "a", "c"], {"a", "c", "z"}, 4) == pytest.approx(2 / 3)
    assert M.evidence_recall(["甲 乙", "丙"], ["x甲乙", "丙y"], 1) == 0.5


def test_percentile_ties_and_single():
    assert M.percentile([5, 5, 5, 5], 95) == 5
    assert M.percentile([7], 50) == 7
    assert M.percentile([1, 2, 3, 4, 5], 95) == pytest.approx(4.8)


# ------------------------------------------------------------------ bootstrap
def test_bootstrap_deterministic_and_contains_mean():
    values = [1, 0, 1, 1, 0, 1, 0, 1, 1, 1, 0, 1]
    a = M.bootstrap_ci(values, 1000, seed=7)
    assert a == M.bootstrap_ci(values, 1000, seed=7)
    mean = sum(values) / len(values)
    assert a[0] <= mean <= a[1]
    assert 0.0 <= a[0] < a[1] <= 1.0


def test_bootstrap_always_holds_mean():
    # a skewed sample where resampling rarely lands on the mean still gets an interval holding it
    for seed in range(20):
        values = [0.0] * 30 + [1.0]
        lo, hi = M.bootstrap_ci(values, 200, seed=seed)
        assert lo <= 1 / 31 <= hi


def test_bootstrap_degenerate_and_empty():
    assert M.bootstrap_ci([1, 1, 1, 1], 1000, 0) == (1.0, 1.0)
    assert M.bootstrap_ci([0.25], 1000, 0) == (0.25, 0.25)
    assert M.bootstrap_ci([], 1000, 0) is None


def test_bootstrap_narrows_with_more_questions():
    small = M.bootstrap_ci([1, 0] * 5, 1000, 0)
    large = M.bootstrap_ci([1, 0] * 200, 1000, 0)
    assert (large[1] - large[0]) < (small[1] - small[0])


# ------------------------------------------------------------------ answer metrics
def test_normalization_and_em():
    assert M.normalize_answer(" 北京，大学。[1] ") == "北京大学"
    assert M.exact_match("482家[1]。", ["482家"]) == 1.0
    assert M.exact_match("Apple  Inc.", ["apple inc"]) == 1.0
    assert M.exact_match("482家", ["48家", "四百八十二家"]) == 0.0
    assert M.exact_match("", []) == 0.0


def test_cmrc_f1_hand_computed():
    # 4 prediction characters, 2 reference characters, common run 2: P 1/2, R 1 -> 2/3
    assert M.f1_score("北京大学", ["北京"]) == pytest.approx(2 / 3)
    # the common run must be contiguous (as in the official script): "北大京" vs "北京" -> run 1
    assert M.f1_score("北大京", ["北京"]) == pytest.approx(2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2))
    # ASCII words count whole: [apple, inc] vs [apple]
    assert M.f1_score("Apple Inc", ["apple"]) == pytest.approx(2 / 3)
    assert M.answer_tokens("2023年GDP增长5.2%") == ["2023", "年", "gdp", "增", "长", "5.2"]
    # best over the answers; ties keep the value
    assert M.f1_score("北京", ["北京", "北京"]) == 1.0
    assert M.f1_score("北京", ["上海", "北京市"]) == pytest.approx(0.8)
    assert M.f1_score("", ["北京"]) == 0.0 and M.f1_score("北京", []) == 0.0
    assert M.lcs_length([], ["a"]) == 0


def test_containment():
    assert M.contains_answer("新增11家，累计 34 家[1]。", ["34家", "11家"], ["x"]) == 1.0
    assert M.contains_answer("累计34家", ["34家", "11家"], []) == 0.0  # keys: all of them
    assert M.contains_answer("It is ZHANG Meirong.", [], ["Zhang Meirong", "x"]) == 1.0  # answers: any
    assert M.contains_answer("无", [], ["北京"]) == 0.0
    assert M.contains_answer("anything", [], []) is None


# ------------------------------------------------------------------ per question
Q_EVID = Question("e1", "多少家？", "482家", answer_keys=["482家"], evidence=["高新技术企业482家"], kind="fact", lang="zh")
Q_GOLD = Question("g1", "哪个？", "甲", answers=["甲"], gold_doc_ids=["docA", "docB"], kind="wiki", lang="zh")
Q_NONE = Question("u1", "GDP是多少？", None, kind="unanswerable", lang="zh")


def test_relevance_with_twins():
    c = Chunk("x#1", "docA-copy", "无关")
    assert not is_relevant(Q_GOLD, c)
    assert is_relevant(Q_GOLD, c, {"docA-copy": "docA"})
    assert is_relevant(Q_EVID, Chunk("y", "d", "其中高新技术\n企业482家。"))
    assert not is_relevant(Q_NONE, Chunk("y", "d", "GDP"))


def test_retrieval_metrics_and_score():
    hits = {
        Q_EVID.question: [_hit("d", "别的", 1), _hit("d", "高新技术企业482家", 2)],
        Q_GOLD.question: [_hit("docB", "乙", 1), _hit("docC", "丙", 2), _hit("docA", "甲", 3)],
        Q_NONE.question: [_hit("d", "GDP", 1)],
    }
    s = FakeSearcher(hits)
    results = run_questions(s, [Q_EVID, Q_GOLD, Q_NONE], "hybrid", k=10, twins={})
    assert s.calls[0] == (Q_EVID.question, 10, "hybrid")
    e, g, u = (retrieval_metrics(r, [1, 3], 1000) for r in results)
    assert e["hit@1"] == 0.0 and e["hit@3"] == 1.0 and e["mrr@10"] == 0.5
    assert e["evidence_recall@5"] == 1.0 and e["doc_recall@5"] is None
    assert g["hit@1"] == 1.0 and g["doc_recall@5"] == 1.0 and g["evidence_recall@5"] is None
    assert g["ndcg@10"] == pytest.approx((1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3)))
    assert u["hit@1"] is None and u["unanswerable_found_rate"] == 1.0
    flat = score(results, [1, 3], 1000)
    assert flat["hit@1"] == 0.5 and flat["mrr@10"] == 0.75
    assert flat["n_answerable"] == 2 and flat["n_unanswerable"] == 1
    assert flat["unanswerable_found_rate"] == 1.0 and flat["answerable_found_rate"] == 1.0
    assert flat["evidence_recall@5"] == 1.0 and flat["doc_recall@5"] == 1.0
    assert hit_curve(results, 3) == [0.5, 1.0, 1.0]


def test_nothing_retrieved():
    r = run_questions(FakeSearcher({}), [Q_EVID, Q_NONE], "dense", twins={})
    e, u = (retrieval_metrics(x, [1], 1000) for x in r)
    assert e["hit@1"] == 0.0 and e["mrr@10"] == 0.0 and e["ndcg@10"] == 0.0 and e["answerable_found_rate"] == 0.0
    assert u["unanswerable_found_rate"] == 0.0
    flat = score(r, [1], 1000)
    assert flat["hit@1"] == 0.0 and flat["ms_per_query_p50"] >= 0


def test_aggregate_and_breakdown():
    rows = [{"m": 1.0}, {"m": 0.0}, {"m": None}, {"m": 1.0}]
    st = aggregate(rows, ["m", "absent"], seed=0, n_resamples=200)
    assert st["m"].mean == pytest.approx(2 / 3) and st["m"].n == 3 and st["absent"] is None
    assert st["m"].lo <= st["m"].mean <= st["m"].hi
    assert aggregate(rows, ["m"], n_resamples=0)["m"].lo == pytest.approx(2 / 3)
    qs = [Question("a", "q", kind="x", lang="zh"), Question("b", "q", kind="y", lang="zh"),
          Question("c", "q", kind="x"), Question("d", "q", kind="y", lang="en")]
    by_kind = breakdown(rows, qs, "kind", ["m"], 0, 200)
    assert by_kind["x"]["n"] == 2 and by_kind["x"]["m"]["n"] == 1  # None left out of the metric
    assert by_kind["x"]["m"]["mean"] == 1.0 and by_kind["x"]["m"]["lo"] == 1.0
    assert by_kind["y"]["m"]["mean"] == 0.5 and by_kind["y"]["m"]["n"] == 2
    assert set(breakdown(rows, qs, "lang", ["m"], 0, 200)) == {"zh", "en", "(none)"}


def test_metric_names_order():
    names = metric_names([1, 5, 10], 800, answers=True)
    assert names[:4] == ["hit@1", "hit@5", "hit@10", "hit@800c"]
    assert "evidence_recall@5" in names and "evidence_recall@1" not in names and "doc_recall@10" in names
    assert names[-4:] == ["wrong_refusal_rate", "declined_rate_unanswerable", "caveat_rate_answerable",
                          "caveat_names_missing"]


# ------------------------------------------------------------------ answers
def _answer(text, cites=(), passages=(), refused=False):
    return Answer("q", text, list(cites), list(passages), refused=refused)


def _cite(n, hit: Hit) -> Citation:
    return Citation(n, hit.chunk.chunk_id, hit.chunk.doc_id, "", "", hit.chunk.text[:10], 0.9)


def test_answer_metrics_answerable():
    good, bad = _hit("d", "其中高新技术企业482家。", 1), _hit("d", "别的内容", 2)
    a = _answer("高新技术企业482家[1]，别的[2]。", [_cite(1, good), _cite(2, bad)], [good, bad])
    r = run_answers([Q_EVID], lambda q: a)[0]
    m = answer_metrics(r)
    assert m["answer_containment"] == 1.0 and m["wrong_refusal_rate"] == 0.0
    assert m["citation_precision"] == 0.5 and m["refusal_rate_unanswerable"] is None
    assert m["answer_em"] == 0.0 and 0 < m["answer_f1"] < 1
    assert r.seconds >= 0


def test_answer_metrics_refusals():
    refusal = _answer("抱歉，没有找到。", refused=True)
    m = answer_metrics(run_answers([Q_EVID], lambda q: refusal)[0])
    assert m["wrong_refusal_rate"] == 1.0 and m["answer_containment"] == 0.0 and m["citation_precision"] is None
    m = answer_metrics(run_answers([Q_NONE], lambda q: refusal)[0])
    assert m["refusal_rate_unanswerable"] == 1.0 and m["answer_containment"] is None
    m = answer_metrics(run_answers([Q_NONE], lambda q: _answer("GDP是1000亿[1]。"))[0])
    assert m["refusal_rate_unanswerable"] == 0.0 and m["wrong_refusal_rate"] is None


def test_citation_from_gold_document_or_twin():
    h = _hit("docB-reprint", "文字", 1)
    a = _answer("甲[1]", [_cite(1, h)], [h])
    assert not citation_supported(Q_GOLD, a.citations[0], a)
    assert citation_supported(Q_GOLD, a.citations[0], a, {"docB-reprint": "docB"})
    m = answer_metrics(run_answers([Q_GOLD], lambda q: a)[0], {"docB-reprint": "docB"})
    assert m["citation_precision"] == 1.0 and m["answer_em"] == 1.0 and m["answer_f1"] == 1.0


def test_hit_mrr_ndcg_hand_computed():
    (r,) = M.ranked_metrics([[False, True, False, True]], [1, 2])
    assert r["hit@1"] == 0.0 and r["hit@2"] == 1.0 and r["mrr@10"] == 0.5
    assert r["ndcg@10"] == pytest.approx((1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3)))
    (r,) = M.ranked_metrics([[False, True]], [1], mrr_k=1)
    assert r["mrr@1"] == 0.0
    (empty,) = M.ranked_metrics([[]], [5])
    assert empty == {"hit@5": 0.0, "mrr@10": 0.0, "ndcg@10": 0.0}
    assert M.ranked_metrics([], [1]) == []


# the hand-written metrics ranx replaced, kept here as the reference it must agree with
def _hit_at(rel, k):
    return float(any(rel[:k]))


def _mrr_at(rel, k):
    return next((1.0 / (i + 1) for i, r in enumerate(rel[:k]) if r), 0.0)


def _ndcg_at(rel, k):
    dcg = sum(1.0 / math.log2(i + 2) for i, r in enumerate(rel[:k]) if r)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, sum(rel))))
    return dcg / ideal if ideal else 0.0


def test_ranx_gives_the_numbers_of_the_hand_written_metrics():
    import random

    rng = random.Random(0)
    rels = [[rng.random() < p for _ in range(rng.choice([0, 1, 3, 10, 20]))]
            for p in (0.0, 0.05, 0.2, 0.5, 0.9) for _ in range(40)]
    got = M.ranked_metrics(rels, [1, 3, 5, 10])
    for rel, r in zip(rels, got):
        for k in (1, 3, 5, 10):
            assert r[f"hit@{k}"] == _hit_at(rel, k)
        assert r["mrr@10"] == pytest.approx(_mrr_at(rel, 10))
        assert r["ndcg@10"] == pytest.approx(_ndcg_at(rel, 10))


def test_paired_test():
    old = [1.0, 0, 1, 1, 0, 1, 1, 0, 0, 1] * 3
    new = [1.0, 1, 1, 1, 1, 1, 1, 1, 0, 1] * 3
    p_rand, p_t = M.paired_test(old, new)
    assert p_rand < 0.01 and p_t < 0.01
    assert M.paired_test(old, new) == (p_rand, p_t)  # seeded: the same p every run
    p_rand, p_t = M.paired_test(old[:10], [1.0, 0, 1, 1, 0, 1, 1, 0, 1, 1])  # one question of ten changed
    assert p_rand > 0.3 and p_t > 0.3
    assert M.paired_test(old, old) == (1.0, 1.0)
    assert M.paired_test([1.0], [0.0]) is None
    with pytest.raises(ValueError):
        M.paired_test([1.0, 0.0], [1.0])


def test_hit_within_char_budget():
    # the first passage always counts, however long
    assert M.hit_within_chars([True], [5000], 1000) == 1.0
    # second passage relevant but the budget is spent
    assert M.hit_within_chars([False, True], [800, 300], 1000) == 0.0
    assert M.hit_within_chars([False, True], [700, 300], 1000) == 1.0
    assert M.hit_within_chars([], [], 1000) == 0.0


def test_evidence_recall_ignores_whitespace():
    assert M.evidence_recall(["高新技术 企业482家", "不存在"], ["其中高新技术企业\n482家"], 5) == 0.5
    assert M.evidence_recall([], ["x"], 5) == 0.0


def test_percentile():
    assert M.percentile([1, 2, 3, 4], 50) == 2.5
    assert M.percentile([], 95) == 0.0
