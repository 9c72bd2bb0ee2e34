"""Segments: immutable mini-indexes, one per ingest (or per merge), shared by the generations
that list them.

Layout of a segment folder (``<index>/segments/seg-<stamp>/``)::

    segment.json     passages, documents, total tokens, the vector index type built, and the
                     size and xxh3-128 checksum of each file (copied into every manifest that
                     lists the segment, never re-hashed)
    meta.sqlite      its documents and passages (row = vector id inside the segment)
    rows/            per-row document number, date and source (rows.py)
    vectors.faiss    FAISS index of its passages; vectors.npy for a lossy type
    lexical/         BM25 as raw term frequencies and passage lengths (bm25.py)
    .writing         from its creation until a generation listing it is live

A segment is never changed once written. Which of its rows are deleted is the business of the
generation (its ``deleted/`` arrays); a merge copies the live rows of several segments into a
new one (SQLite ``ATTACH`` + ``INSERT ... SELECT``, stored vectors, stored term frequencies:
nothing is embedded or tokenised again).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from ...types import Chunk, Document
from ..records import DOC_COLS
from .arrays import load_array
from .bm25 import TermFrequencies
from .format import READ_ERRORS, SEGMENTS, named_dirs, unreadable
from .integrity import WRITING, describe_files
from .meta import CHUNK_COLS, MetaStore, create_indexes, create_tables, write_metadata
from .rows import RowTable
from .vectors import LOSSY, build_vector_index, exact_vectors, load_vector_index, resolve_index_type, save_vector_index

SEGMENT_JSON = "segment.json"
SEG_NAME = re.compile(r"seg-[0-9A-Za-z_-]{1,100}")
IVF_MIN = 40 * 16  # an inverted file needs this many passages to train on


@dataclass
class SegmentInfo:
    """What a manifest records of a segment it lists."""

    name: str
    rows: int
    documents: int
    total_len: int  # tokens in its passages (BM25 lengths)
    index_type: str
    files: dict[str, dict] = field(default_factory=dict)  # path in the segment -> bytes, xxh3_128

    @classmethod
    def from_dict(cls, data: dict) -> "SegmentInfo":
        if not isinstance(data, dict):
            raise TypeError("a segment entry is not an object")
        info = cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})
        for name, kind in (("name", str), ("rows", int), ("documents", int), ("total_len", int),
                           ("index_type", str), ("files", dict)):
            if not isinstance(getattr(info, name), kind):
                raise TypeError(f"segment {name!r} is not a {kind.__name__}")
        if not SEG_NAME.fullmatch(info.name):
            raise ValueError(f"{info.name[:40]!r} is not a segment name")
        return info

    def to_dict(self) -> dict:
        return asdict(self)


def segments_dir(folder: Path) -> Path:
    return Path(folder) / SEGMENTS


def segment_dirs(folder: Path) -> list[Path]:
    """Every segment folder (``seg-*``) of the index in ``folder``, by name."""
    return named_dirs(segments_dir(folder), SEG_NAME)


def _fsync_tree(path: Path) -> None:
    for p in sorted(path.rglob("*")):
        if p.is_file():
            with open(p, "rb") as fh:
                os.fsync(fh.fileno())
    for d in sorted({p.parent for p in path.rglob("*")} | {path}, key=lambda p: -len(p.parts)):
        fd = os.open(d, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def new_segment(folder: Path) -> Path:
    """An empty segment folder marked as being written."""
    root = segments_dir(folder)
    root.mkdir(parents=True, exist_ok=True)
    seg = root / f"seg-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**9}"
    seg.mkdir()
    (seg / WRITING).write_text(str(os.getpid()))
    return seg


def _index_type(index_type: str, n: int, flat_max: int) -> str:
    """The vector index to build for a segment of ``n`` passages: an inverted file needs
    passages to train on, so a small segment of an IVF index is exact (flat)."""
    kind = resolve_index_type(index_type, n, flat_max)
    return "flat" if kind in ("ivfsq8", "ivfpq") and n < IVF_MIN else kind


def _finish(seg: Path, vectors: np.ndarray, tf: TermFrequencies, n_docs: int, index_type: str,
            flat_max: int) -> SegmentInfo:
    kind = _index_type(index_type, len(vectors), flat_max)
    vindex = build_vector_index(vectors, kind)
    save_vector_index(vindex, seg / "vectors.faiss")
    del vindex
    if kind in LOSSY:
        np.save(seg / "vectors.npy", np.asarray(vectors, dtype=np.float32), allow_pickle=False)
    tf.save(seg / "lexical")
    info = SegmentInfo(seg.name, tf.n, n_docs, int(np.sum(tf.lengths, dtype=np.int64)), kind, describe_files(seg))
    (seg / SEGMENT_JSON).write_text(json.dumps(info.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
    info.files = describe_files(seg)  # segment.json included
    _fsync_tree(seg)
    return info


def write_segment(folder: Path, documents: Sequence[Document], chunks: Sequence[Chunk], vectors: np.ndarray,
                  scheme: str, index_type: str, flat_max: int) -> SegmentInfo:
    """A new segment of ``documents`` and their ``chunks`` (row = position) with ``vectors``."""
    seg = new_segment(folder)
    try:
        write_metadata(seg / "meta.sqlite", documents, chunks)
        RowTable.build(chunks, {d.doc_id: i for i, d in enumerate(documents)}).save(seg / "rows")
        tf = TermFrequencies.build((c.embed_text() for c in chunks), scheme)
        return _finish(seg, vectors, tf, len(documents), index_type, flat_max)
    except Exception:  # a failure (not a kill): leave nothing behind
        shutil.rmtree(seg, ignore_errors=True)
        raise


# ------------------------------------------------------------ reading
class Segment:
    """One segment, opened read-only: metadata in SQLite, arrays memory-mapped, vectors loaded."""

    def __init__(self, path: Path, info: SegmentInfo, meta: MetaStore, rows: RowTable, tf: TermFrequencies):
        self.path, self.info, self.meta, self.rows, self.tf = path, info, meta, rows, tf
        self._vectors = None
        self._exact: np.ndarray | None = None

    @property
    def name(self) -> str:
        return self.path.name

    @classmethod
    def open(cls, path: Path, info: SegmentInfo, vectors: bool = True) -> "Segment":
        """The segment at ``path``; its vector index is read now, or (``vectors=False``, for a
        writer that may not need it) when first asked for."""
        seg = cls(path, info, MetaStore(path / "meta.sqlite"), RowTable.load(path / "rows"),
                  TermFrequencies.load(path / "lexical"))
        if vectors:
            seg._load_vectors()
        return seg

    def _load_vectors(self) -> None:
        try:
            self._vectors = load_vector_index(self.path / "vectors.faiss")
        except READ_ERRORS as exc:
            raise unreadable(self.path / "vectors.faiss", "a FAISS index") from exc
        self._exact = exact_vectors(self._vectors)
        if self._exact is None and (self.path / "vectors.npy").is_file():
            self._exact = load_array(self.path / "vectors.npy")

    @property
    def vectors(self):
        """The FAISS index."""
        if self._vectors is None:
            self._load_vectors()
        return self._vectors

    @property
    def exact(self) -> np.ndarray | None:
        """The exact vectors (a view of a flat index, or vectors.npy), or None."""
        if self._vectors is None:
            self._load_vectors()
        return self._exact

    def counts(self) -> dict[str, int]:
        """Passages as each part of the segment counts them (the vectors only once read)."""
        n_docs, n_chunks = self.meta.counts()
        out = {"passages in meta.sqlite": n_chunks, "BM25 rows": self.tf.n,
               "BM25 lengths": len(self.tf.lengths), "row arrays": len(self.rows),
               "passages in the manifest": self.info.rows}
        if self._vectors is not None:
            out["vectors"] = int(self._vectors.ntotal)
            if self._exact is not None:
                out["exact vectors"] = int(self._exact.shape[0])
        return out

    def vectors_of(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        if self.exact is not None:
            return np.asarray(self.exact[rows], dtype=np.float32)
        if not len(rows):
            return np.zeros((0, self.vectors.d), np.float32)
        return np.stack([self.vectors.reconstruct(int(r)) for r in rows])

    def close(self) -> None:
        self.meta.close()


# ------------------------------------------------------------ merging
@dataclass
class MergeSource:
    """A segment to merge, with the rows and documents the live generation deletes from it."""

    segment: Segment
    deleted_rows: np.ndarray
    deleted_docs: np.ndarray


def _merge_metadata(path: Path, sources: Sequence[MergeSource]) -> list[np.ndarray]:
    """``meta.sqlite`` of the live rows of ``sources``, copied table to table in SQLite; for
    each source, the new number of each of its documents (-1: deleted)."""
    db = sqlite3.connect(path)
    renumbered = []
    try:
        create_tables(db)
        docs_done = rows_done = 0
        doc_cols = ", ".join(f'd."{c}"' for c in DOC_COLS)
        chunk_cols = ", ".join(f'"{c}"' for c in CHUNK_COLS)
        for src in sources:
            db.execute("ATTACH DATABASE ? AS src", (f"file:{src.segment.meta.path}?mode=ro",))
            db.execute("CREATE TEMP TABLE gone_docs (pos INTEGER PRIMARY KEY)")
            db.execute("CREATE TEMP TABLE gone_rows (row INTEGER PRIMARY KEY)")
            db.executemany("INSERT INTO gone_docs VALUES (?)", ((int(p),) for p in src.deleted_docs))
            db.executemany("INSERT INTO gone_rows VALUES (?)", ((int(r),) for r in src.deleted_rows))
            db.execute("CREATE TEMP TABLE docmap AS SELECT pos AS old, ROW_NUMBER() OVER (ORDER BY pos) - 1 + ? "
                       "AS new FROM src.documents WHERE pos NOT IN (SELECT pos FROM gone_docs)", (docs_done,))
            db.execute(f"INSERT INTO documents SELECT m.new, {doc_cols} FROM src.documents d "
                       "JOIN docmap m ON d.pos = m.old ORDER BY m.new")
            db.execute("INSERT OR IGNORE INTO aliases SELECT a.alias, m.new FROM src.aliases a "
                       "JOIN docmap m ON a.pos = m.old")
            db.execute(f"INSERT INTO chunks SELECT ROW_NUMBER() OVER (ORDER BY row) - 1 + ?, {chunk_cols} "
                       "FROM src.chunks WHERE row NOT IN (SELECT row FROM gone_rows) ORDER BY row", (rows_done,))
            n_docs = src.segment.info.documents
            new = np.full(n_docs, -1, np.int64)
            for old, num in db.execute("SELECT old, new FROM docmap"):
                new[old] = num
            renumbered.append(new)
            docs_done += int((new >= 0).sum())
            rows_done += src.segment.info.rows - len(src.deleted_rows)
            db.commit()
            for t in ("gone_docs", "gone_rows", "docmap"):
                db.execute(f"DROP TABLE temp.{t}")
            db.execute("DETACH DATABASE src")
        create_indexes(db)
    finally:
        db.close()
    return renumbered


def _merge_rows(sources: Sequence[MergeSource], renumbered: list[np.ndarray]) -> RowTable:
    dates: dict[str, int] = {}
    sources_: dict[str, int] = {}
    doc, date, source = [], [], []
    for src, new in zip(sources, renumbered):
        rt = src.segment.rows
        live = _live(src)
        d_map = np.array([dates.setdefault(v, len(dates)) for v in rt.dates] + [-1], np.int32)
        s_map = np.array([sources_.setdefault(v, len(sources_)) for v in rt.sources] + [-1], np.int32)
        doc.append(new[np.asarray(rt.doc)[live]].astype(np.int32))
        date.append(d_map[np.asarray(rt.date)[live]])  # -1 indexes the trailing "none"
        source.append(s_map[np.asarray(rt.source)[live]])
    cat = lambda xs: np.concatenate(xs) if xs else np.zeros(0, np.int32)
    return RowTable(cat(doc), cat(date), cat(source), list(dates), list(sources_))


def _live(src: MergeSource) -> np.ndarray:
    keep = np.ones(src.segment.info.rows, bool)
    keep[np.asarray(src.deleted_rows, np.int64)] = False
    return np.nonzero(keep)[0]


def _merge_tf(sources: Sequence[MergeSource]) -> TermFrequencies:
    hashes, rows, tfs, lengths = [], [], [], []
    done = 0
    for src in sources:
        live = _live(src)
        new_row = np.full(src.segment.info.rows, -1, np.int64)
        new_row[live] = done + np.arange(len(live))
        h, r, f = src.segment.tf.postings()
        keep = new_row[r] >= 0
        hashes.append(h[keep])
        rows.append(new_row[r][keep].astype(np.int32))
        tfs.append(np.asarray(f)[keep])
        lengths.append(np.asarray(src.segment.tf.lengths)[live])
        done += len(live)
    scheme = sources[0].segment.tf.scheme
    return TermFrequencies.from_postings(scheme, np.concatenate(hashes), np.concatenate(rows),
                                         np.concatenate(tfs), np.concatenate(lengths))


def merge_segments(folder: Path, sources: Sequence[MergeSource], index_type: str, flat_max: int) -> SegmentInfo:
    """A new segment holding the live rows of ``sources``, in order; nothing re-embedded."""
    seg = new_segment(folder)
    try:
        renumbered = _merge_metadata(seg / "meta.sqlite", sources)
        _merge_rows(sources, renumbered).save(seg / "rows")
        vectors = np.concatenate([s.segment.vectors_of(_live(s)) for s in sources])
        tf = _merge_tf(sources)
        n_docs = sum(int((r >= 0).sum()) for r in renumbered)
        return _finish(seg, vectors, tf, n_docs, index_type, flat_max)
    except Exception:  # a failure (not a kill): leave nothing behind
        shutil.rmtree(seg, ignore_errors=True)
        raise


def remove_segment(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
