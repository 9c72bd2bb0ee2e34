"""Chinese-aware BM25: tokenization and the bm25s index saved as arrays + JSON.

Two tokenizers: ``bigram`` (CJK character unigrams plus bigrams, latin words and numbers as
whole tokens) and ``jieba`` (jieba's search-mode words). Question words (多少, 什么, 哪…) are
removed from queries: they say what kind of answer is wanted, not where it is.
"""
from __future__ import annotations

import functools
import json
import re
import unicodedata
from pathlib import Path

import numpy as np

TOKENIZERS = ("bigram", "jieba")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[a-z0-9]+(?:[.%][0-9]+)*%?")
_QUESTION_WORDS = re.compile(
    r"多少|几(?=[个家位名条年月日天次项所种])|什么|哪些|哪个|哪家|哪里|哪儿|哪|是谁|谁|何时|何地|"
    r"如何|怎样|怎么|为什么|为何|是否|吗|呢|请问"
)
_STOP_CHARS = set("的了吗呢吧啊么")
_EN_STOP = set("a an the of to in on for and or is are was were be by with what which who whom "
               "how many much when where why did does do at from as that this it its".split())


def _normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def tokenize(text: str, scheme: str = "bigram") -> list[str]:
    """Index-side tokens of ``text``."""
    text = _normalize(text)
    if scheme == "jieba":
        return _jieba_tokens(text)
    if scheme != "bigram":
        raise ValueError(f"unknown lexical tokenizer {scheme!r}; choose one of {TOKENIZERS}")
    out: list[str] = []
    for m in _CJK.finditer(text):
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
    return tokenize(_QUESTION_WORDS.sub(" ", _normalize(text)), scheme)


@functools.lru_cache(maxsize=1)
def _jieba():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def _jieba_tokens(text: str) -> list[str]:
    out = []
    for w in _jieba().lcut_for_search(text):
        w = w.strip()
        if w and (w[0].isalnum() or "\u3400" <= w[0] <= "\u9fff") and w not in _STOP_CHARS \
                and w not in _EN_STOP:
            out.append(w)
    return out


class LexicalIndex:
    """BM25 over chunk texts (bm25s, Lucene variant)."""

    def __init__(self, scheme: str = "bigram", k1: float = 1.2, b: float = 0.75):
        import bm25s

        self.scheme = scheme
        self.bm25 = bm25s.BM25(k1=k1, b=b, method="lucene")
        self.n = 0

    @classmethod
    def build(cls, texts: list[str], scheme: str = "bigram") -> "LexicalIndex":
        idx = cls(scheme)
        idx.n = len(texts)
        if texts:
            idx.bm25.index([tokenize(t, scheme) or [""] for t in texts], show_progress=False)
        return idx

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for ``query`` (zeros when nothing matches)."""
        if not self.n:
            return np.zeros(0, np.float32)
        vocab = self.bm25.vocab_dict
        toks = [t for t in tokenize_query(query, self.scheme) if t in vocab]
        if not toks:
            return np.zeros(self.n, np.float32)
        return np.asarray(self.bm25.get_scores(toks), dtype=np.float32)

    def coverage(self, query: str, texts: list[str]) -> list[float]:
        """IDF-weighted share of the query's distinct tokens that occur in each text (0..1)."""
        qt = set(tokenize_query(query, self.scheme))
        if not qt:
            return [0.0 for _ in texts]
        idf = self._idf(qt)
        total = sum(idf.values()) or 1.0
        out = []
        for t in texts:
            tt = set(tokenize(t, self.scheme))
            out.append(sum(w for tok, w in idf.items() if tok in tt) / total)
        return out

    def doc_freq(self, tokens: list[str]) -> list[int]:
        """Number of passages holding each token."""
        df = getattr(self, "_df", None)
        if df is None:
            df = self._df = np.diff(self.bm25.scores["indptr"])  # passages per token (CSC columns)
        vocab = self.bm25.vocab_dict
        return [int(df[vocab[t]]) if t in vocab else 0 for t in tokens]

    def _idf(self, tokens: set[str]) -> dict[str, float]:
        n = max(self.n, 1)
        toks = list(tokens)
        return {t: float(np.log(1 + (n - d + 0.5) / (d + 0.5))) for t, d in zip(toks, self.doc_freq(toks))}

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "lexical.json").write_text(json.dumps({"scheme": self.scheme, "n": self.n}))
        if self.n:
            self.bm25.save(str(folder), allow_pickle=False, show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> "LexicalIndex":
        import bm25s

        meta = json.loads((folder / "lexical.json").read_text())
        idx = cls(meta["scheme"])
        idx.n = meta["n"]
        if idx.n:
            idx.bm25 = bm25s.BM25.load(str(folder), mmap=False, allow_pickle=False)
        return idx
