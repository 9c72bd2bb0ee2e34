"""Evaluation metrics. Pure functions, no I/O.

Retrieval metrics work on ranked relevance flags: ``rel`` is a list of booleans, one per ranked
passage (best first); ``lengths`` the passages' lengths in characters. Answer metrics compare
an answer's text with the reference answers. :func:`bootstrap_ci` gives confidence intervals
for a mean of per-question values.
"""
from __future__ import annotations

import math
import re
import unicodedata

import numpy as np

from ..text import fold, squash, strip_markers

_TOKEN = re.compile(r"[a-z0-9]+(?:[.'][a-z0-9]+)*|\S")  # an ASCII word or one other character


# ------------------------------------------------------------------ retrieval
def first_relevant(rel: list[bool]) -> int | None:
    """Rank (from 1) of the first relevant passage, or None."""
    return next((i + 1 for i, r in enumerate(rel) if r), None)


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
    """Share of the evidence strings found (whitespace and script ignored) in the top ``k`` passages."""
    if not evidence:
        return 0.0
    joined = [fold(squash(t)) for t in texts[:k]]
    return sum(any(fold(squash(e)) in t for t in joined) for e in evidence) / len(evidence)


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


# ------------------------------------------------------------------ confidence
def bootstrap_ci(values: list[float], n_resamples: int = 1000, seed: int = 0,
                 confidence: float = 0.95) -> tuple[float, float] | None:
    """Percentile-bootstrap confidence interval of the mean of ``values``; None for no values.

    Deterministic for a given ``seed``. The interval always holds the sample mean (it is
    widened to it in the rare case where resampling misses it); all-equal values give a
    zero-width interval.
    """
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        return None
    mean = float(v.mean())
    if v.size == 1 or float(v.min()) == float(v.max()):
        return mean, mean
    rng = np.random.default_rng(seed)
    means = np.empty(n_resamples)
    step = max(1, 2_000_000 // v.size)  # keep each block of resamples under ~16 MB
    for s in range(0, n_resamples, step):
        m = min(step, n_resamples - s)
        means[s:s + m] = v[rng.integers(0, v.size, size=(m, v.size))].mean(axis=1)
    tail = (1 - confidence) / 2 * 100
    lo, hi = np.percentile(means, [tail, 100 - tail])
    return min(float(lo), mean), max(float(hi), mean)


# ------------------------------------------------------------------ answers
def _is_punct(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "PS"


def normalize_answer(text: str) -> str:
    """CMRC-style normalization: lower case; no markers, punctuation, symbols or whitespace;
    Traditional Chinese folded to Simplified (an answer quoted from a Traditional bulletin)."""
    text = fold(strip_markers(text).lower())
    return "".join(ch for ch in text if not ch.isspace() and not _is_punct(ch))


def answer_tokens(text: str) -> list[str]:
    """Tokens for CMRC F1, lower-cased, markers, punctuation and whitespace left out: each CJK
    (non-ASCII) character alone, runs of ASCII letters and digits (``5.2``, ``don't``) as words,
    as the official CMRC 2018 script segments."""
    out = []
    for m in _TOKEN.finditer(fold(strip_markers(text).lower())):
        tok = m.group()
        if len(tok) > 1 or not _is_punct(tok):
            out.append(tok)
    return out


def lcs_length(a: list[str], b: list[str]) -> int:
    """Length of the longest common *contiguous* run of tokens of ``a`` and ``b``.

    This is what the official CMRC 2018 script's ``find_lcs`` computes (a longest common
    substring, despite the name), so F1 here matches the published CMRC figures.
    """
    best = 0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0] * (len(b) + 1)
        for j, y in enumerate(b):
            if x == y:
                cur[j + 1] = prev[j] + 1
                best = max(best, cur[j + 1])
        prev = cur
    return best


def exact_match(prediction: str, answers: list[str]) -> float:
    """1.0 when the normalized prediction equals a normalized reference answer."""
    p = normalize_answer(prediction)
    return float(any(p == normalize_answer(a) for a in answers if a is not None))


def f1_score(prediction: str, answers: list[str]) -> float:
    """CMRC F1, best over the answers: precision and recall of the longest common run of tokens
    (Chinese characters one by one, ASCII words whole), punctuation and whitespace left out."""
    pred = answer_tokens(prediction)
    best = 0.0
    for a in answers:
        ref = answer_tokens(a or "")
        lcs = lcs_length(pred, ref)
        if lcs:
            p, r = lcs / len(pred), lcs / len(ref)
            best = max(best, 2 * p * r / (p + r))
    return best


def contains_answer(text: str, answer_keys: list[str], answers: list[str]) -> float | None:
    """Containment: the text holds every answer key, or else any of ``answers``.

    Case and whitespace are ignored, and so are citation markers and the script (Traditional or
    Simplified Chinese). None when there is nothing to look for.
    """
    t = fold(squash(strip_markers(text)).lower())
    keys = [fold(squash(k).lower()) for k in answer_keys if squash(k)]
    if keys:
        return float(all(k in t for k in keys))
    refs = [fold(squash(a).lower()) for a in answers if a and squash(a)]
    if refs:
        return float(any(a in t for a in refs))
    return None
