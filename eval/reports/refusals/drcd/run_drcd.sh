cd /work/wt-12
PY="nice -n 5 /work/main/.venv/bin/python"
export PYTHONPATH=/work/wt-12
D=/work/shared/benchmarks/drcd
V=${V:-/tmp/w12/variants.json}
T=${T:-}
$PY eval/diagnose_answers.py $D/questions_train.jsonl --corpus $D/corpus.jsonl --sample-questions 300 --seed 0 --variants $V --out /tmp/w12/drcd$T.jsonl
$PY eval/diagnose_answers.py /tmp/w12/offtopic_zh.jsonl --corpus $D/corpus.jsonl --variants $V --out /tmp/w12/off_drcd$T.jsonl
$PY eval/diagnose_answers.py /tmp/w12/drcd_nopara_q.jsonl --corpus /tmp/w12/drcd_nopara_corpus.jsonl --variants $V --out /tmp/w12/nopara$T.jsonl
$PY eval/diagnose_answers.py eval/datasets/bulletin_dev.jsonl /tmp/w12/offtopic_zh.jsonl --corpus corpus/ --variants $V --out /tmp/w12/bulletin$T.jsonl
echo done
