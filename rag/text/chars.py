"""Characters: the one Chinese-character range, Unicode normalisation, Traditional/Simplified
folding, whitespace squashing."""
from __future__ import annotations

import functools
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


@functools.lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def fold(text: str) -> str:
    """Traditional Chinese folded to Simplified (OpenCC ``t2s``, characters and phrases), so that
    a bulletin published in either script matches a question asked in either. Simplified text
    and other languages pass unchanged. Only for matching: passages are stored, shown and
    cited as written."""
    if not text or not has_cjk(text):
        return text or ""
    return _t2s().convert(text)


def normalize(text: str) -> str:
    """NFKC (full-width letters and digits to ASCII), lower case, Traditional Chinese folded to
    Simplified: the form terms are matched in (lexical tokens, question words, term coverage)."""
    return fold(unicodedata.normalize("NFKC", text).lower())


def squash(text: str) -> str:
    """Text with all whitespace removed (comparisons that must ignore line breaks and spaces)."""
    return _WS.sub("", text or "")


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def escape_controls(text: str) -> str:
    """``text`` with line breaks, tabs and other control characters written as escapes (``\\n``),
    so a file name or a title holding them stays on one line of output."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text or "")
