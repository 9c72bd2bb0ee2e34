"""Synthetic near-miss questions for a question set: one detail of each answerable question swapped
for another of its kind that its gold paragraph does not hold (a year, a name, a number, a level or
an opposite), by the recipe the answer judge's training data uses
(:func:`rag.train.pairs_judge.near_miss`). The right reply to each is a refusal or a caveat that
names the swapped detail (the ``missing`` field).

    python eval/make_near_misses.py eval/datasets/cmrc2018/questions_dev.jsonl \\
        --corpus eval/datasets/cmrc2018/corpus.jsonl --n 320 --seed 0 \\
        --out eval/datasets/nearmiss_cmrc.jsonl

The swapped name may, by chance, be one the corpus holds elsewhere with the same fact: the set is
measured as it comes (no question is checked by hand), which makes its refusal rate a floor.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag.train.pairs_judge import name_pools, near_miss, read_paragraphs  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("questions")
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--n", type=int, default=320)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    paragraphs = read_paragraphs(Path(args.corpus))
    pools = name_pools([p["text"] for p in paragraphs.values()])
    rows = [json.loads(line) for line in Path(args.questions).read_text(encoding="utf-8").splitlines() if line.strip()]
    rng = random.Random(args.seed)
    rng.shuffle(rows)
    out = []
    for r in rows:
        gold = (r.get("gold_doc_ids") or [None])[0]
        if gold not in paragraphs:
            continue
        nm = near_miss(r["question"], paragraphs[gold]["text"], pools, rng)
        if nm is None:
            continue
        out.append({"id": f"nm-{r['id']}", "question": nm.question, "answer": None, "evidence": [], "gold_doc_ids": [],
                    "lang": "zh", "kind": f"nearmiss-{nm.kind}", "missing": nm.asked, "original": r["question"],
                    "was": nm.was})
        if len(out) >= args.n:
            break
    with open(args.out, "w", encoding="utf-8") as fh:
        for row in sorted(out, key=lambda x: x["id"]):
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    kinds: dict[str, int] = {}
    for row in out:
        kinds[row["kind"]] = kinds.get(row["kind"], 0) + 1
    print(f"{len(out)} near-miss questions written to {args.out}: {kinds}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
