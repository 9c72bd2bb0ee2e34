"""What the reranker adds to search latency, interleaved with the search it replaces.

    PYTHONPATH=. .venv/bin/python eval/bench/rerank.py eval/datasets/cmrc2018/questions_dev.jsonl \
        --corpus eval/datasets/cmrc2018/corpus.jsonl --n 300 --out eval/reports/rerank-latency/cmrc2018.json

Each question is embedded once (outside the timing), then searched at k with the reranker off
and on, in alternating order, on the same index; the report gives p50/p95 of each and of the
per-question difference, with the machine's load average (the figures are only comparable
between runs on a quiet machine).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from rag.config import load_settings
from rag.evals.build import Builder, prepare_corpus
from rag.evals.configs import EvalConfig
from rag.evals.questions import read_question_sets, sample_questions
from rag.evals.runs import machine
from rag.search import Retriever


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("questions")
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--sample-docs", type=int)
    ap.add_argument("--n", type=int, default=300, help="questions (a seeded sample)")
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)

    s = load_settings().replace(mode="hybrid", rerank=False, max_per_doc=0)
    questions, _ = read_question_sets([args.questions])
    questions = sample_questions(questions, args.n, args.seed)
    corpus, raws, _, _ = prepare_corpus([Path(args.corpus)], questions, args.sample_docs, args.seed,
                                        s.cache_dir, lambda m: print(m, file=sys.stderr), s.limits)
    target = Builder(s, corpus, raws).target(EvalConfig("bench", {"mode": "hybrid"}))
    off = target.searcher
    on = Retriever(off.index, off.embedder, s.replace(rerank=True))
    times = {"off": [], "on": []}
    queries = [off.query(q.question) for q in questions]
    vectors = off.embedder.embed_queries([q.text for q in queries])  # once, in one batch, outside the timing
    queries = [dataclasses.replace(q, _vector=np.asarray(v, np.float32)) for q, v in zip(queries, vectors)]
    for side in (off, on):
        side.search(queries[0], k=args.k)  # warm up
    load_before = os.getloadavg()
    for i, q in enumerate(queries):
        order = (("off", off), ("on", on)) if i % 2 == 0 else (("on", on), ("off", off))
        for name, r in order:
            t0 = time.perf_counter()
            r.search(q, k=args.k)
            times[name].append((time.perf_counter() - t0) * 1000)
    load_after = os.getloadavg()
    diff = np.array(times["on"]) - np.array(times["off"])
    pct = lambda xs, p: round(float(np.percentile(xs, p)), 2)  # noqa: E731
    report = {
        "questions": args.questions, "corpus": args.corpus, "sample_docs": args.sample_docs, "n": len(queries),
        "k": args.k, "depth": s.rerank_depth, "passages": len(off.index.chunks), "machine": machine(),
        "date": time.strftime("%Y-%m-%d %H:%M"), "loadavg_before": load_before, "loadavg_after": load_after,
        "ms_off_p50": pct(times["off"], 50), "ms_off_p95": pct(times["off"], 95),
        "ms_on_p50": pct(times["on"], 50), "ms_on_p95": pct(times["on"], 95),
        "added_ms_p50": pct(diff, 50), "added_ms_p95": pct(diff, 95),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=1), encoding="utf-8")
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
