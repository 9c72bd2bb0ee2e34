"""Feedback on answers: 👍 or 👎, and for a 👎 what the answer should have been.

Each record keeps what produced the answer (the question, the answer with its citations, the
index generation, the question's options and the assistant's settings), copied from the turn, so
it outlives the conversation. :func:`feedback_questions` turns the records into a question set
in the eval format (``rag feedback export``), which ``rag eval`` scores: what users flagged
becomes what the next change is measured on.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..text.markers import strip_markers
from .db import connect
from .history import Turn


@dataclass(frozen=True)
class Feedback:
    turn: str
    kb: str
    conversation: str
    question: str
    answer: dict  # text, note, refused, citations (each with doc_id and quote)...
    generation: str
    settings: dict
    rating: int  # 1: 👍, -1: 👎
    correction: str = ""
    should_refuse: bool = False
    gold_doc_ids: list[str] = field(default_factory=list)

    @property
    def cited_docs(self) -> list[str]:
        return list(dict.fromkeys(c.get("doc_id", "") for c in self.answer.get("citations") or [] if c.get("doc_id")))


_COLS = ("turn, kb, conversation, question, answer, generation, settings, rating, correction, should_refuse, "
         "gold_doc_ids")


def _record(r) -> Feedback:
    return Feedback(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], json.loads(r[6]), int(r[7]), r[8], bool(r[9]),
                    json.loads(r[10]))


class FeedbackStore:
    """Feedback kept in ``<data_dir>/workspace.sqlite``, one record per answer."""

    def __init__(self, data_dir: str | Path):
        self.data_dir = Path(data_dir)

    def rate(self, turn: Turn, kb: str, rating: int, settings: dict) -> Feedback:
        """👍 (``rating`` 1) or 👎 (-1) for ``turn``'s answer; rating it again changes the rating
        (a 👍 clears a correction given with an earlier 👎)."""
        if rating not in (1, -1):
            raise ValueError(f"a rating is 1 or -1, not {rating!r}")
        now = time.time()
        with connect(self.data_dir) as con:
            con.execute(
                "INSERT INTO feedback (turn, kb, conversation, question, answer, generation, settings, rating, "
                "created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (turn) DO UPDATE SET "
                "rating = excluded.rating, updated = excluded.updated, "
                "correction = CASE WHEN excluded.rating > 0 THEN '' ELSE correction END, "
                "should_refuse = CASE WHEN excluded.rating > 0 THEN 0 ELSE should_refuse END",
                (turn.id, kb, turn.conversation, turn.question, json.dumps(turn.answer, ensure_ascii=False),
                 turn.generation, json.dumps({**turn.options, **settings}, ensure_ascii=False, default=str),
                 rating, now, now))
        return self.get(turn.id)

    def correct(self, turn_id: str, correction: str = "", should_refuse: bool = False,
                gold_doc_ids: list[str] | None = None) -> Feedback | None:
        """What a 👎'd answer should have been: a corrected answer (and the documents that hold
        it), or that the question should have been refused. None when the answer has no 👎."""
        with connect(self.data_dir) as con:
            n = con.execute("UPDATE feedback SET correction = ?, should_refuse = ?, gold_doc_ids = ?, updated = ? "
                            "WHERE turn = ? AND rating < 0",
                            ((correction or "").strip(), int(bool(should_refuse)),
                             json.dumps(list(gold_doc_ids or []), ensure_ascii=False), time.time(), turn_id)).rowcount
        return self.get(turn_id) if n else None

    def get(self, turn_id: str) -> Feedback | None:
        with connect(self.data_dir) as con:
            r = con.execute(f"SELECT {_COLS} FROM feedback WHERE turn = ?", (turn_id,)).fetchone()
        return _record(r) if r else None

    def all(self, kb: str | None = None) -> list[Feedback]:
        """Every record (of knowledge base ``kb`` only, when given), oldest first."""
        with connect(self.data_dir) as con:
            if kb is None:
                rows = con.execute(f"SELECT {_COLS} FROM feedback ORDER BY created").fetchall()
            else:
                rows = con.execute(f"SELECT {_COLS} FROM feedback WHERE kb = ? ORDER BY created", (kb,)).fetchall()
        return [_record(r) for r in rows]


def feedback_question(f: Feedback) -> dict | None:
    """One record as a question of the eval format (``id``, ``question``, ``answer``,
    ``evidence``, ``gold_doc_ids``, with ``kind`` and ``lang``), or None when it says nothing
    testable (a 👎 without a correction):

    - 👎 "should have been refused", or 👍 on a refusal: a refusal case (no answer, evidence or
      gold documents);
    - 👎 with a correction: the correction is the answer, the documents named with it (by default
      those the answer cited) the gold documents; with none named, the correction is the evidence;
    - 👍: the answer as given, its quotes as evidence and its cited documents as gold.
    """
    base = {"id": f"feedback-{f.turn}", "question": f.question, "lang": f.answer.get("lang", "")}
    refusal = {**base, "answer": None, "evidence": [], "gold_doc_ids": []}
    if f.rating < 0:
        if f.should_refuse:
            return {**refusal, "kind": "should-refuse"}
        if not f.correction:
            return None
        gold = [d for d in f.gold_doc_ids if d]
        return {**base, "answer": f.correction, "evidence": [] if gold else [f.correction], "gold_doc_ids": gold,
                "kind": "corrected"}
    if f.answer.get("refused"):
        return {**refusal, "kind": "confirmed-refusal"}
    quotes = [c["quote"].strip() for c in f.answer.get("citations") or [] if (c.get("quote") or "").strip()]
    return {**base, "answer": strip_markers(f.answer.get("text", "")).strip(), "evidence": list(dict.fromkeys(quotes)),
            "gold_doc_ids": f.cited_docs, "kind": "confirmed"}


def feedback_questions(records: list[Feedback]) -> tuple[list[dict], int]:
    """The records as a question set (:func:`feedback_question`), and how many said nothing testable."""
    out = [feedback_question(f) for f in records]
    return [q for q in out if q is not None], sum(q is None for q in out)
