"""What opening an index costs: seconds and memory to load it and make it searchable.

    PYTHONPATH=. .venv/bin/python eval/bench_open.py INDEX_DIR [INDEX_DIR ...] --out eval/reports/open/after.json

Each index is opened in a fresh process (``Index.load`` then ``Retriever(index, None,
settings)``, everything a search needs but the model) ``--runs`` times, interleaved across
indexes; the median open time and the RSS growth over a process that only imported the
libraries are reported. Run it with another checkout's ``rag`` first on ``PYTHONPATH`` to get
the baseline on the same machine, in the same minutes.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

_CHILD = r"""
import json, sys, time
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
import faiss, bm25s, numpy, sqlite3
from rag.config import load_settings
from rag.index import Index
from rag.search import Retriever
s = load_settings(env={})
before = rss()
t0 = time.perf_counter()
idx = Index.load(sys.argv[1])
r = Retriever(idx, None, s)
t = time.perf_counter() - t0
print("RESULT " + json.dumps({"open_s": t, "rss_mb": rss() - before}))
"""


def open_once(folder: str) -> dict:
    out = subprocess.run([sys.executable, "-c", _CHILD, folder], capture_output=True, text=True, env=os.environ,
                         cwd="/")
    line = next((x for x in out.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"opening {folder} failed:\n{out.stderr[-2000:]}")
    return json.loads(line[7:])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("indexes", nargs="+")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--out", type=Path)
    a = p.parse_args()
    runs: dict[str, list[dict]] = {f: [] for f in a.indexes}
    for _ in range(a.runs):
        for f in a.indexes:
            runs[f].append(open_once(f))
    res = {"load": os.getloadavg(), "rag": os.environ.get("PYTHONPATH", ""), "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "indexes": {f: {"open_s": round(statistics.median(r["open_s"] for r in rs), 3),
                           "rss_mb": round(statistics.median(r["rss_mb"] for r in rs), 1),
                           "runs": rs} for f, rs in runs.items()}}
    print(json.dumps(res, indent=1))
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
