"""BM25 weights baked at build time (index format 4) against weights computed at query time from
raw term frequencies (format 5, segments): same passages, same 200 crud-news dev questions, one
process. Prints the largest score difference and the per-query scoring time of each.

    PYTHONPATH=. .venv/bin/python eval/bench_lexical_formats.py FORMAT4_INDEX QUESTIONS.jsonl
"""
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from rag.index.local.meta import MetaStore
from rag.index.local.bm25 import LexicalIndex, term_hash
from rag.text import tokenize_query
from rag.evals.questions import load_questions, sample_questions
folder = Path(sys.argv[1]).expanduser()
gen = folder / (folder / "CURRENT").read_text().strip()
L = gen / "lexical"
old = {k: np.load(L / f"{k}.csc.index.npy", mmap_mode="r") for k in ("data", "indices", "indptr")}
terms, cols = np.load(L / "terms.npy", mmap_mode="r"), np.load(L / "term_cols.npy", mmap_mode="r")
n = json.loads((L / "lexical.json").read_text())["n"]
def old_scores(toks):  # the format-4 code: weights baked at build time
    s = np.zeros(n, np.float32)
    h = np.fromiter((term_hash(t) for t in toks), dtype=np.uint64, count=len(toks))
    pos = np.minimum(np.searchsorted(terms, h), len(terms) - 1)
    for c, f in zip(cols[pos], terms[pos] == h):
        if f:
            a, b = int(old["indptr"][c]), int(old["indptr"][c + 1])
            s[old["indices"][a:b]] += old["data"][a:b]
    return s
texts = [c.embed_text() for _, c in MetaStore(gen / "meta.sqlite").iter_chunks()]
t = time.perf_counter(); new = LexicalIndex.build(texts, "bigram"); print("build", round(time.perf_counter() - t, 1), "s")
qs = sample_questions([q for q in load_questions(sys.argv[2])], 200, seed=0)
toks = [tokenize_query(q.question) for q in qs]
diff = max(float(np.abs(old_scores(t) - new.scores(t)).max()) for t in toks)
print("max |old - new| score over 200 questions:", diff)
for name, fn in (("baked (format 4)", old_scores), ("query-time (format 5)", new.scores)) * 2:
    ts = []
    for t in toks:
        a = time.perf_counter(); fn(t); ts.append((time.perf_counter() - a) * 1000)
    print(name, "p50 ms", round(float(np.percentile(ts, 50)), 2), "p95 ms", round(float(np.percentile(ts, 95)), 2))
