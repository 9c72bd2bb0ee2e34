"""One-shot ``rag search`` / ``rag ask`` from the shell: seconds end to end, as a user runs them.

    .venv/bin/python eval/bench/oneshot.py --index index/ --rounds 3 \
        --precisions int8,fp32 --out eval/reports/oneshot/seed

Each command runs in a fresh interpreter (``python -m rag ...``), the precisions interleaved
round by round (int8 fp32 int8 fp32 ...), so a busy machine slows each alike. Reports wall
seconds, CPU seconds (user + system, the machine's load does not inflate them much) and peak
RSS, the first round (cold file cache for the model) apart from the median of the rest (warm),
and the load average. Writes OUT.json and OUT.md.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_once(argv: list[str], env: dict) -> dict:
    """One command in a fresh interpreter: wall and CPU seconds and peak RSS of that process alone
    (``os.wait4`` gives each child's own resource usage)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "rag", *argv], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = proc.stderr.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"rag {' '.join(argv)} failed ({proc.returncode}):\n{err[-2000:]}")
    return {"wall_s": round(wall, 2), "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "max_rss_mb": round(usage.ru_maxrss / 1024, 1)}


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", required=True)
    ap.add_argument("--question", default="2023年青岛高新区新引进了多少个高质量项目？")
    ap.add_argument("--commands", default="search,ask")
    ap.add_argument("--precisions", default="int8,fp32")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", default=str(ROOT / "eval" / "reports" / "oneshot" / "oneshot"))
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from rag.embed.cpu import cpu_flags, cpu_model, describe
    from rag.evals.runs import machine

    runs: dict[str, list[dict]] = {}
    for r in range(args.rounds):
        for command in args.commands.split(","):
            for precision in args.precisions.split(","):
                env = {**os.environ, "RAG_EMBED_PRECISION": precision, "PYTHONPATH": str(ROOT)}
                load = _load()
                res = run_once([command, args.question, "--index", args.index], env)
                res["load"] = load
                runs.setdefault(f"{command} {precision}", []).append(res)
                print(f"round {r + 1} {command} {precision}: {res}", file=sys.stderr, flush=True)
    summary = {}
    for name, rs in runs.items():
        warm = sorted(rs[1:] or rs, key=lambda x: x["wall_s"])
        mid = warm[len(warm) // 2]
        summary[name] = {"cold": rs[0], "warm_median": mid}
    out = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": machine(),
           "cpu": f"{cpu_model()}: {describe(cpu_flags())}", "index": args.index, "question": args.question,
           "rounds": args.rounds, "summary": summary, "runs": runs}
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.with_suffix(".json").write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    md = [f"# One-shot commands\n", f"{out['date']}, {out['machine']}.", f"CPU: {out['cpu']}.",
          f"Index `{args.index}`; question: {args.question}\n",
          "| command | precision | cold wall s | cold CPU s | warm wall s (median) | warm CPU s | peak RSS MB | load avg |",
          "|---|---|---|---|---|---|---|---|"]
    for name, v in summary.items():
        command, precision = name.split()
        c, w = v["cold"], v["warm_median"]
        md.append(f"| {command} | {precision} | {c['wall_s']} | {c['cpu_s']} | {w['wall_s']} | {w['cpu_s']} | "
                  f"{max(x['max_rss_mb'] for x in runs[name])} | {w['load']} |")
    path.with_suffix(".md").write_text("\n".join(md) + "\n", encoding="utf-8")
    print("\n".join(md))


if __name__ == "__main__":
    main()
