"""Passage and document metadata in SQLite, read when a hit needs it (never held whole).

``meta.sqlite`` holds three tables: ``documents`` (``pos`` = the document's number, 0..D-1, its
text, title, file, fingerprint and the ids of its identical copies) with ``aliases`` (copy id ->
the stored document's number), and ``chunks`` (``row`` = the vector id, 0..N-1). A
:class:`MetaStore` opens it read-only with the index and answers by row or id;
:class:`Documents` and :class:`Chunks` are a mapping and a sequence over it, so code written
for ``index.documents[doc_id]`` and ``index.chunks[row]`` keeps working without loading them.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Iterable, Iterator

from ...types import Chunk, Document
from ..records import DOC_COLS, document_from_row, document_row

CHUNK_COLS = ("chunk_id", "doc_id", "text", "title", "section", "author", "date", "source",
              "kind", "start", "end", "planted", "page")
_BATCH = 500  # rows per SELECT ... IN (...): under SQLite's parameter limit


_CHUNKS_TABLE = ("CREATE TABLE chunks (row INTEGER PRIMARY KEY, chunk_id TEXT, doc_id TEXT, "
                 "text TEXT, title TEXT, section TEXT, author TEXT, date TEXT, source TEXT, "
                 "kind TEXT, start INTEGER, \"end\" INTEGER, planted INTEGER, page INTEGER)")


def create_tables(db: sqlite3.Connection) -> None:
    """The empty tables of a ``meta.sqlite`` being written (no journal: the segment is fsynced
    as a whole before any generation refers to it)."""
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    db.execute(f"CREATE TABLE documents (pos INTEGER PRIMARY KEY, {', '.join(c + ' TEXT' for c in DOC_COLS)})")
    db.execute("CREATE TABLE aliases (alias TEXT PRIMARY KEY, pos INTEGER)")
    db.execute(_CHUNKS_TABLE)


def create_indexes(db: sqlite3.Connection) -> None:
    db.execute("CREATE UNIQUE INDEX documents_id ON documents(doc_id)")
    db.execute("CREATE INDEX documents_fp ON documents(fingerprint)")  # an ingest looks copies up by it
    db.execute("CREATE INDEX chunks_doc ON chunks(doc_id)")
    db.commit()


def write_metadata(path: Path, documents: Iterable[Document], chunks: Iterable[Chunk]) -> None:
    """Write ``documents`` (numbered in the order given) and ``chunks`` (row = position)."""
    db = sqlite3.connect(path)
    try:
        create_tables(db)
        aliases = []

        def doc_rows():
            for i, d in enumerate(documents):
                aliases.extend((a, i) for a in d.aliases)
                yield (i, *document_row(d))

        db.executemany(f"INSERT INTO documents VALUES (?{',?' * len(DOC_COLS)})", doc_rows())
        db.executemany("INSERT OR IGNORE INTO aliases VALUES (?, ?)", aliases)
        db.executemany(f"INSERT INTO chunks VALUES (?{',?' * len(CHUNK_COLS)})",
                       ((i, *(getattr(c, k) for k in CHUNK_COLS)) for i, c in enumerate(chunks)))
        create_indexes(db)
    finally:
        db.close()


def _chunk(row) -> Chunk:
    """A :class:`Chunk` from ``row, *CHUNK_COLS``."""
    v = dict(zip(CHUNK_COLS, row[1:]))
    v["planted"], v["page"] = bool(v["planted"]), int(v["page"] or 0)
    return Chunk(**v)


_DOC_SELECT = f"SELECT {', '.join(DOC_COLS)} FROM documents"
_CHUNK_SELECT = "SELECT row, " + ", ".join(f'"{c}"' for c in CHUNK_COLS) + " FROM chunks"


class MetaStore:
    """Read-only access to one ``meta.sqlite``.

    One connection, opened with the index and shared by every thread (queries take a lock; each
    is a few milliseconds). Not one per thread: a writer in another process deletes the old
    generation once a new one is live, and a connection opened after that would find no file,
    while one opened before keeps reading it (the file lives on until it is closed)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        self._db.execute("PRAGMA query_only = ON")
        self._lock = threading.RLock()

    def _rows(self, sql: str, params=()) -> list:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def _one(self, sql: str, params=()):
        with self._lock:
            return self._db.execute(sql, params).fetchone()

    def close(self) -> None:
        self._db.close()

    def counts(self) -> tuple[int, int]:
        """(documents, passages)."""
        return (self._one("SELECT COUNT(*) FROM documents")[0], self._one("SELECT COUNT(*) FROM chunks")[0])

    # ------------------------------------------------------------ passages
    def chunks_at(self, rows: Iterable[int]) -> list[Chunk]:
        """The passages at ``rows``, in the order asked (KeyError for a row that is not there)."""
        rows = [int(r) for r in rows]
        found: dict[int, Chunk] = {}
        for i in range(0, len(rows), _BATCH):
            part = sorted(set(rows[i:i + _BATCH]))
            q = f"{_CHUNK_SELECT} WHERE row IN ({','.join('?' * len(part))})"
            found.update((r[0], _chunk(r)) for r in self._rows(q, part))
        missing = [r for r in rows if r not in found]
        if missing:
            raise KeyError(f"no passage at row {missing[0]}")
        return [found[r] for r in rows]

    def iter_chunks(self, batch: int = 2000) -> Iterator[tuple[int, Chunk]]:
        """(row, passage) for every passage, by row, read in batches."""
        last = -1
        while True:
            got = self._rows(f"{_CHUNK_SELECT} WHERE row > ? ORDER BY row LIMIT ?", (last, batch))
            if not got:
                return
            for r in got:
                yield r[0], _chunk(r)
            last = got[-1][0]

    # ------------------------------------------------------------ documents
    def document(self, doc_id: str) -> Document | None:
        r = self._one(f"{_DOC_SELECT} WHERE doc_id = ?", (doc_id,))
        return document_from_row(r) if r else None

    def document_at(self, pos: int) -> Document:
        r = self._one(f"{_DOC_SELECT} WHERE pos = ?", (int(pos),))
        if r is None:
            raise KeyError(f"no document number {pos}")
        return document_from_row(r)

    def iter_documents(self, batch: int = 500, text: bool = True) -> Iterator[tuple[int, Document]]:
        """(number, document) for every document, by number; ``text=False`` leaves the text
        out (``""``), for a listing."""
        cols = ", ".join(c if c != "text" or text else "'' AS text" for c in DOC_COLS)
        last = -1
        while True:
            got = self._rows(f"SELECT pos, {cols} FROM documents WHERE pos > ? ORDER BY pos LIMIT ?", (last, batch))
            if not got:
                return
            for r in got:
                yield r[0], document_from_row(r[1:])
            last = got[-1][0]

    def iter_paths(self, batch: int = 20000) -> Iterator[tuple[int, str, str, bool]]:
        """(number, id, file, has copies) of every document, by number: what decides whether an
        ingest must look at a document at all (:meth:`rag.index.Index.scoped_listing`)."""
        last = -1
        while True:
            got = self._rows("SELECT pos, doc_id, path, COALESCE(aliases, '') NOT IN ('', '[]') OR "
                             "COALESCE(alias_paths, '') NOT IN ('', '{}') FROM documents "
                             "WHERE pos > ? ORDER BY pos LIMIT ?", (last, batch))
            if not got:
                return
            yield from got
            last = got[-1][0]

    def listing_where(self, column: str, values) -> list[tuple]:
        """(number, id, file, fingerprint, copies, copies' files) of the documents whose
        ``column`` (pos or fingerprint) is one of ``values``, by number: no text, and the JSON
        columns decoded only when not empty."""
        if column not in ("pos", "fingerprint"):
            raise ValueError(column)
        values, out = list(values), []
        for i in range(0, len(values), 500):
            part = values[i:i + 500]
            for pos, doc_id, path, fp, aliases, alias_paths in self._rows(
                    "SELECT pos, doc_id, path, fingerprint, aliases, alias_paths FROM documents "
                    f"WHERE {column} IN ({','.join('?' * len(part))})", part):
                out.append((pos, doc_id, path, fp, json.loads(aliases) if aliases not in (None, "", "[]") else [],
                            json.loads(alias_paths) if alias_paths not in (None, "", "{}") else {}))
        return sorted(out)

    def doc_ids(self) -> list[tuple[int, str]]:
        """(number, id) of every document, by number."""
        return [(r[0], r[1]) for r in self._rows("SELECT pos, doc_id FROM documents ORDER BY pos")]

    def position(self, doc_id: str) -> int | None:
        """The number of the document stored under ``doc_id`` (not a copy's id), or None."""
        r = self._one("SELECT pos FROM documents WHERE doc_id = ?", (doc_id,))
        return r[0] if r else None

    def positions(self, ids: Iterable[str], aliases: bool = True) -> set[int]:
        """Numbers of the documents stored under ``ids``, or stored for a copy named by one."""
        ids = list(dict.fromkeys(ids))
        out: set[int] = set()
        for i in range(0, len(ids), _BATCH):
            part = ids[i:i + _BATCH]
            marks = ",".join("?" * len(part))
            out.update(r[0] for r in self._rows(f"SELECT pos FROM documents WHERE doc_id IN ({marks})", part))
            if aliases:
                out.update(r[0] for r in self._rows(f"SELECT pos FROM aliases WHERE alias IN ({marks})", part))
        return out


