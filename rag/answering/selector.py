"""The learned answer selector: which sentence of the retrieved passages answers, and how sure.

Every candidate sentence gets the features of :data:`FEATURES` (term coverage weighted by IDF,
the asked-for kind present, its passage's meaning against the corpus baseline, retrieval score
and rank, position, length, the longest run of the question's characters it repeats, numbers
shared, rare question words missing from its passage...). A logistic model trained on DRCD
(``rag train selector``; :mod:`rag.train.selector`) scores them; the best one's score,
calibrated (Platt scaling on held-out folds), is the probability that it answers the question.
Below the threshold chosen at training, the answerer refuses. No sentence is embedded (the
passage's cosine is already known from the search), so answers cost a few milliseconds.

The model is a small JSON file (``selector.json`` beside this module, or
``Settings.extractive.selector_model``): feature names, standardisation, weights, calibration,
threshold, and what it was trained on. No pickle.
"""
from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

BUNDLED = Path(__file__).with_name("selector.json")
MODEL_FORMAT = 1

FEATURES = (
    "passage_z",        # meaning: (the passage's cosine - corpus mean) / corpus std, clipped to [-5, 10]
    "passage_z_gap",    # passage_z less the best among the candidates' passages
    "coverage",         # IDF-weighted share of the question's terms in the sentence (+ title/section)
    "coverage_gap",     # coverage less the best coverage among the candidates
    "sentence_coverage",  # the same, in the sentence alone
    "passage_coverage",   # the same, in the whole passage
    "fit",              # holds the asked-for item (number/date/person..., narrowed: money, rate, role)
    "fit_loose",        # holds something of the asked-for kind at all
    "asks_kind",        # the question asks for a kind (not "other")
    "fit_x_kind",       # fit where a kind is asked for
    "relevance",        # the passage's retrieval relevance (0..1)
    "rank_inv",         # 1 / (1 + the passage's rank - 1)
    "position",         # the sentence's place in its passage, 0 (first) .. 1 (last)
    "first",            # the passage's first sentence
    "log_length",       # log(1 + characters)
    "lcs",              # longest run of the question's characters it repeats / question length
    "numbers_shared",   # share of the question's numbers it holds (0 when the question has none)
    "has_numbers",      # the question holds numbers
    "anchors_missing",  # the passage lacks a rare question word (a name the corpus knows elsewhere)
    "cross",            # the question's language is not the passage's
    "n_terms",          # log(1 + number of question terms)
)


class SelectorError(RuntimeError):
    """The selector model cannot be used; the message says what to do."""


@dataclass
class SelectorModel:
    """A logistic model over :data:`FEATURES` with its calibration and refusal threshold."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    platt_a: float = 1.0  # calibrated probability = sigmoid(platt_a * logit + platt_b)
    platt_b: float = 0.0
    threshold: float = 0.5  # refuse when the best candidate's calibrated probability is below
    info: dict = field(default_factory=dict)  # what it was trained on, and how it measured

    def logits(self, X: np.ndarray) -> np.ndarray:
        """The uncalibrated scores of rows of features (ordering candidates)."""
        X = np.asarray(X, np.float64).reshape(-1, len(self.features))
        return ((X - self.mean) / self.scale) @ self.weights + self.bias

    def probability(self, logit: float) -> float:
        """The calibrated probability that the candidate with this score answers the question."""
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, self.platt_a * logit + self.platt_b))))

    def to_json(self) -> dict:
        return {"format": MODEL_FORMAT, "kind": "logistic", "features": list(self.features),
                "mean": [round(float(x), 6) for x in self.mean], "scale": [round(float(x), 6) for x in self.scale],
                "weights": [round(float(x), 6) for x in self.weights], "bias": round(float(self.bias), 6),
                "platt": {"a": round(self.platt_a, 6), "b": round(self.platt_b, 6)},
                "threshold": round(self.threshold, 4), "info": self.info}

    @classmethod
    def from_json(cls, data: dict, where: str = "the selector model") -> "SelectorModel":
        redo = "retrain it with `rag train selector` (or `make train`)"
        if not isinstance(data, dict) or data.get("format") != MODEL_FORMAT or data.get("kind") != "logistic":
            raise SelectorError(f"{where} is not a selector model of format {MODEL_FORMAT}: {redo}")
        feats = tuple(data.get("features") or ())
        if feats != FEATURES:
            unknown = sorted(set(feats) - set(FEATURES))
            missing = sorted(set(FEATURES) - set(feats))
            raise SelectorError(f"{where} was trained on other features (unknown {unknown}, missing {missing}): {redo}")
        try:
            arrays = [np.asarray(data[k], np.float64) for k in ("mean", "scale", "weights")]
            platt = data.get("platt") or {}
            model = cls(feats, *arrays, float(data["bias"]), float(platt.get("a", 1.0)), float(platt.get("b", 0.0)),
                        float(data.get("threshold", 0.5)), dict(data.get("info") or {}))
        except (KeyError, TypeError, ValueError) as exc:
            raise SelectorError(f"{where} is incomplete or malformed ({exc}): {redo}") from None
        if any(a.shape != (len(feats),) for a in arrays) or not np.all(np.isfinite(np.concatenate(arrays))) \
                or np.any(model.scale <= 0):
            raise SelectorError(f"{where} holds arrays of the wrong size or non-finite numbers: {redo}")
        return model


def load_selector(path: str | Path | None = None) -> SelectorModel:
    """The selector model at ``path`` (default: the bundled ``selector.json``)."""
    p = Path(path) if path else BUNDLED
    try:
        stamp = p.stat().st_mtime_ns
    except OSError:
        where = "the bundled selector model" if not path else f"selector model {p}"
        raise SelectorError(f"{where} is missing ({p}): train it with `rag train selector` (or `make train`), "
                            "or set extractive.selector = \"rules\" to answer without it") from None
    return _load(str(p), stamp)


@functools.lru_cache(maxsize=4)
def _load(path: str, stamp: int) -> SelectorModel:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SelectorError(f"selector model {path} cannot be read ({exc}): retrain it with "
                            "`rag train selector`") from None
    return SelectorModel.from_json(data, f"selector model {path}")


def fit_logistic(X: np.ndarray, y: np.ndarray, l2: float = 1.0, iters: int = 100,
                 sample_weight: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """Weights and bias of an L2-regularised logistic regression on standardised ``X`` (Newton's
    method: deterministic, no dependency)."""
    X = np.asarray(X, np.float64)
    y = np.asarray(y, np.float64)
    sw = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, np.float64)
    A = np.hstack([X, np.ones((len(X), 1))])
    w = np.zeros(A.shape[1])
    reg = np.full(A.shape[1], l2)
    reg[-1] = 0.0
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-np.clip(A @ w, -50, 50)))
        g = A.T @ (sw * (p - y)) + reg * w
        H = (A * (sw * p * (1 - p))[:, None]).T @ A + np.diag(reg + 1e-9)
        step = np.linalg.solve(H, g)
        w -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return w[:-1], float(w[-1])
