"""The file a trained cross-encoder ships as: only what training changed.

A cross-encoder here is the bundled multilingual-e5-small cut to its first N transformer layers,
reading a pair ``<s> A </s></s> B </s>``, with a linear head on the mean of its token vectors that
gives one score. Training leaves the embeddings (the 250k-word table, positions, their layer norm) as they
are, so the file holds only the N layers and the head, in safetensors (fp16: 6 layers are about
21 MB), and the rest is read from the model ``rag prepare-model`` converts.

Tensors: ``layer.{i}.<name>`` for each of XLM-R's per-layer weights (``attention.self.query.weight``
...), ``head.weight`` ``(1, hidden)`` and ``head.bias`` ``(1,)``. The safetensors header's metadata
(strings) holds ``format`` (:data:`FORMAT`), ``version`` (:data:`VERSION`), ``layers``, ``hidden``,
``max_length``, ``max_query_tokens``, ``base`` (the converted model it was trained on) and
``trained`` (JSON: data, recipe, figures, for the record).

A missing, damaged or foreign file raises :class:`CrossEncoderError` naming the file and the fix.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FORMAT = "bulletin-rag-cross-encoder"
VERSION = 1
# XLM-R's weights of one layer, as named under ``encoder.layer.{i}.`` (and here under ``layer.{i}.``)
LAYER_PARAMS = tuple(f"{m}.{p}" for m in ("attention.self.query", "attention.self.key", "attention.self.value",
                                          "attention.output.dense", "attention.output.LayerNorm",
                                          "intermediate.dense", "output.dense", "output.LayerNorm")
                     for p in ("weight", "bias"))
HEAD_PARAMS = ("head.weight", "head.bias")


class CrossEncoderError(ValueError):
    """A cross-encoder file that cannot be used; the message says which, why and what to do."""


@dataclass(frozen=True)
class CrossEncoderSpec:
    """What a weights file says about the model it holds."""

    layers: int
    hidden: int = 384
    max_length: int = 192  # tokens of a pair, framing included
    max_query_tokens: int = 48  # tokens of the first text at most; the second is cut to fit the rest
    base: str = ""  # the converted base model's folder name (rag.embed.default_model_dir)
    trained: dict = field(default_factory=dict, compare=False)

    def metadata(self) -> dict[str, str]:
        return {"format": FORMAT, "version": str(VERSION), "layers": str(self.layers), "hidden": str(self.hidden),
                "max_length": str(self.max_length), "max_query_tokens": str(self.max_query_tokens),
                "base": self.base, "trained": json.dumps(self.trained, ensure_ascii=False, sort_keys=True)}


def tensor_names(layers: int) -> list[str]:
    """Every tensor a file of ``layers`` layers holds, in the order they are written."""
    return [f"layer.{i}.{p}" for i in range(layers) for p in LAYER_PARAMS] + list(HEAD_PARAMS)


def expected_shape(name: str, hidden: int, ff: int) -> tuple[int, ...]:
    if name == "head.weight":
        return (1, hidden)
    if name == "head.bias":
        return (1,)
    param = name.split(".", 2)[2]
    if param.startswith("intermediate.dense"):
        return (ff, hidden) if param.endswith("weight") else (ff,)
    if param == "output.dense.weight":
        return (hidden, ff)
    if param.endswith("dense.weight") or param.startswith("attention.self") and param.endswith("weight"):
        return (hidden, hidden)
    return (hidden,)


def write_weights(path: str | os.PathLike, tensors: dict[str, np.ndarray], spec: CrossEncoderSpec,
                  dtype=np.float16) -> Path:
    """Write ``tensors`` (the names of :func:`tensor_names`) as ``dtype`` with ``spec`` in the
    header; atomically (a reader never sees half a file)."""
    from safetensors.numpy import save_file

    path = Path(path)
    names = tensor_names(spec.layers)
    if sorted(tensors) != sorted(names):
        missing, extra = set(names) - set(tensors), set(tensors) - set(names)
        raise ValueError(f"cross-encoder tensors do not match {spec.layers} layers: missing {sorted(missing)[:3]}, "
                         f"extra {sorted(extra)[:3]}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    os.close(fd)
    try:
        save_file({n: np.ascontiguousarray(tensors[n], dtype=dtype) for n in names}, tmp, metadata=spec.metadata())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_weights(path: str | os.PathLike, ff: int | None = None) -> tuple[CrossEncoderSpec, dict[str, np.ndarray]]:
    """The spec and the tensors (as float32) of the file at ``path``; ``ff`` (the base model's
    feed-forward width) checks the shapes. Raises :class:`CrossEncoderError` when the file is
    missing, not a cross-encoder of this format version, or damaged."""
    from safetensors import SafetensorError, safe_open

    path = Path(path)
    retrain = "retrain it with `rag train cross-encoder` (or `make train-cross-encoder`)"
    if not path.is_file():
        raise CrossEncoderError(f"no cross-encoder weights at {path}: none ship with the package yet "
                                f"(eval/README.md, \"Cross-encoder reranker\"); train them with `rag train "
                                f"cross-encoder` (the answer judge: `rag train judge`), or set rerank = false "
                                f"(extractive.judge = false)")
    try:
        with safe_open(str(path), framework="numpy") as fh:
            meta = fh.metadata() or {}
            if meta.get("format") != FORMAT:
                raise CrossEncoderError(f"{path} is not a bulletin-rag cross-encoder (format "
                                        f"{meta.get('format')!r}); {retrain}, or set rerank = false")
            if meta.get("version") != str(VERSION):
                raise CrossEncoderError(f"{path} has cross-encoder format version {meta.get('version')!r}; this "
                                        f"release reads version {VERSION}: {retrain}, or set rerank = false")
            spec = CrossEncoderSpec(int(meta["layers"]), int(meta["hidden"]), int(meta["max_length"]),
                                    int(meta["max_query_tokens"]), meta.get("base", ""),
                                    json.loads(meta.get("trained") or "{}"))
            if spec.layers < 1 or spec.max_length < 8 or not 1 <= spec.max_query_tokens < spec.max_length - 4:
                raise ValueError(f"layers {spec.layers}, max_length {spec.max_length}, "
                                 f"max_query_tokens {spec.max_query_tokens}")
            names = tensor_names(spec.layers)
            held = set(fh.keys())
            if held != set(names):
                raise ValueError(f"it holds {len(held)} tensors where {spec.layers} layers and a head need "
                                 f"{len(names)} (e.g. missing {sorted(set(names) - held)[:1]})")
            tensors = {n: fh.get_tensor(n).astype(np.float32) for n in names}
    except CrossEncoderError:
        raise
    except (SafetensorError, OSError, ValueError, KeyError, json.JSONDecodeError) as exc:
        raise CrossEncoderError(f"{path} is damaged ({exc}); {retrain}, or set rerank = false") from None
    ff = ff or tensors["layer.0.intermediate.dense.bias"].shape[0]
    for n, t in tensors.items():
        want = expected_shape(n, spec.hidden, ff)
        if t.shape != want or not np.isfinite(t).all():
            raise CrossEncoderError(f"{path} is damaged (tensor {n}: shape {t.shape} where {want} is expected, "
                                    f"or values that are not finite); {retrain}, or set rerank = false")
    return spec, tensors
