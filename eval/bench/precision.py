"""int8 (and bf16) against fp32, the baseline measured in the same run: the accuracy guard's cosine
on real passages, and question embedding latency.

    .venv/bin/python eval/bench/precision.py \
        --corpus eval/datasets/cmrc2018/corpus.jsonl \
                 ~/.cache/bulletin-rag/eval-corpora/crud-news-corpus-s0-2000-6a0ff264f0.jsonl \
        --n 1000 --precisions int8,bf16 --questions ../shared/benchmarks/crud-news/questions_dev.jsonl \
        --out eval/reports/precision/full

* cosine (``cosine.json``, ``cosine.md``): passages are cut by the ingest chunker exactly as an
  index holds them (title/section header included), a seeded sample of ``--n`` split evenly over
  the corpora. Vectors come through each precision's embedding cache (``rag eval`` with
  eval/configs/precision.toml fills it), so a rerun embeds nothing; ``--no-cache`` embeds afresh
  and reports passages per second, each precision timed on the same passages in the same run.
* question latency (``query-latency.json``, ``.md``; with ``--questions``): ``--n-questions``
  questions one at a time, as a search embeds them, the precisions taking turns question by
  question (int8, fp32, int8, fp32 ...) so a busy machine slows each alike: wall milliseconds
  (p50, p95) and the process's CPU milliseconds (p50, all threads), which load inflates far less.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def sample_passages(corpora: list[Path], n: int, seed: int, settings) -> dict[str, list[str]]:
    """``n`` passages, split evenly over ``corpora``, as the embedder reads them (before prompts)."""
    from rag.ingest import counter, prepare_document, read_all

    count = counter(settings.token_encoding, settings.cache_dir)
    out = {}
    for corpus in corpora:
        raws, _ = read_all([corpus])
        rng = random.Random(seed)
        rng.shuffle(raws)
        texts: list[str] = []
        for raw in raws:
            texts.extend(c.embed_text() for c in prepare_document(raw, settings.chunker, count).chunks)
            if len(texts) >= 4 * n:
                break
        rng.shuffle(texts)
        out[corpus.name] = texts[: n // len(corpora)]
    return out


def cosine(args, base) -> list[str]:
    """The cosine of each precision's passage vectors to fp32's; writes OUT/cosine.json, returns its table."""
    from rag.embed import EmbeddingCache, embed_passages_cached, load_embedder
    from rag.embed.cpu import cpu_flags, cpu_model, describe
    from rag.evals.runs import machine

    samples = sample_passages([Path(c).expanduser() for c in args.corpus], args.n, args.seed, base)
    texts = [t for part in samples.values() for t in part]
    vectors, speed = {}, {}
    for precision in ["fp32"] + args.precisions.split(","):
        emb = load_embedder(base.replace(embed_precision=precision))
        cache = None if args.no_cache else EmbeddingCache(base.cache_dir, emb.fingerprint)
        before = emb.calls
        t0 = time.perf_counter()
        vectors[precision] = embed_passages_cached(emb, texts, cache)
        seconds = time.perf_counter() - t0
        if cache is not None:
            cache.close()
        embedded = emb.calls - before
        speed[precision] = {"embedded": embedded,
                            "passages_per_s": round(embedded / seconds, 1) if embedded == len(texts) else None}
        print(f"{precision}: {embedded} embedded now", file=sys.stderr, flush=True)
    result = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": machine(),
              "cpu": f"{cpu_model()}: {describe(cpu_flags())}", "passages": {k: len(v) for k, v in samples.items()},
              "chars_mean": round(float(np.mean([len(t) for t in texts])), 1), "speed": speed, "cosine": {}}
    for precision in args.precisions.split(","):
        rows = {}
        start = 0
        for name, part in list(samples.items()) + [("all", texts)]:
            if name == "all":
                cos = (vectors[precision] * vectors["fp32"]).sum(axis=1)
            else:
                cos = (vectors[precision][start:start + len(part)] * vectors["fp32"][start:start + len(part)]).sum(axis=1)
                start += len(part)
            rows[name] = {"min": round(float(cos.min()), 4), "p1": round(float(np.percentile(cos, 1)), 4),
                          "mean": round(float(cos.mean()), 4), "below_0.99": int((cos < 0.99).sum())}
        result["cosine"][precision] = rows
    out = Path(args.out) / "cosine"
    out.with_suffix(".json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    md = [f"# Cosine to fp32 on {len(texts)} real passages\n", f"{result['date']}, {result['machine']}.",
          f"CPU: {result['cpu']}. Mean passage length {result['chars_mean']} characters.\n",
          "| precision | corpus | passages | min | 1st percentile | mean | below 0.99 |", "|---|---|---|---|---|---|---|"]
    for precision, rows in result["cosine"].items():
        for name, r in rows.items():
            n = len(texts) if name == "all" else len(samples[name])
            md.append(f"| {precision} | {name} | {n} | {r['min']} | {r['p1']} | {r['mean']} | {r['below_0.99']} |")
    if any(v["passages_per_s"] for v in speed.values()):
        md.append("\nPassages per second, same passages, same run: "
                  + ", ".join(f"{k} {v['passages_per_s']}" for k, v in speed.items()))
    out.with_suffix(".md").write_text("\n".join(md) + "\n", encoding="utf-8")
    return md


def query_latency(args, base) -> list[str]:
    """Question embedding latency per precision, interleaved; writes OUT/query-latency.json, returns its table."""
    from rag.embed import load_embedder
    from rag.embed.cpu import cpu_flags, cpu_model, describe
    from rag.evals.metrics import percentile
    from rag.evals.runs import machine

    questions = [json.loads(line)["question"] for line in open(args.questions, encoding="utf-8")
                 if line.strip()][: args.n_questions]
    precisions = ["fp32"] + [p for p in args.precisions.split(",") if p != "fp32"]
    embedders = {p: load_embedder(base.replace(embed_precision=p)) for p in precisions}
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
    out = Path(args.out) / "query-latency"
    out.with_suffix(".json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    md = ["# Question embedding latency\n", f"{result['date']}, {result['machine']}.", f"CPU: {result['cpu']}.",
          f"{len(questions)} questions, one at a time, precisions interleaved; load average {result['load']}.\n",
          "| precision | wall p50 ms | wall p95 ms | CPU p50 ms (all threads) |", "|---|---|---|---|"]
    for p, v in result["latency"].items():
        md.append(f"| {p} | {v['wall_p50_ms']} | {v['wall_p95_ms']} | {v['cpu_p50_ms']} |")
    out.with_suffix(".md").write_text("\n".join(md) + "\n", encoding="utf-8")
    return md


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", nargs="+", required=True)
    ap.add_argument("--n", type=int, default=1000, help="passages for the cosine")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--precisions", default="int8,bf16", help="compared with fp32")
    ap.add_argument("--no-cache", action="store_true", help="embed afresh and time each precision")
    ap.add_argument("--questions", help="questions (JSONL) for the question embedding latency (default: not measured)")
    ap.add_argument("--n-questions", type=int, default=100)
    ap.add_argument("--out", required=True, help="folder for cosine.* and query-latency.*")
    args = ap.parse_args()

    from rag.config import load_settings

    base = load_settings(env={})
    Path(args.out).mkdir(parents=True, exist_ok=True)
    md = cosine(args, base)
    if args.questions:
        md += [""] + query_latency(args, base)
    print("\n".join(md))


if __name__ == "__main__":
    main()
