"""BM25 over passages (the Lucene variant, as bm25s computes it), from raw term frequencies kept
as numpy arrays that are memory-mapped when an index opens: nothing is parsed into Python objects.

A segment of the index (:mod:`.segment`) stores, in ``lexical/``::

    lexical.json            scheme, passages, k1, b, terms
    data.csc.index.npy      raw frequency of each (term, passage) pair, column by column (CSC)
    indices.csc.index.npy   the passage row (in the segment) of each frequency
    indptr.csc.index.npy    where each term's column starts
    terms.npy               xxh64 of each term, sorted (uint64)
    term_cols.npy           the column of each hashed term
    lengths.npy             tokens in each passage (int32)

Weights are not baked in: :class:`LexicalIndex` computes them when a query comes, from the
frequencies of every live segment and the statistics of the whole index (passages, average
length, and each query term's document frequency counted over live rows), so a passage scores
the same whichever segment holds it and however many segments there are. Scores equal
bm25s's "lucene" method (``tests/index/test_bm25.py`` compares them).

Terms are looked up by their 64-bit hash (a collision among a few million terms has a chance
of about 1e-7, and would only merge two terms' columns), so the vocabulary costs 16 bytes a
term on disk and nothing in memory until a query reads it. Tokenisation is
:func:`rag.text.tokenize`; a query arrives already tokenised (:attr:`rag.search.Query.tokens`).
"""
from __future__ import annotations

import json
from array import array
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import xxhash

from ...text import check_scheme, tokenize
from .arrays import load_array

ARRAYS = ("data", "indices", "indptr")
K1, B = 1.2, 0.75
# live passages from which top-k search prunes common terms (measured on crud-news questions:
# at 83k passages scoring everything is faster, 2.5 vs 3.4 ms; at 1M pruning is, 30 vs 68 ms)
PRUNE_FROM = 200_000
RARE_SHARE = 0.01  # terms in at most this share of the passages are scored before any pruning


