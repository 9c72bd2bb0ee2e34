"""The approximate vector indexes against exact search (the baseline, in the same run): recall
and latency, and what they cost in ranking quality.

    PYTHONPATH=. .venv/bin/python eval/bench/ann.py --sample-index INDEX \\
        --questions ../shared/benchmarks/crud-news/questions_dev.jsonl --sizes 16838 1000000 \\
        --out eval/reports/ann/full

``INDEX`` is an index of real model vectors in one segment (the crud-news sample that ``rag eval``
keeps under ``~/.cache/bulletin-rag/eval-indexes/``, compacted with ``rag compact`` if it has more).

* recall (``recall.json``): for each size the vectors are those of ``--sample-index``, topped up
  with random vectors drawn with the same mean and per-dimension spread as the real ones, then
  normalised (as ``eval/bench/scale.py`` makes them). Queries are ``--queries`` questions embedded
  with the model. For each index type the top 10 of :meth:`rag.index.Index.dense`'s path
  (:func:`rag.index.local.vectors.search_rescored`: the shortlist re-scored exactly) is compared
  with exact search: recall@10 = the share of the exact top 10 found; latency is per query, one
  thread, beside exact search's.
* ranking (``mrr.json``): hybrid and dense MRR@10 over every question with gold documents, the
  same passages, BM25 and question vectors, only the FAISS index of the sample swapped (``--mrr-types``;
  the lossy ones re-scored exactly). MRR@10 counts a hit on any gold document id (no twin map,
  unlike ``rag eval``), the same for every type, so the differences are the index's alone.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
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


def recall(idx, emb, questions, a) -> dict:
    """Recall@10 and latency of each approximate type against exact search, at each size."""
    import faiss

    from rag.evals.questions import sample_questions
    from rag.index.local.vectors import build_vector_index, search_rescored, search_vectors

    real = idx.vectors_of(np.arange(len(idx)))
    qs = sample_questions(questions, a.queries, seed=0)
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
    return res


def ranking(idx, emb, questions, settings, types) -> dict:
    """Hybrid and dense MRR@10 with each vector index type swapped into the sample's one segment."""
    from rag.index.local.vectors import build_vector_index, exact_vectors
    from rag.search import Retriever

    if len(idx.segments) != 1 or len(idx.segments[0].deleted_rows):
        raise SystemExit("compact the index first (`rag compact`): this swaps the vectors of one segment")
    exact = np.ascontiguousarray(idx.vectors_of(np.arange(len(idx))))
    qs = [q for q in questions if q.gold_doc_ids]
    t = time.perf_counter()
    qv = emb.embed_queries([q.question for q in qs])
    res = {"load_at_start": os.getloadavg(), "questions": len(qs), "embed_s": round(time.perf_counter() - t, 1),
           "rows": []}
    seg = idx.segments[0].segment
    for kind in types:
        vindex = build_vector_index(exact, kind)
        seg._vectors, seg._exact = vindex, exact_vectors(vindex) if kind == "flat" else exact
        r = Retriever(idx, emb, settings)
        row = {"type": kind}
        for mode in ("hybrid", "dense"):
            rr = []
            for q, v in zip(qs, qv):
                query = r.query(q.question)
                query._vector = v
                hits = r.search(query, k=10, mode=mode).hits
                gold = set(q.gold_doc_ids)
                rank = next((i + 1 for i, h in enumerate(hits) if h.chunk.doc_id in gold), None)
                rr.append(1 / rank if rank else 0.0)
            row[f"{mode}_mrr10"] = round(float(np.mean(rr)), 4)
        print(json.dumps(row), flush=True)
        res["rows"].append(row)
    res["load_at_end"] = os.getloadavg()
    return res


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sample-index", type=Path, required=True)
    p.add_argument("--questions", type=Path, required=True)
    p.add_argument("--sizes", type=int, nargs="+", default=[16_838, 1_000_000])
    p.add_argument("--types", nargs="+", default=["ivfsq8", "hnsw"])
    p.add_argument("--queries", type=int, default=200)
    p.add_argument("--mrr-types", nargs="*", default=["flat", "hnswsq8", "ivfsq8"],
                   help="vector index types whose MRR@10 to measure (none: skip the ranking part)")
    p.add_argument("--out", type=Path, required=True, help="folder for recall.json and mrr.json")
    a = p.parse_args()

    from rag.config import load_settings
    from rag.embed import load_embedder
    from rag.evals.questions import load_questions
    from rag.index import Index

    settings = load_settings(env={})
    idx = Index.load(a.sample_index)
    emb = load_embedder(settings)
    questions = load_questions(a.questions)
    a.out.mkdir(parents=True, exist_ok=True)
    parts = {"recall": recall(idx, emb, questions, a)}
    if a.mrr_types:
        parts["mrr"] = ranking(idx, emb, questions, settings, a.mrr_types)
    for name, res in parts.items():
        (a.out / f"{name}.json").write_text(json.dumps(res, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
