"""Scoring pairs of texts with a trained cross-encoder: ``score([(a, b), ...]) -> scores``.

The search stage reranks (question, passage) pairs with it; the answering stage can judge
(question, sentence) pairs with another weights file of the same kind. One class for both:

    ce = load_cross_encoder("rag/search/models/cross-encoder.safetensors", settings.cache_dir)
    ce.score([("2023年引进了多少个项目？", "2023年，高新区新引进高质量项目56个……")])  # -> array([3.1])

A score is the head's raw output (a logit: higher is more relevant; not a probability).

- **Input.** Both texts are folded to Simplified Chinese (:func:`rag.text.fold`) and tokenised with
  the bundled model's own tokenizer, without framing; the first is cut to ``max_query_tokens``,
  the second to what is left of ``max_length`` (its end is dropped), then framed as XLM-R frames
  pairs: ``<s> a </s></s> b </s>``. Training builds its inputs with the same :class:`PairEncoder`.
- **Batches.** Pairs are sorted by length and cut into batches of at most ``batch_tokens``
  padded tokens (:func:`rag.embed.batching.token_batches`); scores come back in input order.
- **Backends.** ``onnx`` (default): the network exported to ONNX once, into
  ``<cache>/models/cross-encoder-<digest>-<precision>-v2/`` (the digest names the weights file's
  bytes and the base model), and run by ONNX Runtime, in fp32 or with int8 weights
  (``precision``); no torch at run time. The export holds the layers and the head (7 MB a layer
  in fp32): the word table is memory-mapped from the converted model's own file
  (:func:`word_table`), shared by every cross-encoder. ``torch``: the training-time network
  itself (the reference the ONNX paths are tested against; bf16 autocast on request).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import tempfile
import threading
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..text import fold
from .batching import pad_ids, token_batches
from .convert import publish_folder
from .cross_weights import CrossEncoderError, CrossEncoderSpec, read_weights
from .int8 import int8_dir
from .ort_encoder import _cores
from .query_tokenizer import QueryTokenizer, query_tokenizer_exists

EXPORT_VERSION = 2  # bump when the exported folder changes (2: the word table left out of the graph)
WORD_TABLE = "embeddings.word_embeddings.weight"
BACKENDS = ("onnx", "torch")
PRECISIONS = ("fp32", "int8")
Log = Callable[[str], None]


class PairEncoder:
    """Token ids of pairs, framed and truncated as the model was trained (see the module's
    docstring). ``tokenizer`` is the base model's ``tokenizers.Tokenizer``, or None with
    ``tokenizer_file`` to load it on first use. ``quick`` (a :class:`~.query_tokenizer.QueryTokenizer`
    of the same model: the same ids) serves the first ``QUICK_CALLS`` requests without loading the
    full tokenizer's 250k pieces (about a second and 300 MB): a one-shot command never loads it; a
    server loads it once it has answered that many."""

    QUICK_CALLS = 8

    def __init__(self, tokenizer, max_length: int, max_query_tokens: int, *, tokenizer_file: Path | None = None,
                 quick=None):
        self.tokenizer = tokenizer
        self.tokenizer_file = tokenizer_file
        self.max_length = max_length
        self.max_query_tokens = max_query_tokens
        self._quick = quick
        self._quick_calls = 0
        self.bos, self.eos, self.pad = 0, 2, 1  # XLM-R's <s>, </s>, <pad> (checked when the tokenizer loads)

    @classmethod
    def from_file(cls, tokenizer_json: Path, max_length: int, max_query_tokens: int, quick=None) -> "PairEncoder":
        """The pair encoder of a model's ``tokenizer.json`` (loaded on first use)."""
        return cls(None, max_length, max_query_tokens, tokenizer_file=Path(tokenizer_json), quick=quick)

    def _full(self):
        if self.tokenizer is None:
            from tokenizers import Tokenizer

            tok = Tokenizer.from_file(str(self.tokenizer_file))
            tok.no_truncation()
            tok.no_padding()
            self.tokenizer = tok
        if (self.bos, self.eos, self.pad) != tuple(self.tokenizer.token_to_id(t) for t in ("<s>", "</s>", "<pad>")):
            raise CrossEncoderError(f"{self.tokenizer_file} is not an XLM-R tokenizer (<s>, </s>, <pad> are not 0, 2, 1)")
        return self.tokenizer

    def _tokenize(self, texts: list[str]) -> list[list[int]]:
        """Ids of ``texts`` without framing."""
        if (self.tokenizer is None and self._quick is not None and self._quick_calls < self.QUICK_CALLS
                and self._quick.handles(texts)):
            self._quick_calls += 1
            return [ids[1:-1] for ids in self._quick.encode_batch(texts)]  # framed <s> ... </s>: unframed
        return [e.ids for e in self._full().encode_batch(texts, add_special_tokens=False)]

    def encode(self, pairs: Sequence[tuple[str, str]]) -> list[list[int]]:
        """The ids of each pair, ``<s> a </s></s> b </s>``, at most ``max_length`` of them."""
        if not pairs:
            return []
        firsts = list(dict.fromkeys(a for a, _ in pairs))  # a question recurs across its shortlist: tokenised once
        ids = self._tokenize([fold(a) for a in firsts] + [fold(b) for _, b in pairs])
        a_ids = {a: i[:self.max_query_tokens] for a, i in zip(firsts, ids)}
        out = []
        for (a, _), b in zip(pairs, ids[len(firsts):]):
            qa = a_ids[a]
            room = self.max_length - len(qa) - 4
            out.append([self.bos, *qa, self.eos, self.eos, *b[:room], self.eos])
        return out

    def pad_batch(self, ids: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        """``input_ids`` and ``attention_mask`` (int64) of a batch, padded to its longest pair."""
        return pad_ids(ids, self.pad)


class CrossEncoder:
    """Scores pairs of texts (thread-safe: one batch at a time). ``run(input_ids, attention_mask)``
    returns the scores of one padded batch."""

    def __init__(self, spec: CrossEncoderSpec, encoder: PairEncoder, run: Callable[[np.ndarray, np.ndarray], np.ndarray],
                 backend: str, precision: str = "fp32", path: str = "", batch_tokens: int = 4096,
                 batch_size: int = 64):
        self.spec = spec
        self.encoder = encoder
        self._run = run
        self.backend = backend
        self.precision = precision
        self.path = path
        self.batch_tokens = batch_tokens
        self.batch_size = batch_size
        self._lock = threading.Lock()

    @property
    def layers(self) -> int:
        return self.spec.layers

    def score(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """One score per pair (float32, in the order given); higher means ``b`` fits ``a`` better."""
        pairs = list(pairs)
        if not pairs:
            return np.zeros(0, np.float32)
        out = np.empty(len(pairs), np.float32)
        with self._lock:
            ids = self.encoder.encode(pairs)
            for batch in token_batches([len(i) for i in ids], self.batch_tokens, self.batch_size):
                arr, mask = self.encoder.pad_batch([ids[j] for j in batch])
                out[batch] = np.asarray(self._run(arr, mask), np.float32).reshape(-1)
        return out


# ------------------------------------------------------------------ loading
def export_dir(cache_dir: Path, weights: Path, base_name: str, precision: str) -> Path:
    """Where the ONNX export of ``weights`` over the base model ``base_name`` lives."""
    h = hashlib.sha256()
    with open(weights, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    h.update(f"{base_name}/{EXPORT_VERSION}/{precision}".encode())
    return Path(cache_dir) / "models" / f"cross-encoder-{h.hexdigest()[:16]}-{precision}-v{EXPORT_VERSION}"


def _exported(folder: Path) -> bool:
    return all((folder / f).is_file() for f in ("model.onnx", "cross-encoder.json"))


def export_cross_encoder(weights: Path, base_dir: Path, dest: Path, precision: str = "fp32",
                         log: Log = lambda s: None) -> Path:
    """The weights file over the base model as ONNX in ``dest`` (once; atomic, like the int8
    export of the embedder: racing processes end with one complete folder). Needs torch and onnx."""
    if _exported(dest):
        return dest
    from .int8 import _quiet

    spec, tensors = read_weights(weights)
    log(f"exporting the cross-encoder {Path(weights).name} to ONNX ({precision}) into {dest} (once)")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".cross-export-", dir=dest.parent))
    try:
        from .cross_net import export_onnx, net_from_weights

        with _quiet():
            net = net_from_weights(base_dir, spec, tensors)
            target = tmp / ("fp32.onnx" if precision == "int8" else "model.onnx")
            export_onnx(net, target)
            if precision == "int8":
                from onnxruntime.quantization import QuantType, quantize_dynamic

                quantize_dynamic(str(target), str(tmp / "model.onnx"), weight_type=QuantType.QInt8,
                                 per_channel=True, op_types_to_quantize=["MatMul"])
                target.unlink()
        (tmp / "cross-encoder.json").write_text(json.dumps(
            {"weights": str(weights), "base": Path(base_dir).name, "precision": precision,
             "version": EXPORT_VERSION, **{k: v for k, v in spec.metadata().items() if k != "trained"}},
            indent=1), encoding="utf-8")
        return publish_folder(tmp, dest, lambda: _exported(dest))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def word_table(base_dir: Path) -> np.ndarray:
    """The base model's word embeddings, ``(vocab, hidden)`` float32, memory-mapped from its
    ``model.safetensors`` (no copy: only the rows a batch reads are paged in)."""
    path = Path(base_dir) / "model.safetensors"
    with open(path, "rb") as fh:
        (n,) = struct.unpack("<Q", fh.read(8))
        header = json.loads(fh.read(n))
    entry = header.get(WORD_TABLE)
    if not entry or entry.get("dtype") != "F32" or len(entry.get("shape", ())) != 2:
        raise CrossEncoderError(f"{path} holds no float32 {WORD_TABLE}: delete {Path(base_dir)} and run "
                                "`rag prepare-model`")
    start, end = entry["data_offsets"]
    rows, dim = entry["shape"]
    if end - start != rows * dim * 4:
        raise CrossEncoderError(f"{path} is damaged ({WORD_TABLE} has the wrong size): delete {Path(base_dir)} "
                                "and run `rag prepare-model`")
    return np.memmap(path, np.float32, "r", offset=8 + n + start, shape=(rows, dim))


def _ort_runner(folder: Path, table: np.ndarray, threads: int | None):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads or _cores()
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.log_severity_level = 3
    session = ort.InferenceSession(str(folder / "model.onnx"), opts, providers=["CPUExecutionProvider"])
    return lambda ids, mask: session.run(None, {"inputs_embeds": np.ascontiguousarray(table[ids]),
                                                "attention_mask": mask})[0]


def _torch_runner(base_dir: Path, spec: CrossEncoderSpec, tensors: dict[str, np.ndarray], bf16: bool):
    import torch

    from .cross_net import net_from_weights

    net = net_from_weights(base_dir, spec, tensors)

    def run(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            return net(torch.from_numpy(ids), torch.from_numpy(mask)).float().numpy()

    return run


def load_cross_encoder(weights: str | os.PathLike, cache_dir: Path, backend: str = "onnx",
                       precision: str = "fp32", threads: int | None = None, log: Log = lambda s: None,
                       batch_tokens: int = 4096) -> CrossEncoder:
    """The cross-encoder of the weights file ``weights`` over the bundled model (converted into
    ``cache_dir`` when it is not yet). ``backend``: ``onnx`` (exported into ``cache_dir`` on first
    use, ~20 s; then ONNX Runtime, ``precision`` fp32 or int8) or ``torch`` (fp32; bf16 autocast
    with ``precision = "bf16"``). Raises :class:`CrossEncoderError` when the file is missing,
    damaged or of another format version, or was trained over another base model."""
    from .model import default_model_dir, prepare_default_model

    if backend not in BACKENDS:
        raise ValueError(f"cross-encoder backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    weights = Path(weights)
    spec, tensors = read_weights(weights)
    base_dir = default_model_dir(cache_dir)
    if spec.base and spec.base != base_dir.name:
        raise CrossEncoderError(f"{weights} was trained over {spec.base}, this release converts {base_dir.name}: "
                                "retrain it with `rag train cross-encoder`, or set rerank = false")
    base_dir = prepare_default_model(cache_dir, log)
    if backend == "torch":
        if precision not in ("fp32", "bf16"):
            raise ValueError(f"the torch backend runs fp32 or bf16, not {precision!r}")
        run = _torch_runner(base_dir, spec, tensors, precision == "bf16")
    else:
        if precision not in PRECISIONS:
            raise ValueError(f"the onnx backend runs {' or '.join(PRECISIONS)}, not {precision!r}")
        folder = export_cross_encoder(weights, base_dir, export_dir(cache_dir, weights, base_dir.name, precision),
                                      precision, log)
        run = _ort_runner(folder, word_table(base_dir), threads)
    quick = int8_dir(base_dir)  # the embedder's int8 export holds the quick tokenizer's files
    quick = QueryTokenizer(quick, 512) if query_tokenizer_exists(quick) else None
    encoder = PairEncoder.from_file(base_dir / "tokenizer.json", spec.max_length, spec.max_query_tokens, quick)
    return CrossEncoder(spec, encoder, run, backend, precision, str(weights), batch_tokens)
