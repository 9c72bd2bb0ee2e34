"""Question embedding latency by precision: one question at a time, as a search embeds it.

    .venv/bin/python eval/bench_query.py --questions ../shared/benchmarks/crud-news/questions_dev.jsonl \
        --n 100 --precisions int8,fp32 --out eval/reports/precision/query-latency

The precisions take turns question by question (int8, fp32, int8, fp32 ...), so a busy machine
slows each alike. Reports wall milliseconds (p50, p95) and CPU milliseconds of the process (p50;
all threads), which a machine's load inflates far less than wall time. Writes OUT.json and OUT.md.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--questions", required=True)
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--precisions", default="int8,fp32")
    ap.add_argument("--out", default=str(ROOT / "eval" / "reports" / "precision" / "query-latency"))
    args = ap.parse_args()
    from rag.config import load_settings
    from rag.embed import load_embedder
    from rag.embed.cpu import cpu_flags, cpu_model, describe
    from rag.evals.metrics import percentile
    from rag.evals.runs import machine

    questions = [json.loads(l)["question"] for l in open(args.questions, encoding="utf-8") if l.strip()][: args.n]
    base = load_settings(env={})
    embedders = {p: load_embedder(base.replace(embed_precision=p)) for p in args.precisions.split(",")}
    for emb in embedders.values():
        emb.embed_queries(questions[:2])  # warm up
    wall: dict[str, list[float]] = {p: [] for p in embedders}
    cpu: dict[str, list[float]] = {p: [] for p in embedders}
    load_before = Path("/proc/loadavg").read_text().split()[0]
    for q in questions:
        for p, emb in embedders.items():
            t0, c0 = time.perf_counter(), time.process_time()
            emb.embed_queries([q])
            wall[p].append((time.perf_counter() - t0) * 1000)
            cpu[p].append((time.process_time() - c0) * 1000)
    load_after = Path("/proc/loadavg").read_text().split()[0]
    result = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": machine(),
              "cpu": f"{cpu_model()}: {describe(cpu_flags())}", "questions": len(questions),
              "load": f"{load_before} -> {load_after}",
              "latency": {p: {"wall_p50_ms": round(percentile(wall[p], 50), 2),
                              "wall_p95_ms": round(percentile(wall[p], 95), 2),
                              "cpu_p50_ms": round(percentile(cpu[p], 50), 2)} for p in embedders}}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    md = [f"# Question embedding latency\n", f"{result['date']}, {result['machine']}.", f"CPU: {result['cpu']}.",
          f"{len(questions)} questions, one at a time, precisions interleaved; load average {result['load']}.\n",
          "| precision | wall p50 ms | wall p95 ms | CPU p50 ms (all threads) |", "|---|---|---|---|"]
    for p, v in result["latency"].items():
        md.append(f"| {p} | {v['wall_p50_ms']} | {v['wall_p95_ms']} | {v['cpu_p50_ms']} |")
    out.with_suffix(".md").write_text("\n".join(md) + "\n", encoding="utf-8")
    print("\n".join(md))


if __name__ == "__main__":
    main()
