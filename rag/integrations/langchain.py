"""The index as a LangChain retriever, to drop into your own chains (``Assistant.as_retriever``)."""
from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever


class BulletinRetriever(BaseRetriever):
    """``assistant.as_retriever(k=5)``: hybrid search results as LangChain ``Document`` objects,
    with the chunk's ids, title, section, author, date, kind and scores in ``metadata``."""

    assistant: Any
    k: int = 5
    mode: str | None = None
    filters: Any = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        res = self.assistant.search(query, k=self.k, mode=self.mode, filters=self.filters)
        docs = []
        for h in res.hits:
            c = h.chunk
            docs.append(Document(page_content=c.text, metadata={
                "doc_id": c.doc_id, "chunk_id": c.chunk_id, "title": c.title, "section": c.section,
                "author": c.author, "date": c.date, "kind": c.kind, "source": c.source,
                "rank": h.rank, "score": float(h.score), "relevance": float(h.relevance), "found": res.found}))
        return docs
