"""What a Milvus-backed index keeps in its local folder (``index_dir``): one SQLite file.

    index/
      milvus-store.sqlite   the manifest (model, chunker, lexical settings), the collection it
                            belongs to, the documents (for incremental ingest and aliases), one
                            row per passage (primary key, document, date, source, length), the
                            BM25 term statistics, and the primary keys still to delete in Milvus
      milvus.db/            Milvus Lite's data, when ``milvus_uri`` is left empty
      .lock                 one writer at a time (as for the FAISS store)

Passage text, vectors and sparse vectors live in the Milvus collection. A write commits here
last, in one transaction; Milvus rows this file does not list (a writer killed before its
commit) are never returned by a search and are deleted by the next writer.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import numpy as np

from ...types import Document
from ..manifest import Manifest
from ..records import DOC_COLS as _DOC_COLS, document_from_row

FILE = "milvus-store.sqlite"

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)",
    f"CREATE TABLE IF NOT EXISTS documents ({', '.join(c + ' TEXT' for c in _DOC_COLS)}, PRIMARY KEY (doc_id))",
    "CREATE TABLE IF NOT EXISTS rows (pk INTEGER PRIMARY KEY, doc_id TEXT, date TEXT, source TEXT, length INTEGER)",
    "CREATE INDEX IF NOT EXISTS rows_doc ON rows(doc_id)",
    "CREATE TABLE IF NOT EXISTS terms (token TEXT PRIMARY KEY, id INTEGER UNIQUE, df INTEGER)",
    "CREATE TABLE IF NOT EXISTS doomed (pk INTEGER PRIMARY KEY)",
)


def path_in(folder: Path) -> Path:
    return Path(folder) / FILE


class Companion:
    """The local SQLite file of a Milvus-backed index; safe to share between threads."""

    def __init__(self, folder: Path, create: bool = False):
        self.path = path_in(folder)
        if create:
            Path(folder).mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self.lock = threading.RLock()
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA busy_timeout=30000")
        if create:
            for stmt in _SCHEMA:
                self.db.execute(stmt)

    def close(self) -> None:
        self.db.close()

    # ------------------------------------------------------------ reading
    def meta(self) -> dict:
        with self.lock:
            return {k: json.loads(v) for k, v in self.db.execute("SELECT key, value FROM meta")}

    def manifest(self) -> Manifest:
        return Manifest.from_json(self.meta()["manifest"])

    def documents(self) -> dict[str, Document]:
        with self.lock:
            rows = self.db.execute(f"SELECT {', '.join(_DOC_COLS)} FROM documents").fetchall()
        return {d.doc_id: d for d in map(document_from_row, rows)}

    def rows(self) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray]:
        """Primary keys (ascending) with the document, date and source of each."""
        with self.lock:
            data = self.db.execute("SELECT pk, doc_id, date, source FROM rows ORDER BY pk").fetchall()
        pks = np.array([r[0] for r in data], dtype=np.int64)
        return (pks, np.array([r[1] for r in data], dtype=object), [r[2] or "" for r in data],
                np.array([r[3] or "" for r in data], dtype=object))

    def term_stats(self, tokens) -> dict[str, tuple[int, int]]:
        """token -> (term id, passages holding it), for the tokens any passage ever held."""
        toks = list(set(tokens))
        out: dict[str, tuple[int, int]] = {}
        with self.lock:
            for i in range(0, len(toks), 500):
                part = toks[i:i + 500]
                q = f"SELECT token, id, df FROM terms WHERE token IN ({','.join('?' * len(part))})"
                out.update({t: (tid, df) for t, tid, df in self.db.execute(q, part)})
        return out

    def pks_of(self, doc_ids) -> list[int]:
        ids = list(doc_ids)
        out: list[int] = []
        with self.lock:
            for i in range(0, len(ids), 500):
                part = ids[i:i + 500]
                out += [r[0] for r in self.db.execute(
                    f"SELECT pk FROM rows WHERE doc_id IN ({','.join('?' * len(part))}) ORDER BY pk", part)]
        return out

    def doomed(self) -> list[int]:
        with self.lock:
            return [r[0] for r in self.db.execute("SELECT pk FROM doomed")]

    def clear_doomed(self, pks: list[int]) -> None:
        with self.lock:
            self.db.executemany("DELETE FROM doomed WHERE pk = ?", [(p,) for p in pks])
