"""A tiny stand-in for the int8 export: a real ONNX graph (embedding lookup and mean pooling over
the attention mask) and a real `tokenizers` Unigram tokenizer over single characters, in the
folder layout of rag.embed.int8. Fast tests of the ONNX Runtime path and of what a one-shot
command imports use it; the real model's accuracy is a slow test."""
import json
from pathlib import Path

import numpy as np

from rag.config import load_settings
from rag.embed import default_model_dir
from rag.embed.int8 import INT8_VERSION, META_FILE, MODEL_FILE, int8_dir

DIM = 16
SPECIAL = ["<s>", "<pad>", "</s>", "<unk>"]
CHARS = "▁青岛高新区引进了多少个项目火炬创新积分贷科技企业海洋论坛专家参加首届举办吸收年以来总投资亿元其中上0123456789" \
        "abcdefghijklmnopqrstuvwxyz:？，。、"


def write_tokenizer(path: Path) -> None:
    from tokenizers import Tokenizer, models, pre_tokenizers, processors

    vocab = [(p, 0.0) for p in SPECIAL] + [(c, -1.0) for c in dict.fromkeys(CHARS)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=3, byte_fallback=False))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.post_processor = processors.TemplateProcessing(single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    tok.save(str(path))
    return len(vocab)


def write_model(path: Path, vocab: int) -> None:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    table = rng.standard_normal((vocab, DIM)).astype(np.float32)
    nodes = [
        helper.make_node("Gather", ["table", "input_ids"], ["emb"]),
        helper.make_node("Cast", ["attention_mask"], ["maskf"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["maskf", "last"], ["mask3"]),
        helper.make_node("Mul", ["emb", "mask3"], ["masked"]),
        helper.make_node("ReduceSum", ["masked", "one"], ["summed"], keepdims=0),
        helper.make_node("ReduceSum", ["mask3", "one"], ["count"], keepdims=0),
        helper.make_node("Div", ["summed", "count"], ["embedding"]),
    ]
    graph = helper.make_graph(
        nodes, "tiny",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["b", "s"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["b", "s"])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["b", DIM])],
        [numpy_helper.from_array(table, "table"), numpy_helper.from_array(np.array([-1], np.int64), "last"),
         numpy_helper.from_array(np.array([1], np.int64), "one")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))


def make_tiny_int8(cache_dir: Path) -> Path:
    """A cache folder whose bundled model has a (tiny) int8 export; returns the export folder."""
    folder = int8_dir(default_model_dir(cache_dir))
    folder.mkdir(parents=True)
    vocab = write_tokenizer(folder / "tokenizer.json")
    write_model(folder / MODEL_FILE, vocab)
    (folder / META_FILE).write_text(json.dumps({
        "prompts": {"query": "query: ", "passage": "passage: "}, "max_seq_length": 64, "dim": DIM, "pad_id": 1,
        "version": INT8_VERSION}), encoding="utf-8")
    return folder


def tiny_settings(tmp_path: Path, **kw):
    cache = tmp_path / "cache"
    make_tiny_int8(cache)
    return load_settings(env={}, cache_dir=cache, index_dir=tmp_path / "index", **kw)
