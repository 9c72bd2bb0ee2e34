"""The ingest pipeline: files on disk -> a new index generation, as named stages over a plan.

    read -> diff with the index -> prepare -> reuse or embed -> write

Re-ingest is incremental: a document whose text is unchanged keeps its chunks and vectors,
files that disappeared from an ingested folder leave the index, and identical documents are
stored once (the others are kept as aliases). Bad files are reported and skipped.
It lives here, not in :mod:`rag.ingest`, because it drives the embedder and writes the index.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from ..config import Settings
from ..embed import Embedder, EmbeddingCache, embed_passages_cached
from ..ingest import Prepared, RawDocument, counter, iter_files, prepare_document, read_path
from ..types import Chunk, Document, IngestReport, Skipped
from .build import write_generation
from .format import IndexMismatch, IndexNotFound, Manifest, check_compatible, current_generation, write_lock
from .load import Index

Progress = Callable[[str, int, int], None]  # stage, done, total


def _no_progress(stage: str, done: int, total: int) -> None:
    pass


@dataclass
class IngestPlan:
    """What one ingest will do, filled in stage by stage; ``report`` says what it did."""

    folder: Path
    paths: list[Path]
    old: Index | None = None  # the live index, when there is one to add to
    raws: list[RawDocument] = field(default_factory=list)  # documents read
    kept: dict[str, Document] = field(default_factory=dict)  # documents whose chunks and vectors stay
    new: dict[str, Prepared] = field(default_factory=dict)  # documents to embed
    report: IngestReport = field(default_factory=IngestReport)


# ------------------------------------------------------------ the stages
def open_existing(plan: IngestPlan, model: dict, settings: Settings, rebuild: bool,
                  rebuild_on_mismatch: bool) -> None:
    """The live index to add to (none when rebuilding, or when it mismatches and may be rebuilt)."""
    if rebuild or current_generation(plan.folder) is None:
        return
    old = Index.load(plan.folder)
    try:
        check_compatible(old.manifest, plan.folder, model, settings.chunker.to_dict(), settings.lexical_tokenizer)
    except IndexMismatch as exc:
        if not rebuild_on_mismatch:
            raise
        plan.report.rebuilt = str(exc).split(". Vectors")[0]
        return
    plan.old = old


def read(plan: IngestPlan, progress: Progress) -> None:
    """Every file under the paths, read; what cannot be read is skipped by name."""
    files = list(iter_files(plan.paths))
    for i, item in enumerate(files):
        if isinstance(item, Skipped):
            plan.report.skipped.append(item)
        else:
            for r in read_path(item):
                (plan.report.skipped if isinstance(r, Skipped) else plan.raws).append(r)
        progress("read", i + 1, len(files))


def _under(path: str, roots: list[Path]) -> bool:
    p = Path(path).resolve()
    return any(p == r or r in p.parents for r in roots)


def diff(plan: IngestPlan) -> None:
    """Old documents not read again stay, unless their file is gone from an ingested folder, or
    their file was read again without them (a record left a JSONL file)."""
    if plan.old is None:
        return
    roots = [p.resolve() for p in plan.paths]
    reread = {Path(r.path).resolve() for r in plan.raws}
    seen_ids = {r.doc_id for r in plan.raws}
    for doc_id, doc in plan.old.documents.items():
        if doc_id in seen_ids:
            continue
        if doc.path and _under(doc.path, roots) and (
                not Path(doc.path).exists() or Path(doc.path).resolve() in reread):
            plan.report.removed.append(doc_id)
        else:
            plan.kept[doc_id] = doc


def prepare(plan: IngestPlan, settings: Settings, progress: Progress) -> None:
    """Layout repair and chunking; a document identical to one already kept becomes its alias."""
    report = plan.report
    count = counter(settings.token_encoding, settings.cache_dir)
    by_fp: dict[str, Document] = {d.fingerprint: d for d in plan.kept.values()}
    for i, raw in enumerate(plan.raws):
        if raw.doc_id in plan.new:
            report.skipped.append(Skipped(f"{raw.path} ({raw.doc_id})", "duplicate document id"))
            continue
        prep = prepare_document(raw, settings.chunker, count)
        report.warnings.extend(Skipped(f"{raw.path} ({raw.doc_id})" if raw.format == "jsonl" else raw.path, w)
                               for w in prep.warnings)
        twin = by_fp.get(prep.document.fingerprint)
        if twin is not None:
            report.duplicates[raw.doc_id] = twin.doc_id
            if raw.doc_id not in twin.aliases:
                twin.aliases.append(raw.doc_id)
            continue
        if not prep.chunks:
            report.skipped.append(Skipped(raw.path, "no text left after layout cleaning"))
            continue
        by_fp[prep.document.fingerprint] = prep.document
        plan.new[raw.doc_id] = prep
        if i % 200 == 0 or i == len(plan.raws) - 1:
            progress("chunk", i + 1, len(plan.raws))


def reuse_unchanged(plan: IngestPlan) -> None:
    """A document read again with the same text keeps its chunks and vectors."""
    old_docs = plan.old.documents if plan.old is not None else {}
    for doc_id, prep in list(plan.new.items()):
        prev = old_docs.get(doc_id)
        if prev is not None and prev.fingerprint == prep.document.fingerprint:
            prep.document.aliases = sorted(set(prev.aliases) | set(prep.document.aliases))
            plan.kept[doc_id] = prep.document
            plan.report.unchanged.append(doc_id)
            del plan.new[doc_id]
        else:
            (plan.report.updated if prev is not None else plan.report.added).append(doc_id)


def embed(plan: IngestPlan, embedder: Embedder, cache: EmbeddingCache | None,
          progress: Progress) -> tuple[list[Chunk], np.ndarray]:
    """The chunks of the new index with their vectors: kept ones copied, new ones embedded
    (through the cache)."""
    chunks: list[Chunk] = []
    parts: list[np.ndarray] = []
    if plan.old is not None and plan.kept:
        rows = [i for i, c in enumerate(plan.old.chunks) if c.doc_id in plan.kept]
        chunks.extend(plan.old.chunks[i] for i in rows)
        parts.append(plan.old.vectors_of(rows))
    fresh = [c for p in plan.new.values() for c in p.chunks]
    done = [0]

    def tick(n: int) -> None:
        done[0] += n
        progress("embed", done[0], len(fresh))

    before = embedder.calls
    parts.append(embed_passages_cached(embedder, [c.embed_text() for c in fresh], cache, tick))
    plan.report.embedded = embedder.calls - before
    chunks.extend(fresh)
    return chunks, np.concatenate(parts) if parts else np.zeros((0, embedder.dim), np.float32)


def write(plan: IngestPlan, settings: Settings, model: dict, chunks: list[Chunk], vectors: np.ndarray,
          progress: Progress) -> None:
    """Write the new generation and make it live."""
    documents = list(plan.kept.values()) + [p.document for p in plan.new.values()]
    manifest = Manifest(
        model=model, chunker=settings.chunker.to_dict(), lexical=settings.lexical_tokenizer,
        index_type=settings.index_type,
        documents={d.doc_id: {"fingerprint": d.fingerprint, "path": d.path, "aliases": d.aliases}
                   for d in documents},
    )
    progress("write", 0, 1)
    write_generation(plan.folder, manifest, documents, chunks, vectors, settings.lexical_tokenizer)
    progress("write", 1, 1)
    plan.report.documents, plan.report.chunks = len(documents), len(chunks)


# ------------------------------------------------------------ the pipeline
def ingest(paths: Iterable[str | Path], settings: Settings, embedder: Embedder,
           index_dir: Path | None = None, rebuild: bool = False,
           progress: Progress | None = None, use_cache: bool = True,
           rebuild_on_mismatch: bool = False) -> IngestReport:
    """Add or refresh ``paths`` in the index and return what happened.

    An index built with another model or chunker raises :class:`IndexMismatch`, or, with
    ``rebuild_on_mismatch``, is rebuilt from ``paths`` (``report.rebuilt`` says why).
    """
    t0 = time.perf_counter()
    progress = progress or _no_progress
    plan = IngestPlan(Path(index_dir or settings.index_dir), [Path(p) for p in paths])
    model = embedder.fingerprint
    with write_lock(plan.folder):
        open_existing(plan, model, settings, rebuild, rebuild_on_mismatch)
        read(plan, progress)
        diff(plan)
        prepare(plan, settings, progress)
        reuse_unchanged(plan)
        cache = EmbeddingCache(settings.cache_dir, model) if use_cache else None
        try:
            chunks, vectors = embed(plan, embedder, cache, progress)
        finally:
            if cache is not None:
                cache.close()
        write(plan, settings, model, chunks, vectors, progress)
    plan.report.seconds = time.perf_counter() - t0
    return plan.report


def remove_documents(doc_ids: list[str], settings: Settings, index_dir: Path | None = None) -> IngestReport:
    """Remove documents (by id) from the index; their vectors leave with them."""
    t0 = time.perf_counter()
    folder = Path(index_dir or settings.index_dir)
    report = IngestReport()
    with write_lock(folder):
        if current_generation(folder) is None:
            raise IndexNotFound(f"no index at {folder}")
        old = Index.load(folder)
        gone = set(doc_ids)
        unknown = sorted(gone - set(old.documents))
        if unknown:
            raise KeyError(f"not in the index: {', '.join(unknown)}")
        rows = [i for i, c in enumerate(old.chunks) if c.doc_id not in gone]
        documents = [d for k, d in old.documents.items() if k not in gone]
        chunks = [old.chunks[i] for i in rows]
        m = old.manifest
        m.documents = {k: v for k, v in m.documents.items() if k not in gone}
        write_generation(folder, m, documents, chunks, old.vectors_of(rows), m.lexical)
        report.removed = sorted(gone)
    report.documents, report.chunks = len(documents), len(chunks)
    report.seconds = time.perf_counter() - t0
    return report
