"""Training the selector: calibration, the threshold, the refusal figures, the whole fit on
made-up groups (no model, no data)."""
import numpy as np

from rag.answering.selector import FEATURES
from rag.train.selector import (Group, article_of, choose_threshold, fold_of, platt, refusal_figures,
                                train_selector)


def test_platt_scaling_is_calibrated_on_separable_scores():
    rng = np.random.default_rng(0)
    s = np.concatenate([rng.normal(2, 1, 500), rng.normal(-2, 1, 500)])
    y = np.concatenate([np.ones(500), np.zeros(500)])
    a, b = platt(s, y)
    p = 1 / (1 + np.exp(-(a * s + b)))
    assert a > 0 and abs(p.mean() - 0.5) < 0.02
    assert abs(p[s > 3].mean() - y[s > 3].mean()) < 0.05


def test_the_threshold_refuses_at_most_the_share_asked():
    groups = [Group(f"q{i}", 0, "answerable", np.zeros((1, 1)), np.ones(1), True) for i in range(100)]
    top = [(g, (i + 1) / 100, True) for i, g in enumerate(groups)]
    t = choose_threshold(top, 0.05)
    assert sum(p < t for _, p, _ in top) == 5


def test_refusal_precision_and_recall():
    ans = Group("a", 0, "answerable", np.zeros((1, 1)), np.ones(1), True)
    neg = Group("n", 0, "off-topic", np.zeros((1, 1)), np.zeros(1))
    top = [(ans, 0.9, True), (ans, 0.2, True), (neg, 0.1, False), (neg, 0.6, False)]
    f = refusal_figures(top, 0.5)
    assert f["refusal_precision"] == 0.5 and f["refusal_recall"] == 0.5
    assert f["answerable"]["refused"] == 0.5 and f["off-topic"]["refused"] == 0.5


def test_training_is_deterministic_and_learns_the_signal():
    rng = np.random.default_rng(1)
    groups = []
    for i in range(200):
        X = rng.normal(size=(6, len(FEATURES)))
        y = np.zeros(6)
        if i % 4:  # answerable: the row with the highest coverage is the answer
            c = FEATURES.index("coverage")
            j = int(np.argmax(X[:, c]))
            X[j, c] += 2
            y[j] = 1
            groups.append(Group(f"q{i}", fold_of(f"q{i}", 5), "answerable", X, y, True))
        else:
            groups.append(Group(f"n{i}", fold_of(f"n{i}", 5), "off-topic", X, y))
    m1, f1 = train_selector(groups, 5, 1.0, 0.05)
    m2, f2 = train_selector(groups, 5, 1.0, 0.05)
    assert np.array_equal(m1.weights, m2.weights) and f1 == f2
    assert m1.weights[FEATURES.index("coverage")] == max(m1.weights)
    assert f1["answerable"]["best_sentence_right"] > 0.9
    assert f1["answerable"]["refused"] <= 0.06


def test_folds_keep_articles_together():
    assert article_of("drcd-dev-1147-5") == "drcd-dev-1147"
    assert fold_of("drcd-dev-1147", 5) == fold_of(article_of("drcd-dev-1147-2"), 5)
