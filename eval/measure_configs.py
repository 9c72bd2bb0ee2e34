"""``rag eval`` for configurations that share one index, each question embedded once.

    PYTHONPATH=. .venv/bin/python eval/measure_configs.py eval/datasets/cmrc2018/questions_dev.jsonl \
        --corpus eval/datasets/cmrc2018/corpus.jsonl --configs eval/configs/rerank.toml \
        --report eval/reports/rerank/cmrc2018 --against hybrid

The same questions, corpus sample, metrics, intervals and report folder as ``rag eval`` (the
functions are rag.evals'), with one difference: every question is embedded once, in batches,
before any configuration searches, and the vector is reused by each configuration (``rag eval``
embeds the question again per configuration, which on a shared 2-core machine costs more than
the searches). The configurations must therefore share the embedding model and the question
text; search latencies (p50/p95) leave out embedding the question. ``--against NAME`` also writes
``compare.txt``: every other configuration against NAME, metric by metric with paired p-values
(:func:`rag.evals.report.compare_config`, what ``rag eval --compare`` prints).
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

from rag.config import load_settings
from rag.evals.build import Builder, prepare_corpus, twin_map
from rag.evals.configs import load_configs, settings_record, with_answers
from rag.evals.questions import read_question_sets, sample_questions
from rag.evals.report import compare_config, text_table, write_report
from rag.evals.runs import EvalPlan, evaluate_target, machine


class EmbeddedOnce:
    """A retriever whose questions arrive already embedded."""

    def __init__(self, retriever, vectors: dict[str, np.ndarray]):
        self.retriever, self.vectors = retriever, vectors
        self.index = retriever.index

    def search(self, text: str, k=None, mode=None):
        query = self.retriever.query(text)
        if text in self.vectors:
            query = dataclasses.replace(query, _vector=self.vectors[text])
        return self.retriever.search(query, k=k, mode=mode)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("questions", nargs="+")
    ap.add_argument("--corpus", nargs="+", required=True)
    ap.add_argument("--configs", required=True)
    ap.add_argument("--sample-docs", type=int)
    ap.add_argument("--sample-questions", type=int)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--k", default="1,3,5,10")
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument("--report", required=True)
    ap.add_argument("--against", help="compare every other configuration with this one (compare.txt)")
    ap.add_argument("--vectors", help="an .npz of question vectors: read if it exists, else written "
                    "(reruns on the same questions then embed nothing)")
    args = ap.parse_args(argv)
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731

    s = load_settings()
    questions, problems = read_question_sets(args.questions)
    questions = sample_questions(questions, args.sample_questions, args.seed)
    ks = sorted({int(x) for x in args.k.split(",")})
    corpus, raws, skipped, sample = prepare_corpus([Path(p) for p in args.corpus], questions, args.sample_docs,
                                                   args.seed, s.cache_dir, log, s.limits)
    configs = with_answers(load_configs(args.configs), False)
    if any(c.baseline for c in configs):
        raise SystemExit("measure_configs.py runs bulletin-rag configurations only (no baseline)")
    plan = EvalPlan(questions, configs, ks, 1000, args.seed, args.bootstrap)
    builder = Builder(s, corpus, raws, log=log)
    twins = twin_map(raws)
    vectors: dict[str, np.ndarray] = {}
    result: dict = {"n": len(questions), "n_answerable": sum(q.answerable for q in questions),
                    "date": time.strftime("%Y-%m-%d %H:%M"), "machine": machine(), "ks": ks, "char_budget": 1000,
                    "seed": args.seed, "bootstrap": args.bootstrap, "configs": {}, "per_question": {}}
    for cfg in configs:
        log(f"== {cfg.name}")
        target = builder.target(cfg)
        if not vectors and args.vectors and Path(args.vectors).is_file():
            saved = np.load(args.vectors, allow_pickle=False)
            vectors.update(zip(saved["texts"].tolist(), saved["vectors"]))
            log(f"question vectors from {args.vectors}")
        if not vectors:
            texts = list(dict.fromkeys(q.question for q in questions))
            t0 = time.perf_counter()
            for i in range(0, len(texts), 64):
                part = texts[i:i + 64]
                queries = [target.searcher.query(t) for t in part]
                vecs = target.embedder.embed_queries([q.text for q in queries])
                vectors.update(zip(part, np.asarray(vecs, np.float32)))
            log(f"embedded {len(texts)} questions in {time.perf_counter() - t0:.0f}s")
            if args.vectors:
                Path(args.vectors).parent.mkdir(parents=True, exist_ok=True)
                np.savez(args.vectors, texts=np.array(list(vectors), dtype=str),
                         vectors=np.stack(list(vectors.values())))
        target.searcher = EmbeddedOnce(target.searcher, vectors)
        summary, per_q, _ = evaluate_target(target, plan, twins, log)
        summary["note"] = "search latency without embedding the question (embedded once, beforehand)"
        result["configs"][cfg.name] = summary
        result["per_question"][cfg.name] = per_q
    result.update(questions=args.questions[0] if len(args.questions) == 1 else list(args.questions),
                  corpus=list(args.corpus), sample=sample, skipped=len(skipped), settings=settings_record(s),
                  loadavg=list(__import__("os").getloadavg()))
    print(text_table(result))
    write_report(result, args.report)
    if args.against:
        lines = []
        for name in result["configs"]:
            if name != args.against:
                lines += compare_config(result, result, args.against, name) + [""]
        (Path(args.report) / "compare.txt").write_text("\n".join(lines), encoding="utf-8")
        print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
