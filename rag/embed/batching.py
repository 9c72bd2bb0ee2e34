"""Batches by token count: texts sorted by length, cut so each padded batch holds at most a budget
of tokens. A batch costs (texts x its longest text), so like lengths together waste no padding,
and short passages go many to a batch while long ones go few."""
from __future__ import annotations

from typing import Sequence

import numpy as np


def token_batches(lengths: Sequence[int], max_tokens: int, max_texts: int) -> list[list[int]]:
    """Indices of ``lengths`` in batches: shortest first, each batch's padded size
    (``len(batch) * longest``) at most ``max_tokens`` and at most ``max_texts`` texts. A text
    longer than the budget goes alone. Every index appears exactly once; the caller puts the
    results back in the original order."""
    if max_tokens < 1 or max_texts < 1:
        raise ValueError("max_tokens and max_texts must be at least 1")
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        longest = max(lengths[i], 1)  # sorted: the newcomer is the longest
        if current and ((len(current) + 1) * longest > max_tokens or len(current) >= max_texts):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


def char_lengths(texts: Sequence[str]) -> list[int]:
    """A stand-in for token counts where no tokenizer is at hand (about one token per Chinese
    character for this model's vocabulary)."""
    return [len(t) for t in texts]


def pad_ids(ids: Sequence[Sequence[int]], pad: int) -> tuple[np.ndarray, np.ndarray]:
    """``input_ids`` and ``attention_mask`` (int64) of a batch of token ids, padded to its longest."""
    longest = max(len(i) for i in ids)
    arr = np.full((len(ids), longest), pad, np.int64)
    mask = np.zeros((len(ids), longest), np.int64)
    for row, i in enumerate(ids):
        arr[row, :len(i)] = i
        mask[row, :len(i)] = 1
    return arr, mask
