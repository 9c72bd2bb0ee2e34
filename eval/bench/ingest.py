"""Ingest throughput, index size, RAM, question embedding and search latency: bulletin-rag
against the naive LangChain recipe on the same model, in the same run, on the same machine.

    .venv/bin/python eval/bench/ingest.py --corpus ../shared/benchmarks/crud-news/corpus.jsonl \
        --questions ../shared/benchmarks/crud-news/questions_dev.jsonl --limit 300 --rounds 2 \
        --pipelines ours-auto,ours-int8,langchain --out eval/reports/bench-ingest/crud-300

Each pipeline runs in its own process (so peak RSS is its own) with no embedding cache; with
``--rounds N`` the pipelines run N times, interleaved (A B C A B C), so a busy machine slows each
alike, and each round's ratio to the LangChain baseline is reported beside the median round. The
report names the CPU's instruction sets (avx2, avx512f, avx512_vnni, avx512_bf16, amx_bf16...),
the precision each pipeline ran in (``ours-auto`` resolves as ``rag ingest`` does) and the load
average around each run. Writes OUT.json and OUT.md.
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

ROOT = Path(__file__).resolve().parents[2]
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


def _percentiles(lat: list[float]) -> dict:
    from rag.evals.metrics import percentile

    return {"p50_ms": round(percentile(lat, 50), 2), "p95_ms": round(percentile(lat, 95), 2)}


def _latency(search, questions, modes, k=5):
    out = {}
    for mode in modes:
        search(questions[0], k, mode)  # warm up
        lat = []
        for q in questions:
            t0 = time.perf_counter()
            search(q, k, mode)
            lat.append((time.perf_counter() - t0) * 1000)
        out[mode] = _percentiles(lat)
    return out


def _query_embedding(embed_one, questions: list[str]) -> dict:
    """One question at a time, as a search embeds it: p50 and p95 in milliseconds."""
    embed_one(questions[0])  # warm up
    lat = []
    for q in questions:
        t0 = time.perf_counter()
        embed_one(q)
        lat.append((time.perf_counter() - t0) * 1000)
    return _percentiles(lat)


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def worker_ours(corpus: Path, questions: list[str], precision: str, tmp: Path) -> dict:
    from rag.config import load_settings
    from rag.embed import load_embedder, prepare_default_model
    from rag.index import Index, ingest
    from rag.search import Retriever

    shared = load_settings(env={})
    prepare_default_model(shared.cache_dir)
    # the bundled model and its int8 export from the shared cache; no embedding cache is used
    s = load_settings(env={}, cache_dir=shared.cache_dir, index_dir=tmp / "index", embed_precision=precision)
    t0 = time.perf_counter()
    emb = load_embedder(s)  # model load counted, as for the baseline
    report = ingest([corpus], s, emb, use_cache=False)
    seconds = time.perf_counter() - t0
    rss_ingest = _peak_rss_mb()
    idx = Index.load(s.index_dir)
    r = Retriever(idx, emb, s)
    lat = _latency(lambda q, k, m: r.search(q, k=k, mode=m), questions, ["hybrid", "dense", "lexical"])
    return {"precision": emb.precision, "documents": report.documents, "chunks": report.chunks,
            "seconds": round(seconds, 1), "chunks_per_s": round(report.chunks / seconds, 1),
            "docs_per_s": round(report.documents / seconds, 2),
            "chars_embedded": sum(len(c.embed_text()) for c in idx.chunks),
            "index_bytes": idx.size_on_disk(), "peak_rss_ingest_mb": rss_ingest,
            "query_embedding": _query_embedding(lambda q: emb.embed_queries([q]), questions), "latency": lat}


def worker_langchain(corpus: Path, questions: list[str], tmp: Path) -> dict:
    from rag.config import load_settings
    from rag.embed import prepare_default_model
    from rag.evals.baseline import LangChainBaseline, huggingface_embeddings
    from rag.ingest import read_all

    model = prepare_default_model(load_settings(env={}).cache_dir)
    raws, _ = read_all([corpus])
    t0 = time.perf_counter()
    emb = huggingface_embeddings(str(model))
    b = LangChainBaseline(emb)
    b.build(raws)
    seconds = time.perf_counter() - t0  # model load counted, as for ours
    rss_ingest = _peak_rss_mb()
    size = b.save(tmp / "lc-index")
    lat = _latency(lambda q, k, m: b.search(q, k=k), questions, ["dense"])
    return {"precision": "fp32", "documents": len(raws), "chunks": b.n_chunks, "seconds": round(seconds, 1),
            "chunks_per_s": round(b.n_chunks / seconds, 1), "docs_per_s": round(len(raws) / seconds, 2),
            "chars_embedded": sum(len(d.page_content) for d in b.store.docstore._dict.values()),
            "index_bytes": size, "peak_rss_ingest_mb": rss_ingest,
            "query_embedding": _query_embedding(emb.embed_query, questions), "latency": lat}


def run_worker(args) -> None:
    questions = [json.loads(l)["question"] for l in open(args.questions, encoding="utf-8") if l.strip()]
    questions = [q for q in questions if q.strip()][: args.n_queries]
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if args.worker == "langchain":
            res = worker_langchain(Path(args.corpus), questions, tmp)
        else:
            res = worker_ours(Path(args.corpus), questions, args.worker.split("-")[1], tmp)
    res["peak_rss_mb"] = _peak_rss_mb()
    print("RESULT " + json.dumps(res))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--questions", required=True)
    ap.add_argument("--limit", type=int, help="only the first N documents")
    ap.add_argument("--n-queries", type=int, default=200)
    ap.add_argument("--pipelines", default="ours-auto,langchain",
                    help="comma list of ours-auto, ours-int8, ours-bf16, ours-fp32, langchain")
    ap.add_argument("--rounds", type=int, default=1, help="run the pipelines this many times, interleaved")
    ap.add_argument("--out", default=str(ROOT / "eval" / "reports" / "bench-ingest"))
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return run_worker(args)
    from rag.embed.cpu import cpu_flags, cpu_model, describe, has_native_bf16

    flags = cpu_flags()
    cpu = {"model": cpu_model(), "flags": describe(flags), "native_bf16": has_native_bf16(flags)}
    print(f"CPU: {cpu['model']}: {cpu['flags']}", file=sys.stderr, flush=True)
    names = args.pipelines.split(",")
    runs: dict[str, list[dict]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory() as d:
        corpus = _subset(Path(args.corpus), args.limit, Path(d))
        for round_ in range(args.rounds):
            for name in names:
                print(f"== {name} (round {round_ + 1})", file=sys.stderr, flush=True)
                cmd = [sys.executable, __file__, "--worker", name, "--corpus", str(corpus),
                       "--questions", args.questions, "--n-queries", str(args.n_queries)]
                load_before = _load()
                proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
                line = next((l for l in proc.stdout.splitlines() if l.startswith("RESULT ")), None)
                if line is None:
                    raise SystemExit(f"{name} failed:\n{proc.stderr[-3000:]}")
                res = json.loads(line[7:])
                res["load_before"], res["load_after"] = load_before, _load()
                runs[name].append(res)
                print(json.dumps(res), file=sys.stderr, flush=True)
    from rag.evals.runs import machine

    out = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": machine(), "cpu": cpu,
           "corpus": args.corpus, "limit": args.limit, "n_queries": args.n_queries, "rounds": args.rounds,
           "results": {name: median_run(rs) for name, rs in runs.items()}, "runs": runs,
           "ratios": ratios(runs)}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out + ".json").write_text(json.dumps(out, indent=1), encoding="utf-8")
    Path(args.out + ".md").write_text(markdown(out), encoding="utf-8")
    print(markdown(out))


def median_run(rs: list[dict]) -> dict:
    """The run with the median documents per second (the upper one of an even count)."""
    return sorted(rs, key=lambda r: r["docs_per_s"])[len(rs) // 2]


def ratios(runs: dict[str, list[dict]]) -> dict:
    """Documents per second of each of our pipelines over the baseline's, round by round."""
    base = runs.get("langchain")
    if not base:
        return {}
    return {name: [round(r["docs_per_s"] / b["docs_per_s"], 2) for r, b in zip(rs, base)]
            for name, rs in runs.items() if name != "langchain"}


