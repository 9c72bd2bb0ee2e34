"""Loading an index: the live generation, checked against its checksums, read-only.

What is held in memory is what every search touches: the vector index (or, for a lossy type,
its codes, with the exact vectors memory-mapped for re-scoring), the BM25 arrays and the
per-row arrays (memory-mapped). Passage text and documents stay in SQLite and are read when a
hit needs them. Everything the retriever asks of an index goes through the methods below, so
another store (Milvus) can answer the same questions.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

import numpy as np

from ..types import Chunk
from .arrays import load_array
from .bm25 import LexicalIndex
from .format import (IndexCorrupt, IndexMismatch, IndexNotFound, Manifest, damage_hint, live_generation,
                     read_manifest, read_pointer)
from .integrity import verify_files
from .meta import Chunks, Documents, MetaStore
from .rows import RowTable
from .vectors import exact_vectors, load_vector_index, search_rescored


class Index:
    """A loaded, read-only generation of the index."""

    def __init__(self, folder: Path, generation: Path, manifest: Manifest, meta: MetaStore, rows: RowTable,
                 vectors, bm25: LexicalIndex, exact: np.ndarray | None, recovered: str = ""):
        self.folder = folder
        self.generation = generation
        self.manifest = manifest
        self.meta = meta
        self.rows = rows
        self.vectors = vectors  # the FAISS index
        self.bm25 = bm25
        self._exact = exact
        self.recovered = recovered  # how CURRENT was recovered, when it had to be
        self.documents = Documents(meta, manifest.documents)  # doc_id -> Document, read on access
        self.chunks = Chunks(meta, manifest.chunks)  # row -> Chunk, read on access

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
            meta = MetaStore(gen / "meta.sqlite")
            n_docs, n_chunks = meta.counts()
            rows = RowTable.load(gen / "rows")
            vectors = load_vector_index(gen / "vectors.faiss")
            bm25 = LexicalIndex.load(gen / "lexical")
            exact = exact_vectors(vectors)
            if exact is None and (gen / "vectors.npy").is_file():
                exact = load_array(gen / "vectors.npy")
        except (IndexMismatch, IndexCorrupt):
            raise
        except Exception as exc:  # whatever a damaged file makes a reader raise, no traceback
            raise IndexCorrupt(f"the index at {folder} cannot be read ({exc.__class__.__name__}: {exc}). "
                               + damage_hint(folder)) from exc
        counts = {"passages in meta.sqlite": n_chunks, "vectors": vectors.ntotal, "BM25 rows": bm25.n,
                  "row arrays": len(rows), "passages in the manifest": manifest.chunks}
        if len(set(counts.values())) > 1 or n_docs != manifest.documents or (
                exact is not None and exact.shape[0] != n_chunks):
            raise IndexCorrupt(f"the index at {folder} is inconsistent ("
                               + ", ".join(f"{v} {k}" for k, v in counts.items())
                               + f", {n_docs} documents, {manifest.documents} in the manifest). "
                               + damage_hint(folder))
        return cls(folder, gen, manifest, meta, rows, vectors, bm25, exact, recovered)

    # ------------------------------------------------------------ size
    @property
    def n(self) -> int:
        """Passages (rows) in the index."""
        return self.manifest.chunks

    def __len__(self) -> int:
        return self.n

    # ------------------------------------------------------------ passages and documents
    def chunk(self, row: int) -> Chunk:
        """The passage at ``row`` (read from SQLite)."""
        return self.meta.chunks_at([row])[0]

    def chunks_at(self, rows: Iterable[int]) -> list[Chunk]:
        """The passages at ``rows``, in that order (one query)."""
        return self.meta.chunks_at(rows)

    def rows_of_document(self, doc_id: str) -> np.ndarray:
        pos = self.meta.position(doc_id)
        return np.zeros(0, np.int64) if pos is None else np.nonzero(np.asarray(self.rows.doc) == pos)[0]

    def passages_per_document(self) -> dict[str, int]:
        """How many passages each document has."""
        counts = np.bincount(np.asarray(self.rows.doc), minlength=self.manifest.documents)
        return {doc_id: int(c) for doc_id, c in zip(self.meta.doc_ids(), counts)}

    # ------------------------------------------------------------ what search asks
    def rows_matching(self, filters) -> np.ndarray | None:
        """Rows passing ``filters`` (anything with ``doc_ids``, ``sources``, ``date_from`` and
        ``date_to``; a document id may name a copy stored as an alias); None: no filter."""
        if not filters:
            return None
        positions = self.meta.positions(filters.doc_ids) if filters.doc_ids else None
        return self.rows.matching(positions, filters.sources, filters.date_from, filters.date_to)

    def dense(self, qvec: np.ndarray, n: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The ``n`` rows nearest ``qvec`` (cosine, best first), optionally among ``allowed``; an
        approximate index's shortlist is re-scored exactly."""
        rows, scores = search_rescored(self.vectors, self._exact, qvec, n, allowed)
        return list(zip(rows.tolist(), scores.tolist()))

    def lexical(self, tokens: Iterable[str], n: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The ``n`` best BM25 rows for ``tokens`` with a positive score, best first."""
        return self.bm25.top(list(tokens), n, allowed)

    @property
    def scheme(self) -> str:
        """The lexical tokenizer the BM25 index was built with."""
        return self.bm25.scheme

    def idf(self, terms) -> dict[str, float]:
        return self.bm25.idf(terms)

    def doc_freq(self, tokens) -> list[int]:
        return self.bm25.doc_freq(list(tokens))

    def vectors_of(self, rows) -> np.ndarray:
        """Stored vectors of ``rows`` (exact where the index type keeps them)."""
        rows = np.asarray(rows, dtype=np.int64)
        if self._exact is not None:
            return np.asarray(self._exact[rows], dtype=np.float32)
        return np.stack([self.vectors.reconstruct(int(r)) for r in rows]) if len(rows) else \
            np.zeros((0, self.vectors.d), np.float32)

    # ------------------------------------------------------------ about
    def size_on_disk(self) -> int:
        return sum(p.stat().st_size for p in self.generation.rglob("*") if p.is_file())

    def describe(self) -> dict:
        m = self.manifest
        return {"folder": str(self.folder), "documents": m.documents, "chunks": m.chunks,
                "model": m.model.get("id"), "dim": m.model.get("dim"),
                "precision": m.model.get("precision", "not recorded"), "index_type": m.index_type,
                "lexical": m.lexical, "chunker": m.chunker, "created": m.created,
                "bytes": self.size_on_disk()}
