"""Loading an index: the live generation and the segments it lists, checked against their
checksums, read-only.

What is held in memory is what every search touches: each segment's vector index (or, for a
lossy type, its codes, with the exact vectors memory-mapped for re-scoring), its BM25 arrays and
per-row arrays (memory-mapped), and, for a segment with deleted rows, where each of its rows
sits among the live ones. Passage text and documents stay in SQLite and are read when a hit
needs them.

Rows: the live passages of the index are numbered 0..n-1, segment after segment in the order
the manifest lists them (global row = the segment's base + the row's place among its live
rows), so an index of several segments answers exactly as one segment holding the same
passages would. Everything the retriever asks of an index goes through the methods below, so
another store (Milvus) can answer the same questions.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from ...types import Chunk, Document
from ..manifest import IndexCorrupt, IndexMismatch, IndexNotFound, Manifest
from ..records import date_summary
from .arrays import load_array
from .bm25 import LexicalIndex, Part
from .format import SEGMENTS, damage_hint, live_generation, read_manifest, read_pointer
from .integrity import verify_files
from .meta import Chunks, Documents
from .segment import Segment, SegmentInfo
from .vectors import search_rescored

DELETED = "deleted"


def deleted_paths(gen: Path, name: str) -> tuple[Path, Path]:
    """Where a generation keeps the deleted rows and documents of segment ``name``."""
    return gen / DELETED / f"{name}.rows.npy", gen / DELETED / f"{name}.docs.npy"


@dataclass
class Live:
    """A segment as the live generation sees it."""

    segment: Segment
    base: int  # global row of its first live row
    deleted_rows: np.ndarray  # sorted rows of the segment that are deleted
    deleted_docs: np.ndarray  # sorted document numbers that are deleted
    glob: np.ndarray | None  # row in the segment -> global row (-1: deleted); None: nothing deleted
    live_rows: np.ndarray | None  # place among live rows -> row in the segment; None: identity

    @property
    def n(self) -> int:
        return self.segment.info.rows - len(self.deleted_rows)

    def __post_init__(self) -> None:
        self._gone_docs = frozenset(self.deleted_docs.tolist())

    def doc_live(self, pos: int) -> bool:
        return pos not in self._gone_docs

    def to_global(self, local: np.ndarray) -> np.ndarray:
        """Global rows of segment rows (-1 for a deleted one)."""
        local = np.asarray(local, np.int64)
        return local + self.base if self.glob is None else np.asarray(self.glob[local])

    def to_local(self, places: np.ndarray) -> np.ndarray:
        """Segment rows of places among the live rows (global row - base)."""
        places = np.asarray(places, np.int64)
        return places if self.live_rows is None else self.live_rows[places]


def _live(segment: Segment, base: int, deleted_rows: np.ndarray, deleted_docs: np.ndarray) -> Live:
    n = segment.info.rows
    if not len(deleted_rows):
        return Live(segment, base, deleted_rows, deleted_docs, None, None)
    keep = np.ones(n, bool)
    keep[deleted_rows] = False
    live_rows = np.nonzero(keep)[0]
    glob = np.full(n, -1, np.int64)
    glob[live_rows] = base + np.arange(len(live_rows))
    return Live(segment, base, deleted_rows, deleted_docs, glob, live_rows)


def _listed(row: tuple) -> Document:
    """A document in listing form (id, file, fingerprint and copies; no text, title or date)
    from a row of :meth:`rag.index.meta.MetaStore.listing_where`."""
    _, doc_id, path, fp, aliases, alias_paths = row
    return Document(doc_id, "", path=path or "", fingerprint=fp or "", aliases=aliases, alias_paths=alias_paths)


class Index:
    """A loaded, read-only generation of the index (a :class:`rag.index.protocol.Store`)."""

    native_filters = False  # dense() and lexical() take the allowed rows (rows_matching), not Filters

    def __init__(self, folder: Path, generation: Path, manifest: Manifest, live: list[Live], recovered: str = ""):
        self.folder = folder
        self.generation = generation
        self.manifest = manifest
        self.segments = live
        self.recovered = recovered  # how CURRENT was recovered, when it had to be
        self._bases = np.array([s.base for s in live], np.int64)
        self.bm25 = LexicalIndex([Part(s.segment.tf, s.base, s.glob, s.live_rows) for s in live], manifest.chunks,
                                 manifest.total_len, manifest.lexical)
        self.documents = Documents(self, manifest.documents)  # doc_id -> Document, read on access
        self.chunks = Chunks(self, manifest.chunks)  # row -> Chunk, read on access

    @classmethod
    def load(cls, folder: str | Path, verify: bool = True, vectors: bool = True) -> "Index":
        """The live generation of ``folder``. Every file is checked against the checksum its
        manifest recorded (``verify=False`` checks sizes only). Any damage raises
        :class:`IndexCorrupt` naming the file; another format, :class:`IndexMismatch`.
        ``vectors=False`` (a writer) reads each segment's vector index only when it is used.

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
                return cls._read(folder, gen, recovered, verify, vectors)
            except IndexCorrupt:
                now = read_pointer(folder)[0]
                if attempt == 2 or now is None or now.name == gen.name:
                    raise
        raise AssertionError("unreachable")

    @classmethod
    def _read(cls, folder: Path, gen: Path, recovered: str, verify: bool, vectors: bool = True) -> "Index":
        manifest = read_manifest(gen, folder)
        try:
            infos = [SegmentInfo.from_dict(s) for s in manifest.segments]
            empty = not infos and not manifest.files and not manifest.chunks  # every document removed
            problems = [] if empty else verify_files(folder, manifest.files, sizes_only=not verify)
        except (TypeError, ValueError) as exc:
            problems = [f"{gen.name}/manifest.json: {exc}"]
        except OSError as exc:
            problems = [f"cannot be read ({exc})"]
        if problems:
            raise IndexCorrupt(f"the index at {folder} is damaged: {problems[0]}. " + damage_hint(folder))
        live: list[Live] = []
        base = docs = 0
        try:
            for info in infos:
                seg = Segment.open(folder / SEGMENTS / info.name, info, vectors)
                rows_path, docs_path = deleted_paths(gen, info.name)
                dr = np.asarray(load_array(rows_path, False), np.int64) if rows_path.is_file() else np.zeros(0, np.int64)
                dd = np.asarray(load_array(docs_path, False), np.int64) if docs_path.is_file() else np.zeros(0, np.int64)
                counts = seg.counts()
                n_docs = seg.meta.counts()[0]
                if len(set(counts.values())) > 1 or n_docs != info.documents or (
                        len(dr) and (dr.min() < 0 or dr.max() >= info.rows)) or (
                        len(dd) and (dd.min() < 0 or dd.max() >= n_docs)):
                    raise IndexCorrupt(f"the index at {folder} is inconsistent: segment {info.name} has "
                                       + ", ".join(f"{v} {k}" for k, v in counts.items())
                                       + f", {n_docs} documents, {info.documents} in the manifest. "
                                       + damage_hint(folder))
                live.append(_live(seg, base, dr, dd))
                base += live[-1].n
                docs += n_docs - len(dd)
        except (IndexMismatch, IndexCorrupt):
            raise
        except Exception as exc:  # whatever a damaged file makes a reader raise, no traceback
            raise IndexCorrupt(f"the index at {folder} cannot be read ({exc.__class__.__name__}: {exc}). "
                               + damage_hint(folder)) from exc
        if base != manifest.chunks or docs != manifest.documents:
            raise IndexCorrupt(f"the index at {folder} is inconsistent ({base} live passages and {docs} documents "
                               f"in its segments, {manifest.chunks} and {manifest.documents} in the manifest). "
                               + damage_hint(folder))
        return cls(folder, gen, manifest, live, recovered)

    # ------------------------------------------------------------ size
    @property
    def n(self) -> int:
        """Passages (rows) in the index."""
        return self.manifest.chunks

    def __len__(self) -> int:
        return self.n

    # ------------------------------------------------------------ rows and segments
    def _split(self, rows: np.ndarray) -> list[tuple[int, np.ndarray, np.ndarray]]:
        """Global ``rows`` grouped by segment: (segment index, positions in ``rows``, segment rows)."""
        rows = np.asarray(rows, np.int64)
        if len(rows) and (rows.min() < 0 or rows.max() >= self.n):
            bad = rows[(rows < 0) | (rows >= self.n)][0]
            raise KeyError(f"no passage at row {bad}")
        which = np.searchsorted(self._bases, rows, side="right") - 1
        out = []
        for s in np.unique(which):
            at = np.nonzero(which == s)[0]
            live = self.segments[s]
            out.append((int(s), at, live.to_local(rows[at] - live.base)))
        return out

    # ------------------------------------------------------------ passages and documents
    def chunk(self, row: int) -> Chunk:
        """The passage at ``row`` (read from SQLite)."""
        return self.chunks_at([row])[0]

    def chunks_at(self, rows: Iterable[int]) -> list[Chunk]:
        """The passages at ``rows``, in that order (one query per segment)."""
        rows = np.fromiter((int(r) for r in rows), dtype=np.int64)
        out: list[Chunk | None] = [None] * len(rows)
        for s, at, local in self._split(rows):
            for i, c in zip(at, self.segments[s].segment.meta.chunks_at(local.tolist())):
                out[i] = c
        return out  # type: ignore[return-value]

    def iter_chunks(self) -> Iterator[Chunk]:
        """Every live passage, by row."""
        for live in self.segments:
            for row, c in live.segment.meta.iter_chunks():
                if live.glob is None or live.glob[row] >= 0:
                    yield c

    def _find(self, doc_id: str) -> tuple[Live, int] | None:
        """The live segment and number of the document stored under ``doc_id``."""
        for live in reversed(self.segments):
            pos = live.segment.meta.position(doc_id)
            if pos is not None and live.doc_live(pos):
                return live, pos
        return None

    def owner(self, doc_id: str) -> Document | None:
        """The stored document ``doc_id`` names: itself, or the one it is a copy of."""
        d = self.document(doc_id)
        if d is not None:
            return d
        for live in reversed(self.segments):
            for pos in live.segment.meta.positions([doc_id]):
                if live.doc_live(pos):
                    return live.segment.meta.document_at(pos)
        return None

    def document(self, doc_id: str) -> Document | None:
        found = self._find(doc_id)
        return found[0].segment.meta.document_at(found[1]) if found else None

    def doc_ids(self) -> list[str]:
        return [d for live in self.segments for pos, d in live.segment.meta.doc_ids() if live.doc_live(pos)]

    def iter_documents(self, text: bool = True) -> Iterator[Document]:
        for live in self.segments:
            for pos, d in live.segment.meta.iter_documents(text=text):
                if live.doc_live(pos):
                    yield d

    def scoped_listing(self, maybe_under: Callable[[str], bool], ids: set[str]) -> tuple[list[Document], int]:
        """The live documents an ingest can change, with only their id, file, fingerprint and
        copies filled in (no text, title or date): those whose file may lie under the ingested
        paths (``maybe_under(file)``), those read again (``ids``) and those with copies (a copy's
        file may be there). Returns them, and how many other live documents there are: kept as
        they are, never read (an ingest of one file into 10^5 documents reads a few columns of
        each, not its record)."""
        out: list[Document] = []
        others = 0
        for live in self.segments:
            meta = live.segment.meta
            pick = []
            for pos, doc_id, path, copies in meta.iter_paths():
                if not live.doc_live(pos):
                    continue
                if copies or doc_id in ids or maybe_under(path or ""):
                    pick.append(pos)
                else:
                    others += 1
            out += [_listed(row) for row in meta.listing_where("pos", pick)]
        return out, others

    def with_fingerprints(self, fingerprints) -> list[Document]:
        """The live documents (listing form) whose text has one of ``fingerprints``."""
        fps = list(set(fingerprints))
        return [_listed(row) for live in self.segments
                for row in live.segment.meta.listing_where("fingerprint", fps) if live.doc_live(row[0])]

    def rows_of_document(self, doc_id: str) -> np.ndarray:
        found = self._find(doc_id)
        if found is None:
            return np.zeros(0, np.int64)
        live, pos = found
        return live.to_global(np.nonzero(np.asarray(live.segment.rows.doc) == pos)[0])

    def passages_per_document(self) -> dict[str, int]:
        """How many passages each document has."""
        out: dict[str, int] = {}
        for live in self.segments:
            ids = live.segment.meta.doc_ids()
            counts = np.bincount(np.asarray(live.segment.rows.doc), minlength=len(ids))
            out.update((d, int(counts[pos])) for pos, d in ids if live.doc_live(pos))
        return out

    # ------------------------------------------------------------ what search asks
    def rows_matching(self, filters) -> np.ndarray | None:
        """Rows passing ``filters`` (anything with ``doc_ids``, ``sources``, ``date_from`` and
        ``date_to``; a document id may name a copy stored as an alias); None: no filter."""
        if not filters:
            return None
        parts = []
        for live, positions in self._scoped(filters):
            local = live.segment.rows.matching(positions, filters.sources, filters.date_from, filters.date_to)
            g = live.to_global(local)
            parts.append(g[g >= 0])
        return np.concatenate(parts) if parts else np.zeros(0, np.int64)

    def _scoped(self, filters) -> Iterator[tuple[Live, set[int] | None]]:
        """Each segment with the live document numbers ``filters.doc_ids`` names in it (None: no
        document filter); segments holding none of them are left out."""
        for live in self.segments:
            positions = None
            if filters.doc_ids:
                positions = {p for p in live.segment.meta.positions(filters.doc_ids) if live.doc_live(p)}
                if not positions:
                    continue
            yield live, positions

    def undated_documents(self, filters) -> int:
        """Live documents without a date among those ``filters`` (documents, sources) allow: what
        a date range leaves out because nothing gave them a date."""
        return sum(sum(1 for pos in live.segment.rows.undated(positions, filters.sources).tolist() if live.doc_live(pos))
                   for live, positions in self._scoped(filters))

    def dense(self, qvec: np.ndarray, n: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The ``n`` rows nearest ``qvec`` (cosine, best first), optionally among ``allowed``; an
        approximate index's shortlist is re-scored exactly. Each segment is searched (its
        deleted rows left out) and the results merged."""
        rows: list[np.ndarray] = []
        scores: list[np.ndarray] = []
        if allowed is not None:
            allowed = np.asarray(allowed, np.int64)
        for live in self.segments:
            if not live.n:
                continue
            if allowed is not None:
                mine = allowed[(allowed >= live.base) & (allowed < live.base + live.n)]
                if not len(mine):
                    continue
                r, s = search_rescored(live.segment.vectors, live.segment.exact, qvec, n,
                                       live.to_local(mine - live.base))
            else:
                r, s = search_rescored(live.segment.vectors, live.segment.exact, qvec, n,
                                       excluded=live.deleted_rows if len(live.deleted_rows) else None)
            rows.append(live.to_global(r))
            scores.append(np.asarray(s, np.float32))
        if not rows:
            return []
        r, s = np.concatenate(rows), np.concatenate(scores)
        keep = r >= 0
        r, s = r[keep], s[keep]
        top = np.lexsort((r, -s))[:n]
        return list(zip(r[top].tolist(), s[top].tolist()))

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
        dim = int(self.manifest.model.get("dim") or (self.segments[0].segment.vectors.d if self.segments else 0))
        out = np.zeros((len(rows), dim), np.float32)
        for s, at, local in self._split(rows):
            out[at] = self.segments[s].segment.vectors_of(local)
        return out

    # ------------------------------------------------------------ about
    def size_on_disk(self) -> int:
        paths = [self.generation] + [s.segment.path for s in self.segments]
        return sum(p.stat().st_size for g in paths for p in g.rglob("*") if p.is_file())

    def describe(self) -> dict:
        m = self.manifest
        return {"folder": str(self.folder), "documents": m.documents, "chunks": m.chunks,
                "model": m.model.get("id"), "dim": m.model.get("dim"),
                "precision": m.model.get("precision", "not recorded"), "index_type": m.index_type,
                "lexical": m.lexical, "chunker": m.chunker, "created": m.created,
                "segments": len(self.segments), "deleted": sum(len(s.deleted_rows) for s in self.segments),
                "dates": date_summary(self.iter_documents(text=False)), "bytes": self.size_on_disk()}
