"""Loading an index: the live generation, read-only, with what search needs."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from ..types import Chunk, Document
from .bm25 import LexicalIndex
from .format import (FORMAT_VERSION, IndexCorrupt, IndexNotFound, Manifest, check_compatible, current_generation,
                     read_metadata, rebuild_hint)
from .vectors import exact_vectors, load_vector_index


class Index:
    """A loaded, read-only generation of the index."""

    def __init__(self, folder: Path, generation: Path, manifest: Manifest,
                 documents: dict[str, Document], chunks: list[Chunk], vectors, lexical: LexicalIndex,
                 exact: np.ndarray | None):
        self.folder = folder
        self.generation = generation
        self.manifest = manifest
        self.documents = documents
        self.chunks = chunks
        self.vectors = vectors
        self.lexical = lexical
        self._exact = exact
        self.doc_of_row = np.array([c.doc_id for c in chunks], dtype=object)

    @classmethod
    def load(cls, folder: str | Path) -> "Index":
        folder = Path(folder)
        gen = current_generation(folder)
        if gen is None:
            raise IndexNotFound(f"no index at {folder}: build one with `rag ingest corpus/ --index {folder}`")
        try:
            manifest = Manifest.from_json((gen / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError, TypeError) as exc:
            raise IndexCorrupt(f"the index at {folder} has an unreadable manifest ({exc}); "
                               + rebuild_hint(folder)) from exc
        if manifest.format_version != FORMAT_VERSION:
            check_compatible(manifest, folder)
        try:
            documents, chunks = read_metadata(gen / "meta.sqlite")
            vectors = load_vector_index(gen / "vectors.faiss")
            lexical = LexicalIndex.load(gen / "lexical")
            exact = exact_vectors(vectors)
            if exact is None and (gen / "vectors.npy").is_file():
                exact = np.load(gen / "vectors.npy", allow_pickle=False)
        except (OSError, sqlite3.Error, RuntimeError, ValueError, KeyError) as exc:
            raise IndexCorrupt(f"the index at {folder} cannot be read ({exc}); "
                               + rebuild_hint(folder)) from exc
        if vectors.ntotal != len(chunks) or lexical.n != len(chunks):
            raise IndexCorrupt(f"the index at {folder} is inconsistent ({len(chunks)} chunks, "
                               f"{vectors.ntotal} vectors); " + rebuild_hint(folder))
        return cls(folder, gen, manifest, documents, chunks, vectors, lexical, exact)

    def vectors_of(self, rows) -> np.ndarray:
        """Stored vectors of ``rows`` (exact where the index type keeps them)."""
        rows = np.asarray(rows, dtype=np.int64)
        if self._exact is not None:
            return self._exact[rows]
        return np.stack([self.vectors.reconstruct(int(r)) for r in rows]) if len(rows) else \
            np.zeros((0, self.vectors.d), np.float32)

    def rows_of_document(self, doc_id: str) -> np.ndarray:
        return np.nonzero(self.doc_of_row == doc_id)[0]

    def size_on_disk(self) -> int:
        return sum(p.stat().st_size for p in self.generation.rglob("*") if p.is_file())

    def describe(self) -> dict:
        m = self.manifest
        return {"folder": str(self.folder), "documents": len(self.documents), "chunks": len(self.chunks),
                "model": m.model.get("id"), "dim": m.model.get("dim"), "index_type": m.index_type,
                "lexical": m.lexical, "chunker": m.chunker, "created": m.created,
                "bytes": self.size_on_disk()}
