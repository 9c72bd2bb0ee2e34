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

from .int8 import MODEL_FILE, read_meta


class OrtEncoder:
    """One ONNX Runtime session and the model's tokenizer. ``encode`` pads a batch to its
    longest text; the caller batches by token count (:func:`rag.embed.batching.token_batches`).

    The tokenizer (250k pieces, ~0.5 s) and the session (~0.4 s) load in a background thread,
    so a one-shot command opens its index and its word lists meanwhile; the first ``encode``
    waits for them (and raises what loading raised)."""

    def __init__(self, folder: Path, threads: int | None = None, background: bool = True):
        folder = Path(folder)
        self.folder = folder
        self.meta = read_meta(folder)
        self.dim = int(self.meta["dim"])
        self.pad_id = int(self.meta.get("pad_id", 1))
        self._threads = threads or _cores()
        self._error: BaseException | None = None
        self._counted: dict[str, list[int]] = {}  # the last token_counts' texts and their ids
        self._loader = threading.Thread(target=self._load, name="int8-model-load", daemon=True)
        self._loader.start()
        # a process that ends while the session is still being built would abort in ONNX Runtime's
        # C++ ("terminate called without an active exception", exit code 134): let it finish first
        atexit.register(self._loader.join)
        if not background:
            self.wait()

    def _load(self) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
            tokenizer.no_padding()
            tokenizer.enable_truncation(int(self.meta.get("max_seq_length", 512)))
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = self._threads
            opts.inter_op_num_threads = 1
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            opts.log_severity_level = 3  # warnings about unused initialisers are not the user's business
            self.session = ort.InferenceSession(str(self.folder / MODEL_FILE), opts,
                                                providers=["CPUExecutionProvider"])
            self.tokenizer = tokenizer
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
        ids = [e.ids for e in self.tokenizer.encode_batch(texts)]
        self._counted = dict(zip(texts, ids))
        return [len(i) for i in ids]

    def encode(self, texts: list[str]) -> np.ndarray:
        """Mean-pooled (not yet normalised) vectors of ``texts``, one batch."""
        self.wait()
        counted = self._counted
        missing = [t for t in texts if t not in counted]
        fresh = dict(zip(missing, (e.ids for e in self.tokenizer.encode_batch(missing)))) if missing else {}
        token_ids = [counted[t] if t in counted else fresh[t] for t in texts]
        longest = max(len(i) for i in token_ids)
        ids = np.full((len(texts), longest), self.pad_id, np.int64)
        mask = np.zeros((len(texts), longest), np.int64)
        for row, i in enumerate(token_ids):
            ids[row, :len(i)] = i
            mask[row, :len(i)] = 1
        return self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]


def _cores() -> int:
    """The cores this process may use (a container's CPU set, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)
