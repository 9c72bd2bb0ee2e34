"""Embed: passages and questions into L2-normalised vectors, with a cache.

What the later stages use: :func:`load_embedder` (the bundled model, converted once, or any
sentence-transformers model), :class:`Embedder`, :class:`EmbeddingCache` and
:func:`embed_passages_cached`.
"""
from .cache import EmbeddingCache, embed_passages_cached
from .model import (Embedder, ModelError, QueriesFirstLock, default_model_dir, load_embedder,
                    prepare_default_model, resolve_model, use_bf16)

__all__ = ["EmbeddingCache", "embed_passages_cached", "Embedder", "ModelError", "QueriesFirstLock",
           "default_model_dir", "load_embedder", "prepare_default_model", "resolve_model", "use_bf16"]
