"""Which store holds the index: the local store (FAISS + BM25 + SQLite segments under ``index_dir``,
:mod:`.local`; the default) or a Milvus collection (``store = "milvus"``, :mod:`.milvus`). Both
answer :class:`~rag.index.protocol.Store`; here each operation goes to the store the settings
name. The Milvus package (and pymilvus) is imported only when it is the store."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from ..config import Settings, SettingsError
from ..embed import Embedder
from ..types import IngestReport
from .local import write as local
from .local.load import Index
from .pipeline import Log, Progress
from .protocol import Store

STORES = ("faiss", "milvus")


def check_store(settings: Settings) -> str:
    if settings.store not in STORES:
        raise SettingsError(f"'store' must be one of {', '.join(STORES)}, not {settings.store!r}")
    return settings.store


def open_index(settings: Settings, folder: str | Path | None = None) -> Store:
    """The index ``settings`` name (``folder`` overrides ``index_dir``), read-only."""
    if check_store(settings) == "milvus":
        from .milvus.store import MilvusIndex

        return MilvusIndex.open(settings, folder)
    return Index.load(folder or settings.index_dir)


def ingest(paths: Iterable[str | Path], settings: Settings, embedder: Embedder,
           index_dir: Path | None = None, rebuild: bool = False,
           progress: Progress | None = None, use_cache: bool = True,
           rebuild_on_mismatch: bool = False, log: Log | None = None) -> IngestReport:
    """Add or refresh ``paths`` in the index and return what happened.

    An index built with another model or chunker raises :class:`IndexMismatch`, or, with
    ``rebuild_on_mismatch``, is rebuilt from ``paths`` (``report.rebuilt`` says why). Paths
    that cannot be read are in ``report.skipped``; when none of them exists, or nothing at all
    could be read and there is no index to keep, the index is left alone and an error raised.
    ``log`` hears about waiting for another writer and about a recovered ``CURRENT``.
    With ``settings.store == "milvus"`` the index is a Milvus collection (:mod:`.milvus.write`).
    """
    if check_store(settings) == "milvus":
        from .milvus.write import ingest_milvus

        return ingest_milvus(paths, settings, embedder, index_dir, rebuild, progress, use_cache,
                             rebuild_on_mismatch, log)
    return local.ingest(paths, settings, embedder, index_dir, rebuild, progress, use_cache, rebuild_on_mismatch, log)


def remove_documents(doc_ids: list[str], settings: Settings, index_dir: Path | None = None,
                     log: Log | None = None) -> IngestReport:
    """Remove documents (by id) from the index; their vectors leave with them.

    A document stored once for several identical files answers to each of their ids: removing a
    copy forgets that copy; removing the stored one hands its passages to the next copy."""
    if check_store(settings) == "milvus":
        from .milvus.write import remove_milvus

        return remove_milvus(doc_ids, settings, index_dir, log)
    return local.remove_documents(doc_ids, settings, index_dir, log)


def compact_index(settings: Settings, index_dir: Path | None = None, log: Log | None = None) -> IngestReport:
    """Merge every segment of the local store's index into one (``rag compact``)."""
    if check_store(settings) == "milvus":
        raise ValueError("`rag compact` is for the FAISS store; a Milvus collection compacts itself")
    return local.compact_index(settings, index_dir, log)
