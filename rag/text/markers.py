"""Citation markers: ``[1]``, ``[1, 2]``, ``【1】``, ``［1］`` after a claim.

One pattern for everything that reads markers: the citation checker, the streaming answer
splitter, the answer metrics and the UI's links.
"""
from __future__ import annotations

import re

MARKER = re.compile(r"[\[【［]\s*(\d+(?:\s*[,，、]\s*\d+)*)\s*[\]】］]")
_SEPARATOR = re.compile(r"\s*[,，、]\s*")


def marker_numbers(match: re.Match) -> list[int]:
    """The numbers one marker holds (``[1, 2]`` holds 1 and 2)."""
    return [int(n) for n in _SEPARATOR.split(match.group(1))]


def strip_markers(text: str) -> str:
    """``text`` without its citation markers."""
    return MARKER.sub("", text or "")
