"""The int8 model (:mod:`rag.embed.int8`) under ONNX Runtime: texts in, mean-pooled vectors out.

Imports only onnxruntime, tokenizers and numpy (no torch, no transformers: a one-shot
``rag search`` starts in about a second instead of ten).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np

from .int8 import MODEL_FILE, read_meta


class OrtEncoder:
    """One ONNX Runtime session and the model's tokenizer. ``encode`` pads a batch to its
    longest text; the caller batches by token count (:func:`rag.embed.batching.token_batches`)."""

    def __init__(self, folder: Path, threads: int | None = None):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        folder = Path(folder)
        self.meta = read_meta(folder)
        self.dim = int(self.meta["dim"])
        self.pad_id = int(self.meta.get("pad_id", 1))
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(int(self.meta.get("max_seq_length", 512)))
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or _cores()
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3  # warnings about unused initialisers are not the user's business
        self.session = ort.InferenceSession(str(folder / MODEL_FILE), opts, providers=["CPUExecutionProvider"])

    def token_counts(self, texts: Sequence[str]) -> list[int]:
        """Tokens each text becomes, framing included, after truncation."""
        return [len(e.ids) for e in self.tokenizer.encode_batch(list(texts))]

    def encode(self, texts: list[str]) -> np.ndarray:
        """Mean-pooled (not yet normalised) vectors of ``texts``, one batch."""
        encodings = self.tokenizer.encode_batch(texts)
        longest = max(len(e.ids) for e in encodings)
        ids = np.full((len(texts), longest), self.pad_id, np.int64)
        mask = np.zeros((len(texts), longest), np.int64)
        for row, e in enumerate(encodings):
            ids[row, :len(e.ids)] = e.ids
            mask[row, :len(e.ids)] = 1
        return self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]


def _cores() -> int:
    """The cores this process may use (a container's CPU set, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)
