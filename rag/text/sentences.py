"""Sentences and clauses: one splitter for chunking, answer selection and citation checks.

A sentence ends at ``。！？；…`` or ``.!?;`` (a full stop only before a space or the end), closing
quotes and brackets staying with it, or at a line break. In clause mode a sentence is cut further
at ``，,；;：:`` (each clause keeps its punctuation). :func:`sentence_ends` reads generated
answers, where citation markers after a full stop (``grew. [2]``) belong to the sentence before.
"""
from __future__ import annotations

import re

from .markers import MARKER

SENTENCE_END = re.compile(r"(?:[。！？；]|…+|[!?;]+|\.(?=\s|$))[”’」』\"')）]*")
_PARAGRAPH = re.compile(r"[^\n]+")
_TRAILING_MARKERS = re.compile(r"(?:\s*" + MARKER.pattern + r")+")


def split_sentences(text: str, offset: int = 0, clauses: bool = False) -> list[tuple[int, int]]:
    """Spans ``(start, end)`` of the sentences of ``text``, shifted by ``offset``.

    Sentence spans are trimmed of surrounding whitespace. ``clauses=True`` returns the clauses
    of ``text`` instead (untrimmed, so that they join back into the text).
    """
    if clauses:
        return [(a + offset, b + offset) for a, b in _clause_spans(text)]
    spans: list[tuple[int, int]] = []
    for para in _PARAGRAPH.finditer(text):
        start = para.start()
        for m in SENTENCE_END.finditer(para.group()):
            end = para.start() + m.end()
            if text[start:end].strip():
                spans.append((start, end))
            start = end
        if text[start:para.end()].strip():
            spans.append((start, para.end()))
    out = []
    for s, e in spans:
        seg = text[s:e]
        s += len(seg) - len(seg.lstrip())
        e -= len(seg) - len(seg.rstrip())
        out.append((s + offset, e + offset))
    return out


_OPEN, _CLOSE = "（(《「『“【[", "）)》」』”】]"
_CLAUSE_END = set("，,；;：:")


def _clause_spans(text: str) -> list[tuple[int, int]]:
    """Clause spans, cut after ``，,；;：:``, but not inside brackets or quotes that close again
    (《书名，副题》, （1954年，黑白）) nor in a number's thousands separator (2,400)."""
    inside = [False] * len(text)
    stack: list[tuple[str, int]] = []
    for n, ch in enumerate(text):
        if ch in _OPEN:
            stack.append((_CLOSE[_OPEN.index(ch)], n))
        elif ch in _CLOSE:
            while stack and stack[-1][0] != ch:
                stack.pop()  # an opening bracket never closed: ignored
            if stack:
                _, start = stack.pop()
                inside[start:n] = [True] * (n - start)
    spans, start = [], 0
    for n, ch in enumerate(text):
        if ch not in _CLAUSE_END or inside[n]:
            continue
        if ch == "," and 0 < n < len(text) - 1 and text[n - 1].isdigit() and text[n + 1].isdigit():
            continue
        spans.append((start, n + 1))
        start = n + 1
    if start < len(text):
        spans.append((start, len(text)))
    return [(a, b) for a, b in spans if b > a]


def clauses(text: str) -> list[str]:
    """The clauses of ``text`` (clause mode of :func:`split_sentences`), as strings."""
    return [text[a:b] for a, b in split_sentences(text, clauses=True)]


def sentence_ends(text: str) -> list[int]:
    """End offsets of the sentences of a generated answer, each with the markers that follow
    its full stop (``grew. [2]``). Blank stretches do not count as sentences."""
    ends, pos = [], 0
    for m in re.finditer(SENTENCE_END.pattern + r"|\n", text):
        end = m.end()
        tail = _TRAILING_MARKERS.match(text, end)
        if tail:
            end = tail.end()
        if end <= pos:
            continue
        if text[pos:end].strip():
            ends.append(end)
        pos = end
    if text[pos:].strip():
        ends.append(len(text))
    return ends
