"""Retrieval metrics on ranked relevance flags. Pure functions, no I/O.

``rel`` is a list of booleans, one per ranked passage (best first); ``lengths`` the
passages' lengths in characters.
"""
from __future__ import annotations

import math
import re

_WS = re.compile(r"\s+")


def squash(text: str) -> str:
    """Text with all whitespace removed: every comparison in the evals uses it."""
    return _WS.sub("", text or "")


def hit_at(rel: list[bool], k: int) -> float:
    return float(any(rel[:k]))


def hit_within_chars(rel: list[bool], lengths: list[int], budget: int = 1000) -> float:
    """Is a relevant passage among the leading passages whose total length fits ``budget``?

    The first passage always counts, however long.
    """
    total = 0
    for i, (r, n) in enumerate(zip(rel, lengths)):
        total += n
        if i > 0 and total > budget:
            break
        if r:
            return 1.0
    return 0.0


def mrr_at(rel: list[bool], k: int = 10) -> float:
    for i, r in enumerate(rel[:k]):
        if r:
            return 1.0 / (i + 1)
    return 0.0


def ndcg_at(rel: list[bool], k: int = 10, n_relevant: int | None = None) -> float:
    """Binary nDCG@k; the ideal ranking holds ``n_relevant`` relevant passages (default: those seen)."""
    dcg = sum(1.0 / math.log2(i + 2) for i, r in enumerate(rel[:k]) if r)
    n = sum(rel) if n_relevant is None else n_relevant
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, n)))
    return dcg / ideal if ideal else 0.0


def evidence_recall(evidence: list[str], texts: list[str], k: int = 5) -> float:
    """Share of the evidence strings found (whitespace ignored) in the top ``k`` passages."""
    if not evidence:
        return 0.0
    joined = [squash(t) for t in texts[:k]]
    return sum(any(squash(e) in t for t in joined) for e in evidence) / len(evidence)


def recall_at(found_ids: list[str], gold: set[str], k: int) -> float:
    """Share of the gold ids among the ids of the top ``k`` passages."""
    if not gold:
        return 0.0
    return len(set(found_ids[:k]) & gold) / len(gold)


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0..100), linear interpolation; 0 for no values."""
    if not values:
        return 0.0
    v = sorted(values)
    pos = (len(v) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)
