"""Pure pieces: lexical tokenization, BM25, reciprocal rank fusion, metrics."""
import pytest

from rag import metrics as M
from rag.fusion import convex, rrf
from rag.lexical import LexicalIndex, tokenize, tokenize_query


def test_bigram_tokens_and_question_words():
    assert tokenize("高新技术企业482家") == ["高", "新", "技", "术", "企", "业", "高新", "新技", "技术", "术企",
                                        "企业", "482", "家"]
    assert "多少" not in tokenize_query("有多少家企业？") and "企业" in tokenize_query("有多少家企业？")
    assert tokenize("The AstraZeneca plant") == ["astrazeneca", "plant"]


def test_jieba_tokens():
    toks = tokenize("青岛高新区的高新技术企业", "jieba")
    assert "企业" in toks and "的" not in toks


def test_bm25_ranks_and_roundtrips(tmp_path):
    texts = ["阿斯利康吸入气雾剂工厂项目总投资7亿元", "青岛高新区新增瞪羚企业11家", "天气晴朗"]
    idx = LexicalIndex.build(texts)
    s = idx.scores("阿斯利康项目投资多少？")
    assert s.argmax() == 0 and s[2] == 0
    idx.save(tmp_path / "lex")
    again = LexicalIndex.load(tmp_path / "lex")
    assert (again.scores("阿斯利康项目投资多少？") == s).all()
    assert idx.coverage("瞪羚企业", texts)[1] == pytest.approx(1.0)
    assert idx.coverage("瞪羚企业", texts)[2] == 0.0


def test_rrf_fuses_and_breaks_ties_by_first_appearance():
    fused = rrf([[1, 2, 3], [3, 2, 4]], k=60)
    # 3: 1/63 + 1/61 = 0.032266 beats 2: 2/62 = 0.032258; 1 (1/61) beats 4 (1/63)
    assert [i for i, _ in fused] == [3, 2, 1, 4]
    assert dict(fused)[2] == pytest.approx(2 / 62)
    assert [i for i, _ in rrf([[1, 2], [3]], weights=[1.0, 2.0])] == [3, 1, 2]
    assert [i for i, _ in rrf([[5, 6], [6, 5]])] == [5, 6]  # exact tie: first seen wins
    assert rrf([[], []]) == []


def test_convex_fusion_hand_computed():
    dense = [(1, 0.90), (2, 0.85), (3, 0.80)]
    lexical = [(3, 12.0), (4, 6.0)]
    fused = dict(convex(dense, lexical, dense_weight=0.3))
    # dense min-max over ids 1,2,3,4 (4 takes the dense floor 0.80): 1.0, 0.5, 0.0, 0.0
    # lexical min-max with 0 for the missing: 1,2 -> 0, 3 -> 1.0, 4 -> 0.5
    assert fused[1] == 0.3 and abs(fused[2] - 0.15) < 1e-9 and fused[3] == 0.7 and fused[4] == 0.35
    assert [i for i, _ in convex(dense, lexical, 0.3)] == [3, 4, 1, 2]
    assert [i for i, _ in convex(dense, lexical, 1.0)][:2] == [1, 2]


def test_convex_fusion_edge_cases():
    assert convex([], []) == []
    assert convex([(1, 0.5), (2, 0.4)], []) == [(1, 1.0), (2, 0.0)]
    assert convex([], [(7, 3.0)]) == [(7, 1.0)]
    assert [i for i, _ in convex([(1, 0.5), (2, 0.5)], [(2, 1.0), (1, 1.0)])] == [1, 2]  # tie: dense order


def test_queries_go_before_waiting_ingest_batches():
    import threading
    import time

    from rag.embeddings import QueriesFirstLock

    lock, order = QueriesFirstLock(), []
    with lock.hold(urgent=False):  # an ingest batch is running...
        def worker(name, urgent):
            with lock.hold(urgent):
                order.append(name)
        threads = [threading.Thread(target=worker, args=("batch", False))]
        threads[0].start()
        time.sleep(0.05)  # ...another batch waits, then a question arrives
        threads.append(threading.Thread(target=worker, args=("question", True)))
        threads[1].start()
        time.sleep(0.05)
    for t in threads:
        t.join(5)
    assert order == ["question", "batch"]


def test_hit_mrr_ndcg_hand_computed():
    rel = [False, True, False, True]
    assert M.hit_at(rel, 1) == 0.0 and M.hit_at(rel, 2) == 1.0
    assert M.mrr_at(rel, 10) == 0.5
    assert M.mrr_at(rel, 1) == 0.0
    assert M.ndcg_at(rel, 10) == pytest.approx((1 / M.math.log2(3) + 1 / M.math.log2(5)) / (1 + 1 / M.math.log2(3)))
    assert M.ndcg_at([], 10) == 0.0 and M.mrr_at([], 10) == 0.0 and M.hit_at([], 5) == 0.0


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
