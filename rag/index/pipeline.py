"""The ingest pipeline, whichever store it writes: files on disk -> what to write, as named stages
over a plan.

    read -> diff with the index -> prepare -> reuse or embed -> write (the store's own)

Re-ingest is incremental: a document whose text is unchanged keeps its chunks and vectors, new
and changed documents are embedded, and the old copies of changed or removed ones leave (how
each store writes that: :mod:`.local.write`, :mod:`.milvus.write`); files that disappeared from
an ingested folder leave the index, and identical documents are stored once (the others are
kept as aliases). Bad files and paths are reported and skipped, the rest is ingested; nothing
readable at all is an error, never an empty index.
It lives here, not in :mod:`rag.ingest`, because it drives the embedder and writes the index.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from ..config import Settings
from ..embed import Embedder, EmbeddingCache, embed_passages_cached
from ..ingest import Prepared, RawDocument, counter, iter_files, prepare_document, read_path
from ..types import Chunk, Document, IngestReport, Skipped
from .protocol import Store

Progress = Callable[[str, int, int], None]  # stage, done, total
Log = Callable[[str], None]


class NothingToIngest(ValueError):
    """No document could be read from the paths given; the index was left as it was."""


def no_progress(stage: str, done: int, total: int) -> None:
    pass


def _resolve(path: str | Path) -> Path | None:
    """``path`` made absolute with links followed, or None when that fails (a link loop)."""
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError):
        return None


@dataclass
class IngestPlan:
    """What one ingest will do, filled in stage by stage; ``report`` says what it did."""

    folder: Path
    paths: list[Path]
    old: Store | None = None  # the live index, when there is one to add to
    previous: Path | None = None  # the live generation the new one replaces (None: there is none)
    aliases_changed: bool = False  # a copy of a kept document is gone
    raws: list[RawDocument] = field(default_factory=list)  # documents read
    kept: dict[str, Document] = field(default_factory=dict)  # documents whose chunks and vectors stay
    stored: dict[str, tuple] = field(default_factory=dict)  # doc_id -> its record in the index (no text)
    new: dict[str, Prepared] = field(default_factory=dict)  # documents to embed
    unlisted: int = 0  # documents of the index kept without being listed (the ingest cannot change them)
    roots: list[Path] = field(init=False)  # the paths that exist, resolved: what "under the ingested paths" means
    report: IngestReport = field(default_factory=IngestReport)

    def __post_init__(self) -> None:
        self.roots = [r for p in self.paths if os.path.exists(p) and (r := _resolve(p)) is not None]


def read(plan: IngestPlan, settings: Settings, progress: Progress) -> None:
    """Every file under the paths, read; what cannot be read is skipped by name."""
    files = list(iter_files(plan.paths))
    for i, item in enumerate(files):
        if isinstance(item, Skipped):
            plan.report.skipped.append(item)
        else:
            for r in read_path(item, settings.limits, pages=lambda done, n: progress("ocr", done, n)):
                (plan.report.skipped if isinstance(r, Skipped) else plan.raws).append(r)
        progress("read", i + 1, len(files))


def _under(path: str, roots: list[Path], cache: dict | None = None) -> bool:
    """Whether ``path`` lies under one of ``roots`` (``cache``: paths already resolved, for a
    pass over many documents from few files)."""
    if cache is None:
        p = _resolve(path)
    elif path in cache:
        p = cache[path]
    else:
        p = cache[path] = _resolve(path)
    return p is not None and _within(p, roots)


def _within(p: Path, roots: list[Path]) -> bool:
    return any(p == r or r in p.parents for r in roots)


def _maybe_under(path: str, roots: list[Path], folders: dict[str, Path | None]) -> bool:
    """Whether the file ``path`` may lie under ``roots``: its folder resolved once per folder
    (``folders`` caches them), so a pass over 10^5 files in a few folders resolves a few paths.
    A folder that cannot be resolved says yes (the exact check decides); a file that is itself
    a link into the ingested paths from elsewhere is judged by where it lies."""
    if not path:
        return False
    folder, name = os.path.split(path)
    if folder not in folders:
        folders[folder] = _resolve(folder or ".")
    where = folders[folder]
    if where is None:
        return True
    return _within(where / name, roots)


def diff(plan: IngestPlan) -> None:
    """Old documents not read again stay, unless their file is gone from an ingested folder, or
    their file was read again without them (a record left a JSONL file). Copies (aliases) under
    the ingested paths are dropped here and found again when their file is read.

    The index is listed without texts, titles or dates (file, fingerprint and copies are what
    this needs): a document kept as it was is never read whole, nor written again."""
    if plan.old is None:
        return
    reread = {_resolve(r.path) for r in plan.raws}
    seen_ids = {r.doc_id for r in plan.raws}
    if hasattr(plan.old, "scoped_listing"):  # only what this ingest can change; the rest stays unread
        folders: dict[str, Path | None] = {}
        listing, plan.unlisted = plan.old.scoped_listing(lambda p: _maybe_under(p, plan.roots, folders), seen_ids)
    else:
        listing = plan.old.documents.values()  # the Milvus store keeps its documents in a dict
    resolved: dict[str, Path | None] = {}
    exists: dict[str, bool] = {}
    under: dict[str, bool] = {}  # a JSONL file holds many documents: each file is looked at once
    for doc in listing:
        doc_id = doc.doc_id
        plan.stored[doc_id] = ("copies", _copies(doc))
        if doc_id in seen_ids:
            continue
        if doc.path and doc.path not in under:
            under[doc.path] = _under(doc.path, plan.roots, resolved)
        if doc.path and under[doc.path] and (
                not exists.setdefault(doc.path, Path(doc.path).exists()) or resolved[doc.path] in reread):
            plan.report.removed.append(doc_id)
        else:
            if doc.aliases:
                plan.aliases_changed |= _forget_aliases_under(doc, plan.roots, seen_ids)
            plan.kept[doc_id] = doc




_NO_COPIES = ((), ())


def _copies(doc: Document) -> tuple:
    if not doc.aliases and not doc.alias_paths:
        return _NO_COPIES
    return tuple(doc.aliases), tuple(sorted(doc.alias_paths.items()))


def _record(doc: Document) -> tuple:
    """What of a document is stored besides its text (a change means rewriting its record)."""
    return (doc.title, doc.source, doc.date, doc.date_source, doc.path, doc.format, doc.fingerprint) + _copies(doc)


def _forget_aliases_under(doc: Document, roots: list[Path], seen_ids: set[str]) -> bool:
    """Drop the aliases of ``doc`` whose file lies under ``roots`` (they come back when read
    again); True when one is gone for good."""
    gone = [a for a in doc.aliases if doc.alias_paths.get(a) and _under(doc.alias_paths[a], roots)]
    for a in gone:
        doc.aliases.remove(a)
        doc.alias_paths.pop(a, None)
    return any(a not in seen_ids for a in gone)


def prepare(plan: IngestPlan, settings: Settings, progress: Progress) -> None:
    """Layout repair and chunking; a document identical to one already kept becomes its alias."""
    report = plan.report
    count = counter(settings.token_encoding, settings.cache_dir)
    prepared = []
    for i, raw in enumerate(plan.raws):
        prepared.append(prepare_document(raw, settings.chunker, count))
        if i % 200 == 0 or i == len(plan.raws) - 1:
            progress("chunk", i + 1, len(plan.raws))
    by_fp: dict[str, Document] = {d.fingerprint: d for d in plan.kept.values()}
    if plan.unlisted:  # an identical document among those not listed becomes kept, to take the copy
        for doc in plan.old.with_fingerprints({p.document.fingerprint for p in prepared} - set(by_fp)):
            if doc.doc_id not in plan.stored and doc.fingerprint not in by_fp:
                by_fp[doc.fingerprint] = plan.kept[doc.doc_id] = doc
                plan.stored[doc.doc_id] = ("copies", _copies(doc))
                plan.unlisted -= 1
    for raw, prep in zip(plan.raws, prepared):
        if raw.doc_id in plan.new:
            report.skipped.append(Skipped(f"{raw.path} ({raw.doc_id})", "duplicate document id"))
            continue
        report.warnings.extend(Skipped(f"{raw.path} ({raw.doc_id})" if raw.format == "jsonl" else raw.path, w)
                               for w in prep.warnings)
        twin = by_fp.get(prep.document.fingerprint)
        if twin is not None:
            report.duplicates[raw.doc_id] = twin.doc_id
            if raw.doc_id not in twin.aliases:
                twin.aliases.append(raw.doc_id)
            twin.alias_paths[raw.doc_id] = raw.path
            continue
        if not prep.chunks:
            report.skipped.append(Skipped(raw.path, "no text left after layout cleaning"))
            continue
        by_fp[prep.document.fingerprint] = prep.document
        plan.new[raw.doc_id] = prep


def reuse_unchanged(plan: IngestPlan) -> None:
    """A document read again with the same text, title and date keeps its chunks and vectors."""
    old_docs = plan.old.documents if plan.old is not None else {}
    for doc_id, prep in list(plan.new.items()):
        prev = old_docs.get(doc_id)
        # the same text under the same title and date: its passages (which carry both) stay as they are
        if prev is not None and (prev.fingerprint, prev.title, prev.date) == (
                prep.document.fingerprint, prep.document.title, prep.document.date):
            plan.stored[doc_id] = ("record", _record(prev))  # the new record replaces it whole
            # copies under the ingested paths were found again (or are gone); others stay
            _forget_aliases_under(prev, plan.roots, set())
            prep.document.aliases = sorted(set(prev.aliases) | set(prep.document.aliases))
            prep.document.alias_paths = {**prev.alias_paths, **prep.document.alias_paths}
            plan.kept[doc_id] = prep.document
            plan.report.unchanged.append(doc_id)
            del plan.new[doc_id]
        else:
            (plan.report.updated if prev is not None else plan.report.added).append(doc_id)


def embed(plan: IngestPlan, settings: Settings, embedder: Embedder, use_cache: bool,
          progress: Progress) -> tuple[list[Chunk], np.ndarray]:
    """The chunks of the new documents with their vectors, embedded through the embedding cache
    (none without ``use_cache``)."""
    fresh = [c for p in plan.new.values() for c in p.chunks]
    done = [0]

    def tick(n: int) -> None:
        done[0] += n
        progress("embed", done[0], len(fresh))

    cache = EmbeddingCache(settings.cache_dir, embedder.fingerprint) if use_cache else None
    try:
        before = embedder.calls
        vectors = embed_passages_cached(embedder, [c.embed_text() for c in fresh], cache, tick)
        plan.report.embedded = embedder.calls - before
    finally:
        if cache is not None:
            cache.close()
    return fresh, np.asarray(vectors, np.float32).reshape(len(fresh), embedder.dim)


def rewritten(plan: IngestPlan) -> list[str]:
    """Kept documents whose record changed (a copy found or gone, or, for one read again, its
    title, date, source or file): rewritten with their passages."""
    out = []
    for d, doc in plan.kept.items():
        kind, before = plan.stored.get(d, ("", None))
        if before is not None and before != (_record(doc) if kind == "record" else _copies(doc)):
            out.append(d)
    return out


def plan_changes(plan: IngestPlan, settings: Settings, progress: Progress, rebuild: bool) -> bool:
    """The stages between opening the live index and embedding: read, diff, prepare, reuse.
    False when there is nothing to write (:func:`nothing_read`)."""
    read(plan, settings, progress)
    diff(plan)
    if nothing_read(plan, rebuild):
        return False
    prepare(plan, settings, progress)
    if plan.old is None and not plan.new and not plan.kept:
        raise nothing_to_ingest(plan)
    reuse_unchanged(plan)
    return True


def nothing_read(plan: IngestPlan, rebuild: bool) -> bool:
    """Whether to stop before writing: nothing was read. With an index to keep and nothing
    removed from it, there is nothing to write; without one (or when rebuilding) it is an
    error, so an empty index never replaces a real one."""
    if plan.raws:
        return False
    if plan.old is not None and not plan.report.removed and not plan.aliases_changed:
        plan.report.documents, plan.report.chunks = len(plan.old.documents), len(plan.old)
        plan.report.unchanged = []
        return True
    if plan.old is not None:
        return False  # files left an ingested folder: their documents leave the index
    raise nothing_to_ingest(plan)


def nothing_to_ingest(plan: IngestPlan) -> NothingToIngest:
    skipped = plan.report.skipped
    listing = "".join(f"\n  {s.path}: {s.reason}" for s in skipped[:20])
    more = f"\n  ... and {len(skipped) - 20} more" if len(skipped) > 20 else ""
    return NothingToIngest(f"nothing to ingest: no document could be read from {', '.join(map(str, plan.paths))}"
                           + (f"; the index at {plan.folder} is unchanged" if plan.previous else "")
                           + (f" ({len(skipped)} skipped):" + listing + more if skipped else ""))


def new_plan(paths: Iterable[str | Path], settings: Settings, index_dir: Path | None) -> IngestPlan:
    """The plan of an ingest of ``paths`` into ``index_dir`` (default: the settings'); at least one
    of the paths must exist (:func:`check_paths`)."""
    plan = IngestPlan(Path(index_dir or settings.index_dir), [Path(p) for p in paths])
    check_paths(plan.paths)
    return plan


def check_paths(paths: list[Path]) -> None:
    """At least one of ``paths`` must exist: a batch of only missing paths is an error, not an
    empty index. (Missing paths among others are skipped by name.)"""
    if not paths:
        raise NothingToIngest("nothing to ingest: give files or folders")
    if not any(os.path.exists(p) for p in paths):
        raise FileNotFoundError("nothing to ingest: " + "; ".join(
            f"{p}: {'a link that leads nowhere or loops' if os.path.islink(p) else 'no such file or folder'}"
            for p in paths))


def promote(doc: Document, heir_id: str) -> Document:
    """The copy ``heir_id`` of ``doc`` as the stored document (same text, its own id and file)."""
    path = doc.alias_paths.pop(heir_id, "") or ""
    title = doc.title
    if doc.path and title == Path(doc.path).stem and path:  # a title taken from the file name
        title = Path(path).stem
    return Document(heir_id, doc.text, title, doc.source, doc.date, path, doc.format, doc.fingerprint,
                    [a for a in doc.aliases if a != heir_id], doc.alias_paths, doc.date_source)


def rename_chunk(chunk: Chunk, heir: Document | None, old_docs: dict[str, Document]) -> Chunk:
    if heir is None:
        return chunk
    before = old_docs[chunk.doc_id]
    n = chunk.chunk_id.rsplit("#", 1)[-1]
    title = heir.title if chunk.title == before.title else chunk.title
    return replace(chunk, chunk_id=f"{heir.doc_id}#{n}", doc_id=heir.doc_id, title=title)
