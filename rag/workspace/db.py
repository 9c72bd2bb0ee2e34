"""The workspace's SQLite file (``<data_dir>/workspace.sqlite``): its tables, and a connection.

One short connection per operation (the UI's handlers run on many threads); WAL, so readers do
not wait for a writer, and a busy timeout, so writers wait for each other instead of failing.
"""
from __future__ import annotations

import os
import secrets
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

WORKSPACE_FILE = "workspace.sqlite"
SECRET_FILE = ".browser-secret"

SCHEMA = """
CREATE TABLE IF NOT EXISTS kbs (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, kb TEXT NOT NULL, title TEXT NOT NULL, created REAL NOT NULL, updated REAL NOT NULL);
CREATE INDEX IF NOT EXISTS conversations_by_kb ON conversations (kb, updated);
CREATE TABLE IF NOT EXISTS turns (
    id TEXT PRIMARY KEY,
    conversation TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL, question TEXT NOT NULL,
    answer TEXT NOT NULL,        -- JSON: text, note, refused, citations...
    options TEXT NOT NULL,       -- JSON: k, mode, answerer, filters
    generation TEXT NOT NULL, created REAL NOT NULL);
CREATE INDEX IF NOT EXISTS turns_by_conversation ON turns (conversation, seq);
CREATE TABLE IF NOT EXISTS feedback (
    turn TEXT PRIMARY KEY, kb TEXT NOT NULL, conversation TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,        -- JSON: text, note, refused, citations (kept if the conversation goes)
    generation TEXT NOT NULL,
    settings TEXT NOT NULL,      -- JSON: the question's options and the assistant's settings
    rating INTEGER NOT NULL,     -- 1 up, -1 down
    correction TEXT NOT NULL DEFAULT '',
    should_refuse INTEGER NOT NULL DEFAULT 0,
    gold_doc_ids TEXT NOT NULL DEFAULT '[]',
    created REAL NOT NULL, updated REAL NOT NULL);
"""


@contextmanager
def connect(data_dir: str | Path) -> Iterator[sqlite3.Connection]:
    """A connection to ``<data_dir>/workspace.sqlite`` (created with its tables on first use),
    committed when the block ends without an error and closed either way."""
    folder = Path(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(folder / WORKSPACE_FILE, timeout=30)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA foreign_keys=ON")
        con.executescript(SCHEMA)
        with con:
            yield con
    finally:
        con.close()


def browser_secret(data_dir: str | Path) -> str:
    """The key a page's remembered state (its knowledge base and conversation) is sealed with in
    the browser: made once per data folder, so a restarted server still reads what pages kept."""
    path = Path(data_dir) / SECRET_FILE
    try:
        return path.read_text(encoding="ascii").strip()
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key)
    return key
