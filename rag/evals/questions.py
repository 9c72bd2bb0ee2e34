"""Question sets: one JSON object a line (JSONL), UTF-8.

Fields:

- ``id`` (string, required, unique in the set) and ``question`` (non-empty string, required);
- ``answer``: the reference answer as a person would write it (string or null);
- ``answers``: acceptable answer spans (list of strings; CMRC-style EM and F1 take the best);
- ``answer_keys``: short strings a correct answer must *all* contain (containment metric);
- ``evidence``: strings of the corpus that answer the question; a passage holding one of
  them (whitespace ignored) is relevant;
- ``gold_doc_ids``: ids of the documents that answer it; when given, a passage of one of
  them is relevant (evidence is then only used for evidence recall);
- ``lang`` (``zh``, ``en``...) and ``kind`` (``fact``, ``paraphrase``, ``unanswerable``...):
  free labels that the reports break the metrics down by;
- ``missing``: for a near-miss question (one detail of an answerable one changed: 2022年 for
  2023年, 济南 for 青岛), the changed detail; a caveat must name it.

A question with neither evidence nor gold ids is unanswerable: the right reply is a refusal.
Unknown fields are ignored. See ``eval/datasets/README.md``.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from ..text import fold, squash


class QuestionSetError(ValueError):
    """A malformed question set; the message names the file and line."""


@dataclass
class Question:
    id: str
    question: str
    answer: str | None = None
    answers: list[str] = field(default_factory=list)
    answer_keys: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    gold_doc_ids: list[str] = field(default_factory=list)
    lang: str = ""
    kind: str = ""
    missing: str = ""
    # a near-miss: the gold documents of the question it changes (kept in a --sample-docs sample, so
    # the passage it nearly matches is there to be refused)
    source_doc_ids: list[str] = field(default_factory=list)

    @property
    def answerable(self) -> bool:
        return bool(self.evidence or self.gold_doc_ids)

    def in_gold(self, doc_id: str, twins: dict[str, str] | None = None) -> bool:
        """Is ``doc_id`` one of the gold documents (or an identical twin of one)?"""
        twins = twins or {}
        return twins.get(doc_id, doc_id) in {twins.get(g, g) for g in self.gold_doc_ids}

    def evidence_in(self, text: str) -> bool:
        """Does ``text`` hold one of the evidence strings (whitespace ignored, Traditional and
        Simplified Chinese alike)?"""
        flat = fold(squash(text))
        return any(fold(squash(e)) in flat for e in self.evidence)

    @property
    def references(self) -> list[str]:
        """Reference answers for EM/F1 and containment: ``answers``, else ``[answer]``."""
        return list(self.answers) or ([self.answer] if self.answer else [])


_LISTS = ("answers", "answer_keys", "evidence", "gold_doc_ids", "source_doc_ids")


def parse_question(obj: object, where: str) -> Question:
    if not isinstance(obj, dict):
        raise QuestionSetError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    for key in ("id", "question"):
        if key not in obj:
            raise QuestionSetError(f"{where}: missing required field {key!r}")
    if not isinstance(obj["question"], str) or not obj["question"].strip():
        raise QuestionSetError(f"{where}: 'question' must be a non-empty string")
    if not isinstance(obj["id"], (str, int)):
        raise QuestionSetError(f"{where}: 'id' must be a string")
    for key in _LISTS:
        v = obj.get(key)
        if v is not None and (not isinstance(v, list) or not all(isinstance(x, str) for x in v)):
            raise QuestionSetError(f"{where}: {key!r} must be a list of strings")
        if key in ("answer_keys", "evidence") and v and not all(x.strip() for x in v):
            raise QuestionSetError(f"{where}: {key!r} holds an empty string (it would match anything)")
    ans = obj.get("answer")
    if ans is not None and not isinstance(ans, (str, int, float)):
        raise QuestionSetError(f"{where}: 'answer' must be a string or null")
    for key in ("lang", "kind", "missing"):
        if obj.get(key) is not None and not isinstance(obj[key], str):
            raise QuestionSetError(f"{where}: {key!r} must be a string")
    return Question(
        id=str(obj["id"]), question=obj["question"].strip(),
        answer=None if ans is None else str(ans),
        **{k: list(obj.get(k) or []) for k in _LISTS},
        lang=obj.get("lang") or "", kind=obj.get("kind") or "", missing=obj.get("missing") or "",
    )


def read_question_set(path: str | Path) -> tuple[list[Question], list[str]]:
    """Read a question set, keeping the valid lines; returns ``(questions, problems)``.

    Each problem names the file and line number of a malformed line that was left out.
    """
    path = Path(path)
    if not path.is_file():
        raise QuestionSetError(f"question set not found: {path}")
    out: list[Question] = []
    problems: list[str] = []
    ids: set[str] = set()
    for lineno, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise QuestionSetError(f"{where}: invalid JSON ({exc.msg} at column {exc.colno})") from exc
            q = parse_question(obj, where)
            if q.id in ids:
                raise QuestionSetError(f"{where}: duplicate id {q.id!r}")
        except QuestionSetError as exc:
            problems.append(str(exc))
            continue
        ids.add(q.id)
        out.append(q)
    if not out:
        raise QuestionSetError(f"{path}: no valid questions" + (f" ({problems[0]})" if problems else ""))
    return out, problems


def load_questions(path: str | Path) -> list[Question]:
    """Read and validate a question set; the first malformed line raises with its line number."""
    questions, problems = read_question_set(path)
    if problems:
        raise QuestionSetError(problems[0] + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
    return questions


def read_question_sets(paths: list[str | Path]) -> tuple[list[Question], list[str]]:
    """Several sets read as one (ids must stay unique across them); ``(questions, problems)``."""
    out: list[Question] = []
    problems: list[str] = []
    seen: dict[str, Path] = {}
    for path in paths:
        qs, probs = read_question_set(path)
        problems.extend(probs)
        for q in qs:
            if q.id in seen:
                problems.append(f"{path}: id {q.id!r} is also in {seen[q.id]}; left out")
                continue
            seen[q.id] = Path(path)
            out.append(q)
    return out, problems


def sample_questions(questions: list[Question], n: int | None, seed: int = 0) -> list[Question]:
    """A seeded random sample of ``n`` questions, in their original order (all when n is None)."""
    if not n or n >= len(questions):
        return list(questions)
    keep = set(random.Random(seed).sample(range(len(questions)), n))
    return [q for i, q in enumerate(questions) if i in keep]
