"""What the reranker sees of each passage of a shortlist: one row of numbers per passage.

Computed the same way at run time (:mod:`rag.search.rerank`) and when the model is trained
(:mod:`rag.train.reranker`): both call :func:`shortlist_features`. Passages are read only
through ``index.chunks_at(rows)``; the lexical statistics only through ``idf`` and ``scheme``.
The names and their order are part of the model file (``FEATURES``); a model trained on other features is refused.

Every value is finite (no NaN): a missing score takes the shortlist's floor.
"""
from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

import numpy as np

from ..text import language, normalize, tokenize, type_fit
from ..text.overlap import longest_common_substring
from ..text.terms import QUESTION_WORDS
from .query import Query

FEATURES = (
    # the first stage's scores and ranks
    "dense", "dense_gap", "dense_rank", "lexical", "lexical_norm", "lexical_rank", "fused", "fused_rank",
    "in_both",
    # what of the question the passage holds
    "term_coverage", "word_coverage", "word_bm25", "anchor_present", "lcs_chars", "lcs_share",
    "ordered_words", "numbers_shared", "numbers_in_question", "names_shared", "type_fit",
    # where the passage sits
    "title_coverage", "title_in_question", "caption", "chars", "first_passage",
    "doc_passages", "doc_best_fused",
    # the question
    "question_chars", "question_words", "cross_lingual",
)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_LATIN_NAME = re.compile(r"[a-z][a-z0-9\-]{2,}")
_QUOTED = re.compile(r"[《「“\"『]([^》」”\"』]{2,30})[》」”\"』]")


@functools.lru_cache(maxsize=32768)
def _normalized(text: str) -> str:
    """A passage's text (or title) in the form terms are matched in; passages recur across
    questions, so each is normalised (NFKC, lower case, folded) once while it stays in the cache."""
    return normalize(text)


@functools.lru_cache(maxsize=32768)
def _language(text: str) -> str:
    return language(text)


_type_fit = functools.lru_cache(maxsize=32768)(type_fit)


@dataclass(frozen=True)
class Candidate:
    """One passage of the shortlist with what the first stage knew of it."""

    row: int
    dense: float | None  # cosine to the question (None: lexical only and not scored)
    lexical: float | None  # BM25 in the index's scheme (None: not in the lexical list)
    fused: float  # the first stage's score
    fused_rank: int  # 1-based


def ordered_words(words: list[str], text: str) -> int:
    """The most question words found in ``text`` in the question's order (longest increasing run
    of first positions)."""
    positions = [text.find(w) for w in words]
    positions = [p for p in positions if p >= 0]
    tails: list[int] = []  # patience sorting: length of the longest increasing subsequence
    for p in positions:
        lo, hi = 0, len(tails)
        while lo < hi:
            mid = (lo + hi) // 2
            if tails[mid] < p:
                lo = mid + 1
            else:
                hi = mid
        tails[lo:lo + 1] = [p]
    return len(tails)


def _names(question: str, words: tuple[str, ...]) -> set[str]:
    """Names a question mentions, as far as can be told without a tagger: quoted titles, latin
    words, and its words of three or more Chinese characters."""
    names = {m.group(1) for m in _QUOTED.finditer(question)}
    names |= set(_LATIN_NAME.findall(normalize(question)))
    names |= {w for w in words if len(w) >= 3 and not w.isascii()}
    return {normalize(n) for n in names}


def _rank_of(values: dict[int, float]) -> dict[int, int]:
    order = sorted(values, key=lambda r: -values[r])
    return {r: i + 1 for i, r in enumerate(order)}


