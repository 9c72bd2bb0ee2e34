"""How much of a question a piece of text repeats: the longest common substring, and the numbers
they share (features of the answer selector)."""
from __future__ import annotations

import re

from .chars import normalize
from .terms import QUESTION_WORDS

_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_PUNCT = re.compile(r"[\W_]+")


def plain(text: str) -> str:
    """``text`` normalised (:func:`rag.text.normalize`) without whitespace or punctuation."""
    return _PUNCT.sub("", normalize(text or ""))


def longest_common_substring(a: str, b: str) -> int:
    """Length of the longest run of characters ``a`` and ``b`` share (as given; no normalising).
    Each start in ``a`` only tries runs longer than the best so far, tested with ``in`` (C speed)."""
    best = 0
    for i in range(len(a)):
        j = i + best + 1
        while j <= len(a) and a[i:j] in b:
            best = j - i
            j += 1
    return best


def question_core(question: str) -> str:
    """A question as :func:`plain` text without its question words (多少, 什么, 哪...)."""
    return plain(QUESTION_WORDS.sub("", normalize(question or "")))


def numbers_of(text: str) -> set[str]:
    """The numbers written in digits in ``text`` (separators removed)."""
    return set(_NUMBER.findall(re.sub(r"[,，]", "", normalize(text or ""))))
