"""Batches by token count, shortest first, and the vectors back in the original order."""
import random

import numpy as np
import pytest

from rag.embed.batching import token_batches
from rag.embed.model import Embedder


def test_every_index_once_within_the_budget():
    rng = random.Random(3)
    lengths = [rng.randint(1, 300) for _ in range(500)]
    batches = token_batches(lengths, max_tokens=2048, max_texts=32)
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(500))
    for b in batches:
        assert len(b) <= 32
        assert len(b) * max(lengths[i] for i in b) <= 2048 or len(b) == 1
    # shortest first: each batch's texts are no longer than the next batch's
    for a, b in zip(batches, batches[1:]):
        assert max(lengths[i] for i in a) <= min(lengths[i] for i in b)


def test_short_texts_go_many_to_a_batch_long_ones_few():
    lengths = [10] * 100 + [500] * 10
    batches = token_batches(lengths, max_tokens=4096, max_texts=64)
    sizes = [len(b) for b in batches]
    assert sizes[0] == 64 and 8 in sizes  # 64 short ones (the text cap), 8 long ones (4096 // 500)
    assert token_batches([5000, 3], 4096, 32) == [[1], [0]]  # longer than the budget: alone


def test_bad_budgets_are_refused():
    with pytest.raises(ValueError):
        token_batches([1, 2], 0, 32)


def test_the_embedder_batches_by_tokens_and_restores_the_order():
    seen = []

    def encode(texts):
        seen.append(list(texts))
        return np.array([[float(len(t)), 1.0] for t in texts], np.float32)

    texts = ["x" * n for n in (50, 3, 20, 7, 50, 1)]
    emb = Embedder("m", encode, 2, count_tokens=lambda ts: [len(t) for t in ts], batch_tokens=60, batch_size=32)
    vecs = emb.encode(texts, urgent=False)
    raw = np.array([[len(t), 1.0] for t in texts], np.float32)
    assert np.allclose(vecs, raw / np.linalg.norm(raw, axis=1, keepdims=True))
    assert [len(b) for b in seen] == [3, 1, 1, 1]  # 1,3,7 then 20 (4x20 > 60), then 50, 50
    assert all(len(b) * max(map(len, b)) <= 60 for b in seen)
