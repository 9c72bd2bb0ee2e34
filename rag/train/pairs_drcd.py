"""Training groups for the passage reranker from DRCD (CC BY-SA 3.0; ``../shared/benchmarks/drcd``).

Each DRCD question has answer spans in one Wikipedia paragraph (a document of the corpus). The
corpus is cut into passages by the project's own ingest (chunker, title headers) into an index
of its own, and for every question:

- the **positive** is the passage of the gold paragraph that holds an answer span (whitespace
  ignored, Traditional/Simplified folded); where two overlapping passages hold it, the one the
  first stage ranks higher; a question whose answer no single passage holds is left out;
- the **negatives** are the project's own first stage's best guesses: the dense top ``depth`` and
  the BM25 top ``depth``, interleaved by rank (dense first), minus every passage that holds an
  answer span (another passage saying the same is not a wrong answer), at most ``negatives``.

Both texts are what search gives the reranker: the question, and the passage as embedded (its
title or section header, then its text: :meth:`rag.types.Chunk.embed_text`). The group's key is
the paragraph's title, so a held-out split keeps all paragraphs of one article on one side.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Callable

import numpy as np

from ..config import Settings
from ..embed import load_embedder
from ..text import fold, squash
from .examples import Group

Log = Callable[[str], None]


def read_drcd(folder: Path) -> tuple[Path, list[dict], dict[str, str]]:
    """The corpus file, the questions (``id``, ``question``, ``answers``, ``gold``) and each
    paragraph's title."""
    folder = Path(folder)
    corpus, questions = folder / "corpus.jsonl", folder / "questions_train.jsonl"
    for p in (corpus, questions):
        if not p.is_file():
            raise FileNotFoundError(f"DRCD not found: {p} is missing (give the DRCD folder with --drcd)")
    titles = {}
    with open(corpus, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                d = json.loads(line)
                titles[d["id"]] = d.get("title", "")
    out = []
    with open(questions, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                d = json.loads(line)
                answers = [a for a in (d.get("answers") or [d.get("answer")]) if a]
                if answers and d.get("gold_doc_ids"):
                    out.append({"id": d["id"], "question": d["question"], "answers": answers,
                                "gold": d["gold_doc_ids"][0]})
    return corpus, out, titles


def sample(questions: list[dict], n: int | None, seed: int) -> list[dict]:
    """A seeded sample of ``n`` questions in their original order (all of them without ``n``)."""
    if not n or n >= len(questions):
        return questions
    keep = set(np.random.default_rng(seed).choice(len(questions), n, replace=False).tolist())
    return [q for i, q in enumerate(questions) if i in keep]


def open_first_stage(corpus: Path, settings: Settings, log: Log = lambda s: None):
    """The project's own index of ``corpus`` (built once under ``<cache>/train-indexes``; passages
    are embedded through the embedding cache) and a hybrid :class:`~rag.search.Retriever` over it."""
    from ..index import Index, ingest
    from ..search import Retriever

    s = settings.replace(rerank=False, max_per_doc=0, mode="hybrid")
    embedder = load_embedder(s, log)
    key = json.dumps({"corpus": str(Path(corpus).resolve()), "model": embedder.fingerprint,
                      "chunker": s.chunker.to_dict(), "lexical": s.lexical_tokenizer}, sort_keys=True)
    folder = Path(s.cache_dir) / "train-indexes" / f"{Path(corpus).parent.name}-{hashlib.sha1(key.encode()).hexdigest()[:10]}"
    report = ingest([corpus], s, embedder, index_dir=folder, rebuild_on_mismatch=True, log=log)
    log(f"first stage: {report.documents} documents, {report.chunks} passages in {folder} "
        f"({report.embedded} embedded now)")
    return Retriever(Index.load(folder), embedder, s)


def holds(text: str, answers: list[str]) -> bool:
    flat = fold(squash(text))
    return any(fold(squash(a)) in flat for a in answers)


def interleave(*lists: list[int]) -> list[int]:
    """The rows of several ranked lists, rank by rank, each row once."""
    seen, out = set(), []
    for rank in range(max((len(x) for x in lists), default=0)):
        for x in lists:
            if rank < len(x) and x[rank] not in seen:
                seen.add(x[rank])
                out.append(x[rank])
    return out


def drcd_groups(retriever, questions: list[dict], titles: dict[str, str], *, depth: int = 30, negatives: int = 15,
                batch: int = 64, log: Log = lambda s: None) -> tuple[list[Group], dict]:
    """One :class:`Group` per usable question (see the module's docstring) and counts of what
    was left out."""
    index = retriever.index
    stats = {"questions": len(questions), "no_single_passage": 0, "few_negatives": 0}
    queries = [retriever.query(q["question"]) for q in questions]
    for i in range(0, len(queries), batch):  # embedded in batches: many times faster than one by one
        part = queries[i:i + batch]
        vectors = retriever.embedder.embed_queries([x.text for x in part])
        for j, v in zip(range(i, i + len(part)), vectors):
            queries[j] = replace(queries[j], _vector=np.asarray(v, np.float32))
    gold_rows: dict[str, list[int]] = {}  # a paragraph's rows, looked up once
    out = []
    for n, (q, query) in enumerate(zip(questions, queries), 1):
        dense = [r for r, _ in index.dense(query.vector, depth)]
        lexical = [r for r, _ in index.lexical(query.tokens, depth)]
        ranked = interleave(dense, lexical)
        if q["gold"] not in gold_rows:
            gold_rows[q["gold"]] = doc_rows(index, q["gold"])
        rows = list(dict.fromkeys(ranked + gold_rows[q["gold"]]))
        chunks = dict(zip(rows, index.chunks_at(rows)))
        answering = {r for r, c in chunks.items() if holds(c.text, q["answers"])}
        positives = [r for r in ranked + gold_rows[q["gold"]] if r in answering and chunks[r].doc_id == q["gold"]]
        if not positives:
            stats["no_single_passage"] += 1
            continue
        negs = [chunks[r].embed_text() for r in ranked if r not in answering][:negatives]
        if not negs:
            stats["few_negatives"] += 1
            continue
        out.append(Group(q["question"], chunks[positives[0]].embed_text(), tuple(negs), titles.get(q["gold"], q["gold"])))
        if n % 1000 == 0:
            log(f"  {n}/{len(questions)} questions")
    stats["groups"] = len(out)
    return out, stats


def doc_rows(index, doc_id: str) -> list[int]:
    """The rows of one document's passages, in document order."""
    from ..search import Filters

    rows = index.rows_matching(Filters(doc_ids=(doc_id,)))
    return [] if rows is None else [int(r) for r in rows]
