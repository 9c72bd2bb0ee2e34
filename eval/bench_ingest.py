"""Ingest throughput, index size, RAM and search latency: bulletin-rag against the naive
LangChain recipe on the same model, in the same run, on the same machine.

    .venv/bin/python eval/bench_ingest.py --corpus ../shared/benchmarks/crud-news/corpus.jsonl \
        --questions ../shared/benchmarks/crud-news/questions_dev.jsonl --out eval/reports/bench-crud

Each pipeline runs in its own process (so peak RSS is its own) with no embedding cache.
Writes OUT.json and OUT.md.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _subset(corpus: Path, limit: int | None, tmp: Path) -> Path:
    if not limit:
        return corpus
    out = tmp / f"{corpus.stem}-{limit}.jsonl"
    with corpus.open(encoding="utf-8") as src, out.open("w", encoding="utf-8") as dst:
        for i, line in enumerate(src):
            if i >= limit:
                break
            dst.write(line)
    return out


def _latency(search, questions, modes, k=5):
    from rag.evals.metrics import percentile

    out = {}
    for mode in modes:
        search(questions[0], k, mode)  # warm up
        lat = []
        for q in questions:
            t0 = time.perf_counter()
            search(q, k, mode)
            lat.append((time.perf_counter() - t0) * 1000)
        out[mode] = {"p50_ms": round(percentile(lat, 50), 2), "p95_ms": round(percentile(lat, 95), 2)}
    return out


def worker_ours(corpus: Path, questions: list[str], precision: str, tmp: Path) -> dict:
    from rag.config import load_settings
    from rag.embed import load_embedder, prepare_default_model
    from rag.index import Index, ingest
    from rag.search import Retriever

    shared = load_settings()
    model = prepare_default_model(shared.cache_dir)
    s = load_settings(env={}, cache_dir=tmp / "cache", index_dir=tmp / "index", embed_precision=precision,
                      model=str(model), query_prompt="query: ", passage_prompt="passage: ")
    emb = load_embedder(s)
    t0 = time.perf_counter()
    report = ingest([corpus], s, emb, use_cache=False)
    seconds = time.perf_counter() - t0
    idx = Index.load(s.index_dir)
    r = Retriever(idx, emb, s)
    lat = _latency(lambda q, k, m: r.search(q, k=k, mode=m), questions, ["hybrid", "dense", "lexical"])
    return {"documents": report.documents, "chunks": report.chunks, "seconds": round(seconds, 1),
            "chunks_per_s": round(report.chunks / seconds, 1), "docs_per_s": round(report.documents / seconds, 2),
            "chars_embedded": sum(len(c.embed_text()) for c in idx.chunks),
            "index_bytes": idx.size_on_disk(), "latency": lat}


def worker_langchain(corpus: Path, questions: list[str], tmp: Path) -> dict:
    from rag.evals.baseline import LangChainBaseline, huggingface_embeddings
    from rag.config import load_settings
    from rag.embed import prepare_default_model

    model = prepare_default_model(load_settings().cache_dir)
    from rag.ingest import read_all

    raws, _ = read_all([corpus])
    b = LangChainBaseline(huggingface_embeddings(str(model)))
    seconds = b.build(raws)
    size = b.save(tmp / "lc-index")
    lat = _latency(lambda q, k, m: b.search(q, k=k), questions, ["dense"])
    return {"documents": len(raws), "chunks": b.n_chunks, "seconds": round(seconds, 1),
            "chunks_per_s": round(b.n_chunks / seconds, 1), "docs_per_s": round(len(raws) / seconds, 2),
            "chars_embedded": sum(len(d.page_content) for d in b.store.docstore._dict.values()),
            "index_bytes": size, "latency": lat}


def run_worker(args) -> None:
    questions = [json.loads(l)["question"] for l in open(args.questions, encoding="utf-8") if l.strip()]
    questions = [q for q in questions if q.strip()][: args.n_queries]
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if args.worker == "langchain":
            res = worker_langchain(Path(args.corpus), questions, tmp)
        else:
            res = worker_ours(Path(args.corpus), questions, args.worker.split("-")[1], tmp)
    res["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print("RESULT " + json.dumps(res))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--questions", required=True)
    ap.add_argument("--limit", type=int, help="only the first N documents")
    ap.add_argument("--n-queries", type=int, default=200)
    ap.add_argument("--pipelines", default="ours-auto,langchain",
                    help="comma list of ours-auto, ours-bf16, ours-fp32, langchain")
    ap.add_argument("--out", default=str(ROOT / "eval" / "reports" / "bench-ingest"))
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return run_worker(args)
    with tempfile.TemporaryDirectory() as d:
        corpus = _subset(Path(args.corpus), args.limit, Path(d))
        results = {}
        for name in args.pipelines.split(","):
            print(f"== {name}", file=sys.stderr, flush=True)
            cmd = [sys.executable, __file__, "--worker", name, "--corpus", str(corpus),
                   "--questions", args.questions, "--n-queries", str(args.n_queries)]
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
            line = next((l for l in proc.stdout.splitlines() if l.startswith("RESULT ")), None)
            if line is None:
                raise SystemExit(f"{name} failed:\n{proc.stderr[-3000:]}")
            results[name] = json.loads(line[7:])
            print(json.dumps(results[name]), file=sys.stderr, flush=True)
    from rag.evals.runs import machine

    out = {"date": time.strftime("%Y-%m-%d"), "machine": machine(), "corpus": args.corpus,
           "limit": args.limit, "n_queries": args.n_queries, "results": results}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out + ".json").write_text(json.dumps(out, indent=1), encoding="utf-8")
    Path(args.out + ".md").write_text(markdown(out), encoding="utf-8")
    print(markdown(out))


def markdown(out: dict) -> str:
    rows = ["| pipeline | docs | chunks | ingest s | chunks/s | docs/s | index MB | peak RSS MB | search p50 / p95 ms |",
            "|---|---|---|---|---|---|---|---|---|"]
    for name, r in out["results"].items():
        lat = "; ".join(f"{m} {v['p50_ms']} / {v['p95_ms']}" for m, v in r["latency"].items())
        rows.append(f"| {name} | {r['documents']} | {r['chunks']} | {r['seconds']} | {r['chunks_per_s']} | "
                    f"{r['docs_per_s']} | {r['index_bytes'] / 1e6:.1f} | {r['peak_rss_mb']} | {lat} |")
    return (f"# Ingest and search benchmark\n\n{out['date']}, {out['machine']}.\n"
            f"Corpus: `{out['corpus']}`" + (f" (first {out['limit']} documents)" if out["limit"] else "")
            + f"; latency over {out['n_queries']} questions, k=5.\n\n" + "\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
