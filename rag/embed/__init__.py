"""Embed: passages and questions into L2-normalised vectors, with a cache.

What the later stages use: :func:`load_embedder` (the bundled model, converted once and
exported to int8 once, or any sentence-transformers model; ``embed_precision`` picks the path,
:mod:`rag.embed.precision`), :class:`Embedder`, :class:`EmbeddingCache` and
:func:`embed_passages_cached`.
"""
from .cache import EmbeddingCache, embed_passages_cached
from .model import (Embedder, ModelError, QueriesFirstLock, default_model_dir, load_embedder,
                    prepare_default_model, prepare_model, resolve_model, resolve_precision, use_bf16)
from .precision import combined_precision, interchangeable

__all__ = ["EmbeddingCache", "embed_passages_cached", "Embedder", "ModelError", "QueriesFirstLock",
           "combined_precision", "default_model_dir", "interchangeable", "load_embedder",
           "prepare_default_model", "prepare_model", "resolve_model", "resolve_precision", "use_bf16"]
