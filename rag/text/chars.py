"""Characters: the one Chinese-character range, Unicode normalisation, whitespace squashing."""
from __future__ import annotations

import re
import unicodedata

# CJK Unified Ideographs, Extension A and the compatibility ideographs: every Chinese character
# the project recognises, in every pattern that needs one.
CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_CHAR = re.compile(f"[{CJK}]")
_WS = re.compile(r"\s+")


def has_cjk(text: str) -> bool:
    """Does ``text`` hold a Chinese character?"""
    return bool(CJK_CHAR.search(text or ""))


def count_cjk(text: str) -> int:
    """How many Chinese characters ``text`` holds."""
    return len(CJK_CHAR.findall(text or ""))


def normalize(text: str) -> str:
    """NFKC (full-width letters and digits to ASCII) and lower case: the form terms are matched in."""
    return unicodedata.normalize("NFKC", text).lower()


def squash(text: str) -> str:
    """Text with all whitespace removed (comparisons that must ignore line breaks and spaces)."""
    return _WS.sub("", text or "")


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def escape_controls(text: str) -> str:
    """``text`` with line breaks, tabs and other control characters written as escapes (``\\n``),
    so a file name or a title holding them stays on one line of output."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text or "")
