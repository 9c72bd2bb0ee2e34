"""Evaluation metrics. Pure functions, no I/O.

Retrieval metrics work on ranked relevance flags: ``rel`` is a list of booleans, one per ranked
passage (best first); ``lengths`` the passages' lengths in characters. hit@k, MRR and nDCG are
computed by ranx (:func:`ranked_metrics`); hit within a character budget, evidence recall and
document recall are ours, beside them. Answer metrics compare an answer's text with the
reference answers (CMRC 2018 EM and F1, containment). :func:`bootstrap_ci` gives confidence
intervals of a mean and :func:`paired_test` p-values of a difference (scipy). ranx and scipy
are imported on first use: evals only, never at run time.
"""
from __future__ import annotations

import re
import unicodedata

import numpy as np

from ..text import fold, squash, strip_markers

_TOKEN = re.compile(r"[a-z0-9]+(?:[.'][a-z0-9]+)*|\S")  # an ASCII word or one other character


# ------------------------------------------------------------------ retrieval
def first_relevant(rel: list[bool]) -> int | None:
    """Rank (from 1) of the first relevant passage, or None."""
    return next((i + 1 for i, r in enumerate(rel) if r), None)


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


def ranked_metrics(rels: list[list[bool]], ks: list[int], mrr_k: int = 10, ndcg_k: int = 10) -> list[dict[str, float]]:
    """hit@k for each k of ``ks``, mrr@``mrr_k`` and binary ndcg@``ndcg_k`` of each ranked list, by ranx.

    ``rels`` holds one list of relevance flags per question, best passage first. The ideal
    ranking of nDCG holds the relevant passages retrieved (the only ones known: relevance comes
    from gold documents or evidence strings, not from judged passages). ranx names the first
    ``hit_rate``; ours are ``hit@k``, ``mrr@10`` and ``ndcg@10``, as in every report before.
    """
    if not rels:
        return []
    import warnings

    from ranx import Qrels, Run, evaluate

    names = {f"hit_rate@{k}": f"hit@{k}" for k in ks}
    names.update({f"mrr@{mrr_k}": f"mrr@{mrr_k}", f"ndcg@{ndcg_k}": f"ndcg@{ndcg_k}"})
    qrels, run = {}, {}
    for i, rel in enumerate(rels):
        q = f"q{i}"
        # a passage's id is its rank; scores keep our order; a question with no relevant passage
        # (or no passage) gets a relevant id that no run holds, so every metric is 0 for it
        qrels[q] = {f"r{j}": 1 for j, r in enumerate(rel) if r} or {"none": 1}
        run[q] = {f"r{j}": float(len(rel) - j) for j in range(len(rel))} or {"empty": 1.0}
    ranx_run = Run(run)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba's notes on integer casts
        evaluate(Qrels(qrels), ranx_run, list(names), save_results_in_run=True)
    scores = ranx_run.scores  # metric -> question id -> score
    return [{ours: float(scores[theirs][f"q{i}"]) for theirs, ours in names.items()} for i in range(len(rels))]


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
    """The ``q``-th percentile (0..100, numpy's linear interpolation); 0 for no values."""
    return float(np.percentile(values, q)) if len(values) else 0.0


# ------------------------------------------------------------------ confidence
def bootstrap_ci(values: list[float], n_resamples: int = 1000, seed: int = 0,
                 confidence: float = 0.95) -> tuple[float, float] | None:
    """Percentile-bootstrap confidence interval of the mean of ``values`` (scipy); None for no values.

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
    from scipy.stats import bootstrap

    res = bootstrap((v,), np.mean, n_resamples=n_resamples, confidence_level=confidence, method="percentile",
                    vectorized=True, random_state=np.random.default_rng(seed))
    lo, hi = res.confidence_interval
    return min(float(lo), mean), max(float(hi), mean)


# ------------------------------------------------------------------ significance
def paired_test(old: list[float], new: list[float], n_resamples: int = 10000,
                seed: int = 0) -> tuple[float, float] | None:
    """Two-sided p-values that two systems differ on a metric over the same questions: a paired
    randomisation test (each question's pair of values swapped at random, ``n_resamples``
    times, seeded) and a paired Student's t-test, both by scipy. None for fewer than two pairs;
    identical values give p = 1."""
    if len(old) != len(new):
        raise ValueError("a paired test needs the same questions on both sides")
    if len(old) < 2:
        return None
    a, b = np.asarray(old, dtype=np.float64), np.asarray(new, dtype=np.float64)
    if np.array_equal(a, b):
        return 1.0, 1.0
    import warnings

    from scipy.stats import permutation_test, ttest_rel

    rand = permutation_test((a, b), lambda x, y, axis: np.mean(x - y, axis=axis), permutation_type="samples",
                            vectorized=True, n_resamples=n_resamples, alternative="two-sided",
                            random_state=np.random.default_rng(seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the same difference on every question: scipy warns
        p_t = float(ttest_rel(a, b).pvalue)
    if np.isnan(p_t):  # no spread in the differences: certain when they are not zero
        p_t = 1.0 if float((b - a).mean()) == 0 else 0.0
    return float(rand.pvalue), p_t


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
