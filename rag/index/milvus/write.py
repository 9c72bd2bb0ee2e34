"""Writing a Milvus-backed index: incremental ingest (upsert and delete by document) and removal.

The ingest reads, diffs, prepares and reuses exactly as for the FAISS store (the stages of
:mod:`rag.index.pipeline`); what differs is the write. Only the passages of new or changed
documents are embedded and inserted; the passages of changed and removed documents are deleted;
unchanged documents are not touched. One write:

1. recovers from a writer killed before: deletes Milvus rows whose key the local file does not
   list (keys at or above its next key) and the deletions it left pending;
2. inserts the new passages (keys from the next key on; upsert, so a retry overwrites);
3. commits the local file in one transaction: documents, passages, term statistics, next key,
   and the keys to delete (pending);
4. deletes those keys in Milvus and clears them.

A process killed at any point leaves the last commit as the index: searches never return a
row the local file does not list.
"""
from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Iterable

import numpy as np

from ...config import Settings
from ...embed import Embedder
from ...text import tokenize
from ...types import Chunk, Document, IngestReport
from ..lock import write_lock
from ..manifest import IndexMismatch, Manifest, check_compatible
from ..pipeline import embed, new_plan, no_progress, plan_changes, promote, rename_chunk
from ..records import DOC_COLS, document_row
from .companion import Companion, path_in
from .store import (CHUNK_FIELDS, MilvusIndex, MilvusUnavailable, chunk_entity, connect, create_collection,
                    milvus_uri)
from .sparse import passage_weights

BATCH = 512  # rows per insert or delete request
META_KEYS = ("manifest", "collection", "uri", "next_pk", "total_len")


def _delete_pks(client, collection: str, pks: list[int]) -> None:
    for i in range(0, len(pks), BATCH):
        client.delete(collection, filter=f"pk in {pks[i:i + BATCH]}")


def recover(companion: Companion, client, collection: str) -> None:
    """Undo what a killed writer left in Milvus: uncommitted rows, pending deletions."""
    meta = companion.meta()
    client.delete(collection, filter=f"pk >= {int(meta.get('next_pk', 0))}")
    doomed = companion.doomed()
    if doomed:
        _delete_pks(client, collection, doomed)
        companion.clear_doomed(doomed)


def drop(folder: Path, settings: Settings) -> None:
    """Forget the index: the collection and the local file (a rebuild)."""
    client = connect(settings, folder)
    if client.has_collection(settings.milvus_collection):
        client.drop_collection(settings.milvus_collection)
    for suffix in ("", "-wal", "-shm"):
        Path(str(path_in(folder)) + suffix).unlink(missing_ok=True)


def create(folder: Path, settings: Settings, manifest: Manifest, dim: int) -> Companion:
    """A new, empty index: its collection and its local file."""
    client = connect(settings, folder)
    name = settings.milvus_collection
    if client.has_collection(name):
        raise IndexMismatch(f"the Milvus collection {name!r} at {milvus_uri(settings, folder)} already exists but "
                            f"{folder} has no record of it (another index's?). Choose another "
                            f"milvus_collection, or replace it: `rag ingest PATH... --index {folder} --rebuild`")
    create_collection(client, name, dim, settings.index_type)
    companion = Companion(folder, create=True)
    _set_meta(companion, manifest=manifest.to_json(), collection=name, uri=milvus_uri(settings, folder),
              next_pk=0, total_len=0)
    return companion


def _set_meta(companion: Companion, **values) -> None:
    companion.db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                             [(k, json.dumps(v, ensure_ascii=False)) for k, v in values.items()])


def _tokens(chunk_like, scheme: str) -> list[str]:
    return tokenize(chunk_like.embed_text(), scheme) or [""]


def commit(index_dir: Path, settings: Settings, companion: Companion, manifest: Manifest,
           put_documents: list[Document], drop_documents: Iterable[str],
           add: list[Chunk], vectors: np.ndarray, progress=None) -> tuple[int, int]:
    """Apply one change: documents stored or replaced (``put_documents``), documents whose
    passages leave (``drop_documents``: removed or changed), passages added with their vectors.
    Returns (documents, passages) after it. A Milvus failure raises :class:`MilvusUnavailable`
    and leaves the last commit as the index."""
    from pymilvus.exceptions import MilvusException

    try:
        return _commit(index_dir, settings, companion, manifest, put_documents, drop_documents, add, vectors,
                       progress)
    except MilvusException as exc:
        raise MilvusUnavailable(f"writing to Milvus at {milvus_uri(settings, index_dir)} failed ({exc}); the index "
                                f"is as it was before this change: try again when Milvus is back") from exc


