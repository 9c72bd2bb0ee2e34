"""The second stage: a learned model reorders the first stage's shortlist.

The model is a LambdaMART ensemble of regression trees, trained by ``rag train reranker``
(:mod:`rag.train.reranker`, with LightGBM) and saved as JSON: the trees flattened into
arrays, evaluated here with numpy (no LightGBM at run time; a shortlist of 40 passages takes well
under a millisecond). The bundled model is ``rag/search/models/reranker.json``; the setting
``reranker_model`` names another file.

File format (``format`` = ``bulletin-rag-reranker``, ``version`` 1)::

    {"format": ..., "version": 1, "features": [names, in the order of FEATURES],
     "trees": [{"feature": [...], "threshold": [...], "left": [...], "right": [...],
                "leaf": [...]}, ...],
     "trained": {what it was trained on, for the record}}

Internal node ``i`` sends a row left when ``x[feature[i]] <= threshold[i]``; a child ``c >= 0``
is an internal node, ``c < 0`` the leaf ``~c``. A tree without splits has no internal nodes and
one leaf. The score of a row is the sum of its leaves.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .features import FEATURES, Candidate, shortlist_features
from .query import Query

FORMAT = "bulletin-rag-reranker"
VERSION = 1
BUNDLED = Path(__file__).parent / "models" / "reranker.json"


class RerankerError(ValueError):
    """A reranker model that cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class RerankModel:
    """Trees as padded arrays: ``(trees, nodes)`` for the splits, ``(trees, leaves)`` for values."""

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    leaf: np.ndarray
    root: np.ndarray  # 0 where the tree splits, -1 (leaf 0) where it is a single leaf
    depth: int
    path: str = ""
    trained: dict | None = None

    @classmethod
    def from_dict(cls, data: dict, path: str = "") -> "RerankModel":
        where = path or "the reranker model"
        fix = ("retrain it with `rag train reranker` (or `make train`), or set rerank = false "
               "to search without it")
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise RerankerError(f"{where} is not a bulletin-rag reranker model; {fix}")
        if data.get("version") != VERSION:
            raise RerankerError(f"{where} has format version {data.get('version')!r}, this release reads "
                                f"{VERSION}; {fix}")
        if list(data.get("features") or []) != list(FEATURES):
            raise RerankerError(f"{where} was trained on other features than this release computes; {fix}")
        trees = data.get("trees")
        if not isinstance(trees, list) or not trees:
            raise RerankerError(f"{where} holds no trees; {fix}")
        try:
            n_nodes = max(1, max(len(t["feature"]) for t in trees))
            n_leaves = max(len(t["leaf"]) for t in trees)
            T = len(trees)
            feature = np.zeros((T, n_nodes), np.int64)
            threshold = np.zeros((T, n_nodes), np.float64)
            left = np.full((T, n_nodes), -1, np.int64)
            right = np.full((T, n_nodes), -1, np.int64)
            leaf = np.zeros((T, n_leaves), np.float64)
            root = np.zeros(T, np.int64)
            for i, t in enumerate(trees):
                k = len(t["feature"])
                if not (len(t["threshold"]) == len(t["left"]) == len(t["right"]) == k) or len(t["leaf"]) != k + 1:
                    raise ValueError(f"tree {i} has arrays of inconsistent lengths")
                feature[i, :k] = t["feature"]
                threshold[i, :k] = t["threshold"]
                left[i, :k] = t["left"]
                right[i, :k] = t["right"]
                leaf[i, :k + 1] = t["leaf"]
                root[i] = 0 if k else -1
                children = np.array(t["left"] + t["right"], np.int64)
                if k and (children.max() >= k or (~children[children < 0]).max(initial=0) > k):
                    raise ValueError(f"tree {i} points outside itself")
            if feature.min() < 0 or feature.max() >= len(FEATURES):
                raise ValueError("a split on an unknown feature")
        except (KeyError, TypeError, ValueError) as exc:
            raise RerankerError(f"{where} is damaged ({exc}); {fix}") from None
        depth = _max_depth(trees)
        return cls(feature, threshold, left, right, leaf, root, depth, path, data.get("trained"))

    def score(self, X: np.ndarray) -> np.ndarray:
        """The model's score of each row of ``X`` (``(n, len(FEATURES))``); higher is better."""
        X = np.asarray(X, np.float64)
        n, T = X.shape[0], self.feature.shape[0]
        if not n:
            return np.zeros(0)
        node = np.broadcast_to(self.root, (n, T)).copy()
        t = np.arange(T)[None, :]
        rows = np.arange(n)[:, None]
        for _ in range(self.depth):
            inner = node >= 0
            if not inner.any():
                break
            at = np.where(inner, node, 0)
            x = X[rows, self.feature[t, at]]
            nxt = np.where(x <= self.threshold[t, at], self.left[t, at], self.right[t, at])
            node = np.where(inner, nxt, node)
        return self.leaf[t, ~node].sum(axis=1)


