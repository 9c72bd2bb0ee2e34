"""The questions of a set whose reference answer is short (a name, a figure, a date): what an
extractive answer can hold word for word. Issue 20's news target is measured on them.

    python eval/short_answers.py ../shared/benchmarks/crud-news/questions_dev.jsonl --max-chars 30 \\
        --out /tmp/crud_short.jsonl
    rag eval /tmp/crud_short.jsonl --corpus ../shared/benchmarks/crud-news/corpus.jsonl \\
        --sample-questions 100 --sample-docs 300 --configs eval/configs/answers.toml
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("questions")
    ap.add_argument("--max-chars", type=int, default=30, help="longest reference answer kept (default 30)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    kept = total = 0
    with open(args.out, "w", encoding="utf-8") as out:
        for line in Path(args.questions).read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            q = json.loads(line)
            total += 1
            answer = q.get("answer")
            if isinstance(answer, str) and answer.strip() and len(answer.strip()) <= args.max_chars:
                out.write(json.dumps(q, ensure_ascii=False) + "\n")
                kept += 1
    print(f"{kept} of {total} questions have an answer of at most {args.max_chars} characters -> {args.out}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
