"""What happens to a ranked list after fusion: the cross-encoder reranker (hybrid mode, setting
``rerank``), then the per-document cap (any mode, setting ``max_per_doc``)."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from ..config import Settings
from ..embed.cross_weights import CrossEncoderError
from .cross_rerank import PassageReranker, cross_rerank, load_passage_reranker
from .diversity import cap_per_document
from .query import Query

log = logging.getLogger("rag")


@dataclass(frozen=True)
class SecondStage:
    model: PassageReranker | None = None  # None: no reranking
    depth: int = 20
    max_per_doc: int = 0
    problem: str = ""  # why reranking is off although the settings ask for it (an unusable model file)

    @classmethod
    def from_settings(cls, s: Settings) -> "SecondStage":
        """The stage the settings ask for; the model is read (once per file) only when ``rerank``
        is on. A missing, damaged or foreign model file turns reranking off and says why in
        ``problem`` (search goes on without it; the CLI and the UI show the message)."""
        model, problem = None, ""
        if s.rerank:
            try:
                model = load_passage_reranker(s.reranker_model, s.cache_dir, s.rerank_precision)
            except CrossEncoderError as exc:
                problem = f"rag: searching without the reranker: {exc}"
                log.warning(problem)
        return cls(model, s.rerank_depth, s.max_per_doc, problem)

    def needs_pool(self, mode: str) -> bool:
        """Does ``mode`` need more than ``k`` candidates from its one list (for the cap)?"""
        return self.max_per_doc > 0 and mode != "hybrid"

    def apply(self, query: Query, index, mode: str,
              ranked: list[tuple[int, float]]) -> tuple[list[tuple[int, float]], dict[int, float]]:
        """``ranked`` (``(row, score)`` best first) reranked and capped, not yet cut to ``k``, and
        the reranker's score of each row it scored."""
        scores: dict[int, float] = {}
        if self.model is not None and mode == "hybrid":
            ranked, scores = cross_rerank(query, index, ranked, self.model, self.depth)
        if self.max_per_doc > 0:
            docs = {r: c.doc_id for (r, _), c in zip(ranked, index.chunks_at([r for r, _ in ranked]))}
            ranked = cap_per_document(ranked, lambda item: docs[item[0]], self.max_per_doc)
        return ranked, scores
