#!/usr/bin/env bash
# Reproduce the benchmark reports behind eval/README.md in one command:
#
#   eval/run_all.sh [OUT_DIR] [CRUD_NEWS_DIR]        (or: make eval)
#
# Every question set is scored with the configurations of $CONFIGS (default
# eval/configs/default.toml: hybrid, hybrid-rrf, dense, lexical and the LangChain baseline) on the
# same questions, on this machine, in one run per set. Each writes OUT_DIR/<set>/ with
# results.json, summary.md (the side-by-side tables), per_question.csv, hit_at_k.png, latency.png.
#
# Indexes are kept under ~/.cache/bulletin-rag/eval-indexes and passages are embedded through the
# embedding cache, so a rerun only embeds what changed. On 2 cores a first run takes roughly
# an hour, most of it embedding CMRC and the crud-news sample and answering with the extractive
# answerer; ANSWERS=0 skips answer scoring on the two large sets (the default), ANSWERS=1 scores them all.
#
# Environment: PY (python, default .venv/bin/python), CONFIGS, SAMPLE_DOCS (crud-news sub-corpus
# size, default 2000), ANSWERS (1/0), SEED (default 0).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
OUT=${1:-eval/reports}
CRUD=${2:-../shared/benchmarks/crud-news}
CONFIGS=${CONFIGS:-eval/configs/default.toml}
SAMPLE_DOCS=${SAMPLE_DOCS:-2000}
SEED=${SEED:-0}
BIG_ANSWERS=()
[[ "${ANSWERS:-0}" == 0 ]] && BIG_ANSWERS=(--no-answers)

run() {  # run NAME ARGS...: one `rag eval`, its table on stdout, its report in OUT/NAME
  local name=$1; shift
  echo "== $name" >&2
  "$PY" -m rag eval "$@" --configs "$CONFIGS" --seed "$SEED" --quiet --report "$OUT/$name"
}

[[ -f "$CRUD/corpus.jsonl" && -f "$CRUD/questions_dev.jsonl" ]] || {
  echo "crud-news benchmark not found in $CRUD (give its folder as the second argument)" >&2; exit 2; }

run bulletin-dev eval/datasets/bulletin_dev.jsonl --corpus corpus/
run bulletin-en-unanswerable eval/datasets/bulletin_en.jsonl eval/datasets/bulletin_unanswerable_zh.jsonl \
  --corpus corpus/
run cmrc2018 eval/datasets/cmrc2018/questions_dev.jsonl --corpus eval/datasets/cmrc2018/corpus.jsonl \
  "${BIG_ANSWERS[@]}"
run crud-news "$CRUD/questions_dev.jsonl" --corpus "$CRUD/corpus.jsonl" --sample-docs "$SAMPLE_DOCS" \
  "${BIG_ANSWERS[@]}"

# the default answerer on a seeded sample of CMRC questions (answers take ~1 s each on 2 cores)
CONFIGS=eval/configs/answers.toml run cmrc2018-answers eval/datasets/cmrc2018/questions_dev.jsonl \
  --corpus eval/datasets/cmrc2018/corpus.jsonl --sample-questions "${ANSWER_SAMPLE:-300}"

echo "reports: $OUT/{bulletin-dev,bulletin-en-unanswerable,cmrc2018,cmrc2018-answers,crud-news}/summary.md" >&2
