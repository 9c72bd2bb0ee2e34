"""The ONNX Runtime path on a tiny real graph: prompts, padding, batching, errors."""
import numpy as np
import pytest

from rag.embed import ModelError, load_embedder, resolve_precision
from rag.embed.int8 import MODEL_FILE

from .tiny_int8 import tiny_settings


def test_auto_serves_int8_when_the_export_exists(tmp_path):
    s = tiny_settings(tmp_path)
    assert resolve_precision(s) == "int8"
    emb = load_embedder(s)
    assert (emb.precision, emb.dim, emb.query_prompt, emb.passage_prompt) == ("int8", 16, "query: ", "passage: ")
    assert emb.fingerprint["precision"] == "int8"


def test_a_text_gets_the_same_vector_alone_and_padded_in_a_batch(tmp_path):
    emb = load_embedder(tiny_settings(tmp_path, embed_batch_tokens=4096))
    texts = ["青岛", "青岛高新区引进了多少个项目", "火炬创新积分贷", "科技企业海洋论坛专家参加首届举办"]
    together = emb.embed_passages(texts)
    alone = np.concatenate([emb.embed_passages([t]) for t in texts])
    assert np.allclose(together, alone, atol=1e-5)
    assert np.allclose(np.linalg.norm(together, axis=1), 1, atol=1e-5)
    assert not np.allclose(together[0], together[1])
    # the query prompt changes the vector: the model reads it
    assert not np.allclose(emb.embed_queries(["青岛"])[0], together[0])


def test_a_damaged_export_says_what_to_do(tmp_path):
    s = tiny_settings(tmp_path)
    from rag.embed.int8 import int8_dir
    from rag.embed import default_model_dir

    (int8_dir(default_model_dir(s.cache_dir)) / MODEL_FILE).write_bytes(b"not onnx")
    emb = load_embedder(s)
    with pytest.raises(ModelError, match="rag prepare-model"):
        emb.embed_queries(["青岛"])