def _commit(index_dir: Path, settings: Settings, companion: Companion, manifest: Manifest,
            put_documents: list[Document], drop_documents: Iterable[str],
            add: list[Chunk], vectors: np.ndarray, progress=None) -> tuple[int, int]:
    client = connect(settings, index_dir)
    name = settings.milvus_collection
    scheme = manifest.lexical
    db = companion.db
    with companion.lock:
        recover(companion, client, name)
        meta = companion.meta()
        next_pk, total_len = int(meta["next_pk"]), int(meta["total_len"])
        drop_ids = sorted(set(drop_documents))
        gone = companion.pks_of(drop_ids)
        # the tokens of the passages that leave, to take them out of the term statistics
        removed_df: Counter = Counter()
        removed_len = 0
        for i in range(0, len(gone), BATCH):
            for e in client.query(name, filter=f"pk in {gone[i:i + BATCH]}", output_fields=list(CHUNK_FIELDS)):
                toks = _tokens(Chunk(**{f: e[f] for f in CHUNK_FIELDS}), scheme)
                removed_df.update(set(toks))
                removed_len += len(toks)
        added_tokens = [_tokens(c, scheme) for c in add]
        added_df: Counter = Counter(t for toks in added_tokens for t in set(toks))
        n_after = db.execute("SELECT COUNT(*) FROM rows").fetchone()[0] - len(gone) + len(add)
        total_len = total_len - removed_len + sum(len(t) for t in added_tokens)
        avg_len = total_len / n_after if n_after else 1.0
        db.execute("BEGIN IMMEDIATE")
        try:
            known = companion.term_stats(added_df)
            next_id = 1 + (db.execute("SELECT COALESCE(MAX(id), 0) FROM terms").fetchone()[0])
            fresh = [t for t in added_df if t not in known]
            db.executemany("INSERT INTO terms VALUES (?, ?, 0)", [(t, next_id + i) for i, t in enumerate(fresh)])
            ids = {t: tid for t, (tid, _) in known.items()} | {t: next_id + i for i, t in enumerate(fresh)}
            for i in range(0, len(add), BATCH):
                rows = [chunk_entity(next_pk + j, c, vectors[j], passage_weights(added_tokens[j], ids, avg_len))
                        for j, c in enumerate(add[i:i + BATCH], start=i)]
                client.upsert(name, rows)
                if progress:
                    progress("write", min(i + BATCH, len(add)), len(add))
            db.executemany("UPDATE terms SET df = MAX(df + ?, 0) WHERE token = ?",
                           [(added_df.get(t, 0) - removed_df.get(t, 0), t) for t in set(added_df) | set(removed_df)])
            db.executemany("DELETE FROM rows WHERE pk = ?", [(p,) for p in gone])
            db.executemany("INSERT INTO doomed VALUES (?)", [(p,) for p in gone])
            db.executemany("INSERT INTO rows VALUES (?, ?, ?, ?, ?)",
                           [(next_pk + j, c.doc_id, c.date, c.source, len(added_tokens[j])) for j, c in enumerate(add)])
            db.executemany("DELETE FROM documents WHERE doc_id = ?", [(d,) for d in drop_ids])
            db.executemany(f"INSERT OR REPLACE INTO documents VALUES ({','.join('?' * len(DOC_COLS))})",
                           [document_row(d) for d in put_documents])
            documents = db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
            manifest.created = time.strftime("%Y-%m-%dT%H:%M:%S%z")
            manifest.chunks = n_after
            manifest.documents = {}  # the documents table holds them
            _set_meta(companion, manifest=manifest.to_json(), next_pk=next_pk + len(add), total_len=total_len)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        if gone:
            _delete_pks(client, name, gone)
            companion.clear_doomed(gone)
        # seal what was written: Milvus Lite otherwise keeps every row in its in-memory table,
        # and rebuilds a sparse index over that table in Python on every lexical search
        # (measured: seconds per search at 16,838 passages); a server seals its segments too
        client.flush(name)
    return documents, n_after


