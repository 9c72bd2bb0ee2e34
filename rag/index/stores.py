"""Which store holds the index: FAISS files under ``index_dir`` (the default) or a Milvus
collection (``store = "milvus"``); both answer the same interface (see :class:`~rag.index.Index`)."""
from __future__ import annotations

from pathlib import Path

from ..config import Settings, SettingsError

STORES = ("faiss", "milvus")


def check_store(settings: Settings) -> str:
    if settings.store not in STORES:
        raise SettingsError(f"'store' must be one of {', '.join(STORES)}, not {settings.store!r}")
    return settings.store


def open_index(settings: Settings, folder: str | Path | None = None):
    """The index ``settings`` name (``folder`` overrides ``index_dir``), read-only."""
    if check_store(settings) == "milvus":
        from .milvus_store import MilvusIndex

        return MilvusIndex.open(settings, folder)
    from .load import Index

    return Index.load(folder or settings.index_dir)