def _best(scores: np.ndarray, rows: np.ndarray | None, k: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
    """The ``k`` highest positive ``scores`` (of ``rows``; None: of rows 0, 1, ...), best first,
    ties in row order."""
    if allowed is not None:
        keep = np.zeros(len(scores), bool)
        keep[allowed] = True
        scores = np.where(keep, scores, 0)
    cand = np.flatnonzero(scores > 0)  # ascending: ties keep row order
    if len(cand) > k:  # the k-th best score, and of the passages tied at it, the first rows
        sc = scores[cand]
        kth = np.partition(sc, len(sc) - k)[len(sc) - k]
        above = cand[sc > kth]
        cand = np.sort(np.concatenate([above, cand[sc == kth][:k - len(above)]]))
    top = cand[np.argsort(-scores[cand], kind="stable")]
    return [(int(i if rows is None else rows[i]), float(scores[i])) for i in top]


def term_hash(term: str) -> int:
    return xxhash.xxh64_intdigest(term.encode("utf-8"))


class TermFrequencies:
    """One segment's BM25 data: raw term frequencies by hashed term, and passage lengths."""

    def __init__(self, scheme: str = "bigram", n: int = 0, data=None, indices=None, indptr=None,
                 terms=None, term_cols=None, lengths=None, k1: float = K1, b: float = B):
        self.scheme = scheme
        self.n = n
        self.k1, self.b = k1, b
        self.data = data if data is not None else np.zeros(0, np.float32)
        self.indices = indices if indices is not None else np.zeros(0, np.int32)
        self.indptr = indptr if indptr is not None else np.zeros(1, np.int64)
        self.terms = terms if terms is not None else np.zeros(0, np.uint64)
        self.term_cols = term_cols if term_cols is not None else np.zeros(0, np.int32)
        self.lengths = lengths if lengths is not None else np.zeros(0, np.int32)

    # ------------------------------------------------------------ building
    @classmethod
    def build(cls, texts: Iterable[str], scheme: str = "bigram", k1: float = K1, b: float = B) -> "TermFrequencies":
        """Frequencies over ``texts`` (any iterable: read once, one passage at a time)."""
        scheme = check_scheme(scheme)
        vocab: dict[str, int] = {}
        cols, tfs, lengths, distinct = array("i"), array("f"), array("i"), array("i")
        for text in texts:
            toks = tokenize(text, scheme) or [""]
            counts = Counter(toks)
            lengths.append(len(toks))
            distinct.append(len(counts))
            cols.extend([vocab.setdefault(t, len(vocab)) for t in counts])
            tfs.extend(counts.values())
        n = len(lengths)
        hashes = np.fromiter((term_hash(t) for t in vocab), dtype=np.uint64, count=len(vocab))
        col = np.frombuffer(cols, dtype=np.int32)
        rows = np.repeat(np.arange(n, dtype=np.int32), np.frombuffer(distinct, dtype=np.int32))
        return cls.from_postings(scheme, hashes[col] if len(col) else np.zeros(0, np.uint64), rows,
                                 np.frombuffer(tfs, dtype=np.float32), np.frombuffer(lengths, dtype=np.int32).copy(),
                                 k1, b)

    @classmethod
    def from_postings(cls, scheme: str, hashes: np.ndarray, rows: np.ndarray, tf: np.ndarray,
                      lengths: np.ndarray, k1: float = K1, b: float = B) -> "TermFrequencies":
        """From one (term hash, row, frequency) triple per pair, in any order; a row appears
        at most once per term."""
        order = np.lexsort((rows, hashes))
        hashes = np.asarray(hashes, np.uint64)[order]
        terms, starts = np.unique(hashes, return_index=True)
        indptr = np.append(starts, len(hashes)).astype(np.int64)
        return cls(scheme, len(lengths), np.asarray(tf, np.float32)[order], np.asarray(rows, np.int32)[order],
                   indptr, terms, np.arange(len(terms), dtype=np.int32), np.asarray(lengths, np.int32), k1, b)

    def postings(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every (term hash, row, frequency) triple, for a merge."""
        col_hash = np.empty(len(self.terms), np.uint64)
        col_hash[np.asarray(self.term_cols)] = np.asarray(self.terms)
        counts = np.diff(np.asarray(self.indptr))
        return np.repeat(col_hash, counts), np.asarray(self.indices), np.asarray(self.data)

    # ------------------------------------------------------------ reading
    def columns_of(self, hashes: np.ndarray) -> np.ndarray:
        """The column of each term hash (-1 for one this segment does not hold)."""
        if not len(hashes) or not len(self.terms):
            return np.full(len(hashes), -1, np.int64)
        pos = np.minimum(np.searchsorted(self.terms, hashes), len(self.terms) - 1)
        found = np.asarray(self.terms[pos]) == hashes
        return np.where(found, np.asarray(self.term_cols[pos]), -1).astype(np.int64)

    def column(self, c: int) -> tuple[np.ndarray, np.ndarray]:
        s, e = int(self.indptr[c]), int(self.indptr[c + 1])
        return np.asarray(self.indices[s:e]), np.asarray(self.data[s:e])

    # ------------------------------------------------------------ files
    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "lexical.json").write_text(json.dumps({"scheme": self.scheme, "n": self.n, "k1": self.k1,
                                                         "b": self.b, "terms": int(len(self.terms))}))
        for name in ARRAYS:
            np.save(folder / f"{name}.csc.index.npy", np.asarray(getattr(self, name)), allow_pickle=False)
        np.save(folder / "terms.npy", np.asarray(self.terms), allow_pickle=False)
        np.save(folder / "term_cols.npy", np.asarray(self.term_cols), allow_pickle=False)
        np.save(folder / "lengths.npy", np.asarray(self.lengths, np.int32), allow_pickle=False)

    @classmethod
    def load(cls, folder: Path, mmap: bool = True) -> "TermFrequencies":
        """The arrays in ``folder``, memory-mapped (read-only) unless ``mmap`` is False."""
        meta = json.loads((folder / "lexical.json").read_text())
        arrays = {name: load_array(folder / f"{name}.csc.index.npy", mmap) for name in ARRAYS}
        return cls(meta["scheme"], int(meta["n"]), arrays["data"], arrays["indices"], arrays["indptr"],
                   load_array(folder / "terms.npy", mmap), load_array(folder / "term_cols.npy", mmap),
                   load_array(folder / "lengths.npy", mmap), float(meta.get("k1", K1)), float(meta.get("b", B)))


@dataclass
class Part:
    """A segment's frequencies as seen from the whole index: its rows ``0..tf.n-1`` are global
    rows ``base + i`` (no deleted rows) or ``glob[i]`` (-1: deleted)."""

    tf: TermFrequencies
    base: int = 0
    glob: np.ndarray | None = None
    live_rows: np.ndarray | None = None  # place among the live rows -> row (derived from glob when None)

    def __post_init__(self) -> None:
        if self.glob is not None and self.live_rows is None:
            self.live_rows = np.flatnonzero(np.asarray(self.glob) >= 0)

    def local_of(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Of global ``rows``: the positions of those this part holds, and their rows in it."""
        places = rows - self.base
        n_live = self.tf.n if self.live_rows is None else len(self.live_rows)
        inside = np.flatnonzero((places >= 0) & (places < n_live))
        places = places[inside]
        return inside, (places if self.live_rows is None else np.asarray(self.live_rows)[places])


class LexicalIndex:
    """BM25 over the live passages of one or more segments: scores, document frequencies, IDF."""

    def __init__(self, parts: Sequence[Part], n: int, total_len: int, scheme: str = "bigram",
                 k1: float = K1, b: float = B):
        self.parts = list(parts)
        self.n = n
        self.total_len = total_len
        self.scheme = scheme
        self.k1, self.b = k1, b
        self._norms: list[np.ndarray | None] = [None] * len(self.parts)  # per part, on first query

    @classmethod
    def build(cls, texts: Iterable[str], scheme: str = "bigram", k1: float = K1, b: float = B) -> "LexicalIndex":
        """BM25 over ``texts`` held in memory (one segment, nothing deleted)."""
        tf = TermFrequencies.build(texts, scheme, k1, b)
        return cls([Part(tf)], tf.n, int(np.sum(tf.lengths, dtype=np.int64)), tf.scheme, k1, b)

    # ------------------------------------------------------------ reading
    def _norm(self, p: int) -> np.ndarray:
        """Part ``p``'s BM25 length normalisation per row, ``k1 * (1 - b + b * length / avg)``:
        fixed while this index is open (the average length is the live rows')."""
        norm = self._norms[p]
        if norm is None:
            avg = np.float32(self.total_len / max(self.n, 1))
            lengths = np.asarray(self.parts[p].tf.lengths, np.float32)
            norm = self._norms[p] = np.float32(self.k1) * ((1 - np.float32(self.b)) + np.float32(self.b) * lengths / avg)
        return norm

    def _columns(self, h: np.ndarray) -> list[np.ndarray]:
        """Per part: the column of each term hash in ``h`` (-1: not there)."""
        return [part.tf.columns_of(h) for part in self.parts]

    def _postings(self, h: np.ndarray, cols: list[np.ndarray] | None = None,
                  only: Sequence[int] | None = None) -> list[list[tuple[np.ndarray, np.ndarray, np.ndarray]]]:
        """For each term hash in ``h`` (or only those at positions ``only``): its live postings
        per segment, as (global rows, tf, the rows' length normalisation)."""
        cols = self._columns(h) if cols is None else cols
        out: list[list] = [[] for _ in range(len(h))]
        for p, part in enumerate(self.parts):
            for i in (range(len(h)) if only is None else only):
                c = cols[p][i]
                if c < 0:
                    continue
                rows, tf = part.tf.column(int(c))
                norm = self._norm(p)[rows]
                if part.glob is None:
                    out[i].append((rows.astype(np.int64) + part.base, tf, norm))
                else:
                    g = np.asarray(part.glob[rows])
                    live = g >= 0
                    out[i].append((g[live].astype(np.int64), tf[live], norm[live]))
        return out

    @staticmethod
    def _hashes(tokens: list[str]) -> np.ndarray:
        return np.fromiter((term_hash(t) for t in tokens), dtype=np.uint64, count=len(tokens))

    def _idf(self, df: int) -> float:
        n = max(self.n, 1)
        return float(np.log(1 + (n - df + 0.5) / (df + 0.5)))

    def scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 score of every live passage for query ``tokens`` (zeros when none is in the index).
        A token repeated in the query counts once per repetition, as in bm25s. Every term's
        weighted postings are summed in one pass (``np.bincount``), in float64."""
        counts = Counter(tokens)
        if not counts or not self.n:
            return np.zeros(self.n, np.float32)
        distinct = list(counts)
        rows, weights = [], []
        for tok, found in zip(distinct, self._postings(self._hashes(distinct))):
            df = sum(len(g) for g, _, _ in found)
            if not df:
                continue
            idf = np.float32(self._idf(df) * counts[tok])
            for g, tf, norm in found:  # a column holds each passage once
                rows.append(g)
                weights.append(idf * (tf / (norm + tf)))
        if not rows:
            return np.zeros(self.n, np.float32)
        return np.bincount(np.concatenate(rows), np.concatenate(weights), minlength=self.n).astype(np.float32)

    def doc_freq(self, tokens: list[str]) -> list[int]:
        """Number of live passages holding each token (column lengths; a segment with deleted rows
        counts its live ones)."""
        return [int(d) for d in self._doc_freqs(self._columns(self._hashes(list(tokens))))]

    def _doc_freqs(self, cols: list[np.ndarray]) -> np.ndarray:
        out = np.zeros(len(cols[0]) if cols else 0, np.int64)
        for part, part_cols in zip(self.parts, cols):
            for i, c in enumerate(part_cols):
                if c < 0:
                    continue
                start, end = int(part.tf.indptr[c]), int(part.tf.indptr[c + 1])
                if part.glob is None:
                    out[i] += end - start
                else:
                    out[i] += int(np.count_nonzero(np.asarray(part.glob[np.asarray(part.tf.indices[start:end])]) >= 0))
        return out

    def idf(self, tokens) -> dict[str, float]:
        """Each distinct token's BM25 inverse document frequency in this index."""
        toks = list(dict.fromkeys(tokens))
        return {t: self._idf(d) for t, d in zip(toks, self.doc_freq(toks))}

    def top(self, tokens: list[str], k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The ``k`` best-scoring passages with a positive score, best first (ties in row order),
        optionally only among ``allowed`` rows. Above :data:`PRUNE_FROM` live passages the
        common terms are scored only where they can change the top ``k`` (:meth:`_top_pruned`):
        the same passages and scores as scoring every posting."""
        if k <= 0 or not self.n or not tokens:
            return []
        if self.n >= PRUNE_FROM:
            return self._top_pruned(Counter(tokens), k, allowed)
        return _best(self.scores(list(tokens)), None, k, allowed)

    def _top_pruned(self, counts: Counter, k: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        """Top ``k`` by max-score pruning, exact. A term adds at most ``idf * repeats`` to a
        passage (``tf / (norm + tf) < 1``). Terms are scored over all their postings rarest
        first, keeping ``theta``, the k-th best score so far (a lower bound of the final k-th
        best); once the bounds of the terms left sum below it, a passage none of the scored terms
        matched cannot reach the top ``k``, so the terms left are only looked up, in their
        postings, for the passages that still can (score + their bounds >= theta)."""
        distinct = list(counts)
        h = self._hashes(distinct)
        cols = self._columns(h)
        df = self._doc_freqs(cols)
        bound = {i: np.float32(self._idf(int(df[i])) * counts[distinct[i]]) for i in range(len(distinct)) if df[i]}
        if not bound:
            return []
        order = sorted(bound, key=lambda i: -bound[i])  # rarest (largest bound) first
        left = np.cumsum([float(bound[i]) for i in order][::-1])[::-1].tolist() + [0.0]  # bounds of order[j:]
        keep = None
        if allowed is not None:
            keep = np.zeros(self.n, bool)
            keep[allowed] = True
        scores = np.zeros(self.n, np.float32)  # 4 bytes a passage: scattered adds stay in cache longer
        seen = np.zeros(self.n, bool)
        touched: list[np.ndarray] = []
        theta, j = 0.0, 0
        while j < len(order) and left[j] >= theta:
            i = order[j]
            for g, tf, norm in self._postings(h, cols, [i])[i]:
                if keep is not None:
                    ok = keep[g]
                    g, tf, norm = g[ok], tf[ok], norm[ok]
                scores[g] += bound[i] * (tf / (norm + tf))  # a column holds each passage once
                fresh = g[~seen[g]]
                seen[fresh] = True
                touched.append(fresh)
            j += 1
            # the k-th best so far, once the rare terms are in (before, it would be recomputed
            # term after term over few passages for little)
            if j < len(order) and df[order[j]] > self.n * RARE_SHARE:
                touched = [np.concatenate(touched)] if touched else []
                if touched and len(touched[0]) >= k:
                    theta = float(np.partition(scores[touched[0]], len(touched[0]) - k)[len(touched[0]) - k])
        touched = np.concatenate(touched) if touched else np.zeros(0, np.int64)
        cand = np.sort(touched[scores[touched] >= theta - left[j]])
        final = scores[cand]
        for n_done, i in enumerate(order[j:], start=j + 1):  # largest bound first
            for p, part in enumerate(self.parts):
                c = cols[p][i]
                if c < 0:
                    continue
                at, local = part.local_of(cand)
                start, end = int(part.tf.indptr[c]), int(part.tf.indptr[c + 1])
                col_rows = part.tf.indices[start:end]
                pos = np.searchsorted(col_rows, local)
                hit = pos < len(col_rows)
                hit[hit] = np.asarray(col_rows[pos[hit]]) == local[hit]
                tf = np.asarray(part.tf.data[start:end][pos[hit]])
                norm = self._norm(p)[local[hit]]
                final[at[hit]] += bound[i] * (tf / (norm + tf))
            if len(cand) > k:  # fewer passages can still get there as the bounds left shrink
                theta = max(theta, float(np.partition(final, len(final) - k)[len(final) - k]))
                stay = final >= theta - left[n_done]
                cand, final = cand[stay], final[stay]
        return _best(final, cand, k, None)

    # ------------------------------------------------------------ files (one segment)
    def save(self, folder: Path) -> None:
        """The frequencies of a one-segment index with nothing deleted (as :meth:`build` makes)."""
        if len(self.parts) != 1 or self.parts[0].glob is not None:
            raise ValueError("only an index of one segment, with nothing deleted, is saved whole")
        self.parts[0].tf.save(folder)

    @classmethod
    def load(cls, folder: Path, mmap: bool = True) -> "LexicalIndex":
        """One segment's frequencies, as a whole index."""
        tf = TermFrequencies.load(folder, mmap)
        return cls([Part(tf)], tf.n, int(np.sum(tf.lengths, dtype=np.int64)), tf.scheme, tf.k1, tf.b)
