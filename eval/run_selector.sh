#!/usr/bin/env bash
# The extractive answerer before ("rules") and after ("learned": the selector trained on DRCD by
# `rag train selector`) on the same questions, in one run per set (eval/configs/answers-selector.toml):
#
#   eval/run_selector.sh [OUT_DIR]            (default eval/reports/selector)
#
# Sets: bulletin dev (tuned on: the selector trains on it), the English bulletin questions and
# the Chinese unanswerable ones (not tuned on), and a seeded 300-question sample of cmrc2018 dev
# (not tuned on). Compare the two answerers question by question with
#   rag eval --compare OUT/<set>/results.json OUT/<set>/results.json --only ...
# Environment: PY (default .venv/bin/python), SEED (0), ANSWER_SAMPLE (300), CONFIGS (the answerers
# compared; eval/run_refusals.sh passes its own).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
OUT=${1:-eval/reports/selector}
SEED=${SEED:-0}
CONFIGS=${CONFIGS:-eval/configs/answers-selector.toml}

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
