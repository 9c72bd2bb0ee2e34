"""``rag eval``: score retrieval modes on a question set over a corpus."""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

from . import metrics as M
from .questions import Question
from .retriever import Retriever
from .types import Chunk, Hit


@dataclass
class QuestionResult:
    question: Question
    hits: list[Hit]
    rel: list[bool]
    seconds: float
    found: bool


def is_relevant(q: Question, chunk: Chunk, aliases: dict[str, list[str]]) -> bool:
    """Gold document (or one of its identical twins), else a passage holding an evidence string."""
    if q.gold_doc_ids:
        ids = {chunk.doc_id, *aliases.get(chunk.doc_id, ())}
        return bool(ids & set(q.gold_doc_ids))
    text = M.squash(chunk.text)
    return any(M.squash(e) in text for e in q.evidence)


def run_questions(retriever: Retriever, questions: list[Question], mode: str, k: int = 10,
                  ) -> list[QuestionResult]:
    aliases = {d.doc_id: d.aliases for d in retriever.index.documents.values() if d.aliases}
    out = []
    for q in questions:
        t0 = time.perf_counter()
        res = retriever.search(q.question, k=k, mode=mode)
        dt = time.perf_counter() - t0
        rel = [is_relevant(q, h.chunk, aliases) for h in res.hits]
        out.append(QuestionResult(q, res.hits, rel, dt, res.found))
    return out


def score(results: list[QuestionResult], ks: list[int], char_budget: int = 1000) -> dict:
    """Aggregate metrics; unanswerable questions are counted apart."""
    ans = [r for r in results if r.question.answerable]
    una = [r for r in results if not r.question.answerable]
    out: dict[str, float] = {}
    n = max(len(ans), 1)
    for k in ks:
        out[f"hit@{k}"] = sum(M.hit_at(r.rel, k) for r in ans) / n
    out[f"hit@{char_budget}c"] = sum(
        M.hit_within_chars(r.rel, [len(h.chunk.text) for h in r.hits], char_budget) for r in ans) / n
    out["mrr@10"] = sum(M.mrr_at(r.rel, 10) for r in ans) / n
    ev = [r for r in ans if r.question.evidence]
    out["evidence_recall@5"] = (sum(M.evidence_recall(r.question.evidence, [h.chunk.text for h in r.hits], 5)
                                    for r in ev) / len(ev)) if ev else None
    lat = [r.seconds * 1000 for r in results]
    out["ms_per_query_p50"] = round(M.percentile(lat, 50), 2)
    out["ms_per_query_p95"] = round(M.percentile(lat, 95), 2)
    out["n_answerable"] = len(ans)
    out["n_unanswerable"] = len(una)
    if una:
        out["unanswerable_found_rate"] = sum(r.found for r in una) / len(una)
    out["answerable_found_rate"] = sum(r.found for r in ans) / n
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in out.items()}


def eval_index_dir(cache_dir: Path, corpus: list[Path], settings_key: dict) -> Path:
    """Where ``rag eval`` keeps the index of a corpus (reused while corpus and settings match)."""
    key = json.dumps({"corpus": sorted(str(p.resolve()) for p in corpus), **settings_key}, sort_keys=True)
    name = "-".join(p.resolve().name for p in corpus)[:40] or "corpus"
    return Path(cache_dir) / "eval-indexes" / f"{name}-{hashlib.sha1(key.encode()).hexdigest()[:10]}"


def per_question_rows(results: list[QuestionResult], mode: str) -> list[dict]:
    rows = []
    for r in results:
        first = next((i + 1 for i, x in enumerate(r.rel) if x), None)
        rows.append({
            "id": r.question.id, "mode": mode, "question": r.question.question,
            "answerable": r.question.answerable, "first_relevant_rank": first, "found": r.found,
            "ms": round(r.seconds * 1000, 2),
            "hits": [{"rank": h.rank, "doc_id": h.chunk.doc_id, "chunk_id": h.chunk.chunk_id,
                      "score": round(h.score, 5), "relevance": round(h.relevance, 4),
                      "relevant": rel, "text": h.chunk.text[:200]} for h, rel in zip(r.hits, r.rel)],
        })
    return rows
