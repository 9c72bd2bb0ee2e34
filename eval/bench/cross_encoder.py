"""The cross-encoder reranker: ranking gain and added latency by shortlist depth and model (layers).

    PYTHONPATH=. .venv/bin/python eval/bench/cross_encoder.py Q.jsonl --corpus C.jsonl \
        --weights rag/search/models/cross-encoder.safetensors [--weights other.safetensors ...] \
        --depths 5,10,20,30,40 --out eval/reports/cross-encoder/<set>

Each question is searched once (hybrid, no reranking; the question embedded outside any timing)
for its fused top ``max(depths)``. Each model scores that shortlist once; reordering its top
``d`` by those scores gives hit@k and MRR@10 at every depth ``d`` (a pair's score does not depend
on the other pairs). Latency is timed apart, on ``--latency-n`` questions: the second stage
alone at each depth (reading the passages, tokenising, scoring), interleaved across depths, with
the load average before and after. CPU flags are printed beside the figures.
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
from rag.embed.cpu import cpu_flags, describe
from rag.evals.build import Builder, prepare_corpus, twin_map
from rag.evals.configs import EvalConfig
from rag.evals.questions import read_question_sets, sample_questions
from rag.evals.runs import is_relevant, machine
from rag.search.cross_rerank import PassageReranker, cross_rerank

FUSED_WEIGHTS = (0.0, 1.0, 2.0, 4.0, 8.0)  # score + w x the fused score (0..1)


def first_relevant(order: list[int], rel: list[bool], k: int = 10) -> int | None:
    for rank, i in enumerate(order[:k], 1):
        if rel[i]:
            return rank
    return None


def metrics_of(firsts: list[int | None]) -> dict:
    n = len(firsts)
    return {"hit@1": sum(f == 1 for f in firsts) / n, "hit@5": sum(f is not None and f <= 5 for f in firsts) / n,
            "hit@10": sum(f is not None for f in firsts) / n, "mrr@10": sum(1 / f for f in firsts if f) / n}


def reorder(scores: np.ndarray, depth: int) -> list[int]:
    head = sorted(range(min(depth, len(scores))), key=lambda i: (-scores[i], i))
    return head + list(range(len(head), len(scores)))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("questions")
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--sample-docs", type=int)
    ap.add_argument("--n", type=int, help="a seeded sample of questions (default: all)")
    ap.add_argument("--weights", action="append", required=True, help="a cross-encoder weights file (repeatable)")
    ap.add_argument("--precision", default="fp32", help="fp32 or int8 (ONNX Runtime), or both: fp32,int8")
    ap.add_argument("--depths", default="5,10,20,30,40")
    ap.add_argument("--latency-n", type=int, default=100, help="questions timed at each depth")
    ap.add_argument("--threads", type=int, help="ONNX Runtime threads (default: the cores this process may use)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", required=True, help="folder for results.json and summary.md")
    args = ap.parse_args(argv)
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731

    depths = sorted({int(d) for d in args.depths.split(",")})
    s = load_settings().replace(mode="hybrid", rerank=False, max_per_doc=0)
    questions, _ = read_question_sets([args.questions])
    questions = [q for q in sample_questions(questions, args.n, args.seed) if q.answerable]
    corpus, raws, _, _ = prepare_corpus([Path(args.corpus)], questions, args.sample_docs, args.seed, s.cache_dir,
                                        log, s.limits)
    target = Builder(s, corpus, raws, log=log).target(EvalConfig("bench", {"mode": "hybrid", "rerank": False}))
    retriever, index = target.searcher, target.searcher.index
    twins = twin_map(raws)
    queries = [retriever.query(q.question) for q in questions]
    vectors = retriever.embedder.embed_queries([q.text for q in queries])
    queries = [dataclasses.replace(q, _vector=np.asarray(v, np.float32)) for q, v in zip(queries, vectors)]
    top = max(depths)
    shortlists, rels = [], []
    for q, query in zip(questions, queries):
        res = retriever.search(query, k=top)
        shortlists.append(res.hits)
        rels.append([is_relevant(q, h.chunk, twins) for h in res.hits])
    log(f"{len(questions)} questions, shortlists of {top} over {len(index)} passages")
    fused = metrics_of([first_relevant(list(range(len(r))), r) for r in rels])
    report = {"threads": args.threads, "questions": args.questions, "corpus": args.corpus, "sample_docs": args.sample_docs,
              "n": len(questions), "passages": len(index), "machine": machine(), "cpu_flags": describe(cpu_flags()),
              "date": time.strftime("%Y-%m-%d %H:%M"), "depths": depths, "fused": fused, "models": {}}
    row_of = {c.chunk_id: i for i, c in enumerate(index.chunks)}
    rows = [[row_of[h.chunk.chunk_id] for h in hits] for hits in shortlists]
    for weights in args.weights:
        for precision in args.precision.split(","):
            name = f"{Path(weights).stem}-{precision}"
            model = PassageReranker(Path(weights), s.cache_dir, precision, args.threads)
            model.model  # loaded (and exported, the first time) before any timing
            texts = [[h.chunk.embed_text() for h in hits] for hits in shortlists]
            t0 = time.perf_counter()
            scores = [model.score(query, t) if t else np.zeros(0) for query, t in zip(queries, texts)]
            per = {"layers": model.spec.layers, "precision": precision, "bytes": Path(weights).stat().st_size,
                   "seconds_scoring_all": round(time.perf_counter() - t0, 1), "by_depth": {}}
            for d in depths:
                per["by_depth"][str(d)] = metrics_of([first_relevant(reorder(sc, d), r) for sc, r in zip(scores, rels)])
            fused_scores = [np.array([h.score for h in hits], np.float32) for hits in shortlists]
            per["plus_fused"] = {str(w): {str(d): metrics_of([first_relevant(reorder(sc + w * fs, d), r)
                                                             for sc, fs, r in zip(scores, fused_scores, rels)])
                                          for d in depths} for w in FUSED_WEIGHTS}
            # latency of the second stage alone, interleaved across depths
            times = {d: [] for d in depths}
            cpu = {d: [] for d in depths}
            load_before = os.getloadavg()
            for i in range(min(args.latency_n, len(queries))):
                ranked = [(r, h.score) for r, h in zip(rows[i], shortlists[i])]
                for d in (depths if i % 2 == 0 else depths[::-1]):
                    t0, c0 = time.perf_counter(), time.process_time()
                    cross_rerank(queries[i], index, ranked, model, d)
                    times[d].append((time.perf_counter() - t0) * 1000)
                    cpu[d].append((time.process_time() - c0) * 1000)
            per["loadavg_before"], per["loadavg_after"] = load_before, os.getloadavg()
            for d in depths:
                per["by_depth"][str(d)].update(ms_p50=round(float(np.percentile(times[d], 50)), 1),
                                               ms_p95=round(float(np.percentile(times[d], 95)), 1),
                                               cpu_ms_p50=round(float(np.percentile(cpu[d], 50)), 1))
            report["models"][name] = per
            log(f"{name}: " + json.dumps(per["by_depth"]))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    (out / "summary.md").write_text(summary(report), encoding="utf-8")
    print(summary(report))
    return 0


def summary(r: dict) -> str:
    f = r["fused"]
    lines = [f"# Cross-encoder reranking: {r['questions']} ({r['n']} answerable questions, {r['passages']} passages)", "",
             f"{r['date']}, {r['machine']}; CPU flags: {r['cpu_flags']}", "",
             f"Fused (no reranking): hit@1 {f['hit@1']:.3f}, hit@5 {f['hit@5']:.3f}, hit@10 {f['hit@10']:.3f}, "
             f"MRR@10 {f['mrr@10']:.3f}", "",
             "| model | layers | depth | hit@1 | hit@5 | MRR@10 | added ms p50 | p95 | CPU ms p50 | load avg |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for name, m in r["models"].items():
        for d, x in m["by_depth"].items():
            lines.append(f"| {name} | {m['layers']} | {d} | {x['hit@1']:.3f} | {x['hit@5']:.3f} | {x['mrr@10']:.3f} | "
                         f"{x.get('ms_p50', '')} | {x.get('ms_p95', '')} | {x.get('cpu_ms_p50', '')} | "
                         f"{m['loadavg_before'][0]:.1f}-{m['loadavg_after'][0]:.1f} |")
    lines += ["", "Added to the fused score (score + w x fused, fused in 0..1), MRR@10:", "",
              "| model | depth | " + " | ".join(f"w={w}" for w in FUSED_WEIGHTS) + " |",
              "|---|---|" + "---|" * len(FUSED_WEIGHTS)]
    for name, m in r["models"].items():
        for d in m["by_depth"]:
            lines.append(f"| {name} | {d} | " + " | ".join(f"{m['plus_fused'][str(w)][d]['mrr@10']:.3f}"
                                                         for w in FUSED_WEIGHTS) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
