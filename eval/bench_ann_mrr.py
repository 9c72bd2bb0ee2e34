"""What the approximate vector index costs in ranking quality: hybrid and dense MRR@10 on
crud-news dev over the 2,000-document sample, with the same passages, BM25 and question vectors,
only the FAISS index swapped (flat, hnswsq8, ivfsq8; the lossy ones re-scored exactly).

    PYTHONPATH=. .venv/bin/python eval/bench_ann_mrr.py --index SAMPLE_INDEX \\
        --questions ../shared/benchmarks/crud-news/questions_dev.jsonl --out eval/reports/scale/ann_mrr.json

MRR@10 here counts a hit on any gold document id (no twin map, unlike ``rag eval``), the same
for every index type, so the differences are the index's alone.
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


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--index", type=Path, required=True)
    p.add_argument("--questions", type=Path, required=True)
    p.add_argument("--types", nargs="+", default=["flat", "hnswsq8", "ivfsq8"])
    p.add_argument("--out", type=Path)
    a = p.parse_args()

    from rag.config import load_settings
    from rag.embed import load_embedder
    from rag.evals.questions import load_questions
    from rag.index import Index
    from rag.index.local.vectors import build_vector_index, exact_vectors
    from rag.search import Retriever

    s = load_settings(env={})
    idx = Index.load(a.index)
    exact = np.ascontiguousarray(idx.vectors_of(np.arange(len(idx))))
    qs = [q for q in load_questions(a.questions) if q.gold_doc_ids]
    emb = load_embedder(s)
    t = time.perf_counter()
    qv = emb.embed_queries([q.question for q in qs])
    res = {"load_at_start": os.getloadavg(), "questions": len(qs), "embed_s": round(time.perf_counter() - t, 1),
           "rows": []}
    for kind in a.types:
        vindex = build_vector_index(exact, kind)
        if len(idx.segments) != 1 or len(idx.segments[0].deleted_rows):
            raise SystemExit("compact the index first (`rag compact`): this swaps the vectors of one segment")
        seg = idx.segments[0].segment
        seg._vectors, seg._exact = vindex, exact_vectors(vindex) if kind == "flat" else exact
        r = Retriever(idx, emb, s)
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
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(json.dumps(res, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
