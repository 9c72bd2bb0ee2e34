"""Does the title/section header pay for its tokens? (issue 11)

    PYTHONPATH=. .venv/bin/python eval/bench_header.py eval/datasets/cmrc2018/questions_dev.jsonl \\
        --corpus eval/datasets/cmrc2018/corpus.jsonl --report eval/reports/header/cmrc2018

A passage is embedded and indexed (BM25) as ``header + "\\n" + text``, the header being its section
path or else its document's title, unless the passage already holds it
(:meth:`rag.types.Chunk.embed_text`). This script builds the same corpus twice into throw-away
folders, with that header and without it (the second build replaces ``Chunk.embed_text`` by the
bare passage text in this process only; nothing else differs: same chunks, model, settings), and
reports per build the tokens the model was given (its own tokenizer, special tokens included), the
seconds the embedding took (no embedding cache) and hybrid, dense and lexical MRR@10 / hit@k over
the questions, with 95% bootstrap intervals of the difference. Writes ``report.json`` and
``summary.md`` under ``--report``.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.config import load_settings  # noqa: E402
from rag.embed import load_embedder  # noqa: E402
from rag.evals.build import prepare_corpus  # noqa: E402
from rag.evals.questions import load_questions  # noqa: E402
from rag.evals.runs import machine, ranked, run_questions  # noqa: E402
from rag.index import Index, ingest  # noqa: E402
from rag.search import Retriever  # noqa: E402
from rag.types import Chunk  # noqa: E402

KS = [1, 5, 10]
MODES = ("hybrid", "dense", "lexical")
WITH_HEADER = Chunk.embed_text


def _bare(self: Chunk) -> str:
    return self.text


def _tokens(embedder, texts: list[str]) -> int:
    """Tokens the model is given for ``texts`` as passages (prompt and framing included, after
    truncation), counted by the embedder's own counter (the int8 model's tokenizer)."""
    return int(sum(embedder._count_tokens([embedder.passage_prompt + t for t in texts])))


def build(variant: str, corpus: list[Path], settings, embedder, folder: Path) -> tuple[Index, dict]:
    Chunk.embed_text = WITH_HEADER if variant == "header" else _bare
    t0 = time.perf_counter()
    report = ingest(corpus, settings, embedder, index_dir=folder, use_cache=False)
    seconds = time.perf_counter() - t0
    index = Index.load(folder)
    texts = [c.embed_text() for c in index.chunks_at(range(len(index)))]
    info = {"passages": len(index), "chars": sum(map(len, texts)), "ingest_s": round(seconds, 1),
            "model_tokens": _tokens(embedder, texts), "embedded": report.embedded}
    return index, info


def bootstrap_diff(a: np.ndarray, b: np.ndarray, n: int = 1000, seed: int = 0) -> list[float]:
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(a), (n, len(a)))
    d = (b[idx] - a[idx]).mean(axis=1)
    return [round(float(np.percentile(d, 2.5)), 4), round(float(np.percentile(d, 97.5)), 4)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("questions")
    ap.add_argument("--corpus", nargs="+", required=True)
    ap.add_argument("--sample-docs", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--report", required=True)
    a = ap.parse_args()
    settings = load_settings()
    questions = [q for q in load_questions(a.questions) if q.answerable]
    corpus, _, _, note = prepare_corpus([Path(p) for p in a.corpus], questions, a.sample_docs, a.seed,
                                        settings.cache_dir)
    embedder = load_embedder(settings)
    rows, per_q = {}, {}
    with tempfile.TemporaryDirectory(prefix="bench-header-") as tmp:
        for variant in ("header", "bare"):
            index, info = build(variant, corpus, settings, embedder, Path(tmp) / variant)
            retriever = Retriever(index, embedder, settings)
            for mode in MODES:
                res = run_questions(retriever, questions, mode, k=10)
                ranks = ranked(res, KS)
                per_q[(variant, mode)] = np.array([r["mrr@10"] for r in ranks])
                info[mode] = {m: round(float(np.mean([r[m] for r in ranks])), 4) for m in ("mrr@10", "hit@1", "hit@5")}
            rows[variant] = info
            print(variant, json.dumps(info, ensure_ascii=False), file=sys.stderr)
        Chunk.embed_text = WITH_HEADER
    diffs = {mode: bootstrap_diff(per_q[("header", mode)], per_q[("bare", mode)]) for mode in MODES}
    out = {"machine": machine(), "questions": a.questions, "n": len(questions), "corpus": a.corpus,
           "sample": note, "rows": rows, "mrr_diff_bare_minus_header_ci95": diffs}
    report = Path(a.report)
    report.mkdir(parents=True, exist_ok=True)
    (report / "report.json").write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    h, b = rows["header"], rows["bare"]
    lines = [f"# Title/section header: with and without ({a.questions}, {len(questions)} answerable questions)", "",
             f"{out['machine']}. {note}".strip(), "",
             "| build | passages | chars | model tokens | ingest s (no cache) | hybrid mrr@10 | hybrid hit@5 | dense mrr@10 | lexical mrr@10 |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, r in (("with header", h), ("without", b)):
        lines.append(f"| {name} | {r['passages']:,} | {r['chars']:,} | {r['model_tokens']:,} | {r['ingest_s']} | "
                     f"{r['hybrid']['mrr@10']} | {r['hybrid']['hit@5']} | {r['dense']['mrr@10']} | {r['lexical']['mrr@10']} |")
    lines += ["", "MRR@10 without minus with, 95% bootstrap interval over questions: "
              + ", ".join(f"{m} {diffs[m]}" for m in MODES)]
    (report / "summary.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
