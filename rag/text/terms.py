"""Terms: the lexical tokenisers, a question's content words, and how much of a question a text holds.

Two tokenisers: ``bigram`` (Chinese character unigrams plus bigrams, latin words and numbers as
whole tokens) and ``jieba`` (jieba's search-mode words). Question words (多少, 什么, 哪…) are
removed from queries: they say what kind of answer is wanted, not where it is.
"""
from __future__ import annotations

import functools
import re
import sqlite3
from pathlib import Path

from .chars import CJK, normalize

TOKENIZERS = ("bigram", "jieba")
_RUN = re.compile(rf"[{CJK}]+|[a-z0-9]+(?:[.%][0-9]+)*%?")
_CJK_START = re.compile(rf"[{CJK}]")
QUESTION_WORDS = re.compile(
    r"多少|几(?=[个家位名条年月日天次项所种])|什么|哪些|哪个|哪家|哪里|哪儿|哪|是谁|谁|何时|何地|"
    r"如何|怎样|怎么|为什么|为何|是否|吗|呢|请问"
)
_STOP_CHARS = set("的了吗呢吧啊么")
_EN_STOP = set("a an the of to in on for and or is are was were be by with what which who whom "
               "how many much when where why did does do at from as that this it its".split())


def check_scheme(scheme: str) -> str:
    if scheme not in TOKENIZERS:
        raise ValueError(f"unknown lexical tokenizer {scheme!r}; choose one of {TOKENIZERS}")
    return scheme


def tokenize(text: str, scheme: str = "bigram") -> list[str]:
    """Index-side tokens of ``text``."""
    text = normalize(text)
    if scheme == "jieba":
        return _jieba_tokens(text)
    check_scheme(scheme)
    out: list[str] = []
    for m in _RUN.finditer(text):
        run = m.group()
        if run[0].isascii():
            if run not in _EN_STOP:
                out.append(run)
            continue
        out.extend(ch for ch in run if ch not in _STOP_CHARS)
        out.extend(run[i:i + 2] for i in range(len(run) - 1))
    return out


def tokenize_query(text: str, scheme: str = "bigram") -> list[str]:
    """Query-side tokens: question words removed first."""
    return tokenize(QUESTION_WORDS.sub(" ", normalize(text)), scheme)


_lexicon_folder: Path | None = None


def use_lexicon(folder: Path | None) -> None:
    """From now on, read jieba's dictionary a word at a time from the lexicon under ``folder``
    (:mod:`rag.text.lexicon`; built there if missing) instead of loading it whole; ``None``: load
    it whole (the default). The same words either way; a one-shot command saves ~1.3 s."""
    global _lexicon_folder
    _lexicon_folder = Path(folder) if folder is not None else None


def jieba():
    """A jieba tokenizer (``lcut``, ``lcut_for_search``, ``FREQ``), its dictionary ready."""
    lexicon = _lexicon()
    return lexicon.words if lexicon is not None else _whole_jieba()


def pos_tokenizer():
    """jieba's part-of-speech tokenizer (``lcut`` gives word/flag pairs) over the same dictionary."""
    lexicon = _lexicon()
    if lexicon is not None:
        return lexicon.pos
    _whole_jieba()
    import jieba.posseg

    return jieba.posseg.dt


def _lexicon():
    if _lexicon_folder is None:
        return None
    from .lexicon import open_lexicon

    try:
        return open_lexicon(_lexicon_folder)
    except (OSError, sqlite3.Error):  # a folder we cannot write, a damaged file: load jieba whole
        return None


@functools.lru_cache(maxsize=1)
def _whole_jieba():
    """jieba's default tokenizer, its whole dictionary loaded once, quietly."""
    import logging

    import jieba as _jieba

    _jieba.setLogLevel(logging.WARNING)
    _jieba.initialize()
    return _jieba.dt


def word_frequency(word: str) -> int:
    """How often jieba's dictionary counts ``word`` (everyday words count high)."""
    return jieba().FREQ.get(word, 0)


@functools.lru_cache(maxsize=1024)
def word_tags(text: str) -> dict[str, str]:
    """jieba's part-of-speech tag of each word of ``text`` (``nr`` a person's name, ``ns`` a place,
    ``nt`` an organisation, ``nz`` another proper noun, ``n`` a common noun, ``v`` a verb...)."""
    return {p.word: p.flag for p in pos_tokenizer().lcut(normalize(text))}


def _jieba_tokens(text: str) -> list[str]:
    out = []
    for w in jieba().lcut_for_search(text):
        w = w.strip()
        if w and (w[0].isalnum() or _CJK_START.match(w)) and w not in _STOP_CHARS and w not in _EN_STOP:
            out.append(w)
    return out


def question_words(question: str) -> list[str]:
    """Content words of a question (jieba), without question words and one-character words."""
    words = []
    for w in jieba().lcut(QUESTION_WORDS.sub(" ", normalize(question))):
        w = w.strip()
        if len(w) > 1 and (w.isalnum() or _CJK_START.search(w)):
            words.append(w)
    return words


def question_terms(words: list[str]) -> list[str]:
    """Terms for judging answers (``bigram`` scheme): the character bigrams inside each of the
    question's words (so 学打 in 大学/打造 is not a term), and its latin words and numbers."""
    terms: list[str] = []
    for word in words:
        terms.extend(t for t in tokenize(word, "bigram") if len(t) > 1 or t.isascii())
    return terms


def coverage(weights: dict[str, float], text_tokens: set[str]) -> float:
    """Weighted share of the terms (``term -> weight``, IDF mostly) found among ``text_tokens``."""
    total = sum(weights.values())
    if not total:
        return 0.0
    return sum(w for t, w in weights.items() if t in text_tokens) / total
