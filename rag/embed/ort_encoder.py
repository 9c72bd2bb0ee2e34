"""The int8 model (:mod:`rag.embed.int8`) under ONNX Runtime: texts in, mean-pooled vectors out.

Imports only onnxruntime, tokenizers and numpy (no torch, no transformers: a one-shot
``rag search`` starts in about a second instead of ten).
"""
from __future__ import annotations

import atexit
import os
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

from .batching import pad_ids
from .int8 import MODEL_FILE, read_meta
from .query_tokenizer import QueryTokenizer, query_tokenizer_exists


class OrtEncoder:
    """One ONNX Runtime session and the model's tokenizer. ``encode`` pads a batch to its
    longest text; the caller batches by token count (:func:`rag.embed.batching.token_batches`).

    The session (~0.4 s) and the tokenizer (250k pieces, ~1 s, holding the GIL) load in a
    background thread, so a command opens its index and its word lists meanwhile; the first
    ``encode`` waits for them (and raises what loading raised). With ``short_requests`` (a
    process that embeds a question and a few cited passages at a time) the full tokenizer is not
    loaded at all while requests stay small: :class:`~.query_tokenizer.QueryTokenizer` gives the
    same ids for a few texts in milliseconds; a larger request loads the full one then."""

    SHORT = 16  # texts a request may hold to go to the query tokenizer

    def __init__(self, folder: Path, threads: int | None = None, background: bool = True,
                 short_requests: bool = False):
        folder = Path(folder)
        self.folder = folder
        self.meta = read_meta(folder)
        self.dim = int(self.meta["dim"])
        self.pad_id = int(self.meta.get("pad_id", 1))
        self._threads = threads or _cores()
        self._error: BaseException | None = None
        self._counted: dict[str, list[int]] = {}  # the last token_counts' texts and their ids
        self.tokenizer = None
        self._tokenizer_lock = threading.Lock()
        self._query = None
        if short_requests and query_tokenizer_exists(folder):
            self._query = QueryTokenizer(folder, self._max_length())
        self._loader = threading.Thread(target=self._load, name="int8-model-load", daemon=True)
        self._loader.start()
        # a process that ends while the session is still being built would abort in ONNX Runtime's
        # C++ ("terminate called without an active exception", exit code 134): let it finish first
        atexit.register(self._loader.join)
        if not background:
            self.wait()

    def _max_length(self) -> int:
        return int(self.meta.get("max_seq_length", 512))

    def _full_tokenizer(self):
        """The model's own tokenizer, loaded on first use."""
        with self._tokenizer_lock:
            if self.tokenizer is None:
                from tokenizers import Tokenizer

                tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
                tokenizer.no_padding()
                tokenizer.enable_truncation(self._max_length())
                self.tokenizer = tokenizer
            return self.tokenizer

    def _ids(self, texts: list[str]) -> list[list[int]]:
        """Token ids of ``texts``, framing included, after truncation."""
        if (self.tokenizer is None and self._query is not None and len(texts) <= self.SHORT
                and self._query.handles(texts)):
            return self._query.encode_batch(texts)
        return [e.ids for e in self._full_tokenizer().encode_batch(texts)]

    def _load(self) -> None:
        try:
            import onnxruntime as ort

            if self._query is None:
                self._full_tokenizer()
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = self._threads
            opts.inter_op_num_threads = 1
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            opts.log_severity_level = 3  # warnings about unused initialisers are not the user's business
            self.session = ort.InferenceSession(str(self.folder / MODEL_FILE), opts,
                                                providers=["CPUExecutionProvider"])
        except BaseException as exc:  # kept for the first caller, who can report it
            self._error = exc

    def wait(self) -> None:
        """Block until the model has loaded; raise what loading raised."""
        self._loader.join()
        if self._error is not None:
            raise self._error

    def token_counts(self, texts: Sequence[str]) -> list[int]:
        """Tokens each text becomes, framing included, after truncation. The token ids are kept
        until the next call, so the batches cut from these counts are not tokenized twice."""
        self.wait()
        texts = list(texts)
        ids = self._ids(texts)
        self._counted = dict(zip(texts, ids))
        return [len(i) for i in ids]

    def encode(self, texts: list[str]) -> np.ndarray:
        """Mean-pooled (not yet normalised) vectors of ``texts``, one batch."""
        self.wait()
        counted = self._counted
        missing = [t for t in texts if t not in counted]
        fresh = dict(zip(missing, self._ids(missing))) if missing else {}
        token_ids = [counted[t] if t in counted else fresh[t] for t in texts]
        ids, mask = pad_ids(token_ids, self.pad_id)
        return self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]


def _cores() -> int:
    """The cores this process may use (a container's CPU set, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)
