"""Fusing ranked lists: reciprocal rank fusion (Cormack et al., 2009)."""
from __future__ import annotations


def rrf(rankings: list[list[int]], k: int = 60, weights: list[float] | None = None) -> list[tuple[int, float]]:
    """Fuse ranked lists of ids; returns ``(id, score)`` best first.

    Each list contributes ``weight / (k + rank)`` (rank from 1) for every id it holds. Ties keep
    the order in which ids first appear, lists taken in the order given.
    """
    weights = weights or [1.0] * len(rankings)
    scores: dict[int, float] = {}
    for ranking, w in zip(rankings, weights):
        for rank, item in enumerate(ranking, 1):
            scores[item] = scores.get(item, 0.0) + w / (k + rank)
    order = {item: i for i, item in enumerate(dict.fromkeys(x for r in rankings for x in r))}
    return sorted(scores.items(), key=lambda kv: (-kv[1], order[kv[0]]))
