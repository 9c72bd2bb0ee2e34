"""``rag eval``: score configurations on one question set over one corpus, side by side.

Retrieval (answerable questions): hit@k, MRR@10 and nDCG@10 (by ranx), hit within a context
budget of N characters (``hit@1000c``, ours), recall@k of the evidence strings and of the gold documents;
the rate at which a search finds something above the relevance floor, on answerable and on
unanswerable questions; search latency p50 and p95. Answers (configurations with
``answers``): see :mod:`rag.evals.answers`. Every mean comes with a seeded 95% bootstrap
confidence interval, overall and per ``kind`` and ``lang`` of question.
"""
from __future__ import annotations

import os
import platform
import time
from dataclasses import dataclass
from typing import Callable

from ..types import Chunk, Hit
from . import metrics as M
from .answers import ANSWER_METRICS, AnswerFn, answer_metrics, answer_row, run_answers
from .build import Builder, Target
from .configs import EvalConfig
from .questions import Question

NDCG_K = 10
MRR_K = 10


@dataclass
class QuestionResult:
    """The ranked passages of one search, their relevance, and the time it took."""

    question: Question
    hits: list[Hit]
    rel: list[bool]
    seconds: float
    found: bool


@dataclass(frozen=True)
class Stat:
    """A mean over questions, its bootstrap confidence interval and how many questions it covers."""

    mean: float
    lo: float
    hi: float
    n: int

    def to_dict(self) -> dict:
        return {"mean": round(self.mean, 4), "lo": round(self.lo, 4), "hi": round(self.hi, 4), "n": self.n}


# ------------------------------------------------------------------ relevance and runs
def is_relevant(q: Question, chunk: Chunk, twins: dict[str, str] | None = None) -> bool:
    """A passage of a gold document (or an identical twin), else one holding an evidence string."""
    return q.in_gold(chunk.doc_id, twins) if q.gold_doc_ids else q.evidence_in(chunk.text)


def run_questions(searcher, questions: list[Question], mode: str | None, k: int = 10,
                  twins: dict[str, str] | None = None) -> list[QuestionResult]:
    """Search every question with ``searcher.search(question, k=k, mode=mode)``, timing each.
    ``twins``: document id -> the id of its identical first copy (:func:`rag.evals.build.twin_map`)."""
    twins = twins or {}
    out = []
    for q in questions:
        t0 = time.perf_counter()
        res = searcher.search(q.question, k=k, mode=mode)
        dt = time.perf_counter() - t0
        out.append(QuestionResult(q, res.hits, [is_relevant(q, h.chunk, twins) for h in res.hits],
                                  dt, res.found))
    return out


# ------------------------------------------------------------------ per-question metrics
def recall_ks(ks: list[int]) -> list[int]:
    """The cut-offs recall is reported at: 5 and the hit@k cut-offs above it."""
    return sorted({k for k in ks if k >= 5} | {5})


def metric_names(ks: list[int], char_budget: int, answers: bool = False) -> list[str]:
    """Every per-question metric, in report order."""
    names = [f"hit@{k}" for k in ks] + [f"hit@{char_budget}c", f"mrr@{MRR_K}", f"ndcg@{NDCG_K}"]
    names += [f"evidence_recall@{k}" for k in recall_ks(ks)] + [f"doc_recall@{k}" for k in recall_ks(ks)]
    names += ["answerable_found_rate", "unanswerable_found_rate"]
    return names + (list(ANSWER_METRICS) if answers else [])


def ranked(results: list[QuestionResult], ks: list[int]) -> list[dict[str, float]]:
    """hit@k, mrr@10 and ndcg@10 of every question, by ranx in one call."""
    return M.ranked_metrics([r.rel for r in results], ks, MRR_K, NDCG_K)


def retrieval_metrics(r: QuestionResult, ks: list[int], char_budget: int,
                      twins: dict[str, str] | None = None,
                      ranks: dict[str, float] | None = None) -> dict[str, float | None]:
    """Per-question retrieval metrics; None where one does not apply (e.g. unanswerable).
    ``ranks``: this question's entry of :func:`ranked` (computed here when not given)."""
    q = r.question
    out: dict[str, float | None] = dict.fromkeys(metric_names(ks, char_budget))
    if not q.answerable:
        out["unanswerable_found_rate"] = float(r.found)
        return out
    twins = twins or {}
    out.update(ranks if ranks is not None else ranked([r], ks)[0])
    out[f"hit@{char_budget}c"] = M.hit_within_chars(r.rel, [len(h.chunk.text) for h in r.hits], char_budget)
    texts = [h.chunk.text for h in r.hits]
    gold = {twins.get(g, g) for g in q.gold_doc_ids}
    found_docs = [twins.get(h.chunk.doc_id, h.chunk.doc_id) for h in r.hits]
    for k in recall_ks(ks):
        if q.evidence:
            out[f"evidence_recall@{k}"] = M.evidence_recall(q.evidence, texts, k)
        if gold:
            out[f"doc_recall@{k}"] = M.recall_at(found_docs, gold, k)
    out["answerable_found_rate"] = float(r.found)
    return out


