#!/usr/bin/env bash
# The extractive answerer before and after issue 12's refusal and window changes, and the learned
# selector with them, on the same questions in one run per set (eval/configs/answers-refusals.toml):
#
#   eval/run_refusals.sh [OUT_DIR]            (default eval/reports/refusals)
#
# Sets: bulletin dev (tuned on), the English bulletin questions and the Chinese unanswerable ones
# (not tuned on), and the seeded 300-question sample of cmrc2018 dev that eval/run_selector.sh and
# eval/run_all.sh use (not tuned on). Environment: PY (default .venv/bin/python), SEED (0), ANSWER_SAMPLE (300).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
OUT=${1:-eval/reports/refusals}
SEED=${SEED:-0}
CONFIGS=eval/configs/answers-refusals.toml

run() {  # run NAME ARGS...
  local name=$1; shift
  echo "== $name ($(uptime | sed 's/.*load average/load average/'))" >&2
  "$PY" -m rag eval "$@" --configs "$CONFIGS" --seed "$SEED" --quiet --report "$OUT/$name"
}

run bulletin-dev eval/datasets/bulletin_dev.jsonl --corpus corpus/
run bulletin-en-unanswerable eval/datasets/bulletin_en.jsonl eval/datasets/bulletin_unanswerable_zh.jsonl --corpus corpus/
run cmrc2018-answers eval/datasets/cmrc2018/questions_dev.jsonl --corpus eval/datasets/cmrc2018/corpus.jsonl \
  --sample-questions "${ANSWER_SAMPLE:-300}"
echo "reports: $OUT/{bulletin-dev,bulletin-en-unanswerable,cmrc2018-answers}/summary.md" >&2
