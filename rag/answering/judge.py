"""The answer judge: a cross-encoder that reads the question with each candidate sentence and says
how likely the sentence answers it (``rag train judge``, trained on DRCD with near-miss questions;
its card, ``models/judge.md``, says how and on what).

What decides what, in the extractive answerer:

- the **judge** orders the rules' best candidates (the answer sentence is the one it scores
  highest) and refuses when none reaches ``judge_min_probability``;
- the **rules** still filter and veto: the kind of thing asked for must be there (a number for
  多少), the passage must hold the question's rare names and enough of its terms, and every detail
  of the question (year, place, company, level, measure: :mod:`rag.text.constraints`) is checked
  on the chosen quote, which makes an answer, a caveat or a refusal.

The weights are read by :func:`rag.embed.cross_encoder.load_cross_encoder` (exported to ONNX on
first use, int8 by default) through the search stage's per-file loader, so a reloaded index does
not load them again. A missing or damaged file is reported once and the rules answer alone.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from ..embed.cross_weights import CrossEncoderError
from ..search.cross_rerank import PassageReranker, load_passage_reranker

BUNDLED = Path(__file__).parent / "models" / "judge.safetensors"
Log = Callable[[str], None]


class AnswerJudge:
    """Scores (question, sentence) pairs in one batched call; probabilities by the logistic."""

    def __init__(self, scorer: PassageReranker):
        self.scorer = scorer

    def probabilities(self, question: str, sentences: list[str]) -> np.ndarray:
        if not sentences:
            return np.zeros(0)
        logits = self.scorer.model.score([(question, s) for s in sentences])
        return 1.0 / (1.0 + np.exp(-np.asarray(logits, np.float64)))


def load_judge(path: str | Path | None, cache_dir: Path, precision: str = "int8",
               log: Log = lambda s: None) -> AnswerJudge | None:
    """The judge of the weights file ``path`` (empty: the bundled one); None, said in ``log``, when
    the file is missing, damaged or of another version: the rules then answer alone."""
    p = Path(path) if path else BUNDLED
    try:
        return AnswerJudge(load_passage_reranker(p, cache_dir, precision))
    except (CrossEncoderError, OSError) as exc:
        log(f"rag: the answer judge is off: {exc}")
        return None
