"""Writing the local store (FAISS + BM25 + SQLite segments): the ingest pipeline's first and last
stages for it (open the live index, write a segment and a generation), removal and compaction.

An ingest adds a segment holding only the passages of new and changed documents, and marks the
passages of changed or removed ones deleted (:mod:`.build`); the stages between are the shared
ones of :mod:`rag.index.pipeline`.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Iterable

import numpy as np

from ...config import Settings
from ...embed import Embedder, combined_precision
from ...types import Chunk, Document, IngestReport
from ..lock import write_lock
from ..manifest import IndexCorrupt, IndexMismatch, Manifest, check_compatible
from ..pipeline import (IngestPlan, Log, Progress, embed, new_plan, no_progress, plan_changes, promote, rename_chunk,
                        rewritten)
from .build import WritePolicy, commit_changes, compact, write_generation
from .format import live_generation
from .load import Index


def open_existing(plan: IngestPlan, model: dict, settings: Settings, rebuild: bool,
                  rebuild_on_mismatch: bool, log: Log) -> None:
    """The live index to add to (none when rebuilding, or when it mismatches and may be rebuilt).

    A lost ``CURRENT`` is recovered first, so the documents of the newest complete generation
    are carried over, never dropped. A damaged index (a file that fails its checksum, as search
    checks) is refused unless rebuilding: nothing is committed on top of the damage."""
    try:
        plan.previous, recovered = live_generation(plan.folder)
    except IndexCorrupt:
        if rebuild:  # a fresh start; the unreadable folders stay where they are
            return
        raise
    if plan.previous is None or rebuild:
        return
    try:
        old = Index.load(plan.folder, vectors=False)  # every checksum: never write on top of damage
        check_compatible(old.manifest, plan.folder, model, settings.chunker.to_dict(), settings.lexical_tokenizer)
    except IndexMismatch as exc:
        if not rebuild_on_mismatch:
            raise
        plan.report.rebuilt = str(exc).split(". Vectors")[0]
        return
    if recovered:
        log(f"rag: {recovered}")
    plan.old = old


def copy_documents(old: Index, docs: list[tuple[str, Document]]) -> tuple[list[Chunk], np.ndarray]:
    """The passages and stored vectors of documents already in ``old`` (stored id, new record),
    renamed when the record's id differs (a copy promoted in place of a removed original)."""
    chunks: list[Chunk] = []
    parts = [np.zeros((0, int(old.manifest.model.get("dim") or 0)), np.float32)]
    for stored_id, doc in docs:
        rows = old.rows_of_document(stored_id)
        before = old.documents[stored_id] if doc.doc_id != stored_id else None
        chunks.extend(rename_chunk(c, doc, {stored_id: before}) if before is not None else c
                      for c in old.chunks_at(rows))
        parts.append(old.vectors_of(rows))
    return chunks, np.concatenate(parts)


def write(plan: IngestPlan, settings: Settings, model: dict, chunks: list[Chunk], vectors: np.ndarray,
          progress: Progress) -> None:
    """Write the new segment (or, without an index to add to, the whole index) and make it live."""
    model = {**model, "precision": held_precision(plan, model.get("precision"))}
    manifest = Manifest(
        model=model, chunker=settings.chunker.to_dict(), lexical=settings.lexical_tokenizer,
        index_type=settings.index_type,
    )
    progress("write", 0, 1)
    added = [p.document for p in plan.new.values()]
    if plan.old is None:
        write_generation(plan.folder, manifest, added, chunks, vectors, settings.lexical_tokenizer, plan.previous,
                         settings.flat_max_passages)
        n_docs, n_chunks = len(added), len(chunks)
    else:
        again = rewritten(plan)
        full = []
        for d in again:  # the stored record has the text; the kept one the copies (and, read again, the rest)
            doc = plan.old.documents[d]
            k = plan.kept[d]
            base = k if plan.stored[d][0] == "record" else doc
            full.append((d, Document(d, doc.text, base.title, base.source, base.date, base.path, base.format,
                                     base.fingerprint, list(k.aliases), dict(k.alias_paths), base.date_source)))
        copied, copied_vecs = copy_documents(plan.old, full)
        stay = set(plan.kept) - set(again)
        delete = {d for d in plan.stored if d not in stay}
        gen = commit_changes(plan.folder, plan.old, manifest, [doc for _, doc in full] + added, copied + chunks,
                             np.concatenate([copied_vecs, vectors]), delete, WritePolicy.of(settings))
        m = Manifest.from_json((gen / "manifest.json").read_text(encoding="utf-8"))
        n_docs, n_chunks = m.documents, m.chunks
    progress("write", 1, 1)
    plan.report.documents, plan.report.chunks = n_docs, n_chunks