def markdown(out: dict) -> str:
    rows = ["| pipeline | precision | docs | chunks | ingest s | docs/s | x LangChain (each round) | chunks/s | "
            "index MB | peak RSS MB (ingest) | question embedding p50 ms | search p50 / p95 ms | load avg |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in out["results"].items():
        lat = "; ".join(f"{m} {v['p50_ms']} / {v['p95_ms']}" for m, v in r["latency"].items())
        ratio = ", ".join(f"{x:.2f}" for x in out.get("ratios", {}).get(name, [])) or "-"
        rows.append(f"| {name} | {r.get('precision', '?')} | {r['documents']} | {r['chunks']} | {r['seconds']} | "
                    f"{r['docs_per_s']} | {ratio} | {r['chunks_per_s']} | {r['index_bytes'] / 1e6:.1f} | "
                    f"{r.get('peak_rss_ingest_mb', r['peak_rss_mb'])} | "
                    f"{r.get('query_embedding', {}).get('p50_ms', '-')} | {lat} | "
                    f"{r.get('load_before', '?')} -> {r.get('load_after', '?')} |")
    cpu = out.get("cpu", {})
    return (f"# Ingest and search benchmark\n\n{out['date']}, {out['machine']}.\n"
            f"CPU flags: `{cpu.get('flags', '?')}` (native bf16: {cpu.get('native_bf16', '?')}).\n"
            f"Corpus: `{out['corpus']}`" + (f" (first {out['limit']} documents)" if out["limit"] else "")
            + f"; latency over {out['n_queries']} questions, k=5; {out.get('rounds', 1)} round(s), interleaved, "
              "the median round shown.\n\n" + "\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
