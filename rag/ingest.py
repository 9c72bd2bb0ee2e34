"""Ingest: files on disk -> documents -> chunks -> vectors -> a new index generation.

Re-ingest is incremental: a document whose text is unchanged keeps its chunks and vectors,
files that disappeared from an ingested folder leave the index, and identical documents are
stored once (the others are kept as aliases). Bad files are reported and skipped.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from .config import Settings
from .chunker import chunk_document
from .embeddings import Embedder, EmbeddingCache, embed_passages_cached
from .index import (Index, IndexMismatch, IndexNotFound, Manifest, check_compatible, current_generation,
                    write_generation, write_lock)
from .layout import parse_layout
from .readers import RawDocument, fingerprint, iter_files, read_path
from .tokens import counter
from .types import Chunk, Document, IngestReport, Skipped

Progress = Callable[[str, int, int], None]  # stage, done, total


@dataclass
class Prepared:
    document: Document
    chunks: list[Chunk]


def prepare_document(raw: RawDocument, settings: Settings, count) -> Prepared:
    """Layout repair and chunking for one raw document."""
    default_title = raw.title or ""
    layout = parse_layout(raw.text, default_title)
    title = layout.title or Path(raw.path).stem
    doc = Document(raw.doc_id, layout.text, title, raw.source, raw.date, raw.path, raw.format,
                   fingerprint(layout.text))
    chunks = chunk_document(doc, layout.blocks, settings.chunker, count)
    return Prepared(doc, chunks)


def _under(path: str, roots: list[Path]) -> bool:
    p = Path(path).resolve()
    return any(p == r or r in p.parents for r in roots)


def ingest(paths: Iterable[str | Path], settings: Settings, embedder: Embedder,
           index_dir: Path | None = None, rebuild: bool = False,
           progress: Progress | None = None, use_cache: bool = True,
           rebuild_on_mismatch: bool = False) -> IngestReport:
    """Add or refresh ``paths`` in the index and return what happened.

    An index built with another model or chunker raises :class:`IndexMismatch`, or, with
    ``rebuild_on_mismatch``, is rebuilt from ``paths`` (``report.rebuilt`` says why).
    """
    t0 = time.perf_counter()
    paths = [Path(p) for p in paths]
    folder = Path(index_dir or settings.index_dir)
    report = IngestReport()
    progress = progress or (lambda stage, done, total: None)
    count = counter(settings.token_encoding)
    manifest_model = embedder.fingerprint
    chunker = settings.chunker.to_dict()

    with write_lock(folder):
        old: Index | None = None
        if not rebuild and current_generation(folder) is not None:
            old = Index.load(folder)
            try:
                check_compatible(old.manifest, folder, manifest_model, chunker, settings.lexical_tokenizer)
            except IndexMismatch as exc:
                if not rebuild_on_mismatch:
                    raise
                report.rebuilt = str(exc).split(". Vectors")[0]
                old = None

        # 1. read
        files = list(iter_files(paths))
        raws: list[RawDocument] = []
        for i, item in enumerate(files):
            if isinstance(item, Skipped):
                report.skipped.append(item)
            else:
                for r in read_path(item):
                    (report.skipped if isinstance(r, Skipped) else raws).append(r)
            progress("read", i + 1, len(files))

        # 2. old documents not read again stay, unless their file is gone from an ingested
        #    folder, or their file was read again without them (a record left a JSONL file)
        roots = [p.resolve() for p in paths]
        reread = {Path(r.path).resolve() for r in raws}
        seen_ids = {r.doc_id for r in raws}
        kept_old: dict[str, Document] = {}
        for doc_id, doc in (old.documents.items() if old is not None else ()):
            if doc_id in seen_ids:
                continue
            if doc.path and _under(doc.path, roots) and (
                    not Path(doc.path).exists() or Path(doc.path).resolve() in reread):
                report.removed.append(doc_id)
            else:
                kept_old[doc_id] = doc

        # 3. layout + chunking; identical texts are stored once
        by_fp: dict[str, Document] = {d.fingerprint: d for d in kept_old.values()}
        new_docs: dict[str, Prepared] = {}
        for i, raw in enumerate(raws):
            if raw.doc_id in new_docs:
                report.skipped.append(Skipped(f"{raw.path} ({raw.doc_id})", "duplicate document id"))
                continue
            prep = prepare_document(raw, settings, count)
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
            new_docs[raw.doc_id] = prep
            if i % 200 == 0 or i == len(raws) - 1:
                progress("chunk", i + 1, len(raws))

        # 4. unchanged documents keep their chunks and vectors
        old_docs = old.documents if old is not None else {}
        reuse_ids: list[str] = list(kept_old)
        for doc_id, prep in list(new_docs.items()):
            prev = old_docs.get(doc_id)
            if prev is not None and prev.fingerprint == prep.document.fingerprint:
                prep.document.aliases = sorted(set(prev.aliases) | set(prep.document.aliases))
                kept_old[doc_id] = prep.document
                reuse_ids.append(doc_id)
                report.unchanged.append(doc_id)
                del new_docs[doc_id]
            else:
                (report.updated if prev is not None else report.added).append(doc_id)

        # 5. assemble chunks: reused first (vectors copied), then new (embedded)
        chunks: list[Chunk] = []
        vec_parts: list[np.ndarray] = []
        if old is not None and reuse_ids:
            keep = set(reuse_ids)
            rows = [i for i, c in enumerate(old.chunks) if c.doc_id in keep]
            chunks.extend(old.chunks[i] for i in rows)
            vec_parts.append(old.vectors_of(rows))
        fresh = [c for p in new_docs.values() for c in p.chunks]
        cache = EmbeddingCache(settings.cache_dir, embedder.fingerprint) if use_cache else None
        done = [0]

        def tick(n: int) -> None:
            done[0] += n
            progress("embed", done[0], len(fresh))

        before = embedder.calls
        vec_parts.append(embed_passages_cached(embedder, [c.embed_text() for c in fresh], cache, tick))
        report.embedded = embedder.calls - before
        if cache is not None:
            cache.close()
        chunks.extend(fresh)
        vectors = np.concatenate(vec_parts) if vec_parts else np.zeros((0, embedder.dim), np.float32)

        documents = list(kept_old.values()) + [p.document for p in new_docs.values()]
        manifest = Manifest(
            model=manifest_model, chunker=chunker, lexical=settings.lexical_tokenizer,
            index_type=settings.index_type,
            documents={d.doc_id: {"fingerprint": d.fingerprint, "path": d.path, "aliases": d.aliases}
                       for d in documents},
        )
        progress("write", 0, 1)
        write_generation(folder, manifest, documents, chunks, vectors, settings.lexical_tokenizer)
        progress("write", 1, 1)

    report.documents = len(documents)
    report.chunks = len(chunks)
    report.seconds = time.perf_counter() - t0
    return report


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