def _max_depth(trees: list[dict]) -> int:
    deepest = 0
    for t in trees:
        stack = [(0, 1)] if t["feature"] else []
        while stack:
            i, d = stack.pop()
            deepest = max(deepest, d)
            for c in (t["left"][i], t["right"][i]):
                if c >= 0:
                    stack.append((c, d + 1))
    return deepest


@functools.lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> RerankModel:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise RerankerError(f"the reranker model {path} is not valid JSON ({exc}); retrain it with "
                            "`rag train reranker`, or set rerank = false") from None
    return RerankModel.from_dict(data, path)


def load_reranker(path: str | Path | None = None) -> RerankModel:
    """The model at ``path`` (empty or None: the bundled one), read once per file version.
    Raises :class:`RerankerError` with what to do when it is missing or unusable."""
    p = Path(path) if path else BUNDLED
    try:
        mtime = p.stat().st_mtime
    except OSError:
        raise RerankerError(f"no reranker model at {p}: train one with `rag train reranker` (or `make train`), "
                            "point the setting reranker_model at one, or set rerank = false") from None
    try:
        return _load(str(p), mtime)
    except OSError as exc:
        raise RerankerError(f"the reranker model {p} cannot be read ({exc}); check its permissions, "
                            "or set rerank = false") from None


def rerank(query: Query, index, candidates: list[Candidate], model: RerankModel) -> list[tuple[int, float]]:
    """``candidates`` reordered by the model: ``(row, model score)`` best first; ties keep the
    first stage's order."""
    if not candidates:
        return []
    scores = model.score(shortlist_features(query, index, candidates))
    order = sorted(range(len(candidates)), key=lambda i: (-scores[i], i))
    return [(candidates[i].row, float(scores[i])) for i in order]


def rerank_ranked(query: Query, index, ranked: list[tuple[int, float]], dense: dict[int, float],
                  lexical: dict[int, float], model: RerankModel, depth: int) -> list[tuple[int, float]]:
    """The first stage's ``ranked`` list (``(row, fused score)``, best first) with its top
    ``depth`` reordered by ``model``; the rest follows in its order. ``dense`` (row -> cosine)
    gains the cosines of shortlisted passages that only the lexical list held."""
    head = ranked[:depth]
    missing = [r for r, _ in head if r not in dense]
    if missing and query.has_vector:
        dense.update(zip(missing, (index.vectors_of(missing) @ query.vector).tolist()))
    candidates = [Candidate(r, dense.get(r), lexical.get(r), s, i + 1) for i, (r, s) in enumerate(head)]
    out = rerank(query, index, candidates, model)
    if not out or len(ranked) <= depth:
        return out
    low = out[-1][1]
    return out + [(r, low - 1e-3 * (i + 1)) for i, (r, _) in enumerate(ranked[depth:])]
