"""Why the extractive answerer misses: one row per answerable question, classed by cause.

    python eval/diagnose_answers.py QUESTIONS.jsonl --corpus CORPUS [--sample-questions N] [--seed 0]
        [--variants variants.json] --out rows.jsonl

``--variants``: a JSON list of ``{"name": ..., "extractive": {setting: value}}``; every variant
answers the same searches (each question is understood and searched once; sentence vectors are
computed once per text), so a sweep of thresholds costs little more than one run.

The questions, the sample and the index are those of ``rag eval`` (same seed, same cached index);
every question goes through ``Assistant.ask``, the path ``rag eval`` scores. Each answerable
question is put in one class:

- ``right``: the answer holds the key (containment);
- ``retrieval``: no passage found holds the key;
- ``split``: a passage holds it, but no single sentence does (the key crosses a sentence end);
- ``refused``: a sentence holds it, and the answerer refused (the row keeps its reason);
- ``sentence``: a sentence holds it, and another was quoted;
- ``window``: the quoted sentence holds it, and the window cut from it does not.

Unanswerable questions get ``refused`` or ``answered``. A table of counts is printed.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from rag.answering import Assistant  # noqa: E402
from rag.answering.extractive import ExtractiveAnswerer  # noqa: E402
from rag.config import load_settings  # noqa: E402
from rag.evals import metrics as M  # noqa: E402
from rag.evals.build import Builder, prepare_corpus  # noqa: E402
from rag.evals.configs import EvalConfig  # noqa: E402
from rag.evals.questions import read_question_sets, sample_questions  # noqa: E402
from rag.text import split_sentences  # noqa: E402


def classify(q, ans) -> dict:
    """The class of one answered question, and what shows it."""
    row = {"id": q.id, "question": q.question, "refused": ans.refused, "note": ans.note, "answer": ans.text}
    if not q.answerable:
        row["class"] = "refused" if ans.refused else "answered"
        row["passages"] = [h.chunk.text for h in ans.passages]  # for a check that none holds an answer
        return row

    def holds(text: str) -> bool:
        return bool(M.contains_answer(text, q.answer_keys, q.references))

    texts = [h.chunk.text for h in ans.passages]
    sentences = [t[a:b] for t in texts for a, b in split_sentences(t)]
    quotes = [c.quote for c in ans.citations]
    if not ans.refused and holds(ans.text):
        cls = "right"
    elif not any(holds(t) for t in texts):
        cls = "retrieval"
    elif not any(holds(s) for s in sentences):
        cls = "split"
    elif ans.refused:
        cls = "refused"
    elif any(holds(s) for s in quotes):
        cls = "window"
    else:
        cls = "sentence"
    row["class"] = cls
    row["keys"] = q.answer_keys or q.references[:3]
    if cls in ("sentence", "window"):
        row["quoted"] = quotes
        row["holding"] = [s for s in sentences if holds(s)][:2]
    if cls == "refused":
        row["holding"] = [s for s in sentences if holds(s)][:2]
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("questions", nargs="+")
    ap.add_argument("--corpus", nargs="+", required=True)
    ap.add_argument("--sample-questions", type=int)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--variants", help="JSON file: a list of {name, extractive} (default: the settings as they are)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    s = load_settings(None)
    questions, _ = read_question_sets(args.questions)
    questions = sample_questions(questions, args.sample_questions, args.seed)
    corpus, raws, _, _ = prepare_corpus([Path(p) for p in args.corpus], questions, None, args.seed,
                                        s.cache_dir, print, s.limits)
    variants = json.loads(Path(args.variants).read_text(encoding="utf-8")) if args.variants else \
        [{"name": "default", "extractive": {}}]
    target = Builder(s, corpus, raws, log=print).target(EvalConfig("diagnose", {"mode": "hybrid"}, answers=True))
    embedder = MemoEmbedder(target.embedder)
    bot = Assistant(target.settings, embedder=embedder, llm=None, index=target.searcher.index)
    answerers = {v["name"]: ExtractiveAnswerer(embedder, bot.index,
                                               s.replace(extractive=v.get("extractive", {})).extractive)
                 for v in variants}
    rows = []
    for q in questions:
        query = bot.understand(q.question)
        result = bot.search(query)
        for name, answerer in answerers.items():
            rows.append({"variant": name, **classify(q, answerer.answer(query, result))})
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    for name in answerers:
        mine = [r for r in rows if r["variant"] == name]
        counts = Counter(r["class"] for r in mine)
        print(f"== {name}: " + ", ".join(f"{cls} {c} ({c / len(mine):.3f})" for cls, c in counts.most_common()))
    return 0


class MemoEmbedder:
    """The embedder, remembering the vectors of the sentences it embedded (variants share them)."""

    def __init__(self, embedder):
        self._e = embedder
        self._memo: dict[str, np.ndarray] = {}

    def __getattr__(self, name):
        return getattr(self._e, name)

    def embed_passages(self, texts, progress=None, urgent: bool = False):
        new = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if new:
            self._memo.update(zip(new, self._e.embed_passages(new, urgent=urgent)))
        return np.stack([self._memo[t] for t in texts]) if texts else self._e.embed_passages([])


if __name__ == "__main__":
    raise SystemExit(main())
