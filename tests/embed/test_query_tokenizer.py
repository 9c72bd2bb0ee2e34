"""The query tokenizer (a tokenizer built per request from the pieces that are substrings of the
text) gives exactly the full tokenizer's ids, on real questions and passages in Chinese and
English and on odd text; the one-shot embedder uses it and never loads the full tokenizer."""
import json
import shutil

import numpy as np
import pytest

from ..conftest import ROOT, SEED

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def int8_folder(model_cache_dir):
    from rag.config import load_settings
    from rag.embed import prepare_model

    folder = prepare_model(load_settings(env={}, cache_dir=model_cache_dir))
    if folder is None:
        pytest.skip("no int8 export (ONNX Runtime is not installed)")
    return folder


def _texts() -> list[str]:
    data = ROOT / "eval" / "datasets"
    texts = []
    for name in ("bulletin_dev.jsonl", "bulletin_en.jsonl", "bulletin_unanswerable_zh.jsonl",
                 "cmrc2018/questions_dev.jsonl"):
        texts += ["query: " + json.loads(line)["question"] for line in (data / name).read_text(encoding="utf-8").splitlines()
                  if line.strip()][:400]
    lines = [s for s in SEED.read_text(encoding="utf-8").splitlines() if s.strip()]
    texts += ["passage: " + s for s in lines]  # passages: long lines, figures, captions, bylines
    texts += ["query: " + s for s in ("😀 什么？", "SELECT * FROM users; --", "  多  空格   ", "全角ＡＢＣ１２３",
                                      "繁體中文的問題嗎？", "Ünïcödé naïve café", "\t\n", "ﬁ ligature ①②③ 〇", "")]
    texts.append("passage: " + "青岛高新区" * 400)  # past 512 tokens: truncated alike
    return texts


def test_the_query_tokenizer_gives_the_full_tokenizers_ids(int8_folder, tmp_path):
    from tokenizers import Tokenizer

    from rag.embed.query_tokenizer import QueryTokenizer, query_tokenizer_exists, write_query_tokenizer

    shutil.copy(int8_folder / "tokenizer.json", tmp_path / "tokenizer.json")
    write_query_tokenizer(tmp_path)
    assert query_tokenizer_exists(tmp_path)
    full = Tokenizer.from_file(str(tmp_path / "tokenizer.json"))
    full.no_padding()
    full.enable_truncation(512)
    mini = QueryTokenizer(tmp_path, 512)
    texts = _texts()
    assert len(texts) > 500
    for i in range(0, len(texts), 7):  # requests of a few texts, as the one-shot commands make them
        batch = texts[i:i + 7]
        assert mini.handles(batch)
        assert mini.encode_batch(batch) == [e.ids for e in full.encode_batch(batch)], batch
    assert not mini.handles(["query: a <mask> b"]) and not mini.handles(["x<unk>y"])


def test_a_one_shot_embedder_never_loads_the_full_tokenizer(int8_folder, embedder):
    from rag.embed.ort_encoder import OrtEncoder

    enc = OrtEncoder(int8_folder, short_requests=True)
    texts = ["query: 2023年青岛高新区新引进了多少个高质量项目？", "passage: " + SEED.read_text(encoding="utf-8")[:300]]
    vecs = enc.encode(texts)
    assert enc.tokenizer is None  # the 250k pieces were never loaded
    eager = OrtEncoder(int8_folder)
    assert np.allclose(vecs, eager.encode(texts), atol=1e-5) and eager.tokenizer is not None
    enc.encode(["query: x"] * (OrtEncoder.SHORT + 1))  # a large request loads the full tokenizer
    assert enc.tokenizer is not None
