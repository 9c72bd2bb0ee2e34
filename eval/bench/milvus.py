"""Milvus as the store against the FAISS store: the same questions, the same retriever, the same
passages and vectors; quality (MRR@10, hit@k) and latency, interleaved question by question.

    python eval/bench/milvus.py eval/datasets/cmrc2018/questions_dev.jsonl \
        --corpus eval/datasets/cmrc2018/corpus.jsonl --report eval/reports/milvus/cmrc2018
    python eval/bench/milvus.py ../shared/benchmarks/crud-news/questions_dev.jsonl \
        --corpus ../shared/benchmarks/crud-news/corpus.jsonl --sample-docs 2000 --report eval/reports/milvus/crud-news

The FAISS index is the one `rag eval` keeps for the corpus (built through the embedding cache when
missing); the Milvus index is built from the same corpus into Milvus Lite (``--milvus-uri`` for a
served Milvus) under ``--milvus-dir``, through the same cache, so only the store differs.

Configurations, each on every question:
- ``faiss/<mode>``: the FAISS store (hybrid = convex fusion in our code), dense, lexical;
- ``milvus/<mode>``: Milvus, our BM25 as client-side sparse vectors (the store's lexical search);
- ``milvus/hybrid-rrf-milvus``: dense and sparse fused by Milvus (hybrid_search, RRFRanker) against
  ``faiss/hybrid-rrf`` and ``milvus/hybrid-rrf`` (RRF in our code);
- ``milvus-bm25fn/lexical`` and ``/hybrid``: Milvus's own BM25 function with the jieba analyzer on
  the passage text (a second collection with the same keys), instead of our sparse vectors.

Latency: each question's search timed for every configuration in turn (the query vector computed
before, so the figures are the store's, not the model's). Writes ``report.json`` and
``summary.md`` under ``--report``.
"""
from __future__ import annotations

import argparse
import json
import os

# torch's OpenMP threads spin while idle; on a busy 2-core machine they starve Milvus Lite, which
# serves searches from Python threads in this same process (measured: 8 s instead of 0.1 s per
# search). Set before torch loads; export OMP_WAIT_POLICY=ACTIVE to measure the other way.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from rag.config import load_settings  # noqa: E402
from rag.embed import load_embedder  # noqa: E402
from rag.embed.cpu import cpu_flags, describe  # noqa: E402
from rag.evals.build import eval_index_dir, prepare_corpus, twin_map  # noqa: E402
from rag.evals.questions import load_questions  # noqa: E402
from rag.evals.runs import QuestionResult, is_relevant, machine, ranked  # noqa: E402
from rag.index import Index, ingest, open_index  # noqa: E402
from rag.search import Retriever  # noqa: E402
from rag.search.fusion import convex  # noqa: E402
from rag.types import SearchResult  # noqa: E402

KS = [1, 3, 5, 10]


