"""What happens to a ranked list after fusion: the learned reranker (hybrid mode, setting
``rerank``), then the per-document cap (any mode, setting ``max_per_doc``)."""
from __future__ import annotations

from dataclasses import dataclass

from ..config import Settings
from .diversity import cap_per_document
from .query import Query
from .rerank import RerankModel, load_reranker, rerank_ranked


@dataclass(frozen=True)
class SecondStage:
    model: RerankModel | None = None  # None: no reranking
    depth: int = 40
    max_per_doc: int = 0

    @classmethod
    def from_settings(cls, s: Settings) -> "SecondStage":
        """The stage the settings ask for; the model is read (once) only when ``rerank`` is on,
        and a missing or damaged one raises :class:`~rag.search.rerank.RerankerError`."""
        model = load_reranker(s.reranker_model) if s.rerank else None
        return cls(model, s.rerank_depth, s.max_per_doc)

    def needs_pool(self, mode: str) -> bool:
        """Does ``mode`` need more than ``k`` candidates from its one list (for the cap)?"""
        return self.max_per_doc > 0 and mode != "hybrid"

    def apply(self, query: Query, index, mode: str, ranked: list[tuple[int, float]],
              dense: dict[int, float], lexical: dict[int, float]) -> list[tuple[int, float]]:
        """``ranked`` (``(row, score)`` best first) reranked and capped; not yet cut to ``k``."""
        if self.model is not None and mode == "hybrid" and query.has_vector:
            ranked = rerank_ranked(query, index, ranked, dense, lexical, self.model, self.depth)
        if self.max_per_doc > 0:
            docs = {r: c.doc_id for (r, _), c in zip(ranked, index.chunks_at([r for r, _ in ranked]))}
            ranked = cap_per_document(ranked, lambda item: docs[item[0]], self.max_per_doc)
        return ranked
