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
_CLAUSE = re.compile(r"[^，,；;：:]+[，,；;：:]?")
_PARAGRAPH = re.compile(r"[^\n]+")
_TRAILING_MARKERS = re.compile(r"(?:\s*" + MARKER.pattern + r")+")


def split_sentences(text: str, offset: int = 0, clauses: bool = False) -> list[tuple[int, int]]:
    """Spans ``(start, end)`` of the sentences of ``text``, shifted by ``offset``.

    Sentence spans are trimmed of surrounding whitespace. ``clauses=True`` returns the clauses
    of ``text`` instead (untrimmed, so that they join back into the text).
    """
    if clauses:
        return [(m.start() + offset, m.end() + offset) for m in _CLAUSE.finditer(text)]
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
