"""The naive LangChain recipe, kept as the baseline every benchmark and eval report shows.

``RecursiveCharacterTextSplitter(1000, 200)``, LangChain's FAISS store and the same embedding
model (through ``langchain_huggingface.HuggingFaceEmbeddings``, with the model's prompts),
dense search only. Needs the ``dev`` extras (langchain-community, langchain-huggingface).
"""
from __future__ import annotations

import time
from pathlib import Path

from ..types import Chunk, Hit, SearchResult


def huggingface_embeddings(model_path: str, query_prompt: str = "query: ", passage_prompt: str = "passage: ",
                           batch_size: int = 32):
    """The recipe's embeddings: ``HuggingFaceEmbeddings`` over a local model, with its prompts."""
    from langchain_huggingface import HuggingFaceEmbeddings

    return HuggingFaceEmbeddings(
        model_name=model_path, model_kwargs={"device": "cpu", "local_files_only": True},
        encode_kwargs={"normalize_embeddings": True, "prompt": passage_prompt, "batch_size": batch_size},
        query_encode_kwargs={"normalize_embeddings": True, "prompt": query_prompt},
    )


class LangChainBaseline:
    """Build with :meth:`build`, query with :meth:`search` (the same shape as our retriever).

    ``embeddings`` is any LangChain ``Embeddings``: :func:`huggingface_embeddings` for the recipe
    as people write it, or our embedder through the embedding cache (``rag eval``).
    """

    mode = "langchain"

    def __init__(self, embeddings, chunk_size: int = 1000, chunk_overlap: int = 200):
        self.embeddings = embeddings
        self.chunk_size, self.chunk_overlap = chunk_size, chunk_overlap
        self.store = None
        self.n_chunks = 0

    def build(self, raws) -> float:
        """Split and embed; returns seconds spent."""
        from langchain_community.vectorstores import FAISS
        from langchain_core.documents import Document as LCDocument
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        t0 = time.perf_counter()
        splitter = RecursiveCharacterTextSplitter(chunk_size=self.chunk_size, chunk_overlap=self.chunk_overlap)
        docs = [LCDocument(page_content=r.text, metadata={"doc_id": r.doc_id, "title": r.title}) for r in raws]
        splits = splitter.split_documents(docs)
        self.n_chunks = len(splits)
        self.store = FAISS.from_documents(splits, self.embeddings)
        return time.perf_counter() - t0

    def save(self, folder: Path) -> int:
        """LangChain's own format (index.faiss + index.pkl); returns bytes on disk."""
        self.store.save_local(str(folder))
        return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())

    def search(self, query: str, k: int = 5, mode: str | None = None, **_) -> SearchResult:
        pairs = self.store.similarity_search_with_score(query, k=k)
        hits = []
        for i, (d, dist) in enumerate(pairs):
            c = Chunk(chunk_id=f"{d.metadata['doc_id']}@{i}", doc_id=d.metadata["doc_id"], text=d.page_content,
                      title=d.metadata.get("title", ""))
            sim = 1.0 - float(dist) / 2.0  # L2 distance between unit vectors -> cosine
            hits.append(Hit(c, i + 1, sim, sim, sim))
        return SearchResult(query, self.mode, hits, bool(hits))