class Documents(Mapping):
    """``doc_id -> Document``, read from SQLite on each access (the text included). ``source``
    is the index: ``document(doc_id)``, ``doc_ids()`` and ``iter_documents()``."""

    def __init__(self, source, count: int):
        self._source = source
        self._count = count

    def __getitem__(self, doc_id: str) -> Document:
        d = self._source.document(doc_id) if isinstance(doc_id, str) else None
        if d is None:
            raise KeyError(doc_id)
        return d

    def __contains__(self, doc_id) -> bool:
        return isinstance(doc_id, str) and self._source.document(doc_id) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self._source.doc_ids())

    def __len__(self) -> int:
        return self._count

    def values(self, text: bool = True):  # one pass over the tables, not one query per id
        return list(self._source.iter_documents(text=text))

    def items(self, text: bool = True):
        return [(d.doc_id, d) for d in self._source.iter_documents(text=text)]


class Chunks(Sequence):
    """The passages by row, read from SQLite on each access. ``source`` is the index:
    ``chunks_at(rows)`` and ``iter_chunks()``."""

    def __init__(self, source, count: int):
        self._source = source
        self._count = count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, i):
        if isinstance(i, slice):
            return self._source.chunks_at(range(*i.indices(self._count)))
        i = int(i)
        if i < 0:
            i += self._count
        if not 0 <= i < self._count:
            raise IndexError(i)
        return self._source.chunks_at([i])[0]

    def __iter__(self) -> Iterator[Chunk]:
        return self._source.iter_chunks()

    def __bool__(self) -> bool:
        return self._count > 0
