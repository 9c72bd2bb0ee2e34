"""Query time: dense, lexical and hybrid search over a loaded index, with filters and a floor."""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .config import Settings
from .embeddings import Embedder
from .fusion import convex, rrf
from .index import Index, check_compatible
from .language import language
from .types import Hit, SearchResult
from .vectors import search as vector_search

MODES = ("hybrid", "dense", "lexical")


@dataclass(frozen=True)
class Filters:
    """Restrict a search to some documents, sources or a date range (ISO dates, inclusive)."""

    doc_ids: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    date_from: str = ""
    date_to: str = ""

    def __bool__(self) -> bool:
        return bool(self.doc_ids or self.sources or self.date_from or self.date_to)


def iso_date(value: str) -> str:
    """``YYYY-MM-DD`` from common date spellings (2024-01-05, 2024/1/5, 2024年1月5日), else ''."""
    m = re.search(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})", value or "")
    if not m:
        m2 = re.search(r"(\d{4})\s*[-/.年]\s*(\d{1,2})", value or "")
        return f"{int(m2.group(1)):04d}-{int(m2.group(2)):02d}" if m2 else ""
    return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"


class Retriever:
    """Search one index with one embedder."""

    def __init__(self, index: Index, embedder: Embedder | None, settings: Settings):
        if embedder is not None:
            check_compatible(index.manifest, index.folder, model=embedder.fingerprint)
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self._dates = np.array([iso_date(c.date) for c in index.chunks], dtype=object)
        n = len(index.chunks)
        sample = np.random.default_rng(0).choice(n, min(n, 256), replace=False) if n else []
        self._background = index.vectors_of(np.sort(sample)) if n else None
        self._sources = np.array([c.source for c in index.chunks], dtype=object)
        langs = [language(index.chunks[i].text) for i in sample] if n else []
        self.corpus_language = max(set(langs), key=langs.count) if langs else "zh"

    # ------------------------------------------------------------ filters
    def allowed_rows(self, filters: Filters) -> np.ndarray | None:
        if not filters:
            return None
        mask = np.ones(len(self.index.chunks), dtype=bool)
        if filters.doc_ids:
            wanted = set(filters.doc_ids)
            for d in list(wanted):  # an alias selects the document stored for it
                for doc in self.index.documents.values():
                    if d in doc.aliases:
                        wanted.add(doc.doc_id)
            mask &= np.isin(self.index.doc_of_row, list(wanted))
        if filters.sources:
            mask &= np.isin(self._sources, list(filters.sources))
        if filters.date_from or filters.date_to:
            lo, hi = filters.date_from or "0000", (filters.date_to or "9999") + "\uffff"
            mask &= np.array([bool(d) and lo <= d <= hi for d in self._dates], dtype=bool)
        return np.nonzero(mask)[0]

    # ------------------------------------------------------------ the modes
    def _dense(self, qvec: np.ndarray, n: int, allowed) -> list[tuple[int, float]]:
        rows, scores = vector_search(self.index.vectors, qvec, n, allowed)
        return list(zip(rows.tolist(), scores.tolist()))

    def _lexical(self, query: str, n: int, allowed) -> list[tuple[int, float]]:
        scores = self.index.lexical.scores(query)
        if not len(scores):
            return []
        if allowed is not None:
            masked = np.full_like(scores, -1.0)
            masked[allowed] = scores[allowed]
            scores = masked
        n = min(n, len(scores))
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(r), float(scores[r])) for r in top if scores[r] > 0]

    def floor_for(self, query: str, passage: str, mode: str, floor: float) -> float:
        """The relevance floor for this query and passage: cosines run lower across languages."""
        if mode == "lexical":
            return self.settings.lexical_floor
        if language(query) != language(passage):
            return floor - self.settings.crosslingual_floor_offset
        return floor

    def background(self, qvec: np.ndarray) -> tuple[float, float]:
        """Mean and spread of the query's cosine to a fixed sample of the corpus.

        Cosines shift with the language pair (an English question scores lower against every
        Chinese passage); answers are judged against this baseline, not absolute cosines.
        """
        sims = self._background @ qvec
        return float(sims.mean()), float(max(sims.std(), 1e-3))

    def search(self, query: str, k: int | None = None, mode: str | None = None,
               filters: Filters = Filters(), floor: float | None = None) -> SearchResult:
        """Top-``k`` passages for ``query``; ``found`` is False when none clears the floor."""
        k = k or self.settings.k
        mode = mode or self.settings.mode
        floor = self.settings.relevance_floor if floor is None else floor
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; choose one of {MODES}")
        if self.settings.fusion not in ("convex", "rrf"):
            raise ValueError(f"unknown fusion {self.settings.fusion!r}; choose convex or rrf")
        if not query.strip() or not self.index.chunks:
            return SearchResult(query, mode, [], False)
        allowed = self.allowed_rows(filters)
        if allowed is not None and not len(allowed):
            return SearchResult(query, mode, [], False)
        pool = max(50, 4 * k)
        dense_scores: dict[int, float] = {}
        lex_scores: dict[int, float] = {}
        qvec = None
        if mode in ("dense", "hybrid"):
            if self.embedder is None:
                raise ValueError(f"{mode} search needs an embedding model")
            qvec = self.embedder.embed_queries([query])[0]
            dense = self._dense(qvec, pool if mode == "hybrid" else k, allowed)
            dense_scores = dict(dense)
        if mode in ("lexical", "hybrid"):
            lexical = self._lexical(query, pool if mode == "hybrid" else k, allowed)
            lex_scores = dict(lexical)
        if mode == "dense":
            ranked = dense[:k]
        elif mode == "lexical":
            ranked = lexical[:k]
        elif self.settings.fusion == "rrf":
            ranked = rrf([[r for r, _ in dense], [r for r, _ in lexical]], k=self.settings.rrf_k)[:k]
        else:
            # a question in another language than the corpus shares no terms with it: trust meaning
            cross = language(query) != self.corpus_language
            weight = self.settings.crosslingual_dense_weight if cross else self.settings.dense_weight
            ranked = convex(dense, lexical, weight)[:k]

        rows = [r for r, _ in ranked]
        if qvec is not None:
            missing = [r for r in rows if r not in dense_scores]
            if missing:  # fused in from the lexical list only: score them too
                dense_scores.update(zip(missing, (self.index.vectors_of(missing) @ qvec).tolist()))
            relevance = [dense_scores[r] for r in rows]
        else:
            relevance = self.index.lexical.coverage(query, [self.index.chunks[r].embed_text() for r in rows])
        hits = [Hit(self.index.chunks[r], i + 1, s, rel, dense_scores.get(r), lex_scores.get(r))
                for i, ((r, s), rel) in enumerate(zip(ranked, relevance))]
        found = any(h.relevance >= self.floor_for(query, h.chunk.text, mode, floor) for h in hits)
        bg = self.background(qvec) if qvec is not None else None
        return SearchResult(query, mode, hits, found, qvec, bg)
