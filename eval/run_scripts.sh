#!/usr/bin/env bash
# The Traditional/Simplified Chinese figures of eval/README.md in one command:
#
#   eval/run_scripts.sh [OUT_DIR] [WORK_DIR]
#
# Converts the seed bulletin and the bulletin dev set with OpenCC (s2t: OpenCC's standard
# Traditional; s2twp: Taiwan characters and vocabulary, 项目 -> 專案) into WORK_DIR, then scores
# eval/configs/script.toml (hybrid with answers, dense, lexical) on every pairing of scripts:
#   zhs              Simplified bulletin, Simplified questions (the reference)
#   zht-q-zhs        Traditional bulletin, Simplified questions
#   zht-q-zht        Traditional bulletin, Traditional questions
#   zhs-q-zht        Simplified bulletin, Traditional questions
#   zhtwp-q-zhs      Taiwan-vocabulary bulletin, Simplified questions (evidence and answer keys as
#                    the bulletin writes them, so that relevance can be judged)
# Each writes OUT_DIR/<name>/ (results.json, summary.md ...). About a minute each on 2 idle cores.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
OUT=${1:-eval/reports/scripts/after}
WORK=${2:-${TMPDIR:-/tmp}/bulletin-rag-scripts}
Q=eval/datasets/bulletin_dev.jsonl

"$PY" eval/traditional.py "$WORK/zht" --config s2t
"$PY" eval/traditional.py "$WORK/zhtwp" --config s2twp
# Simplified questions with the Taiwan bulletin's evidence and answer keys
"$PY" - "$Q" "$WORK/zhtwp/questions.jsonl" "$WORK/zhtwp/questions-zhs.jsonl" <<'PYEOF'
import json, sys
zhs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
twp = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8") if l.strip()]
with open(sys.argv[3], "w", encoding="utf-8") as out:
    for a, b in zip(zhs, twp):
        out.write(json.dumps({**b, "question": a["question"]}, ensure_ascii=False) + "\n")
PYEOF

run() {  # run NAME ARGS...
  local name=$1; shift
  echo "== $name" >&2
  rm -rf "$WORK/index-$name"
  "$PY" -m rag eval "$@" --configs eval/configs/script.toml --quiet --index "$WORK/index-$name" --report "$OUT/$name"
}
run zhs "$Q" --corpus corpus/
run zht-q-zhs "$Q" --corpus "$WORK/zht/corpus"
run zht-q-zht "$WORK/zht/questions.jsonl" --corpus "$WORK/zht/corpus"
run zhs-q-zht "$WORK/zht/questions.jsonl" --corpus corpus/
run zhtwp-q-zhs "$WORK/zhtwp/questions-zhs.jsonl" --corpus "$WORK/zhtwp/corpus"
