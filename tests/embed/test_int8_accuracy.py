"""The real int8 model against fp32 on real text: the accuracy guard's cosine, end to end
(export at prepare-model, ONNX Runtime, the model's own tokenizer, prompts, pooling)."""
import numpy as np
import pytest

from ..conftest import ROOT, SEED

pytestmark = pytest.mark.slow


def _passages(settings) -> list[str]:
    from rag.ingest import counter, prepare_document, read_all

    raws, _ = read_all([SEED, ROOT / "eval" / "datasets" / "cmrc2018" / "corpus.jsonl"])
    count = counter(settings.token_encoding, settings.cache_dir)
    texts = []
    for raw in raws[:40]:
        texts.extend(c.embed_text() for c in prepare_document(raw, settings.chunker, count).chunks)
    # and whole CMRC paragraphs: long inputs, some past the model's 512 tokens (truncated alike)
    return texts[:180] + [raw.text[:2000] for raw in raws[1:21]]


def test_int8_vectors_match_fp32_on_real_passages_and_questions(model_cache_dir):
    from rag.config import load_settings
    from rag.embed import load_embedder, prepare_model

    base = load_settings(env={}, cache_dir=model_cache_dir)
    prepare_model(base)  # the export, once (what `make test` runs first)
    int8 = load_embedder(base.replace(embed_precision="int8"))
    fp32 = load_embedder(base.replace(embed_precision="fp32"))
    assert (int8.precision, fp32.precision) == ("int8", "fp32")
    assert (int8.query_prompt, int8.passage_prompt) == (fp32.query_prompt, fp32.passage_prompt)

    texts = _passages(base)
    assert len(texts) >= 150 and max(map(len, texts)) > 600  # real passages, short and long
    cos = (int8.embed_passages(texts) * fp32.embed_passages(texts)).sum(axis=1)
    assert cos.min() >= 0.99, (cos.min(), texts[int(cos.argmin())])
    questions = ["2023年青岛高新区新引进了多少个高质量项目？", "What is the Torch innovation credit loan?", "火炬创新积分贷"]
    qcos = (int8.embed_queries(questions) * fp32.embed_queries(questions)).sum(axis=1)
    assert qcos.min() >= 0.99, qcos
    # still the same ranking signal: each passage is its own int8 vector's nearest fp32 neighbour
    sims = int8.embed_passages(texts[:50]) @ fp32.embed_passages(texts[:50]).T
    assert (sims.argmax(axis=1) == np.arange(50)).mean() >= 0.98
