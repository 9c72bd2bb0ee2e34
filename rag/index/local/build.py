"""Writing the index: a segment with what an ingest adds, deletions of what it removes, merges
when there are too many segments or too many deleted rows, and a new generation that lists the
result, made live atomically. Cost follows the change, not the index: nothing of the segments
already written is rewritten unless a merge picks them.

Order of a commit (a process killed at any point leaves the previous generation live, and the
next writer removes what it left)::

    new segment (.writing) -> merged segment, if any (.writing) -> generation folder (.writing):
    deleted arrays, manifest -> fsync -> CURRENT -> markers removed -> old generations and
    segments no generation lists deleted
"""
from __future__ import annotations

import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from ...types import Chunk, Document
from ..manifest import IndexCorrupt, Manifest
from .format import (SEGMENTS, commit_generation, damage_hint, new_generation, next_sequence, read_manifest,
                     read_pointer, remove_debris)
from .integrity import MANIFEST, WRITING, describe_files, verify_files
from .load import Index, deleted_paths
from .segment import MergeSource, Segment, SegmentInfo, merge_segments, write_segment

DEFAULT_FLAT_MAX = 50_000  # Settings.flat_max_passages; callers pass the setting
MAX_SEGMENTS = 8  # Settings.max_segments
DELETED_MAX = 0.3  # Settings.segment_deleted_max


@dataclass
class WritePolicy:
    """How segments are built and when they merge (from Settings)."""

    index_type: str = "auto"
    flat_max: int = DEFAULT_FLAT_MAX
    max_segments: int = MAX_SEGMENTS
    deleted_max: float = DELETED_MAX

    @classmethod
    def of(cls, settings) -> "WritePolicy":
        return cls(settings.index_type, settings.flat_max_passages, settings.max_segments,
                   settings.segment_deleted_max)


@dataclass
class Pending:
    """One segment in the generation being written, with what is deleted from it."""

    info: SegmentInfo
    deleted_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    deleted_docs: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    deleted_len: int = 0  # BM25 tokens of the deleted rows

    @property
    def live_rows(self) -> int:
        return self.info.rows - len(self.deleted_rows)

    @property
    def live_docs(self) -> int:
        return self.info.documents - len(self.deleted_docs)


def _type_label(infos: Sequence[SegmentInfo], fallback: str) -> str:
    kinds = sorted({i.index_type for i in infos})
    return "+".join(kinds) if kinds else fallback


