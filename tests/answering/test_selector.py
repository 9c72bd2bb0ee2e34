"""The learned selector: its model file (errors a user can act on), its fit, its features."""
import json

import numpy as np
import pytest

from rag.answering.selector import FEATURES, SelectorError, SelectorModel, fit_logistic, load_selector

from ..faults.conftest import built, corpus, fake, fast_settings  # noqa: F401  (the stand-in embedder and its index)


def _model(**info) -> SelectorModel:
    n = len(FEATURES)
    return SelectorModel(FEATURES, np.zeros(n), np.ones(n), np.linspace(-1, 1, n), 0.5, 2.0, -1.0, 0.3, info)


def test_the_bundled_model_loads_and_is_small():
    from rag.answering.selector import BUNDLED

    m = load_selector()
    assert m.features == FEATURES and 0 < m.threshold < 1
    assert BUNDLED.stat().st_size <= 5 * 1024 * 1024
    assert "DRCD" in " ".join(m.info["trained_on"])


def test_a_model_round_trips_through_json(tmp_path):
    p = tmp_path / "m.json"
    p.write_text(json.dumps(_model(trained_on=["x"]).to_json()), encoding="utf-8")
    m = load_selector(p)
    assert m.threshold == 0.3 and m.info == {"trained_on": ["x"]}
    x = np.arange(len(FEATURES), dtype=float)
    assert m.logits(x)[0] == pytest.approx(float(x @ np.linspace(-1, 1, len(FEATURES)) + 0.5))
    assert m.probability(0.5) == pytest.approx(0.5)  # sigmoid(2 * 0.5 - 1)


def test_a_missing_model_says_how_to_get_one(tmp_path):
    with pytest.raises(SelectorError, match="rag train selector.*selector = \"rules\""):
        load_selector(tmp_path / "nope.json")


@pytest.mark.parametrize("change,words", [
    (lambda d: "not json {", "cannot be read"),
    (lambda d: {**d, "format": 99}, "not a selector model"),
    (lambda d: {**d, "features": d["features"][:-1] + ["shiny"]}, "unknown \\['shiny'\\]"),
    (lambda d: {**d, "weights": d["weights"][:3]}, "wrong size"),
    (lambda d: {k: v for k, v in d.items() if k != "bias"}, "incomplete"),
    (lambda d: {**d, "scale": [0.0] * len(FEATURES)}, "wrong size or non-finite"),
])
def test_a_damaged_model_is_refused_with_what_to_do(tmp_path, change, words):
    data = change(_model().to_json())
    p = tmp_path / "m.json"
    p.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    with pytest.raises(SelectorError, match=words) as err:
        load_selector(p)
    assert "rag train selector" in str(err.value)


def test_the_logistic_fit_is_deterministic_and_separates():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    y = (X[:, 0] - 0.5 * X[:, 2] > 0).astype(float)
    w1, b1 = fit_logistic(X, y, l2=0.1)
    w2, b2 = fit_logistic(X, y, l2=0.1)
    assert np.array_equal(w1, w2) and b1 == b2
    assert w1[0] > 0 > w1[2] and abs(w1[1]) < abs(w1[0]) / 5
    assert ((X @ w1 + b1 > 0) == (y > 0)).mean() > 0.95


def test_an_unknown_selector_setting_is_named():
    from rag.answering import ExtractiveAnswerer
    from rag.config import ExtractiveSettings

    with pytest.raises(ValueError, match="extractive.selector.*learned"):
        ExtractiveAnswerer(None, None, ExtractiveSettings(selector="magic"))


def test_features_of_hand_made_sentences(built, fake):
    """On the stand-in embedder: the sentence with the asked-for number, the question's words
    and its numbers scores those features; the others do not."""
    from rag.answering import ExtractiveAnswerer
    from rag.config import ExtractiveSettings
    from rag.index import Index
    from rag.search import Retriever

    index = Index.load(built.index_dir)
    r = Retriever(index, fake, built)
    q = r.query("2023年青岛高新区新引进了多少个高质量项目？")
    result = r.search(q, k=5)
    a = ExtractiveAnswerer(fake, index, ExtractiveSettings(selector="rules"))
    cands = a.candidates(q, result.hits)
    X = a.features(q, cands, a.anchors(q))
    assert X.shape == (len(cands), len(FEATURES)) and np.all(np.isfinite(X))
    f = {name: i for i, name in enumerate(FEATURES)}
    best = max(range(len(cands)), key=lambda i: X[i, f["coverage"]])
    assert "项目" in cands[best].text
    assert X[best, f["fit"]] == 1.0 and X[best, f["asks_kind"]] == 1.0 and X[best, f["has_numbers"]] == 1.0
    assert X[best, f["numbers_shared"]] == 1.0  # 2023 is in it
    assert X[best, f["coverage_gap"]] == 0.0 and (X[:, f["passage_z_gap"]] <= 0).all()
    assert X[best, f["coverage_gap"]] == 0.0 and (X[:, f["coverage_gap"]] <= 0).all()
    assert ((0 <= X[:, f["position"]]) & (X[:, f["position"]] <= 1)).all()
    assert X[:, f["lcs"]].max() > 0.2