class Bm25Function:
    """Milvus's BM25 function (jieba analyzer) over the passages of a Milvus index, as a second
    collection keyed like the first; ``lexical(text, n)`` -> rows of that index."""

    def __init__(self, index, rebuild: bool = False):
        from pymilvus import DataType, Function, FunctionType

        self.index = index
        self.client = index.client
        self.name = index.collection + "_bm25fn"
        if rebuild and self.client.has_collection(self.name):
            self.client.drop_collection(self.name)
        if self.client.has_collection(self.name):
            self.client.load_collection(self.name)
            return
        schema = self.client.create_schema(auto_id=False)
        schema.add_field("pk", DataType.INT64, is_primary=True)
        schema.add_field("text", DataType.VARCHAR, max_length=65535, enable_analyzer=True,
                         analyzer_params={"tokenizer": "jieba"})
        schema.add_field("bm25", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["text"],
                                     output_field_names=["bm25"]))
        params = self.client.prepare_index_params()
        params.add_index("bm25", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
        self.client.create_collection(self.name, schema=schema, index_params=params, consistency_level="Strong")
        t0 = time.perf_counter()
        for i in range(0, len(index), 512):
            rows = list(range(i, min(i + 512, len(index))))
            chunks = index.chunks_at(rows)
            self.client.insert(self.name, [{"pk": int(index.pks[r]), "text": c.embed_text()}
                                           for r, c in zip(rows, chunks)])
        self.client.flush(self.name)  # sealed, as the store's own writes are (rag.index.milvus.write)
        print(f"bm25 function collection: {len(index)} rows in {time.perf_counter() - t0:.1f}s", file=sys.stderr)

    def lexical(self, text: str, n: int) -> list[tuple[int, float]]:
        found = self.client.search(self.name, data=[text], anns_field="bm25", limit=n, output_fields=[],
                                   search_params={"metric_type": "BM25"})
        hits = found[0] if found else []
        rows = self.index._rows_of([int(h["pk"]) for h in hits])
        # Milvus Lite 3.x returns BM25 scores negated (ranked right); only the order is used,
        # the scores are turned to positive rank-preserving values for the convex fusion
        scores = [float(h["distance"]) for h in hits]
        if scores and max(scores) <= 0:
            scores = [-s for s in scores]
        return [(r, s) for r, s in zip(rows, scores) if r is not None]


def _result(ret: Retriever, query, ranked_rows: list[tuple[int, float]], k: int, mode: str) -> SearchResult:
    """Hits for rows ranked outside the retriever (the alternatives measured here)."""
    from rag.types import Hit

    rows = [r for r, _ in ranked_rows[:k]]
    chunks = ret.index.chunks_at(rows)
    return SearchResult(query.text, mode, [Hit(c, i + 1, s, 0.0) for i, (c, (_, s)) in
                                           enumerate(zip(chunks, ranked_rows[:k]))], True)


def configurations(faiss_ret: Retriever, milvus_ret: Retriever, bm25fn: Bm25Function | None, k: int):
    """name -> search(question text) -> SearchResult; each builds its own Query (vector computed
    beforehand by ``prime``)."""
    s = milvus_ret.settings
    rrf_settings = s.replace(fusion="rrf")
    f_rrf = Retriever(faiss_ret.index, faiss_ret.embedder, rrf_settings)
    m_rrf = Retriever(milvus_ret.index, milvus_ret.embedder, rrf_settings)
    pool = max(50, 4 * k)

    def milvus_rrf(q):
        return _result(milvus_ret, q, milvus_ret.index.fused_rrf(q.vector, q.tokens, pool, None, s.rrf_k), k, "hybrid")

    out = {}
    for mode in ("hybrid", "dense", "lexical"):
        out[f"faiss/{mode}"] = (faiss_ret, lambda q, r=faiss_ret, m=mode: r.search(q, k=k, mode=m))
        out[f"milvus/{mode}"] = (milvus_ret, lambda q, r=milvus_ret, m=mode: r.search(q, k=k, mode=m))
    out["faiss/hybrid-rrf"] = (f_rrf, lambda q: f_rrf.search(q, k=k, mode="hybrid"))
    out["milvus/hybrid-rrf"] = (m_rrf, lambda q: m_rrf.search(q, k=k, mode="hybrid"))
    out["milvus/hybrid-rrf-milvus"] = (milvus_ret, milvus_rrf)
    if bm25fn is not None:
        def fn_lexical(q):
            return _result(milvus_ret, q, bm25fn.lexical(q.text, k), k, "lexical")

        def fn_hybrid(q):
            dense = milvus_ret.index.dense(q.vector, pool)
            return _result(milvus_ret, q, convex(dense, bm25fn.lexical(q.text, pool), s.dense_weight), k, "hybrid")

        out["milvus-bm25fn/lexical"] = (milvus_ret, fn_lexical)
        out["milvus-bm25fn/hybrid"] = (milvus_ret, fn_hybrid)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("questions")
    ap.add_argument("--corpus", nargs="+", required=True)
    ap.add_argument("--sample-docs", type=int, default=0)
    ap.add_argument("--sample-questions", type=int, default=0, help="a seeded sample of the questions (0: all)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--milvus-dir", help="local folder of the Milvus index (default: beside rag eval's index)")
    ap.add_argument("--milvus-uri", default="", help="a served Milvus (default: Milvus Lite in --milvus-dir)")
    ap.add_argument("--no-bm25fn", action="store_true", help="skip Milvus's BM25 function")
    ap.add_argument("--configs", help="only these configurations (comma-separated names; default: all)")
    ap.add_argument("--report", required=True)
    args = ap.parse_args(argv)

    base = load_settings()
    questions = [q for q in load_questions(args.questions) if q.answerable]
    corpus, raws, _, note = prepare_corpus([Path(p) for p in args.corpus], questions, args.sample_docs, args.seed,
                                           base.cache_dir, lambda m: print(m, file=sys.stderr), base.limits)
    if args.sample_questions and args.sample_questions < len(questions):
        import random

        questions = random.Random(args.seed).sample(questions, args.sample_questions)
    twins = twin_map(raws)
    emb = load_embedder(base)
    faiss_dir = eval_index_dir(base.cache_dir, corpus, {"model": emb.fingerprint, "chunker": base.chunker.to_dict(),
                                                        "lexical": base.lexical_tokenizer,
                                                        "index_type": base.index_type})
    t0 = time.perf_counter()
    ingest(corpus, base, emb, index_dir=faiss_dir, rebuild_on_mismatch=True)
    faiss_open = time.perf_counter() - t0
    milvus_dir = Path(args.milvus_dir or str(faiss_dir) + "-milvus")
    ms = base.replace(store="milvus", index_dir=milvus_dir, milvus_uri=args.milvus_uri or None)
    report = ingest(corpus, ms, emb, index_dir=milvus_dir, rebuild_on_mismatch=True)
    print(f"milvus index {milvus_dir}: {report.chunks} passages ({report.seconds:.1f}s)", file=sys.stderr)
    faiss_ret = Retriever(Index.load(faiss_dir), emb, base)
    milvus_ret = Retriever(open_index(ms, milvus_dir), emb, ms)
    assert len(faiss_ret.index) == len(milvus_ret.index), "the two stores hold different passages"
    bm25fn = None if args.no_bm25fn else Bm25Function(milvus_ret.index)
    configs = configurations(faiss_ret, milvus_ret, bm25fn, args.k)
    if args.configs:
        configs = {n: configs[n] for n in args.configs.split(",")}

    for name, (ret, search) in configs.items():  # warm up: Milvus Lite builds its sparse index on first use
        search(ret.query(questions[0].question))
    results: dict[str, list[QuestionResult]] = {name: [] for name in configs}
    vectors: dict[str, np.ndarray] = {}
    t_start = time.perf_counter()
    load_before = os.getloadavg()
    for i, q in enumerate(questions):
        vec = vectors.get(q.question)
        queries = {}
        for name, (ret, _) in configs.items():  # each retriever analyses the question itself
            key = id(ret)
            if key not in queries:
                queries[key] = ret.query(q.question)
                if vec is None:
                    vec = queries[key].vector
                object.__setattr__(queries[key], "_vector", vec)  # one vector for every store
        for name, (ret, search) in configs.items():
            query = queries[id(ret)]
            t0 = time.perf_counter()
            res = search(query)
            dt = time.perf_counter() - t0
            results[name].append(QuestionResult(q, res.hits, [is_relevant(q, h.chunk, twins) for h in res.hits],
                                                dt, res.found))
        if (i + 1) % 50 == 0:
            print(f"{i + 1}/{len(questions)} questions, {time.perf_counter() - t_start:.0f}s", file=sys.stderr)
    rows = {}
    for name, res in results.items():
        per_q = ranked(res, KS)
        ms_ = sorted(r.seconds * 1000 for r in res)
        rows[name] = {**{m: round(statistics.fmean(p[m] for p in per_q), 4) for m in per_q[0]},
                      "p50_ms": round(ms_[len(ms_) // 2], 1), "p95_ms": round(ms_[int(len(ms_) * 0.95)], 1)}
    out = {"machine": machine(), "cpu_flags": describe(cpu_flags()), "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
           "load_before": load_before, "load_after": os.getloadavg(),
           "questions": args.questions, "n_questions": len(questions), "corpus": [str(c) for c in corpus],
           "sample": note, "passages": len(faiss_ret.index), "faiss_index": str(faiss_dir),
           "milvus": {"dir": str(milvus_dir), "uri": milvus_ret.index.uri, "build_s": round(report.seconds, 1)},
           "pymilvus": _version("pymilvus"), "milvus_lite": _version("milvus-lite"), "rows": rows}
    folder = Path(args.report)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    (folder / "summary.md").write_text(summary(out), encoding="utf-8")
    print(summary(out))
    return 0


def _version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "-"


def summary(out: dict) -> str:
    names = list(out["rows"])
    metrics = ["mrr@10", "hit@1", "hit@5", "hit@10", "p50_ms", "p95_ms"]
    lines = [f"# Milvus vs FAISS store: {out['questions']}", "",
             f"{out['machine']}; load {out['load_before'][0]:.1f} before, {out['load_after'][0]:.1f} after. "
             f"{out['n_questions']} questions, {out['passages']} passages. {out['sample']}",
             f"CPU flags: {out['cpu_flags']}. OMP_WAIT_POLICY={out['omp_wait_policy']}.",
             f"Milvus: {out['milvus']['uri']} (pymilvus {out['pymilvus']}, milvus-lite {out['milvus_lite']}). "
             "Latency: the store's search alone (query vector computed before), every configuration "
             "timed on each question in turn.", "",
             "| config | " + " | ".join(metrics) + " |", "|---|" + "---|" * len(metrics)]
    for n in names:
        lines.append(f"| {n} | " + " | ".join(str(out["rows"][n].get(m, "")) for m in metrics) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
