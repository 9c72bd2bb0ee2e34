"""The second stage: a cross-encoder rereads the question with each passage of the shortlist.

The bundled model is ``rag/search/models/cross-encoder.safetensors`` (trained by ``rag train
cross-encoder`` on DRCD; its card, ``cross-encoder.md``, says how and on what); the setting
``reranker_model`` names another file. It is read with :func:`rag.embed.cross_encoder.load_cross_encoder`
(exported to ONNX into the cache on first use) and kept per file, so a reloaded index (after an
ingest) does not load it again.

The passages of the fused top ``depth`` are scored as the embedder reads them (header and text,
:meth:`rag.types.Chunk.embed_text`) in one batched call, and reordered by score; the rest of
the list keeps its order after them.
"""
from __future__ import annotations

import functools
import threading
from pathlib import Path

import numpy as np

from ..embed.cross_encoder import CrossEncoder, load_cross_encoder
from ..embed.cross_weights import CrossEncoderError, read_weights
from .query import Query

BUNDLED = Path(__file__).parent / "models" / "cross-encoder.safetensors"


class PassageReranker:
    """A cross-encoder, loaded in the background (ONNX Runtime's session and the tokenizer take
    about a second; a one-shot command opens its index meanwhile). The weights file is checked
    at once: a missing, damaged or foreign file raises :class:`CrossEncoderError` here."""

    def __init__(self, path: Path, cache_dir: Path, precision: str = "fp32", threads: int | None = None):
        self.path = Path(path)
        self.spec, _ = read_weights(self.path)
        self._model: CrossEncoder | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._load, args=(cache_dir, precision, threads), daemon=True,
                                        name="cross-encoder-load")
        self._thread.start()

    def _load(self, cache_dir: Path, precision: str, threads: int | None) -> None:
        try:
            self._model = load_cross_encoder(self.path, cache_dir, "onnx", precision, threads)
        except BaseException as exc:  # kept for the first caller, who reports it
            self._error = exc

    @property
    def model(self) -> CrossEncoder:
        self._thread.join()
        if self._error is not None:
            raise CrossEncoderError(f"cannot load the cross-encoder {self.path}: {self._error}") from self._error
        return self._model

    def score(self, query: Query, passages: list[str]) -> np.ndarray:
        return self.model.score([(query.text, p) for p in passages])


@functools.lru_cache(maxsize=4)
def _cached(path: str, stamp: tuple, cache_dir: str, precision: str) -> PassageReranker:
    return PassageReranker(Path(path), Path(cache_dir), precision)


def load_passage_reranker(path: str | Path | None, cache_dir: Path, precision: str = "fp32") -> PassageReranker:
    """The reranker of the weights file ``path`` (empty or None: the bundled one), one per file
    version. Raises :class:`CrossEncoderError` when the file is missing, damaged or of another
    format version (the message says what to do)."""
    p = Path(path) if path else BUNDLED
    try:
        st = p.stat()
    except OSError:
        read_weights(p)  # raises the error that names the file and the fix
        raise
    return _cached(str(p.resolve()), (st.st_mtime_ns, st.st_size), str(cache_dir), precision)


def cross_rerank(query: Query, index, ranked: list[tuple[int, float]], reranker: PassageReranker,
                 depth: int) -> tuple[list[tuple[int, float]], dict[int, float]]:
    """``ranked`` (``(row, fused score)``, best first) with its top ``depth`` reordered by the
    cross-encoder's score (ties keep the first stage's order); the scores by row."""
    head = ranked[:depth]
    if not head:
        return ranked, {}
    chunks = index.chunks_at([r for r, _ in head])
    scores = reranker.score(query, [c.embed_text() for c in chunks])
    order = sorted(range(len(head)), key=lambda i: (-scores[i], i))
    return [head[i] for i in order] + ranked[depth:], {head[i][0]: float(scores[i]) for i in range(len(head))}