# ------------------------------------------------------------ the pipeline, for this store
def open_existing(plan, model: dict, settings: Settings, rebuild: bool, rebuild_on_mismatch: bool) -> bool:
    """The live index to add to, in ``plan.old``: none when there is none, when rebuilding, or
    when it mismatches and may be rebuilt. True when an index is there to be replaced (it is
    dropped only when the new one is written, so a failed rebuild loses nothing)."""
    folder = plan.folder
    if not path_in(folder).is_file():
        return False
    if rebuild:
        return True
    old = MilvusIndex.open(settings, folder)
    try:
        check_compatible(old.manifest, folder, model, settings.chunker.to_dict(), settings.lexical_tokenizer)
    except IndexMismatch as exc:
        old.companion.close()
        if not rebuild_on_mismatch:
            raise
        plan.report.rebuilt = str(exc).split(". Vectors")[0]
        return True
    plan.old = old
    plan.previous = folder  # there is an index to keep
    return False


def ingest_milvus(paths, settings: Settings, embedder: Embedder, index_dir: Path | None = None,
                  rebuild: bool = False, progress=None, use_cache: bool = True,
                  rebuild_on_mismatch: bool = False, log=None) -> IngestReport:
    """:func:`rag.index.ingest` for ``store = "milvus"``: the same stages and report."""
    t0 = time.perf_counter()
    plan = new_plan(paths, settings, index_dir)
    progress, log = progress or no_progress, log or (lambda msg: None)
    model = embedder.fingerprint
    with write_lock(plan.folder, on_wait=lambda msg: log(f"rag: {msg}")):
        replace = open_existing(plan, model, settings, rebuild, rebuild_on_mismatch)
        if not plan_changes(plan, settings, progress, rebuild):
            plan.report.seconds = time.perf_counter() - t0
            return plan.report
        fresh, vectors = embed(plan, settings, embedder, use_cache, progress)
        manifest = Manifest(model=model, chunker=settings.chunker.to_dict(), lexical=settings.lexical_tokenizer,
                            index_type=settings.index_type)
        if plan.old is not None:
            companion = plan.old.companion
            old_ids = set(plan.old.documents)
        else:
            if replace:
                drop(plan.folder, settings)
            companion = create(plan.folder, settings, manifest, embedder.dim)
            old_ids = set()
        new_docs = [p.document for p in plan.new.values()]
        kept_docs = list(plan.kept.values())
        stay = {d.doc_id for d in kept_docs} | {d.doc_id for d in new_docs}
        leave = (old_ids - stay) | {d.doc_id for d in new_docs if d.doc_id in old_ids}
        progress("write", 0, max(len(fresh), 1))
        try:
            plan.report.documents, plan.report.chunks = commit(
                plan.folder, settings, companion, manifest, kept_docs + new_docs, leave, fresh, vectors, progress)
        finally:
            companion.close()
    plan.report.seconds = time.perf_counter() - t0
    return plan.report


def remove_milvus(doc_ids: list[str], settings: Settings, index_dir: Path | None = None, log=None) -> IngestReport:
    """:func:`rag.index.remove_documents` for ``store = "milvus"``: a removed copy is
    forgotten; a removed stored document hands its passages to its next copy."""
    t0 = time.perf_counter()
    folder = Path(index_dir or settings.index_dir)
    log = log or (lambda msg: None)
    report = IngestReport()
    with write_lock(folder, on_wait=lambda msg: log(f"rag: {msg}")):
        old = MilvusIndex.open(settings, folder)
        gone = set(doc_ids)
        alias_of = {a: d.doc_id for d in old.documents.values() for a in d.aliases}
        unknown = sorted(gone - set(old.documents) - set(alias_of))
        if unknown:
            raise KeyError(f"not in the index: {', '.join(unknown)}")
        put: list[Document] = []
        leave: set[str] = set()
        add: list[Chunk] = []
        parts: list[np.ndarray] = []
        for doc in old.documents.values():
            keep = [a for a in doc.aliases if a not in gone]
            changed = keep != doc.aliases
            doc.alias_paths = {a: p for a, p in doc.alias_paths.items() if a in keep}
            doc.aliases = keep
            if doc.doc_id not in gone:
                if changed:
                    put.append(doc)
                continue
            leave.add(doc.doc_id)
            if keep:  # the next copy takes its place, with its passages and their vectors
                heir = promote(doc, keep[0])
                put.append(heir)
                rows = old.rows_of_document(doc.doc_id)
                add += [rename_chunk(c, heir, old.documents) for c in old.chunks_at(rows)]
                parts.append(old.vectors_of(rows))
        vectors = np.concatenate(parts) if parts else np.zeros((0, 1), np.float32)
        try:
            report.documents, report.chunks = commit(folder, settings, old.companion, old.manifest, put, leave,
                                                     add, vectors)
        finally:
            old.companion.close()
        report.removed = sorted(gone)
    report.seconds = time.perf_counter() - t0
    return report
