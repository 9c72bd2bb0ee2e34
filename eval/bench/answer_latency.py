"""Answer latency, in process: every question of the sets through ``Assistant.ask`` (warm: the model
and the index loaded, one warm-up round), p50/p95 per round, and the share of the two parts issue 20
added: the detail checks (:func:`rag.answering.details.ground`) and the answer judge (when on).

    python eval/bench/answer_latency.py QUESTIONS.jsonl [...] --corpus corpus/ --rounds 3 --out REPORT.json
    python eval/bench/answer_latency.py QUESTIONS.jsonl --index ~/.cache/bulletin-rag/eval-indexes/<set> ...

Run it from two checkouts in turn (the code before and after a change) on the same machine and
minute, and compare; the CPU's flags and the load are printed beside the figures.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402


class Timer:
    """Wraps a function and sums the seconds spent in it."""

    def __init__(self, fn):
        self.fn, self.seconds = fn, 0.0

    def __call__(self, *args, **kwargs):
        t0 = time.perf_counter()
        try:
            return self.fn(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("questions", nargs="+")
    ap.add_argument("--corpus", help="files or a folder, indexed into a temporary folder first")
    ap.add_argument("--index", help="an index already built (e.g. one of rag eval's cached indexes)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--limit", type=int, default=0, help="at most this many questions")
    ap.add_argument("--judge", action="store_true", help="with the answer judge on")
    ap.add_argument("--out", default="")
    args = ap.parse_args(argv)

    import tempfile

    from rag.answering import Assistant
    from rag.config import load_settings
    from rag.embed.cpu import cpu_flags, describe

    questions = []
    for path in args.questions:
        questions += [json.loads(line)["question"] for line in Path(path).read_text("utf-8").splitlines() if line.strip()]
    if args.limit:
        questions = questions[:args.limit]
    base = load_settings()
    overrides = {"judge": True} if args.judge else {}
    settings = base.replace(extractive={**base.extractive.__dict__, **overrides}) if overrides else base
    if args.index:
        bot = Assistant.open(Path(args.index).expanduser(), settings=settings)
    else:
        bot = Assistant.build(args.corpus, Path(tempfile.mkdtemp(prefix="latency-")) / "index", settings=settings)
    timers = {}
    try:
        from rag.answering import extractive

        timers["details"] = Timer(extractive.ground)
        extractive.ground = timers["details"]
        timers["evidence"] = Timer(extractive.evidence_for)  # the article read around each quote
        extractive.evidence_for = timers["evidence"]
    except AttributeError:
        pass
    ex = bot._current().answerers["extractive"]
    if getattr(ex, "judge", None) is not None:
        timers["judge"] = Timer(ex.judge.probabilities)
        ex.judge.probabilities = timers["judge"]
    for q in questions[: min(10, len(questions))]:  # warm-up
        bot.ask(q)
    rounds = []
    for r in range(args.rounds):
        for t in timers.values():
            t.seconds = 0.0
        ms = []
        for q in questions:
            t0 = time.perf_counter()
            bot.ask(q)
            ms.append((time.perf_counter() - t0) * 1000)
        rounds.append({"p50_ms": round(float(np.percentile(ms, 50)), 1), "p95_ms": round(float(np.percentile(ms, 95)), 1),
                       "mean_ms": round(float(np.mean(ms)), 1),
                       **{f"{k}_ms_per_question": round(1000 * t.seconds / len(questions), 1) for k, t in timers.items()},
                       "load": round(os.getloadavg()[0], 2)})
        print(json.dumps(rounds[-1]), flush=True)
    report = {"commit": os.popen("git rev-parse --short HEAD").read().strip(), "cpu": platform.processor() or "",
              "flags": describe(cpu_flags()), "questions": len(questions), "judge": bool(args.judge), "rounds": rounds}
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1), encoding="utf-8")
    print(json.dumps({k: v for k, v in report.items() if k != "rounds"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
