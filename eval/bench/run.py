"""Run the benchmarks: one entry point, two tiers (``make bench``, ``make bench-full``).

    .venv/bin/python eval/bench/run.py [NAME ...] [--tier quick|full] [--crud DIR] [--drcd DIR]
        [--sample-index DIR] [--list]

Each benchmark is a script beside this one (``eval/bench/NAME.py``, runnable alone: its docstring
says how) that measures its subject and the baseline beside it in the same run (LangChain's
recipe, fp32, exact search, the FAISS store, search without the reranker ...). This runner starts
it with the arguments of the tier, its report going to ``eval/reports/NAME/TIER/``, and writes
``run.json`` there: the command, the commit (and whether the tree had changes), the date, the CPU
and its instruction sets, the cores, the load average before and after, the seconds it took and
what the baseline is. ``eval/reports/bench-TIER.md`` lists the runs of a tier.

- **quick** (under 10 minutes on 2 cores once the model is prepared): only what the repository
  holds (``corpus/``, ``eval/datasets/``), small samples; ``ocr`` needs a Chinese font.
- **full**: the figures of eval/README.md; needs the crud-news benchmark (``--crud``), for ``ann``
  and ``scale`` an index of the crud-news sample in one segment (``--sample-index``), for
  ``cross-encoder`` a trained model (``make train-cross-encoder``), for ``ocr`` a Chinese font
  (``make browser``); a benchmark whose inputs are missing is skipped, saying what it needs.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CMRC_Q, CMRC_C = "eval/datasets/cmrc2018/questions_dev.jsonl", "eval/datasets/cmrc2018/corpus.jsonl"
DEV = "eval/datasets/bulletin_dev.jsonl"


@dataclass
class Bench:
    """A benchmark: what its baseline is, and its arguments per tier ({out}: its report folder;
    {crud}, {sample_index}, {seed_index}: inputs, see :func:`inputs`). A tier it lacks skips it."""

    baseline: str
    tiers: dict[str, list[str]] = field(default_factory=dict)
    needs: tuple[str, ...] = ()  # inputs beyond the repository, per :func:`missing`


BENCHES: dict[str, Bench] = {
    "precision": Bench(
        "fp32 vectors and fp32 question embedding, in the same run",
        {"quick": ["--corpus", CMRC_C, "--n", "200", "--precisions", "int8", "--questions", CMRC_Q,
                   "--n-questions", "30", "--out", "{out}"],
         "full": ["--corpus", CMRC_C, "{crud}/corpus.jsonl", "--n", "1000", "--precisions", "int8,bf16",
                  "--questions", "{crud}/questions_dev.jsonl", "--n-questions", "100", "--out", "{out}"]}),
    "oneshot": Bench(
        "the same commands with embed_precision = fp32 (torch), interleaved round by round",
        {"quick": ["--index", "{seed_index}", "--rounds", "2", "--precisions", "int8,fp32", "--out", "{out}/oneshot"],
         "full": ["--index", "{seed_index}", "--rounds", "4", "--precisions", "int8,fp32", "--out", "{out}/oneshot"]}),
    "ingest": Bench(
        "LangChain's naive recipe (RecursiveCharacterTextSplitter 1000/200, FAISS, fp32), interleaved",
        {"quick": ["--corpus", CMRC_C, "--questions", CMRC_Q, "--limit", "80", "--n-queries", "50",
                   "--pipelines", "ours-auto,langchain", "--out", "{out}/ingest"],
         "full": ["--corpus", "{crud}/corpus.jsonl", "--questions", "{crud}/questions_dev.jsonl", "--limit", "150",
                  "--rounds", "3", "--pipelines", "ours-auto,langchain", "--out", "{out}/ingest"]}),
    "rerank": Bench(
        "the same searches with the reranker off, alternating question by question",
        {"quick": [DEV, "--corpus", "corpus/", "--n", "24", "--out", "{out}/rerank.json"],
         "full": [CMRC_Q, "--corpus", CMRC_C, "--n", "300", "--out", "{out}/rerank.json"]}),
    "milvus": Bench(
        "the FAISS store on the same passages and vectors, question by question",
        {"quick": [DEV, "--corpus", "corpus/", "--no-bm25fn", "--milvus-dir", "{tmp}/milvus", "--report", "{out}"],
         "full": [CMRC_Q, "--corpus", CMRC_C, "--report", "{out}/cmrc2018"]}),
    "answer-latency": Bench(
        "none in the run: run it from the checkout before a change on the same machine and minute",
        {"quick": [DEV, "--corpus", "corpus/", "--rounds", "1", "--out", "{out}/answer-latency.json"],
         "full": [DEV, "eval/datasets/bulletin_holdout.jsonl", "eval/datasets/bulletin_holdout2.jsonl",
                  "--corpus", "corpus/", "--rounds", "3", "--out", "{out}/answer-latency.json"]}),
    "ann": Bench(
        "exact (flat) search over the same vectors",
        {"full": ["--sample-index", "{sample_index}", "--questions", "{crud}/questions_dev.jsonl",
                  "--sizes", "16838", "300000", "--out", "{out}"]},
        needs=("crud", "sample_index")),
    "scale": Bench(
        "none in the run: the targets of issue 11 (docs/decisions.md has the earlier formats)",
        {"full": ["--sample-index", "{sample_index}", "--corpus", "{crud}/corpus.jsonl",
                  "--questions", "{crud}/questions_dev.jsonl", "--sizes", "100000", "--work", "{tmp}/scale",
                  "--out", "{out}"]},
        needs=("crud", "sample_index")),
    "cross-encoder": Bench(
        "the fused order (no second stage), on the same shortlists",
        {"full": [CMRC_Q, "--corpus", CMRC_C, "--weights", "rag/search/models/cross-encoder.safetensors",
                  "--out", "{out}/cmrc2018"]},
        needs=("cross_encoder",)),
    "ocr": Bench(
        "one page at a time with one thread, against two threads and a pool of two processes",
        {"quick": ["--speed-only", "--pages", "1", "--out", "{out}"], "full": ["--out", "{out}"]},
        needs=("chinese_font",)),
}


def script(name: str) -> Path:
    return HERE / f"{name.replace('-', '_')}.py"


def missing(bench: Bench, given: dict[str, str]) -> list[str]:
    """What ``bench`` needs that is not there, said so a user can act on it."""
    out = []
    for need in bench.needs:
        if need == "crud" and not Path(given["crud"], "corpus.jsonl").is_file():
            out.append(f"the crud-news benchmark (--crud DIR; not found in {given['crud']})")
        elif need == "sample_index" and not given["sample_index"]:
            out.append("an index of the crud-news sample in one segment (--sample-index DIR)")
        elif need == "cross_encoder" and not (ROOT / "rag/search/models/cross-encoder.safetensors").is_file():
            out.append("a trained cross-encoder (make train-cross-encoder)")
        elif need == "chinese_font" and not _has_chinese_font():
            out.append("a Chinese font (make browser)")
    return out


def _has_chinese_font() -> bool:
    if not shutil.which("fc-list"):
        return False
    return bool(subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout.strip())


def commit() -> dict:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    return {"commit": git("rev-parse", "--short", "HEAD") or "unknown",
            "changes": bool(git("status", "--porcelain", "--untracked-files=no"))}


def machine() -> dict:
    sys.path.insert(0, str(ROOT))
    from rag.embed.cpu import cpu_flags, cpu_model, describe

    flags = cpu_flags()
    return {"cpu": cpu_model(), "flags": describe(flags), "cores": os.cpu_count(),
            "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)}


def seed_index(tmp: Path) -> str:
    """An index of corpus/ for the benchmarks that open one (embedded through the cache)."""
    folder = tmp / "seed-index"
    if not folder.exists():
        subprocess.run([sys.executable, "-m", "rag", "ingest", "corpus/", "--index", str(folder), "--quiet"],
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return str(folder)


def run_one(name: str, tier: str, given: dict[str, str], tmp: Path, out_root: Path) -> dict:
    bench = BENCHES[name]
    out = out_root / name / tier
    record = {"name": name, "tier": tier, "baseline": bench.baseline, **commit(),
              "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": machine()}
    lacking = missing(bench, given)
    if tier not in bench.tiers or lacking:
        record["skipped"] = (f"no {tier} tier" if tier not in bench.tiers else "needs " + "; ".join(lacking))
        print(f"== {name}: skipped ({record['skipped']})", file=sys.stderr, flush=True)
        return record
    values = {**given, "out": str(out), "tmp": str(tmp)}
    if any("{seed_index}" in a for a in bench.tiers[tier]):
        values["seed_index"] = seed_index(tmp)
    argv = [a.format(**values) for a in bench.tiers[tier]]
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    command = [sys.executable, str(script(name).relative_to(ROOT)), *argv]
    print(f"== {name} ({tier}): {' '.join(command[1:])}", file=sys.stderr, flush=True)
    record.update(command=" ".join(["python", *command[1:]]), load_before=os.getloadavg())
    t0 = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE")}
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    record.update(seconds=round(time.perf_counter() - t0, 1), load_after=os.getloadavg(), returncode=proc.returncode)
    log = (proc.stdout + proc.stderr).splitlines()
    (out / "output.log").write_text("\n".join(log[-200:]) + "\n", encoding="utf-8")
    (out / "run.json").write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"   {'done' if proc.returncode == 0 else 'FAILED'} in {record['seconds']} s; {out}",
          file=sys.stderr, flush=True)
    if proc.returncode:
        print("\n".join(log[-20:]), file=sys.stderr)
    return record


def summary(records: list[dict], tier: str, out_root: Path) -> Path:
    rows = [f"# Benchmarks, {tier} tier\n", "| benchmark | result | seconds | commit | load before -> after | baseline |",
            "|---|---|---|---|---|---|"]
    for r in records:
        result = r.get("skipped") and f"skipped: {r['skipped']}" or ("ok" if r["returncode"] == 0 else "failed")
        load = (f"{r['load_before'][0]:.1f} -> {r['load_after'][0]:.1f}" if "load_after" in r else "")
        changes = " (+ changes)" if r["changes"] else ""
        rows.append(f"| [{r['name']}]({r['name']}/{tier}/) | {result} | {r.get('seconds', '')} | "
                    f"{r['commit']}{changes} | {load} | {r['baseline']} |")
    m = records[0]["machine"] if records else machine()
    rows.append(f"\n{records[0]['date'] if records else ''}; {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; "
                f"CPU flags: {m['flags']}.")
    path = out_root / f"bench-{tier}.md"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", help=f"benchmarks to run (default: all of the tier): {', '.join(BENCHES)}")
    ap.add_argument("--tier", choices=["quick", "full"], default="quick")
    ap.add_argument("--crud", default=str(ROOT.parent / "shared" / "benchmarks" / "crud-news"))
    ap.add_argument("--sample-index", default="", help="an index of the crud-news sample in one segment (ann, scale)")
    ap.add_argument("--reports", default=str(ROOT / "eval" / "reports"))
    ap.add_argument("--list", action="store_true", help="list the benchmarks, their tiers and baselines")
    args = ap.parse_args(argv)
    if args.list:
        for name, b in BENCHES.items():
            print(f"{name:15} {'/'.join(b.tiers):11} baseline: {b.baseline}")
        return 0
    unknown = [n for n in args.names if n not in BENCHES]
    if unknown:
        ap.error(f"unknown benchmark {', '.join(unknown)}; they are: {', '.join(BENCHES)}")
    names = args.names or [n for n, b in BENCHES.items() if args.tier in b.tiers]
    given = {"crud": args.crud, "sample_index": args.sample_index}
    out_root = Path(args.reports)
    with tempfile.TemporaryDirectory(prefix="rag-bench-") as tmp:
        records = [run_one(n, args.tier, given, Path(tmp), out_root) for n in names]
    print(f"summary: {summary(records, args.tier, out_root)}", file=sys.stderr)
    return 1 if any(r.get("returncode") for r in records) else 0


if __name__ == "__main__":
    sys.exit(main())