def shortlist_features(query: Query, index, candidates: list[Candidate]) -> np.ndarray:
    """A ``(len(candidates), len(FEATURES))`` float32 array, rows in ``candidates``' order."""
    n = len(candidates)
    out = np.zeros((n, len(FEATURES)), np.float32)
    if not n:
        return out
    scheme = index.scheme
    qtext = normalize(query.text)
    qcore = QUESTION_WORDS.sub("", qtext)
    qcore = re.sub(r"[\s?？。，,！!、：:；;]+", "", qcore)
    words = [normalize(w) for w in query.words]
    # a word's IDF: its rarest character bigram (or itself, for a latin word) in the index
    word_idf = {}
    for w in dict.fromkeys(words):
        toks = [t for t in tokenize(w, scheme) if len(t) > 1 or t.isascii()] or [w]
        idf = index.idf(toks) if len(index) else {t: 1.0 for t in toks}
        word_idf[w] = max(idf.values()) if idf else 1.0
    idf_total = sum(word_idf.values()) or 1.0
    anchors = sorted(word_idf, key=lambda w: -word_idf[w])[:2]
    qnums = set(_NUMBER.findall(qtext))
    names = _names(query.text, query.words)
    terms = query.terms  # bigrams or words: found in the passage as substrings
    terms_total = sum(terms.values()) or 1.0
    num_patterns = [re.compile(rf"(?<![\d.]){re.escape(x)}(?![\d])") for x in qnums]

    dense = {c.row: c.dense for c in candidates if c.dense is not None}
    lex = {c.row: c.lexical for c in candidates if c.lexical is not None}
    d_floor = min(dense.values()) if dense else 0.0
    d_max = max(dense.values()) if dense else 0.0
    l_max = max(lex.values()) if lex else 0.0
    d_rank, l_rank = _rank_of(dense), _rank_of(lex)
    chunks = index.chunks_at([c.row for c in candidates])
    per_doc: dict[str, list[float]] = {}
    for c, ch in zip(candidates, chunks):
        per_doc.setdefault(ch.doc_id, []).append(c.fused)

    for i, (c, ch) in enumerate(zip(candidates, chunks)):
        text = _normalized(ch.embed_text())
        head = _normalized(f"{ch.title} {ch.section}")
        d = dense.get(c.row, d_floor)
        lx = lex.get(c.row, 0.0)
        present = [w for w in words if w in text]
        lcs = longest_common_substring(qcore, text) if qcore else 0
        row = {
            "dense": d, "dense_gap": d - d_max, "dense_rank": d_rank.get(c.row, n + 1),
            "lexical": lx, "lexical_norm": lx / l_max if l_max > 0 else 0.0,
            "lexical_rank": l_rank.get(c.row, n + 1), "fused": c.fused, "fused_rank": c.fused_rank,
            "in_both": float(c.row in dense and c.row in lex),
            "term_coverage": sum(w for t, w in terms.items() if t in text) / terms_total,
            "word_coverage": len(present) / len(words) if words else 0.0,
            "word_bm25": sum(word_idf[w] * math.log1p(text.count(w)) for w in present) / idf_total,
            "anchor_present": float(sum(a in text for a in anchors)) / max(len(anchors), 1),
            "lcs_chars": lcs, "lcs_share": lcs / len(qcore) if qcore else 0.0,
            "ordered_words": ordered_words(words, text) / len(words) if words else 0.0,
            "numbers_shared": sum(bool(p.search(text)) for p in num_patterns) / len(qnums) if qnums else 0.0,
            "numbers_in_question": len(qnums),
            "names_shared": sum(x in text for x in names) / len(names) if names else 0.0,
            "type_fit": _type_fit(query.asked, ch.text),
            "title_coverage": sum(w in head for w in words) / len(words) if words else 0.0,
            "title_in_question": float(bool(ch.title) and _normalized(ch.title) in qtext),
            "caption": float(ch.kind == "caption"), "chars": math.log1p(len(ch.text)),
            "first_passage": float(ch.start == 0),
            "doc_passages": len(per_doc[ch.doc_id]), "doc_best_fused": max(per_doc[ch.doc_id]),
            "question_chars": math.log1p(len(qtext)), "question_words": len(words),
            "cross_lingual": float(query.lang != _language(ch.text)),
        }
        out[i] = [row[f] for f in FEATURES]
    return out
