"""Query time: dense, lexical and hybrid search over a loaded index, with filters and a floor."""
from __future__ import annotations

import numpy as np

from ..config import Settings, check_k
from ..embed import Embedder
from ..index import Index, check_compatible
from ..text import (AskedFor, asked_for, coverage, language, question_terms, question_words, tokenize,
                    tokenize_query)
from ..types import Chunk, Hit, SearchResult
from .filters import Filters
from .fusion import convex, rrf
from ..text.constraints import read_constraints
from ..text.crosslingual import translated_tokens
from .query import Query
from .second_stage import SecondStage

MODES = ("hybrid", "dense", "lexical")


class Retriever:
    """Search one index with one embedder. The index is reached only through its interface
    (``len``, ``chunk``, ``chunks_at``, ``rows_matching``, ``dense``, ``lexical``, ``idf``, ``scheme``,
    ``vectors_of``, ``manifest``, ``folder``, ``documents``), so any store serves: the FAISS
    :class:`~rag.index.Index` or :class:`~rag.index.milvus.store.MilvusIndex`. A store with
    ``native_filters`` takes the filters themselves (it runs them as its own expressions)."""

    def __init__(self, index: Index, embedder: Embedder | None, settings: Settings):
        if embedder is not None:
            check_compatible(index.manifest, index.folder, model=embedder.fingerprint)
        self.index = index
        self.embedder = embedder
        self.settings = settings
        n = len(index)
        sample = np.sort(np.random.default_rng(0).choice(n, min(n, 256), replace=False)) if n else []
        self._sample = index.vectors_of(sample) if n else None
        langs = [language(c.text) for c in index.chunks_at(sample)] if n else []
        self.corpus_language = max(set(langs), key=langs.count) if langs else "zh"
        self.second_stage = SecondStage.from_settings(settings)  # reranker, per-document cap
        self.problem = self.second_stage.problem  # a reranker that could not be loaded: said once, search goes on

    # ------------------------------------------------------------ understanding a question
    def query(self, text: str, *, question: str | None = None, kind: str | None = None,
              reply_lang: str | None = None, rewritten: str = "none", lang: str | None = None,
              asked: AskedFor | None = None) -> Query:
        """``text`` analysed once: language, asked-for kind, words, weighted terms, BM25 tokens
        (the vector and its baseline on first use). ``question`` is what the user typed when
        ``text`` is its rewriting; ``kind`` overrides the asked-for kind (a follow-up's); ``lang``
        and ``asked``, when the caller already read them off ``text``, are taken as they are."""
        text = (text or "").strip()
        lang = lang or language(text)
        asked = asked or asked_for(text, kind)
        scheme = self.index.scheme
        words = tuple(question_words(text))
        tokens = tuple(tokenize_query(text, scheme))
        terms = set(question_terms(list(words))) if scheme == "bigram" else set(tokens)
        translated: tuple[str, ...] = ()
        if self.settings.crosslingual_terms and lang == "en" and self.corpus_language == "zh" and len(self.index):
            translated = tuple(translated_tokens(text, self.index, scheme))  # English words as Chinese
            tokens += translated
        weights = self.index.idf(terms) if len(self.index) else {t: 1.0 for t in terms}
        embed = None
        if self.embedder is not None:
            embed = lambda t: self.embedder.embed_queries([t])[0]  # noqa: E731
        return Query(question if question is not None else text, text, lang, reply_lang or lang,
                     asked, words, weights, tokens, rewritten, embed, self._sample,
                     translated=self.index.idf(set(translated)) if translated else {},
                     constraints=read_constraints(text))

    # ------------------------------------------------------------ filters
    def allowed_rows(self, filters: Filters) -> np.ndarray | None:
        """Rows passing ``filters`` (None: no filter)."""
        return self.index.rows_matching(filters)

    def _coverage(self, query: Query, chunks: list[Chunk]) -> list[float]:
        """Lexical mode's relevance: the IDF-weighted share of the query's tokens each passage holds."""
        weights = self.index.idf(set(query.tokens))
        scheme = self.index.scheme
        return [coverage(weights, set(tokenize(c.embed_text(), scheme))) for c in chunks]

    def floor_for(self, query: Query, passage: str, mode: str, floor: float) -> float:
        """The relevance floor for this query and passage: cosines run lower across languages."""
        if mode == "lexical":
            return self.settings.lexical_floor
        if query.lang != language(passage):
            return floor - self.settings.crosslingual_floor_offset
        return floor

    def search(self, query: Query | str, k: int | None = None, mode: str | None = None,
               filters: Filters = Filters(), floor: float | None = None) -> SearchResult:
        """Top-``k`` passages for ``query`` (a :class:`Query`, or a question to analyse first);
        ``found`` is False when none clears the floor. ``k`` runs from 1 to 1000 (default: the
        setting); anything else raises :class:`~rag.config.SettingsError`."""
        if isinstance(query, str):
            query = self.query(query)
        k = check_k(self.settings.k if k is None else k)  # 1..1000; 0 or -1 is an error, not "all"
        mode = mode or self.settings.mode
        floor = self.settings.relevance_floor if floor is None else floor
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; choose one of {MODES}")
        if self.settings.fusion not in ("convex", "rrf"):
            raise ValueError(f"unknown fusion {self.settings.fusion!r}; choose convex or rrf")
        if not query.text or not len(self.index):
            return SearchResult(query.text, mode, [], False)
        undated = self.index.undated_documents(filters) if (filters.date_from or filters.date_to) else 0
        if getattr(self.index, "native_filters", False):
            allowed = filters or None  # the store runs them itself (Milvus: as expressions)
        else:
            allowed = self.allowed_rows(filters)
            if allowed is not None and not len(allowed):
                return SearchResult(query.text, mode, [], False, undated)
        pool = max(50, 4 * k)
        single = pool if self.second_stage.needs_pool(mode) else k  # dense or lexical alone
        dense_scores: dict[int, float] = {}
        lex_scores: dict[int, float] = {}
        use_vector = mode in ("dense", "hybrid")
        if use_vector:
            if self.embedder is None:
                raise ValueError(f"{mode} search needs an embedding model")
            dense = self.index.dense(query.vector, pool if mode == "hybrid" else single, allowed)
            dense_scores = dict(dense)
        if mode in ("lexical", "hybrid"):
            lexical = self.index.lexical(query.tokens, pool if mode == "hybrid" else single, allowed)
            lex_scores = dict(lexical)
        if mode == "dense":
            ranked = dense
        elif mode == "lexical":
            ranked = lexical
        elif self.settings.fusion == "rrf":
            ranked = rrf([[r for r, _ in dense], [r for r, _ in lexical]], k=self.settings.rrf_k)
        else:
            # a question in another language than the corpus shares no terms with it: trust meaning
            # ...unless its words were translated into the corpus's terms (crosslingual_terms)
            cross = query.lang != self.corpus_language and not query.translated
            weight = self.settings.crosslingual_dense_weight if cross else self.settings.dense_weight
            ranked = convex(dense, lexical, weight)
        ranked, rerank_scores = self.second_stage.apply(query, self.index, mode, ranked)
        ranked = ranked[:k]

        rows = [r for r, _ in ranked]
        chunks = self.index.chunks_at(rows)
        if use_vector:
            missing = [r for r in rows if r not in dense_scores]
            if missing:  # fused in from the lexical list only: score them too
                dense_scores.update(zip(missing, (self.index.vectors_of(missing) @ query.vector).tolist()))
            relevance = [dense_scores[r] for r in rows]
        else:
            relevance = self._coverage(query, chunks)
        hits = [Hit(c, i + 1, s, rel, dense_scores.get(r), lex_scores.get(r), rerank_scores.get(r))
                for i, ((r, s), rel, c) in enumerate(zip(ranked, relevance, chunks))]
        found = any(h.relevance >= self.floor_for(query, h.chunk.text, mode, floor) for h in hits)
        return SearchResult(query.text, mode, hits, found, undated)
