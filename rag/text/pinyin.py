"""Names across languages: an English question writes Chinese names in pinyin (Huaxia Biotech
for 华夏生物, Yinggu for 盈古), so a Chinese sentence is read in toneless pinyin to find them."""
from __future__ import annotations

import functools
import re

from .chars import CJK, has_cjk

_NAME = re.compile(r"\b[A-Z][a-z]{3,}\b")
_NOT_NAMES = set("what which when where whom whose does according there their these those about into from "
                 "with have many much long were after before since china chinese".split())
_CJK_RUN = re.compile(rf"[{CJK}]+")


@functools.lru_cache(maxsize=1)
def _syllables() -> frozenset[str]:
    """Every toneless pinyin syllable (from pypinyin's dictionary; ü written u or v)."""
    import unicodedata

    from pypinyin.pinyin_dict import pinyin_dict

    out = set()
    for readings in pinyin_dict.values():
        for r in readings.split(","):
            plain = "".join(ch for ch in unicodedata.normalize("NFKD", r) if not unicodedata.combining(ch))
            if plain.isascii() and plain.isalpha():
                out.add(plain.lower())
                if "\u0308" in unicodedata.normalize("NFKD", r):
                    out.add(plain.lower().replace("u", "v"))
    out -= {"m", "n", "ng", "hm", "hng", "r", "ê"}  # interjections: any English word would parse
    return frozenset(out)


@functools.lru_cache(maxsize=4096)
def is_pinyin(word: str) -> bool:
    """Does ``word`` split into pinyin syllables (Qingdao, Huaxia, Yinggu; not Zone, Biotech)?"""
    w = word.lower()
    syl = _syllables()
    ok = [True] + [False] * len(w)
    for i in range(1, len(w) + 1):
        ok[i] = any(ok[j] and w[j:i] in syl for j in range(max(0, i - 6), i))
    return ok[-1]


def pinyin_names(question: str) -> list[str]:
    """Capitalised words of an English question that read as pinyin: Chinese names (lower case)."""
    return list(dict.fromkeys(w.lower() for w in _NAME.findall(question or "")
                              if w.lower() not in _NOT_NAMES and is_pinyin(w)))


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
