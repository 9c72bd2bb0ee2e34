"""Training the reranker: labels, and a fit that is the same every time."""
import json

import numpy as np

from rag.evals.questions import Question
from rag.search.features import FEATURES
from rag.search.rerank import load_reranker
from rag.train.reranker import Groups, fit, label, save_model, split


def _groups(n_questions=80, per=12, seed=1) -> Groups:
    """Shortlists where the relevant passage holds the question's numbers but is not ranked first."""
    rng = np.random.default_rng(seed)
    g = Groups()
    col = FEATURES.index("numbers_shared")
    rank = FEATURES.index("fused_rank")
    for q in range(n_questions):
        X = rng.random((per, len(FEATURES))).astype(np.float32)
        X[:, rank] = np.arange(1, per + 1)
        y = np.zeros(per, np.float32)
        good = int(rng.integers(1, per))
        y[good] = 2
        X[:, col] = 0.0
        X[good, col] = 1.0
        g.X.append(X)
        g.y.append(y)
        g.ids.append(f"q{q}")
        g.keys.append(f"doc{q // 2}")
    return g


def test_label_grades_relevance():
    q = Question("1", "问题", answers=["56个"], gold_doc_ids=["d0"])
    assert label(q, "引进项目56个。", None, "d0") == 2
    assert label(q, "引进项目若干。", None, "d0") == 1
    assert label(q, "引进项目56个。", None, "d9") == 0
    ev = Question("2", "问题", answer="300亿", evidence=["总投资超过300亿元"])
    assert label(ev, "今年总投资超过 300亿元。", None, "dx") == 2


def test_split_keeps_a_document_s_questions_together():
    keys = [f"d{i // 3}" for i in range(30)]
    train, valid = split(keys, 0.2, 0)
    assert set(train).isdisjoint(valid) and len(train) + len(valid) == 30
    assert {keys[i] for i in train}.isdisjoint({keys[i] for i in valid})
    assert split(keys, 0.2, 0) == (train, valid)


def test_training_is_deterministic_and_learns(tmp_path):
    g = _groups()
    m1, r1 = fit(g, seed=0, threads=2, rounds=40, held_out=0.2)
    m2, r2 = fit(_groups(), seed=0, threads=2, rounds=40, held_out=0.2)
    assert json.dumps(m1, sort_keys=True) == json.dumps(m2, sort_keys=True)
    assert r1["held_out_mrr@10_reranked"] > r1["held_out_mrr@10_fused"] + 0.3
    path = save_model(m1, tmp_path / "reranker.json")
    model = load_reranker(path)  # the saved file reads back and ranks the planted feature first
    X, y, sizes = g.take([0])
    assert int(np.argmax(model.score(X))) == int(np.argmax(y))


def test_saved_shortlists_read_back_only_for_the_same_data(tmp_path):
    from rag.train.reranker import load_groups, save_groups

    g = _groups(5)
    save_groups(g, tmp_path / "s.npz", {"n": 5})
    back = load_groups(tmp_path / "s.npz", {"n": 5})
    assert back.ids == g.ids and back.keys == g.keys and all((a == b).all() for a, b in zip(back.X, g.X))
    assert load_groups(tmp_path / "s.npz", {"n": 6}) is None
    assert load_groups(tmp_path / "none.npz", {"n": 5}) is None