# ------------------------------------------------------------------ aggregation
def aggregate(rows: list[dict], names: list[str], seed: int = 0, n_resamples: int = 1000) -> dict[str, Stat | None]:
    """Mean and bootstrap interval of each metric over the questions it applies to
    (``n_resamples`` 0: no interval, lo = hi = mean); None where it applies to none."""
    out: dict[str, Stat | None] = {}
    for name in names:
        values = [row[name] for row in rows if row.get(name) is not None]
        if not values:
            out[name] = None
            continue
        mean = sum(values) / len(values)
        lo, hi = M.bootstrap_ci(values, n_resamples, seed) if n_resamples > 0 else (mean, mean)
        out[name] = Stat(mean, lo, hi, len(values))
    return out


def breakdown(rows: list[dict], questions: list[Question], attr: str, names: list[str],
              seed: int = 0, n_resamples: int = 1000) -> dict[str, dict[str, dict]]:
    """:func:`aggregate` per value of a question attribute (``kind`` or ``lang``)."""
    groups: dict[str, list[dict]] = {}
    for row, q in zip(rows, questions):
        groups.setdefault(getattr(q, attr) or "(none)", []).append(row)
    return {value: {"n": len(g), **{m: s.to_dict() for m, s in aggregate(g, names, seed, n_resamples).items() if s}}
            for value, g in sorted(groups.items())}


def hit_curve(results: list[QuestionResult], depth: int) -> list[float]:
    """hit@1 .. hit@depth over the answerable questions."""
    ans = [r for r in results if r.question.answerable]
    if not ans:
        return []
    rows = M.ranked_metrics([r.rel for r in ans], list(range(1, depth + 1)))
    return [round(sum(row[f"hit@{k}"] for row in rows) / len(rows), 4) for k in range(1, depth + 1)]


def flat_scores(stats: dict[str, Stat | None], results: list[QuestionResult],
                answers: list | None = None) -> dict:
    """The one-number-per-metric summary of a configuration (the ``modes`` shape of old)."""
    out: dict = {m: (round(s.mean, 4) if s else None) for m, s in stats.items()}
    lat = [r.seconds * 1000 for r in results]
    out["ms_per_query_p50"] = round(M.percentile(lat, 50), 2)
    out["ms_per_query_p95"] = round(M.percentile(lat, 95), 2)
    out["n_answerable"] = sum(r.question.answerable for r in results)
    out["n_unanswerable"] = len(results) - out["n_answerable"]
    if answers:
        alat = [a.seconds * 1000 for a in answers]
        out["answer_ms_p50"] = round(M.percentile(alat, 50), 2)
        out["answer_ms_p95"] = round(M.percentile(alat, 95), 2)
    return out


def score(results: list[QuestionResult], ks: list[int], char_budget: int = 1000,
          twins: dict[str, str] | None = None) -> dict:
    """Flat retrieval scores of one run (no intervals)."""
    names = metric_names(ks, char_budget)
    rows = [retrieval_metrics(r, ks, char_budget, twins, rk) for r, rk in zip(results, ranked(results, ks))]
    return flat_scores(aggregate(rows, names, n_resamples=0), results)


# ------------------------------------------------------------------ per-question rows
def _short(text: str, n: int = 120) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


def question_row(r: QuestionResult, metrics: dict, top: int = 3) -> dict:
    """One question's outcome for the JSON report and ``--compare``; the leading passages are
    kept where the first one is not relevant (or, for an unanswerable question, was found)."""
    q = r.question
    first = M.first_relevant(r.rel)
    missed = first != 1 if q.answerable else r.found
    return {
        "id": q.id, "question": q.question, "kind": q.kind, "lang": q.lang, "answerable": q.answerable,
        "first_relevant_rank": first, "found": r.found, "ms": round(r.seconds * 1000, 2),
        "metrics": {k: round(v, 4) for k, v in metrics.items() if v is not None},
        "expected": q.gold_doc_ids[:5] or q.evidence[:3],
        "top": [{"rank": h.rank, "doc_id": h.chunk.doc_id, "chunk_id": h.chunk.chunk_id,
                 "relevant": rel, "score": round(float(h.score), 5), "text": _short(h.chunk.text)}
                for h, rel in list(zip(r.hits, r.rel))[:top]] if missed else [],
    }


