#!/usr/bin/env bash
# The extractive answerer before and after issue 12's refusal and window changes, and the learned
# selector with them, on the same questions in one run per set (eval/configs/answers-refusals.toml):
#
#   eval/run_refusals.sh [OUT_DIR]            (default eval/reports/refusals)
#
# Sets: bulletin dev (tuned on), the English bulletin questions and the Chinese unanswerable ones
# (not tuned on), and the seeded 300-question sample of cmrc2018 dev that eval/run_selector.sh and
# eval/run_all.sh use (not tuned on): eval/run_selector.sh's sets and runs, with this file's answerers.
# Environment: PY (default .venv/bin/python), SEED (0), ANSWER_SAMPLE (300).
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIGS=eval/configs/answers-refusals.toml exec bash eval/run_selector.sh "${1:-eval/reports/refusals}"
