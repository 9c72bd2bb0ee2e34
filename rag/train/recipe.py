"""``rag train cross-encoder``: the passage reranker, from DRCD, end to end.

DRCD groups (:mod:`rag.train.pairs_drcd`) -> a held-out split by article -> :func:`rag.train.trainer.train`
-> the weights file and its model card (:mod:`rag.train.card`). The groups are written to the
work folder once (``groups-<key>.jsonl``) and read back when a run resumes; the held-out
questions are written as a question set (``heldout_questions.jsonl``) so that ``rag eval`` can
measure the reranker through the real retriever on questions it never trained on.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable

import numpy as np

from ..config import Settings
from ..embed import prepare_default_model
from .card import write_card
from .examples import built_once, split_by_key
from .pairs_drcd import drcd_groups, open_first_stage, read_drcd, sample
from .trainer import TrainConfig, peak_rss_mb, train

Log = Callable[[str], None]


def train_reranker(drcd: Path, settings: Settings, out: Path, cfg: TrainConfig, *, work: Path,
                   max_questions: int | None = None, max_groups: int | None = None, depth: int = 30,
                   negatives: int = 15,
                   held_out: float = 0.1, resume: bool = False, max_steps: int | None = None,
                   card: bool = True, log: Log = lambda s: None) -> dict:
    """Build (or read back) the DRCD groups, train, write the weights at ``out`` and the model
    card beside them. ``max_questions``: a seeded sample of the questions to build groups from;
    ``max_groups``: a seeded subset of the training groups built (the held-out groups stay all).
    Returns the report (also written to ``work/report.json``)."""
    t0 = time.perf_counter()
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    corpus, questions, titles = read_drcd(drcd)
    questions = sample(questions, max_questions, cfg.seed)
    key = {"corpus": str(Path(corpus).resolve()), "n": len(questions), "seed": cfg.seed,
           "depth": depth, "negatives": negatives, "chunk": settings.chunker.to_dict(), "model": settings.model}
    groups, stats = built_once(work, "groups", key, lambda: drcd_groups(
        open_first_stage(corpus, settings, log), questions, titles, depth=depth, negatives=negatives, log=log), log)
    build_seconds = time.perf_counter() - t0
    train_set, valid = split_by_key(groups, held_out, cfg.seed)
    if max_groups and max_groups < len(train_set):  # a seeded subset, in order; the held-out part stays whole
        keep = set(np.random.default_rng(cfg.seed).choice(len(train_set), max_groups, replace=False).tolist())
        train_set = [g for i, g in enumerate(train_set) if i in keep]
    held_keys = {g.key for g in valid}
    held_q = [q for q in questions if titles.get(q["gold"], q["gold"]) in held_keys]
    with open(work / "heldout_questions.jsonl", "w", encoding="utf-8") as fh:
        for q in held_q:
            fh.write(json.dumps({"id": q["id"], "question": q["question"], "answers": q["answers"],
                                 "gold_doc_ids": [q["gold"]]}, ensure_ascii=False) + "\n")
    log(f"{len(train_set)} training groups, {len(valid)} held out ({len(held_keys)} articles, "
        f"{len(held_q)} questions in {work / 'heldout_questions.jsonl'})")
    base_dir = prepare_default_model(settings.cache_dir, log)
    data = {"source": "DRCD (Delta Reading Comprehension Dataset, CC BY-SA 3.0)", "questions": len(questions),
            "groups_built": len(groups), "groups": len(train_set), "held_out_groups": len(valid), "depth": depth, "negatives": negatives,
            "chunk_tokens": settings.chunk_tokens, "chunk_overlap_tokens": settings.chunk_overlap_tokens}
    report = train(train_set, base_dir, out, cfg, valid=valid, checkpoints=work / "checkpoints", resume=resume,
                   trained={"data": data}, max_steps=max_steps, log=log)
    report.update(data=data, drcd_stats=stats, build_seconds=round(build_seconds, 1),
                  peak_rss_mb=round(peak_rss_mb()), heldout_questions=str(work / "heldout_questions.jsonl"))
    (work / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    if report.get("finished") and card:
        write_card(out, report)
    return report


def default_work_dir(settings: Settings, out: Path, cfg: TrainConfig) -> Path:
    """Where a run keeps its groups, checkpoints and report: under the cache, named by the output
    file and the layers and seed (so another run does not resume this one's checkpoint)."""
    name = f"{Path(out).stem}-L{cfg.layers}-s{cfg.seed}"
    return Path(settings.cache_dir) / "train" / name