def held_precision(plan: IngestPlan, new: str | None) -> str | None:
    """The precisions of the vectors the new generation holds: those carried over from the old
    one, and ``new`` if anything was embedded now (``"bf16+int8"`` for a mix)."""
    kept = plan.old.manifest.model.get("precision") if plan.old is not None and (plan.kept or plan.unlisted) \
        else None
    fresh = any(p.chunks for p in plan.new.values())
    if not fresh or not new:
        return kept or new
    return combined_precision(kept, new)


def ingest(paths: Iterable[str | Path], settings: Settings, embedder: Embedder,
           index_dir: Path | None = None, rebuild: bool = False,
           progress: Progress | None = None, use_cache: bool = True,
           rebuild_on_mismatch: bool = False, log: Log | None = None) -> IngestReport:
    """:func:`rag.index.ingest` for the local store."""
    t0 = time.perf_counter()
    plan = new_plan(paths, settings, index_dir)
    progress, log = progress or no_progress, log or (lambda msg: None)
    model = embedder.fingerprint
    with write_lock(plan.folder, on_wait=lambda msg: log(f"rag: {msg}")):
        open_existing(plan, model, settings, rebuild, rebuild_on_mismatch, log)
        if not plan_changes(plan, settings, progress, rebuild):
            plan.report.seconds = time.perf_counter() - t0
            return plan.report
        chunks, vectors = embed(plan, settings, embedder, use_cache, progress)
        write(plan, settings, model, chunks, vectors, progress)
    plan.report.seconds = time.perf_counter() - t0
    return plan.report


def remove_documents(doc_ids: list[str], settings: Settings, index_dir: Path | None = None,
                     log: Log | None = None) -> IngestReport:
    """:func:`rag.index.remove_documents` for the local store."""
    t0 = time.perf_counter()
    folder = Path(index_dir or settings.index_dir)
    report = IngestReport()
    log = log or (lambda msg: None)
    with write_lock(folder, on_wait=lambda msg: log(f"rag: {msg}")):
        old = Index.load(folder, vectors=False)  # every checksum: never write on top of damage
        if old.recovered:
            log(f"rag: {old.recovered}")
        gone = set(doc_ids)
        owners: dict[str, Document] = {}  # stored id -> the document, for each id named
        unknown = []
        for doc_id in sorted(gone):
            doc = old.owner(doc_id)
            if doc is None:
                unknown.append(doc_id)
            else:
                owners[doc.doc_id] = doc
        if unknown:
            raise KeyError(f"not in the index: {', '.join(unknown)}")
        again: list[tuple[str, Document]] = []  # stored id -> the record that takes its place
        for doc in owners.values():
            keep = [a for a in doc.aliases if a not in gone]
            doc.alias_paths = {a: p for a, p in doc.alias_paths.items() if a in keep}
            doc.aliases = keep
            if doc.doc_id not in gone:
                again.append((doc.doc_id, doc))  # a copy of it is gone: its record changes
            elif keep:
                again.append((doc.doc_id, promote(doc, keep[0])))
        chunks, vectors = copy_documents(old, again)
        m = old.manifest
        manifest = Manifest(model=m.model, chunker=m.chunker, lexical=m.lexical, index_type=settings.index_type)
        gen = commit_changes(folder, old, manifest, [d for _, d in again], chunks, vectors, set(owners),
                             WritePolicy.of(settings))
        report.removed = sorted(gone)
        done = Manifest.from_json((gen / "manifest.json").read_text(encoding="utf-8"))
    report.documents, report.chunks = done.documents, done.chunks
    report.seconds = time.perf_counter() - t0
    return report


def compact_index(settings: Settings, index_dir: Path | None = None, log: Log | None = None) -> IngestReport:
    """Merge every segment of the index into one, leaving deleted passages behind (``rag
    compact``); nothing is embedded again. ``report.seconds`` says how long it took."""
    t0 = time.perf_counter()
    folder = Path(index_dir or settings.index_dir)
    log = log or (lambda msg: None)
    report = IngestReport()
    with write_lock(folder, on_wait=lambda msg: log(f"rag: {msg}")):
        old = Index.load(folder, vectors=False)  # every checksum: never write on top of damage
        if old.recovered:
            log(f"rag: {old.recovered}")
        compact(folder, old, WritePolicy.of(settings))
    done = Index.load(folder, verify=False, vectors=False)
    report.documents, report.chunks = len(done.documents), len(done)
    report.seconds = time.perf_counter() - t0
    return report
