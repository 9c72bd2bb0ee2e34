"""Scoring answers: containment, CMRC-style EM and F1, citation precision, refusals.

The answerer is pluggable: :func:`run_answers` takes any ``answer_fn(question_text) -> Answer``.
``rag eval`` passes ``Assistant.ask`` of the configuration's index: the one answer path users
get (follow-up handling, refusal text and all).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from ..types import Answer, Citation
from . import metrics as M
from .questions import Question

AnswerFn = Callable[[str], Answer]

ANSWER_METRICS = ("answer_containment", "answer_em", "answer_f1", "citation_precision",
                  "refusal_rate_unanswerable", "wrong_refusal_rate", "declined_rate_unanswerable",
                  "caveat_rate_answerable", "caveat_names_missing")


@dataclass
class AnswerResult:
    """One question's answer and the seconds it took."""

    question: Question
    answer: Answer
    seconds: float


def run_answers(questions: list[Question], answer_fn: AnswerFn) -> list[AnswerResult]:
    """Ask every question, timing each answer."""
    out = []
    for q in questions:
        t0 = time.perf_counter()
        ans = answer_fn(q.question)
        out.append(AnswerResult(q, ans, time.perf_counter() - t0))
    return out


def citation_supported(q: Question, citation: Citation, answer: Answer,
                       twins: dict[str, str] | None = None) -> bool:
    """Does the cited passage hold the question's evidence, or come from one of its gold documents?"""
    if q.gold_doc_ids and q.in_gold(citation.doc_id, twins):
        return True
    passage = next((h.chunk.text for h in answer.passages if h.chunk.chunk_id == citation.chunk_id),
                   citation.quote)
    return q.evidence_in(passage)


def answer_metrics(r: AnswerResult, twins: dict[str, str] | None = None) -> dict[str, float | None]:
    """Per-question answer metrics; None where a metric does not apply to the question."""
    q, a = r.question, r.answer
    out: dict[str, float | None] = dict.fromkeys(ANSWER_METRICS)
    if not q.answerable:
        out["refusal_rate_unanswerable"] = float(a.refused)
        out["declined_rate_unanswerable"] = float(a.refused or bool(a.caveat))  # refused, or said it is not there
        if a.caveat and q.missing:
            out["caveat_names_missing"] = float(q.missing.lower() in a.caveat.lower())
        return out
    out["wrong_refusal_rate"] = float(a.refused)
    out["caveat_rate_answerable"] = float(bool(a.caveat))
    text = "" if a.refused else a.text
    out["answer_containment"] = M.contains_answer(text, q.answer_keys, q.references)
    if q.references:
        out["answer_em"] = M.exact_match(text, q.references)
        out["answer_f1"] = M.f1_score(text, q.references)
    if not a.refused and a.citations:
        out["citation_precision"] = (sum(citation_supported(q, c, a, twins) for c in a.citations)
                                     / len(a.citations))
    return out


def answer_row(r: AnswerResult) -> dict:
    """What the per-question report keeps of an answer."""
    a = r.answer
    return {"text": a.text, "refused": a.refused, "caveat": a.caveat, "ms": round(r.seconds * 1000, 2),
            "citations": [{"n": c.n, "chunk_id": c.chunk_id, "doc_id": c.doc_id} for c in a.citations]}
