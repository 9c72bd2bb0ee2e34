"""Convert a corpus and a question set to Traditional Chinese with OpenCC, for the script evals.

    python eval/traditional.py OUT_DIR [--config s2t] [--corpus corpus/] [--questions eval/datasets/bulletin_dev.jsonl]

Writes OUT_DIR/corpus/ (every .txt/.md/.html/.jsonl file converted; other files skipped) and
OUT_DIR/questions.jsonl (question, answers, answer keys and evidence converted). ``--config``
is an OpenCC configuration: s2t (OpenCC's standard Traditional), s2hk (Hong Kong), s2tw
(Taiwan characters) or s2twp (Taiwan characters and vocabulary: 项目 -> 專案).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import opencc

TEXT_FILES = (".txt", ".md", ".html", ".htm", ".jsonl")


def convert_questions(src: Path, dst: Path, cv) -> int:
    n = 0
    with open(src, encoding="utf-8") as fin, open(dst, "w", encoding="utf-8") as fout:
        for line in fin:
            if not line.strip():
                continue
            q = json.loads(line)
            for key in ("question", "answer"):
                if isinstance(q.get(key), str):
                    q[key] = cv.convert(q[key])
            for key in ("answers", "answer_keys", "evidence"):
                if isinstance(q.get(key), list):
                    q[key] = [cv.convert(x) for x in q[key]]
            fout.write(json.dumps(q, ensure_ascii=False) + "\n")
            n += 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--config", default="s2t")
    ap.add_argument("--corpus", default="corpus")
    ap.add_argument("--questions", default="eval/datasets/bulletin_dev.jsonl")
    args = ap.parse_args()
    cv = opencc.OpenCC(args.config)
    out = Path(args.out)
    src = Path(args.corpus)
    files = [src] if src.is_file() else sorted(p for p in src.rglob("*") if p.suffix.lower() in TEXT_FILES)
    for p in files:
        rel = p.name if src.is_file() else p.relative_to(src)
        target = out / "corpus" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(cv.convert(p.read_text(encoding="utf-8")), encoding="utf-8")
    n = convert_questions(Path(args.questions), out / "questions.jsonl", cv)
    print(f"{len(files)} files and {n} questions converted with OpenCC {args.config} into {out}")


if __name__ == "__main__":
    main()
