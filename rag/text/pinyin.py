"""Names across languages: an English question writes Chinese names in pinyin (Huaxia Biotech
for 华夏生物, Yinggu for 盈古), so a Chinese sentence is read in toneless pinyin to find them."""
from __future__ import annotations

import functools
import re

from .chars import CJK, has_cjk

_NAME = re.compile(r"\b[A-Z][a-z]{3,}\b")
_NOT_NAMES = set("what which when where whom whose does according there their these those about into from "
                 "with have many much long were after before since".split())
_CJK_RUN = re.compile(rf"[{CJK}]+")


def pinyin_names(question: str) -> list[str]:
    """Capitalised words of an English question that may be Chinese names in pinyin (lower case)."""
    return list(dict.fromkeys(w.lower() for w in _NAME.findall(question or "") if w.lower() not in _NOT_NAMES))


@functools.lru_cache(maxsize=8192)
def romanized(text: str) -> str:
    """``text`` with its Chinese characters in toneless pinyin, lower case, without spaces."""
    if not has_cjk(text):
        return (text or "").lower()
    from pypinyin import Style, lazy_pinyin

    return _CJK_RUN.sub(lambda m: "".join(lazy_pinyin(m.group(), style=Style.NORMAL)), text).lower()


def names_found(names: list[str], text: str) -> float:
    """Share of ``names`` (from :func:`pinyin_names`) that ``text`` holds, read in pinyin."""
    if not names:
        return 0.0
    r = romanized(text)
    return sum(n in r for n in names) / len(names)
