"""Conversations kept between visits: each question and the answer it got, per knowledge base.

A turn keeps the answer as plain data (its text, note, citations: what the page shows and the
export writes), the question's options (k, mode, answerer, filters) and the index generation
that answered, so a conversation reopens as it was, and feedback on it knows what produced it.
"""
from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from .db import connect

TITLE_CHARS = 40


@dataclass(frozen=True)
class Conversation:
    id: str
    kb: str
    title: str
    created: float
    updated: float


@dataclass(frozen=True)
class Turn:
    id: str
    conversation: str
    question: str
    answer: dict  # text, note, refused, citations...
    options: dict
    generation: str


def title_of(question: str) -> str:
    """A conversation's first title: its first question, on one line, cut to a few words."""
    text = " ".join((question or "").split())
    return text if len(text) <= TITLE_CHARS else text[:TITLE_CHARS - 1] + "…"


class History:
    """The conversations kept in ``<data_dir>/workspace.sqlite``."""

    def __init__(self, data_dir: str | Path):
        self.data_dir = Path(data_dir)

    def conversations(self, kb: str) -> list[Conversation]:
        """The conversations of knowledge base ``kb``, the latest first."""
        with connect(self.data_dir) as con:
            rows = con.execute("SELECT id, kb, title, created, updated FROM conversations WHERE kb = ? "
                               "ORDER BY updated DESC", (kb,)).fetchall()
        return [Conversation(*r) for r in rows]

    def get(self, conversation: str) -> Conversation | None:
        with connect(self.data_dir) as con:
            r = con.execute("SELECT id, kb, title, created, updated FROM conversations WHERE id = ?",
                            (conversation or "",)).fetchone()
        return Conversation(*r) if r else None

    def start(self, kb: str, question: str) -> Conversation:
        """A new conversation in ``kb``, titled by its first question."""
        now = time.time()
        conv = Conversation(uuid.uuid4().hex[:12], kb, title_of(question) or "…", now, now)
        with connect(self.data_dir) as con:
            con.execute("INSERT INTO conversations (id, kb, title, created, updated) VALUES (?, ?, ?, ?, ?)",
                        (conv.id, conv.kb, conv.title, conv.created, conv.updated))
        return conv

    def add(self, conversation: str, turn_id: str, question: str, answer: dict, options: dict,
            generation: str) -> Turn:
        """Keep one question and its answer at the end of ``conversation``."""
        now = time.time()
        with connect(self.data_dir) as con:
            seq = con.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM turns WHERE conversation = ?",
                              (conversation,)).fetchone()[0]
            con.execute("INSERT INTO turns (id, conversation, seq, question, answer, options, generation, created) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (turn_id, conversation, seq, question, json.dumps(answer, ensure_ascii=False),
                         json.dumps(options, ensure_ascii=False), generation, now))
            con.execute("UPDATE conversations SET updated = ? WHERE id = ?", (now, conversation))
        return Turn(turn_id, conversation, question, answer, options, generation)

    def turns(self, conversation: str) -> list[Turn]:
        """The questions and answers of ``conversation``, in order."""
        with connect(self.data_dir) as con:
            rows = con.execute("SELECT id, conversation, question, answer, options, generation FROM turns "
                               "WHERE conversation = ? ORDER BY seq", (conversation,)).fetchall()
        return [Turn(r[0], r[1], r[2], json.loads(r[3]), json.loads(r[4]), r[5]) for r in rows]

    def turn(self, turn_id: str) -> Turn | None:
        with connect(self.data_dir) as con:
            r = con.execute("SELECT id, conversation, question, answer, options, generation FROM turns WHERE id = ?",
                            (turn_id,)).fetchone()
        return Turn(r[0], r[1], r[2], json.loads(r[3]), json.loads(r[4]), r[5]) if r else None

    def rename(self, conversation: str, title: str) -> bool:
        """Give a conversation another title; False when it is not there (or the title is blank)."""
        title = " ".join((title or "").split())[:200]
        if not title:
            return False
        with connect(self.data_dir) as con:
            return con.execute("UPDATE conversations SET title = ? WHERE id = ?", (title, conversation)).rowcount > 0

    def delete(self, conversation: str) -> bool:
        """Delete a conversation and its turns (feedback given on them is kept)."""
        with connect(self.data_dir) as con:
            return con.execute("DELETE FROM conversations WHERE id = ?", (conversation,)).rowcount > 0
