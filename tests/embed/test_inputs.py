"""What the model reads: prompts, and Traditional Chinese folded to Simplified, for questions,
passages and the embedding cache alike."""
import numpy as np

from rag.embed import EmbeddingCache, embed_passages_cached
from rag.embed.model import Embedder


class Recorder:
    def __init__(self):
        self.seen = []

    def __call__(self, texts):
        self.seen.extend(texts)
        return np.ones((len(texts), 4), np.float32)


def test_model_inputs_are_folded_and_prompted():
    rec = Recorder()
    emb = Embedder("fake", rec, 4, "query: ", "passage: ")
    emb.embed_queries(["青島高新區有多少家企業？"])
    emb.embed_passages(["青島高新區新引進項目311個。", "Qingdao"])
    assert sorted(rec.seen) == sorted(["query: 青岛高新区有多少家企业？", "passage: 青岛高新区新引进项目311个。",
                                       "passage: Qingdao"])


def test_the_cache_is_keyed_by_what_the_model_read(tmp_path):
    rec = Recorder()
    emb = Embedder("fake", rec, 4, "", "passage: ")
    cache = EmbeddingCache(tmp_path, emb.fingerprint)
    try:
        embed_passages_cached(emb, ["青岛高新区新引进项目311个。"], cache)
        embed_passages_cached(emb, ["青島高新區新引進項目311個。"], cache)  # the same input once folded
    finally:
        cache.close()
    assert rec.seen == ["passage: 青岛高新区新引进项目311个。"]
