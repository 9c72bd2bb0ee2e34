"""Checking an LLM's citations against the passages it was given.

Every sentence of a generated answer is checked on its own: each ``[n]`` it ends with must point
to a passage that supports it. Support is judged by the sentence's characters found in the
passage (character bigrams, which suit Chinese), with the meaning (cosine) as a second chance for
paraphrases and other languages; every number the sentence states must appear in the passage.

A marker that points nowhere is removed. A marker to a passage that does not support the
sentence is moved to the passage that does, or dropped. A claim no passage supports keeps no
marker and is flagged, and the answer is marked ``unsupported``. Markers are renumbered 1, 2, …
in the order they first appear, and each number becomes a :class:`Citation`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from ..config import CitationSettings
from ..text import MARKER, language, marker_numbers, normalize, sentence_ends, split_sentences
from ..types import Citation, Hit

_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_SPACED_MARKER = re.compile(r"\s*" + MARKER.pattern)
UNSUPPORTED_MARK = {"zh": "（此句未在资料中找到依据）", "en": " (not supported by the passages)"}


def _bigrams(text: str) -> set[str]:
    t = re.sub(r"[\W_]+", "", normalize(text))
    return {t[i:i + 2] for i in range(len(t) - 1)} if len(t) > 1 else ({t} if t else set())


def char_overlap(claim: str, passage: str) -> float:
    """Share of the claim's character bigrams found in the passage (0..1)."""
    c = _bigrams(claim)
    return len(c & _bigrams(passage)) / len(c) if c else 0.0


def numbers_found(claim: str, passage: str) -> bool:
    """Every number in the claim appears in the passage (digits compared without separators)."""
    p = re.sub(r"[,，\s]", "", passage)
    return all(n in p for n in _NUMBER.findall(re.sub(r"[,，]", "", claim)))


def split_answer(text: str) -> list[tuple[str, list[int]]]:
    """``(sentence, markers)`` pairs: each sentence with the marker numbers it carries.

    Markers sit before or just after the sentence's closing punctuation (``…增长[2]。`` or
    ``grew. [2]``); both are read. ``[1, 2]`` and ``【1】`` count as ``[1][2]`` and ``[1]``.
    """
    out, start = [], 0
    for end in sentence_ends(text):
        out.append(_strip_markers(text[start:end]))
        start = end
    return out


def _strip_markers(sentence: str) -> tuple[str, list[int]]:
    nums = [n for m in MARKER.finditer(sentence) for n in marker_numbers(m)]
    return _SPACED_MARKER.sub("", sentence).strip(), nums


@dataclass
class CitationChecker:
    """Checks sentences one at a time (so a streamed answer can be checked as it arrives)."""

    hits: list[Hit]
    lang: str = "zh"
    embedder: object | None = None  # an Embedder, for the meaning check
    settings: CitationSettings = field(default_factory=CitationSettings)
    citations: list[Citation] = field(default_factory=list)
    unsupported: bool = False
    dropped: list[int] = field(default_factory=list)  # markers removed (out of range or unsupported)
    _number_of: dict[int, int] = field(default_factory=dict)  # hit index -> citation number
    _passage_vecs: object = None
    _passage_langs: list[str] | None = None

    def _cosines(self, claim: str) -> np.ndarray | None:
        if self.embedder is None or not self.hits:
            return None
        if self._passage_vecs is None:
            self._passage_vecs = self.embedder.embed_passages([h.chunk.embed_text() for h in self.hits], urgent=True)
        return self._passage_vecs @ self.embedder.embed_queries([claim])[0]

    def support(self, claim: str) -> list[float]:
        """How well each passage supports the claim: 0 when it does not, else a score (higher is better)."""
        cos = None
        scores = []
        claim_lang = language(claim)
        if self._passage_langs is None:
            self._passage_langs = [language(h.chunk.text) for h in self.hits]
        passage_langs = self._passage_langs
        for i, h in enumerate(self.hits):
            text = f"{h.chunk.title} {h.chunk.section} {h.chunk.author} {h.chunk.date} {h.chunk.text}"
            if not numbers_found(claim, text):
                scores.append(0.0)
                continue
            same = claim_lang == passage_langs[i]
            ov = char_overlap(claim, text) if same else 0.0
            if ov >= self.settings.min_overlap:
                scores.append(1.0 + ov)
                continue
            if cos is None:
                cos = self._cosines(claim)
            if cos is None:
                scores.append(0.0)
                continue
            floor = self.settings.min_cosine - (0.0 if same else self.settings.cross_offset)
            scores.append(float(cos[i]) if cos[i] >= floor else 0.0)
        return scores

    def _number(self, hit_index: int, claim: str) -> int:
        if hit_index not in self._number_of:
            n = len(self.citations) + 1
            self._number_of[hit_index] = n
            h = self.hits[hit_index]
            c = h.chunk
            self.citations.append(Citation(n, c.chunk_id, c.doc_id, c.title, c.section, best_quote(claim, c.text),
                                           round(float(h.relevance), 4), c.author, c.date, c.kind))
        return self._number_of[hit_index]

    def check(self, sentence: str, markers: list[int]) -> str:
        """The sentence with verified, renumbered markers (or flagged when nothing supports it)."""
        claim = sentence.strip()
        body, end = (claim[:-1], claim[-1]) if claim and claim[-1] in "。！？!?.；;" else (claim, "")
        if len(_bigrams(body)) < 3 and not markers:  # "好的", "Yes." — nothing to cite
            return claim
        in_range = [m for m in markers if 1 <= m <= len(self.hits)]
        self.dropped.extend(m for m in markers if m not in in_range)
        scores = self.support(body)
        keep = [m - 1 for m in dict.fromkeys(in_range) if scores[m - 1] > 0]
        self.dropped.extend(m for m in in_range if scores[m - 1] <= 0)
        if not keep and scores and max(scores) > 0:
            keep = [int(np.argmax(scores))]  # fix: the passage that does support it
        if not keep:
            self.unsupported = True
            return body + UNSUPPORTED_MARK[self.lang] + end
        marks = "".join(f"[{self._number(i, body)}]" for i in keep)
        sep = " " if self.lang == "en" else ""
        return f"{body}{sep}{marks}{end}"


def best_sentence(claim: str, passage: str) -> tuple[int, int]:
    """``(start, end)`` of the passage sentence sharing most characters with the claim."""
    spans = split_sentences(passage) or [(0, len(passage))]
    return max(spans, key=lambda ab: char_overlap(claim, passage[ab[0]:ab[1]]))


def best_quote(claim: str, passage: str) -> str:
    """The passage sentence that best matches the claim (the one to highlight)."""
    a, b = best_sentence(claim, passage)
    return passage[a:b]


def verify(text: str, hits: list[Hit], lang: str = "zh", embedder=None,
           settings: CitationSettings = CitationSettings()) -> tuple[str, CitationChecker]:
    """Check every sentence of an answer; returns the cleaned text and the checker's findings."""
    checker = CitationChecker(hits, lang, embedder, settings)
    joiner = "" if lang == "zh" else " "
    parts = [checker.check(s, m) for s, m in split_answer(text)]
    return joiner.join(p for p in parts if p), checker