def _write_generation(folder: Path, manifest: Manifest, pending: list[Pending], previous: Path | None) -> Path:
    """The generation listing ``pending``, made live in place of ``previous``."""
    manifest.sequence = next_sequence(folder)
    gen = new_generation(folder)
    try:
        for p in pending:
            if len(p.deleted_rows):
                rows_path, docs_path = deleted_paths(gen, p.info.name)
                rows_path.parent.mkdir(exist_ok=True)
                np.save(rows_path, np.asarray(p.deleted_rows, np.int64), allow_pickle=False)
                np.save(docs_path, np.asarray(p.deleted_docs, np.int64), allow_pickle=False)
        files = {f"{SEGMENTS}/{p.info.name}/{rel}": v for p in pending for rel, v in p.info.files.items()}
        files.update({f"{gen.name}/{rel}": v for rel, v in describe_files(gen).items()})
        manifest.files = files
        manifest.segments = [p.info.to_dict() for p in pending]
        manifest.chunks = sum(p.live_rows for p in pending)
        manifest.documents = sum(p.live_docs for p in pending)
        manifest.total_len = sum(p.info.total_len - p.deleted_len for p in pending)
        manifest.index_type = _type_label([p.info for p in pending], manifest.index_type)
        manifest.created = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        (gen / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
        commit_generation(folder, gen, previous)
    except BaseException:
        shutil.rmtree(gen, ignore_errors=True)
        raise
    for p in pending:  # they are live: no longer debris
        (folder / SEGMENTS / p.info.name / WRITING).unlink(missing_ok=True)
    return gen


def write_generation(folder: Path, manifest: Manifest, documents: Sequence[Document],
                     chunks: Sequence[Chunk], vectors: np.ndarray, lexical_scheme: str,
                     previous: Path | None = None, flat_max: int = DEFAULT_FLAT_MAX) -> Path:
    """Write an index of one segment holding ``documents`` and ``chunks`` and make it live in
    place of ``previous`` (the generation a rebuild replaces). Caller holds :func:`write_lock`.

    ``chunks`` is read several times (a list, or any sequence); ``vectors`` may be a
    memory-mapped array. ``manifest.index_type`` ``auto`` is resolved for this many passages
    (``flat_max``) and recorded as the type built."""
    remove_debris(folder)  # folders of a killed writer
    pending = []
    if len(chunks):
        pending.append(Pending(write_segment(folder, documents, chunks, vectors, lexical_scheme,
                                             manifest.index_type, flat_max)))
    with _cleared_on_failure(folder, [p.info.name for p in pending]):
        return _write_generation(folder, manifest, pending, previous)


def _deletions(old: Index, doc_ids: set[str]) -> dict[str, tuple[np.ndarray, np.ndarray, int]]:
    """Per segment name: the rows, document numbers and BM25 tokens ``doc_ids`` take with them
    (added to what is already deleted there)."""
    out = {}
    for live in old.segments:
        positions = [p for p in live.segment.meta.positions(doc_ids, aliases=False) if live.doc_live(p)]
        if not positions:
            continue
        rows = np.nonzero(np.isin(np.asarray(live.segment.rows.doc), np.asarray(positions)))[0]
        out[live.segment.name] = (rows, np.asarray(sorted(positions), np.int64),
                                  int(np.sum(np.asarray(live.segment.tf.lengths)[rows], dtype=np.int64)))
    return out


def _to_merge(pending: list[Pending], policy: WritePolicy) -> list[int]:
    """Which segments to merge: any with more than ``deleted_max`` of its rows deleted, and,
    when there are more than ``max_segments``, the smallest ones, until about half are left
    (the large ones are rewritten rarely: each merge at least doubles what it writes)."""
    picked = {i for i, p in enumerate(pending)
              if p.info.rows and len(p.deleted_rows) / p.info.rows > policy.deleted_max}

    def count() -> int:
        return len(pending) - len(picked) + (1 if picked else 0)

    if count() > policy.max_segments:
        by_size = sorted((i for i in range(len(pending)) if i not in picked), key=lambda i: pending[i].live_rows)
        target = max(1, policy.max_segments // 2)
        while by_size and (count() > target or len(picked) < 2):
            picked.add(by_size.pop(0))
    return sorted(picked)


def _merge(folder: Path, pending: list[Pending], picked: list[int], segments: dict[str, object],
           policy: WritePolicy) -> list[Pending]:
    """``pending`` with the segments at ``picked`` replaced by one merged segment (last). What
    is copied is checked against its checksums first (a writer opens the index checking sizes
    only), so damage is never carried into a new segment."""
    for i in picked:
        seg = folder / SEGMENTS / pending[i].info.name
        bad = verify_files(seg, pending[i].info.files)
        if bad:
            raise IndexCorrupt(f"the index at {folder} is damaged: {SEGMENTS}/{seg.name}/{bad[0]}. "
                               + damage_hint(folder))
    opened = [segments.get(pending[i].info.name) or Segment.open(folder / SEGMENTS / pending[i].info.name,
                                                                 pending[i].info) for i in picked]
    sources = [MergeSource(seg, pending[i].deleted_rows, pending[i].deleted_docs) for seg, i in zip(opened, picked)]
    merged = [Pending(merge_segments(folder, sources, policy.index_type, policy.flat_max))] \
        if sum(pending[i].live_rows for i in picked) else []
    return [p for i, p in enumerate(pending) if i not in picked] + merged


def commit_changes(folder: Path, old: Index, manifest: Manifest, documents: Sequence[Document],
                   chunks: Sequence[Chunk], vectors: np.ndarray, delete: set[str], policy: WritePolicy) -> Path:
    """Add ``documents`` with their ``chunks`` and ``vectors`` (a new segment) to ``old`` and
    delete the documents ``delete`` names (stored ids) from its segments; merge as the policy
    says; commit the result as the new generation. Caller holds :func:`write_lock`."""
    remove_debris(folder)
    gone = _deletions(old, delete) if delete else {}
    pending: list[Pending] = []
    for live in old.segments:
        rows, docs, length = gone.get(live.segment.name, (np.zeros(0, np.int64), np.zeros(0, np.int64), 0))
        dr = np.union1d(live.deleted_rows, rows).astype(np.int64)
        dd = np.union1d(live.deleted_docs, docs).astype(np.int64)
        old_len = int(np.sum(np.asarray(live.segment.tf.lengths)[live.deleted_rows], dtype=np.int64)) \
            if len(live.deleted_rows) else 0
        pending.append(Pending(live.segment.info, dr, dd, old_len + length))
    pending = [p for p in pending if p.live_rows]  # a segment with nothing live is dropped
    before = {p.info.name for p in pending}
    new = []
    try:
        if len(chunks):
            pending.append(Pending(write_segment(folder, documents, chunks, vectors, manifest.lexical,
                                                 policy.index_type, policy.flat_max)))
            new.append(pending[-1].info.name)
        picked = _to_merge(pending, policy)
        if picked:
            pending = _merge(folder, pending, picked, {s.segment.name: s.segment for s in old.segments}, policy)
            new.extend(p.info.name for p in pending if p.info.name not in before and p.info.name not in new)
    except Exception:
        _remove_segments(folder, new)
        raise
    with _cleared_on_failure(folder, new):
        return _write_generation(folder, manifest, pending, old.generation)


def _remove_segments(folder: Path, names: Sequence[str]) -> None:
    for name in names:
        shutil.rmtree(folder / SEGMENTS / name, ignore_errors=True)


@contextmanager
def _cleared_on_failure(folder: Path, names: Sequence[str]):
    """Segments written for a commit that then failed (an error, not a kill) are removed,
    unless the commit got as far as making a generation that lists them live."""
    try:
        yield
    except Exception:
        live = read_pointer(folder)[0]
        listed = set()
        if live is not None:
            try:
                listed = {s.get("name") for s in read_manifest(live, folder).segments if isinstance(s, dict)}
            except Exception:
                listed = set(names)  # cannot tell: keep them (the next writer decides)
        _remove_segments(folder, [n for n in names if n not in listed])
        raise


def compact(folder: Path, old: Index, policy: WritePolicy) -> Path | None:
    """Merge every segment of ``old`` into one, leaving deleted rows behind (nothing is embedded
    or tokenised again), and commit it; None when there is nothing to merge (one segment,
    nothing deleted). Caller holds :func:`write_lock`."""
    if len(old.segments) <= 1 and not any(len(s.deleted_rows) for s in old.segments):
        return None
    remove_debris(folder)
    pending = [Pending(s.segment.info, s.deleted_rows, s.deleted_docs) for s in old.segments]
    pending = _merge(folder, pending, list(range(len(pending))), {s.segment.name: s.segment for s in old.segments},
                     policy)
    manifest = Manifest(**{k: getattr(old.manifest, k) for k in Manifest.__dataclass_fields__})
    with _cleared_on_failure(folder, [p.info.name for p in pending]):
        return _write_generation(folder, manifest, pending, old.generation)
