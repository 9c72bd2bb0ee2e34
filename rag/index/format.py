"""The on-disk format of an index: generations, the manifest, the metadata tables, the write lock.

Layout of an index folder::

    index/
      CURRENT            name of the live generation (replaced atomically)
      .lock              held by the one process writing
      gen-<stamp>/       one complete, immutable build
        manifest.json    format version, model, chunker, lexical settings, documents
        meta.sqlite      documents and chunks (row number = vector id)
        vectors.faiss    FAISS index (faiss.write_index)
        vectors.npy      exact vectors, only for lossy index types (ivfpq)
        lexical/         bm25s arrays + JSON

A build writes a new generation folder, then swaps ``CURRENT``; a process killed at any
moment leaves the previous generation as the live one. Nothing is pickled.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..types import Chunk, Document

FORMAT_VERSION = 2  # 2: dates stored in ISO form, lexical tokens folded to Simplified Chinese
CURRENT = "CURRENT"


class IndexNotFound(FileNotFoundError):
    """No index at the given folder."""


class IndexMismatch(RuntimeError):
    """The index was built with another model, chunker or format than the one asked for."""


class IndexCorrupt(RuntimeError):
    """The live generation is unreadable."""


@dataclass
class Manifest:
    model: dict
    chunker: dict
    lexical: str
    index_type: str
    documents: dict[str, dict] = field(default_factory=dict)  # doc_id -> fingerprint, path, aliases
    format_version: int = FORMAT_VERSION
    created: str = ""
    chunks: int = 0

    def to_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str) -> "Manifest":
        data = json.loads(text)
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def rebuild_hint(folder: Path) -> str:
    return (f"rebuild it: `rag ingest PATH... --index {folder} --rebuild` "
            f"(or delete {folder} and ingest again)")


def check_compatible(manifest: Manifest, folder: Path, model: dict | None = None,
                     chunker: dict | None = None, lexical: str | None = None) -> None:
    """Raise :class:`IndexMismatch` when the index cannot serve these settings."""
    problems = []
    if manifest.format_version != FORMAT_VERSION:
        problems.append(f"index format {manifest.format_version}, this version reads {FORMAT_VERSION}")
    if model is not None:
        for key in ("id", "dim", "query_prompt", "passage_prompt"):
            if manifest.model.get(key) != model.get(key):
                problems.append(f"model {key} is {manifest.model.get(key)!r} in the index "
                                f"but {model.get(key)!r} now")
    if chunker is not None and manifest.chunker != chunker:
        problems.append(f"chunker settings {manifest.chunker} in the index but {chunker} now")
    if lexical is not None and manifest.lexical != lexical:
        problems.append(f"lexical tokenizer {manifest.lexical!r} in the index but {lexical!r} now")
    if problems:
        raise IndexMismatch(f"the index at {folder} does not match: " + "; ".join(problems)
                            + ". Vectors are never mixed; " + rebuild_hint(folder) + ".")


# ------------------------------------------------------------ generations
def current_generation(folder: Path) -> Path | None:
    pointer = Path(folder) / CURRENT
    if not pointer.is_file():
        return None
    gen = Path(folder) / pointer.read_text().strip()
    return gen if gen.is_dir() else None


def new_generation(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    gen = folder / f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    gen.mkdir()
    return gen


def _fsync_tree(path: Path) -> None:
    for p in sorted(path.rglob("*")):
        if p.is_file():
            with open(p, "rb") as fh:
                os.fsync(fh.fileno())
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def commit_generation(folder: Path, gen: Path) -> None:
    """Make ``gen`` the live generation atomically, then remove the others."""
    _fsync_tree(gen)
    tmp = folder / f"{CURRENT}.{os.getpid()}.tmp"
    tmp.write_text(gen.name)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, folder / CURRENT)
    dfd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)
    remove_stale_generations(folder)


def remove_stale_generations(folder: Path) -> None:
    """Delete generations other than the live one (callers hold the write lock)."""
    live = current_generation(folder)
    for p in folder.glob("gen-*"):
        if p.is_dir() and (live is None or p.name != live.name):
            shutil.rmtree(p, ignore_errors=True)
    for p in folder.glob(f"{CURRENT}.*.tmp"):
        p.unlink(missing_ok=True)


@contextmanager
def write_lock(folder: Path, wait: bool = True):
    """One writer per index folder; readers never wait."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a") as fh:
        flags = fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB)
        try:
            fcntl.flock(fh, flags)
        except BlockingIOError:
            raise RuntimeError(f"another process is writing the index at {folder}; try again when it ends")
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# ------------------------------------------------------------ metadata
_CHUNK_COLS = ("chunk_id", "doc_id", "text", "title", "section", "author", "date", "source",
               "kind", "start", "end")
_DOC_COLS = ("doc_id", "text", "title", "source", "date", "path", "format", "fingerprint", "aliases")


def write_metadata(path: Path, documents: list[Document], chunks: list[Chunk]) -> None:
    db = sqlite3.connect(path)
    try:
        db.execute(f"CREATE TABLE documents ({', '.join(c + ' TEXT' for c in _DOC_COLS)})")
        db.execute("CREATE TABLE chunks (row INTEGER PRIMARY KEY, chunk_id TEXT, doc_id TEXT, "
                   "text TEXT, title TEXT, section TEXT, author TEXT, date TEXT, source TEXT, "
                   "kind TEXT, start INTEGER, \"end\" INTEGER)")
        db.executemany(f"INSERT INTO documents VALUES ({','.join('?' * len(_DOC_COLS))})",
                       [(d.doc_id, d.text, d.title, d.source, d.date, d.path, d.format,
                         d.fingerprint, json.dumps(d.aliases, ensure_ascii=False)) for d in documents])
        db.executemany(f"INSERT INTO chunks VALUES (?{',?' * len(_CHUNK_COLS)})",
                       [(i, *(getattr(c, k) for k in _CHUNK_COLS)) for i, c in enumerate(chunks)])
        db.execute("CREATE INDEX chunks_doc ON chunks(doc_id)")
        db.commit()
    finally:
        db.close()


def read_metadata(path: Path) -> tuple[dict[str, Document], list[Chunk]]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        docs = {}
        for row in db.execute(f"SELECT {', '.join(_DOC_COLS)} FROM documents"):
            d = Document(*row[:-1], aliases=json.loads(row[-1] or "[]"))
            docs[d.doc_id] = d
        cols = ", ".join(f'"{c}"' for c in _CHUNK_COLS)
        chunks = [Chunk(*row) for row in db.execute(f"SELECT {cols} FROM chunks ORDER BY row")]
    finally:
        db.close()
    return docs, chunks
