"""Recall of the approximate vector indexes against exact search, and their latency.

    PYTHONPATH=. .venv/bin/python eval/bench_ann.py --sample-index INDEX \\
        --questions ../shared/benchmarks/crud-news/questions_dev.jsonl --sizes 16838 1000000 \\
        --out eval/reports/scale/ann.json

For each size the vectors are those of ``--sample-index`` (real model vectors of the crud-news
sample), topped up with random vectors drawn with the same mean and per-dimension spread as
the real ones, then normalised (as ``eval/bench_scale.py`` makes them). Queries are the
questions of ``--questions`` embedded with the model. For each index type the top 10 of
:meth:`rag.index.Index.dense`'s path (:func:`rag.index.local.vectors.search_rescored`: the shortlist
re-scored exactly) is compared with exact search: recall@10 = the share of the exact top 10
found; latency is per query, one thread.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def vectors_of_size(real: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.empty((n, real.shape[1]), np.float32)
    out[:min(n, len(real))] = real[:n]
    mean, spread = real.mean(axis=0), real.std(axis=0)
    for i in range(len(real), n, 100_000):
        j = min(n, i + 100_000)
        v = mean + spread * rng.standard_normal((j - i, real.shape[1])).astype(np.float32)
        out[i:j] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sample-index", type=Path, required=True)
    p.add_argument("--questions", type=Path, required=True)
    p.add_argument("--sizes", type=int, nargs="+", default=[16_838, 1_000_000])
    p.add_argument("--types", nargs="+", default=["ivfsq8", "hnsw"])
    p.add_argument("--queries", type=int, default=200)
    p.add_argument("--out", type=Path)
    a = p.parse_args()

    import faiss

    from rag.config import load_settings
    from rag.embed import load_embedder
    from rag.evals.questions import load_questions, sample_questions
    from rag.index import Index
    from rag.index.local.vectors import build_vector_index, search_rescored, search_vectors

    idx = Index.load(a.sample_index)
    real = idx.vectors_of(np.arange(len(idx)))
    qs = sample_questions(load_questions(a.questions), a.queries, seed=0)
    emb = load_embedder(load_settings(env={}))
    qv = emb.embed_queries([q.question for q in qs])
    res = {"load_at_start": os.getloadavg(), "queries": len(qs), "rows": []}
    for n in a.sizes:
        vecs = vectors_of_size(real, n)
        flat = build_vector_index(vecs, "flat")
        exact = [set(search_vectors(flat, q, 10)[0].tolist()) for q in qv]
        t = time.perf_counter()
        for q in qv:
            search_vectors(flat, q, 10)
        flat_ms = (time.perf_counter() - t) * 1000 / len(qv)
        del flat
        for kind in a.types:
            t0 = time.perf_counter()
            index = build_vector_index(vecs, kind)
            build_s = time.perf_counter() - t0
            stored = vecs if kind in ("ivfsq8", "ivfpq") else None
            found, times = [], []
            for q, want in zip(qv, exact):
                t = time.perf_counter()
                rows, _ = search_rescored(index, stored, q, 10)
                times.append((time.perf_counter() - t) * 1000)
                found.append(len(want & set(rows.tolist())) / max(1, len(want)))
            row = {"passages": n, "type": kind, "recall_at_10": round(float(np.mean(found)), 4),
                   "p50_ms": round(float(np.percentile(times, 50)), 2), "p95_ms": round(float(np.percentile(times, 95)), 2),
                   "flat_ms": round(flat_ms, 2), "build_s": round(build_s, 1),
                   "index_mb": round(faiss.serialize_index(index).nbytes / 1e6, 1) if n <= 400_000 else None}
            print(json.dumps(row), flush=True)
            res["rows"].append(row)
            del index
    res["load_at_end"] = os.getloadavg()
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(json.dumps(res, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
