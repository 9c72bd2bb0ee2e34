"""Loading an index: the live generation, checked against its checksums, read-only."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..types import Chunk, Document
from .bm25 import LexicalIndex
from .format import (IndexCorrupt, IndexMismatch, IndexNotFound, Manifest, damage_hint, live_generation,
                     read_manifest, read_metadata, read_pointer)
from .integrity import verify_files
from .vectors import exact_vectors, load_vector_index


class Index:
    """A loaded, read-only generation of the index."""

    def __init__(self, folder: Path, generation: Path, manifest: Manifest,
                 documents: dict[str, Document], chunks: list[Chunk], vectors, lexical: LexicalIndex,
                 exact: np.ndarray | None, recovered: str = ""):
        self.folder = folder
        self.generation = generation
        self.manifest = manifest
        self.documents = documents
        self.chunks = chunks
        self.vectors = vectors
        self.lexical = lexical
        self._exact = exact
        self.recovered = recovered  # how CURRENT was recovered, when it had to be
        self.doc_of_row = np.array([c.doc_id for c in chunks], dtype=object)

    @classmethod
    def load(cls, folder: str | Path, verify: bool = True) -> "Index":
        """The live generation of ``folder``. Every file is checked against the checksum its
        manifest recorded (``verify=False`` skips that; for measuring only). Any damage raises
        :class:`IndexCorrupt` naming the file; another format, :class:`IndexMismatch`.

        A writer in another process may make a new generation live and delete the old one while
        this reads it: then the new one is read instead."""
        folder = Path(folder)
        for attempt in range(3):
            try:
                gen, recovered = live_generation(folder)
            except OSError as exc:
                raise IndexCorrupt(f"the index at {folder} cannot be read ({exc}). " + damage_hint(folder)) from exc
            if gen is None:
                raise IndexNotFound(f"no index at {folder}: build one with `rag ingest corpus/ --index {folder}`")
            try:
                return cls._read(folder, gen, recovered, verify)
            except IndexCorrupt:
                now = read_pointer(folder)[0]
                if attempt == 2 or now is None or now.name == gen.name:
                    raise
        raise AssertionError("unreachable")

    @classmethod
    def _read(cls, folder: Path, gen: Path, recovered: str, verify: bool) -> "Index":
        manifest = read_manifest(gen, folder)
        try:
            problems = verify_files(gen, manifest.files) if verify else []
        except OSError as exc:
            problems = [f"cannot be read ({exc})"]
        if problems:
            raise IndexCorrupt(f"the index at {folder} is damaged: {gen.name}/{problems[0]}. " + damage_hint(folder))
        try:
            documents, chunks = read_metadata(gen / "meta.sqlite")
            vectors = load_vector_index(gen / "vectors.faiss")
            lexical = LexicalIndex.load(gen / "lexical")
            exact = exact_vectors(vectors)
            if exact is None and (gen / "vectors.npy").is_file():
                exact = np.load(gen / "vectors.npy", allow_pickle=False)
        except (IndexMismatch, IndexCorrupt):
            raise
        except Exception as exc:  # whatever a damaged file makes a reader raise, no traceback
            raise IndexCorrupt(f"the index at {folder} cannot be read ({exc.__class__.__name__}: {exc}). "
                               + damage_hint(folder)) from exc
        counts = {"passages in meta.sqlite": len(chunks), "vectors": vectors.ntotal, "BM25 rows": lexical.n,
                  "passages in the manifest": manifest.chunks}
        if len(set(counts.values())) > 1 or len(documents) != len(manifest.documents) or (
                exact is not None and exact.shape[0] != len(chunks)):
            raise IndexCorrupt(f"the index at {folder} is inconsistent ("
                               + ", ".join(f"{v} {k}" for k, v in counts.items())
                               + f", {len(documents)} documents, {len(manifest.documents)} in the manifest). "
                               + damage_hint(folder))
        return cls(folder, gen, manifest, documents, chunks, vectors, lexical, exact, recovered)

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
                "model": m.model.get("id"), "dim": m.model.get("dim"),
                "precision": m.model.get("precision", "not recorded"), "index_type": m.index_type,
                "lexical": m.lexical, "chunker": m.chunker, "created": m.created,
                "bytes": self.size_on_disk()}


