"""The embedding cache: vectors by model and exact input text, in one SQLite file per model,
so unchanged passages are never embedded twice (re-ingests, evals, other configurations)."""
from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Callable

import numpy as np

from .model import PASSAGE_WINDOW, Embedder


class EmbeddingCache:
    """Vectors by (model fingerprint, prompted text hash), in one SQLite file per model and
    precision (the fingerprint holds the precision: int8 vectors never stand in for fp32 ones)."""

    def __init__(self, cache_dir: Path, fingerprint: dict):
        key = hashlib.sha1(json.dumps(fingerprint, sort_keys=True).encode()).hexdigest()[:16]
        self.path = Path(cache_dir) / "embeddings" / f"{key}.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.dim = int(fingerprint["dim"])
        self._db = sqlite3.connect(self.path, timeout=60, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS vec (key TEXT PRIMARY KEY, v BLOB NOT NULL)")
        self._lock = threading.Lock()

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def get_many(self, keys: list[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        with self._lock:
            for i in range(0, len(keys), 500):
                part = keys[i:i + 500]
                q = f"SELECT key, v FROM vec WHERE key IN ({','.join('?' * len(part))})"
                for k, v in self._db.execute(q, part):
                    arr = np.frombuffer(v, np.float32)
                    if arr.size == self.dim:
                        out[k] = arr
        return out

    def put_many(self, items: list[tuple[str, np.ndarray]]) -> None:
        with self._lock, self._db:
            self._db.executemany("INSERT OR REPLACE INTO vec VALUES (?, ?)",
                                 [(k, np.asarray(v, np.float32).tobytes()) for k, v in items])

    def close(self) -> None:
        self._db.close()


def embed_passages_cached(embedder: Embedder, texts: list[str], cache: EmbeddingCache | None,
                          progress: Callable[[int], None] | None = None) -> np.ndarray:
    """Embed passages, taking what the cache has and storing what it lacks."""
    if cache is None:
        return embedder.embed_passages(texts, progress)
    keys = [EmbeddingCache.key(embedder.passage_input(t)) for t in texts]
    found = cache.get_many(list(dict.fromkeys(keys)))
    out = np.zeros((len(texts), embedder.dim), np.float32)
    missing = [i for i, k in enumerate(keys) if k not in found]
    for i, k in enumerate(keys):
        if k in found:
            out[i] = found[k]
    if progress and len(texts) - len(missing):
        progress(len(texts) - len(missing))
    step = PASSAGE_WINDOW
    for s in range(0, len(missing), step):
        idx = missing[s:s + step]
        vecs = embedder.embed_passages([texts[i] for i in idx])
        out[idx] = vecs
        cache.put_many([(keys[i], v) for i, v in zip(idx, vecs)])
        if progress:
            progress(len(idx))
    return out
