"""The int8 export of a sentence-transformers model folder, made once at ``rag prepare-model``.

Beside the converted model (``<cache>/models/<name>``) it writes ``<name>-int8-v1/``:

- ``model.onnx``: the encoder and mean pooling (over the attention mask) in one graph, exported
  with ``torch.onnx.export`` (opset 17, dynamic batch and sequence axes), then quantised with
  ONNX Runtime's dynamic quantisation: int8 weights per output channel for every MatMul, and
  the word embeddings (Gather) as int8, 112 MB instead of 448. Activations are quantised per
  batch at run time. Vectors are L2-normalised by the embedder, as on the torch path.
- ``tokenizer.json``: the model's own fast tokenizer (read with the ``tokenizers`` library).
- ``int8.json``: prompts, maximum length, dimension, padding id and the recipe.

Like the conversion, the folder is written under a temporary name and renamed into place: an
interrupted export leaves nothing half-written, racing processes end with one complete folder.
Exporting needs torch, transformers and onnx; running the result needs only onnxruntime and
tokenizers (:mod:`rag.embed.ort_encoder`).
"""
from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
from pathlib import Path
from typing import Callable

from .convert import publish_folder

INT8_VERSION = 1  # bump when the export recipe or the folder's files change
MODEL_FILE = "model.onnx"
META_FILE = "int8.json"
RECIPE = {"export": "torch.onnx.export opset 17, mean pooling in the graph",
          "quantisation": "onnxruntime quantize_dynamic QInt8 per-channel, MatMul + Gather"}


def int8_dir(model_dir: Path) -> Path:
    """Where the int8 export of ``model_dir`` lives: beside it."""
    model_dir = Path(model_dir)
    return model_dir.parent / f"{model_dir.name}-int8-v{INT8_VERSION}"


def int8_exists(model_dir: Path) -> bool:
    d = int8_dir(model_dir)
    return (d / MODEL_FILE).is_file() and (d / META_FILE).is_file() and (d / "tokenizer.json").is_file()


def ort_available() -> bool:
    """ONNX Runtime is installed (checked without importing it: the import costs ~0.3 s)."""
    import importlib.util

    return importlib.util.find_spec("onnxruntime") is not None


def read_meta(folder: Path) -> dict:
    return json.loads((Path(folder) / META_FILE).read_text(encoding="utf-8"))


def export_int8(model_dir: Path, log: Callable[[str], None] = lambda s: None) -> Path:
    """Export and quantise the sentence-transformers folder ``model_dir`` (once; ~2 minutes on 2
    cores). Returns the int8 folder."""
    model_dir = Path(model_dir)
    dest = int8_dir(model_dir)
    if int8_exists(model_dir):
        return dest
    log(f"exporting {model_dir.name} to ONNX and quantising it to int8 into {dest} (once, ~2 min)")
    meta = _model_meta(model_dir)
    tmp = Path(tempfile.mkdtemp(prefix=".int8-export-", dir=dest.parent))
    try:
        fp32 = tmp / "fp32.onnx"
        with _quiet():  # the tracer's and the quantiser's warnings are not the user's business
            _export_onnx(model_dir, fp32)
            _quantise(fp32, tmp / MODEL_FILE)
        fp32.unlink()
        for extra in tmp.glob("*.data"):  # external-data files of the fp32 export, if any
            extra.unlink()
        shutil.copyfile(model_dir / "tokenizer.json", tmp / "tokenizer.json")
        (tmp / META_FILE).write_text(json.dumps({**meta, "recipe": RECIPE, "version": INT8_VERSION,
                                                 "source": model_dir.name}, indent=1), encoding="utf-8")
        return publish_folder(tmp, dest, lambda: int8_exists(model_dir))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextlib.contextmanager
def _quiet():
    import logging
    import warnings

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        root.setLevel(level)


def _model_meta(model_dir: Path) -> dict:
    """Prompts, maximum length, dimension and padding id of a sentence-transformers folder."""
    def load(name: str) -> dict:
        p = model_dir / name
        return json.loads(p.read_text(encoding="utf-8")) if p.is_file() else {}

    st = load("config_sentence_transformers.json")
    config = load("config.json")
    pooling = load("1_Pooling/config.json")
    if pooling and not pooling.get("pooling_mode_mean_tokens"):
        raise ValueError(f"{model_dir}: the int8 export supports mean pooling only")
    return {"prompts": st.get("prompts", {}),
            "max_seq_length": int(load("sentence_bert_config.json").get("max_seq_length", 512)),
            "dim": int(config.get("hidden_size", pooling.get("word_embedding_dimension", 0))),
            "pad_id": int(config.get("pad_token_id", 1))}


def _export_onnx(model_dir: Path, out: Path) -> None:
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    model = AutoModel.from_pretrained(model_dir, local_files_only=True).eval()

    class MeanPooled(torch.nn.Module):
        def __init__(self, encoder):
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids, attention_mask):
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

    ids = torch.tensor([[0, 6, 5, 2], [0, 6, 2, 1]], dtype=torch.long)
    mask = (ids != 1).long()
    axes = {0: "batch", 1: "sequence"}
    with torch.no_grad():
        torch.onnx.export(MeanPooled(model), (), str(out), kwargs={"input_ids": ids, "attention_mask": mask},
                          input_names=["input_ids", "attention_mask"], output_names=["embedding"],
                          dynamic_axes={"input_ids": axes, "attention_mask": axes, "embedding": {0: "batch"}},
                          opset_version=17, dynamo=False)


def _quantise(src: Path, out: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(src), str(out), weight_type=QuantType.QInt8, per_channel=True,
                     op_types_to_quantize=["MatMul", "Gather"])