def per_question_rows(results: list[QuestionResult], mode: str) -> list[dict]:
    """Every hit of every question (``rag eval --per-question`` JSONL)."""
    rows = []
    for r in results:
        rows.append({
            "id": r.question.id, "mode": mode, "question": r.question.question,
            "answerable": r.question.answerable, "first_relevant_rank": M.first_relevant(r.rel),
            "found": r.found, "ms": round(r.seconds * 1000, 2),
            "hits": [{"rank": h.rank, "doc_id": h.chunk.doc_id, "chunk_id": h.chunk.chunk_id,
                      "score": round(float(h.score), 5), "relevance": round(float(h.relevance), 4),
                      "relevant": rel, "text": h.chunk.text[:200]} for h, rel in zip(r.hits, r.rel)],
        })
    return rows


# ------------------------------------------------------------------ one configuration, then all
@dataclass
class EvalPlan:
    """What a comparison runs: the same questions and corpus for every configuration."""

    questions: list[Question]
    configs: list[EvalConfig]
    ks: list[int]
    char_budget: int = 1000
    seed: int = 0
    n_resamples: int = 1000


def make_answer_fn(target: Target) -> AnswerFn:
    """The answers scored for a configuration: ``Assistant.ask`` over its index, the one path
    every user's question takes, with the configured answerer (``answerer`` in the settings)."""
    from ..answering import Assistant

    bot = Assistant(target.settings, embedder=target.embedder, llm=None, index=target.searcher.index)
    return lambda question: bot.ask(question)


def evaluate_target(target: Target, plan: EvalPlan, twins: dict[str, str],
                    log: Callable[[str], None] = lambda s: None) -> tuple[dict, list[dict], list[QuestionResult]]:
    """Run and score one configuration: ``(summary, per-question rows, raw results)``."""
    cfg = target.config
    depth = max(plan.ks + [MRR_K, NDCG_K])
    target.searcher.search("warm up", k=1, mode=target.mode)
    results = run_questions(target.searcher, plan.questions, target.mode, depth, twins)
    rows = [retrieval_metrics(r, plan.ks, plan.char_budget, twins, rk)
            for r, rk in zip(results, ranked(results, plan.ks))]
    answers = None
    if cfg.answers:
        log(f"{cfg.name}: answering {len(plan.questions)} questions")
        answers = run_answers(plan.questions, make_answer_fn(target))
        for row, a in zip(rows, answers):
            row.update(answer_metrics(a, twins))
    names = metric_names(plan.ks, plan.char_budget, bool(answers))
    stats = aggregate(rows, names, plan.seed, plan.n_resamples)
    summary = {
        "config": cfg.to_dict(), "mode": cfg.mode, **target.info,
        "scores": flat_scores(stats, results, answers),
        "ci": {m: [round(s.lo, 4), round(s.hi, 4)] for m, s in stats.items() if s},
        "n_per_metric": {m: s.n for m, s in stats.items() if s},
        "by_kind": breakdown(rows, plan.questions, "kind", names, plan.seed, plan.n_resamples),
        "by_lang": breakdown(rows, plan.questions, "lang", names, plan.seed, plan.n_resamples),
        "hit_curve": hit_curve(results, depth),
    }
    per_q = [question_row(r, row) for r, row in zip(results, rows)]
    if answers:
        for pq, a in zip(per_q, answers):
            pq["answer"] = answer_row(a)
    return summary, per_q, results


def machine() -> str:
    """This machine in a few words (for the reports)."""
    cpu = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            cpu = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), "")
    except OSError:
        pass
    try:
        mem = f", {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB RAM"
    except (ValueError, OSError, AttributeError):
        mem = ""
    return f"{os.cpu_count()} cores ({cpu or platform.processor() or 'unknown CPU'}){mem}, {platform.system()}"


def run_eval(plan: EvalPlan, builder: Builder, twins: dict[str, str],
             log: Callable[[str], None] = lambda s: None,
             on_results: Callable[[str, list[QuestionResult]], None] | None = None) -> dict:
    """Every configuration of ``plan`` on the same questions: the full result (JSON-ready)."""
    out: dict = {
        "n": len(plan.questions), "n_answerable": sum(q.answerable for q in plan.questions),
        "date": time.strftime("%Y-%m-%d %H:%M"), "machine": machine(),
        "ks": plan.ks, "char_budget": plan.char_budget, "seed": plan.seed, "bootstrap": plan.n_resamples,
        "configs": {}, "per_question": {},
    }
    for cfg in plan.configs:
        log(f"== {cfg.name} ({cfg.mode})")
        target = builder.target(cfg)
        summary, per_q, results = evaluate_target(target, plan, twins, log)
        out["configs"][cfg.name] = summary
        out["per_question"][cfg.name] = per_q
        if on_results:
            on_results(cfg.name, results)
        del target
    return out
