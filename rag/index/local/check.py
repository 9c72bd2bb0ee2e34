"""``rag check``: every file of the live generation and of the segments it lists against its
checksum, and in each segment the metadata, the vectors and BM25 against each other; the other
generation folders and what will become of them.

Nothing here raises for a damaged index: each problem is a line of the report.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..lock import write_lock
from ..manifest import IndexCorrupt, IndexMismatch
from .arrays import load_array
from .format import (CURRENT, SEGMENTS, generation_dirs, is_unfinished, live_generation, read_manifest, read_pointer,
                     sequence_of, write_pointer)
from .integrity import MANIFEST, WRITING, generation_files, verify_files
from .segment import SegmentInfo


@dataclass
class CheckReport:
    """What ``rag check`` found: checks that hold, problems, and notes (nothing wrong, but worth
    knowing: a recovered pointer, folders of other generations)."""

    folder: Path
    ok: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        return ([f"ok       {x}" for x in self.ok] + [f"PROBLEM  {x}" for x in self.problems]
                + [f"note     {x}" for x in self.notes])


def check_index(folder: str | Path) -> CheckReport:
    """Check the index at ``folder`` as far as it can be read; never raises for what it finds."""
    r = CheckReport(Path(folder))
    try:
        _check(r, Path(folder))
    except Exception as exc:  # a state nobody foresaw: said, not raised
        r.problems.append(f"the check could not finish ({exc.__class__.__name__}: {exc})")
    return r


def _check(r: CheckReport, folder: Path) -> None:
    if not folder.is_dir():
        r.problems.append(f"no index at {folder}: the folder does not exist")
        return
    gen, _ = read_pointer(folder)
    if gen is None:
        try:
            gen, note = live_generation(folder)
        except IndexCorrupt as exc:
            r.problems.append(str(exc))
            _other_generations(r, folder, None)
            return
        if gen is None:
            r.problems.append(f"no index at {folder}: build one with `rag ingest corpus/ --index {folder}`")
            _other_generations(r, folder, None)
            return
        r.problems.append(note)
    else:
        r.ok.append(f"{CURRENT} names {gen.name}")
    _other_generations(r, folder, gen)
    try:
        manifest = read_manifest(gen, folder)
    except (IndexMismatch, IndexCorrupt) as exc:
        r.problems.append(str(exc))
        return
    r.ok.append(f"{gen.name}/{MANIFEST} intact (format {manifest.format_version}, sequence {manifest.sequence}, "
                f"{len(manifest.segments)} segments)")
    empty = not manifest.segments and not manifest.files and not manifest.chunks
    bad = [] if empty else verify_files(folder, manifest.files, first_only=False)
    r.problems.extend(bad)
    if not bad:
        size = sum(v.get("bytes", 0) for v in manifest.files.values() if isinstance(v, dict))
        r.ok.append(f"{len(manifest.files)} files match their checksums ({size / 1e6:.1f} MB)")
    listed = set(manifest.files)
    extra = [f"{gen.name}/{p.relative_to(gen).as_posix()}" for p in generation_files(gen)]
    extra = [p for p in extra if p not in listed]
    if extra:
        r.notes.append(f"{gen.name} holds files its manifest does not list (ignored): {', '.join(extra)}")
    live = docs = 0
    for entry in manifest.segments:
        try:
            info = SegmentInfo.from_dict(entry)
        except (TypeError, ValueError) as exc:
            r.problems.append(f"{gen.name}/{MANIFEST}: {exc}")
            continue
        seg = folder / SEGMENTS / info.name
        counts = {"the manifest": info.rows}
        where = f"{SEGMENTS}/{info.name}"
        n_docs = _check_metadata(r, seg, where, info, counts)
        _check_vectors(r, seg, where, manifest, counts)
        _check_lexical(r, seg, where, counts)
        _check_rows(r, seg, where, info, counts)
        deleted_rows, deleted_docs = _check_deleted(r, gen, info)
        if len(set(counts.values())) == 1:
            r.ok.append(f"{where}: {info.rows} passages in each of: {', '.join(counts)}; "
                        f"{deleted_rows} deleted")
        else:
            r.problems.append(f"{where}: passage counts disagree: " + ", ".join(f"{v} in {k}" for k, v in counts.items()))
        live += info.rows - deleted_rows
        docs += (n_docs if n_docs is not None else info.documents) - deleted_docs
    if live != manifest.chunks or docs != manifest.documents:
        r.problems.append(f"passage counts disagree: {live} live passages and {docs} documents in the segments, "
                          f"{manifest.chunks} and {manifest.documents} in the manifest")
    else:
        r.ok.append(f"{manifest.chunks} live passages of {manifest.documents} documents, as the manifest says")


def _check_deleted(r: CheckReport, gen: Path, info) -> tuple[int, int]:
    from .load import deleted_paths

    found = []
    for path, top in zip(deleted_paths(gen, info.name), (info.rows, info.documents)):
        if not path.is_file():
            found.append(0)
            continue
        try:
            arr = load_array(path)
        except Exception as exc:
            r.problems.append(f"{gen.name}/{path.parent.name}/{path.name} cannot be read ({exc.__class__.__name__})")
            found.append(0)
            continue
        if len(arr) and (arr.min() < 0 or arr.max() >= top or np.any(np.diff(arr) <= 0)):
            r.problems.append(f"{gen.name}/{path.parent.name}/{path.name}: numbers outside 0..{top - 1} or not sorted")
        found.append(len(arr))
    return found[0], found[1]


def _other_generations(r: CheckReport, folder: Path, live: Path | None) -> None:
    from .format import listed_segments
    from .segment import segment_dirs

    listed, _ = listed_segments(folder)
    for seg in segment_dirs(folder):
        if seg.name not in listed:
            r.notes.append(f"{SEGMENTS}/{seg.name}: a segment no generation lists"
                           + (f" (a write that never finished, {WRITING}); " if (seg / WRITING).exists() else "; ")
                           + "the next ingest deletes it")
    live_seq = sequence_of(live) if live is not None else None
    for g in generation_dirs(folder):
        if live is not None and g.name == live.name:
            continue
        seq = sequence_of(g)
        if is_unfinished(g):
            r.notes.append(f"{g.name}: a build that never finished ({WRITING}); the next ingest deletes it")
        elif seq is not None and live_seq is not None and seq < live_seq:
            r.notes.append(f"{g.name}: an older generation (sequence {seq} < {live_seq}); the next ingest "
                           "deletes it")
        elif seq is None:
            r.notes.append(f"{g.name}: no intact {MANIFEST}, so nothing proves it is superseded; it is kept "
                           "(delete it yourself if you do not need it)")
        else:
            r.notes.append(f"{g.name}: a complete generation newer than the live one (sequence {seq}; "
                           f"CURRENT was rolled back from it?); it is kept")


def _check_metadata(r: CheckReport, gen: Path, where: str, manifest, counts: dict) -> int | None:
    try:
        db = sqlite3.connect(f"file:{gen / 'meta.sqlite'}?mode=ro", uri=True)
        try:
            verdict = db.execute("PRAGMA integrity_check").fetchone()[0]
            n_docs = db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
            n, lo, hi = db.execute("SELECT COUNT(*), MIN(row), MAX(row) FROM chunks").fetchone()
            doc_ids = {row[0] for row in db.execute("SELECT doc_id FROM documents")}
            chunk_docs = {row[0] for row in db.execute("SELECT DISTINCT doc_id FROM chunks")}
        finally:
            db.close()
    except sqlite3.Error as exc:
        r.problems.append(f"{where}/meta.sqlite cannot be read ({exc})")
        return None
    if verdict != "ok":
        r.problems.append(f"{where}/meta.sqlite fails SQLite's integrity check: {verdict}")
    if n and (lo, hi) != (0, n - 1):
        r.problems.append(f"{where}/meta.sqlite: passage rows run {lo}..{hi}, not 0..{n - 1}")
    counts["meta.sqlite"] = n
    orphans = chunk_docs - doc_ids
    empty = doc_ids - chunk_docs
    if orphans:
        r.problems.append(f"{where}: {len(orphans)} documents have passages but no record, e.g. {sorted(orphans)[0]}")
    if empty:
        r.problems.append(f"{where}: {len(empty)} documents have no passages, e.g. {sorted(empty)[0]}")
    if n_docs != manifest.documents:
        r.problems.append(f"{where}: documents disagree: {n_docs} in meta.sqlite, {manifest.documents} in the manifest")
    elif not orphans and not empty:
        r.ok.append(f"{where}: {n_docs} documents in meta.sqlite and the manifest, each with its passages")
    return n_docs


def _check_vectors(r: CheckReport, gen: Path, where: str, manifest, counts: dict) -> None:
    from .vectors import load_vector_index

    try:
        index = load_vector_index(gen / "vectors.faiss")
    except Exception as exc:  # FAISS raises RuntimeError, or worse, for a damaged file
        r.problems.append(f"{where}/vectors.faiss cannot be read ({exc.__class__.__name__})")
        return
    counts["vectors.faiss"] = int(index.ntotal)
    if index.d != manifest.model.get("dim"):
        r.problems.append(f"{where}/vectors.faiss holds {index.d}-dimensional vectors, the model makes "
                          f"{manifest.model.get('dim')}")
    if (gen / "vectors.npy").is_file():
        try:
            exact = load_array(gen / "vectors.npy")
            counts["vectors.npy"] = int(exact.shape[0])
        except Exception as exc:
            r.problems.append(f"{where}/vectors.npy cannot be read ({exc.__class__.__name__})")


def _check_lexical(r: CheckReport, gen: Path, where: str, counts: dict) -> None:
    folder = gen / "lexical"
    try:
        meta = json.loads((folder / "lexical.json").read_text(encoding="utf-8"))
        n = int(meta["n"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        r.problems.append(f"{where}/lexical/lexical.json cannot be read ({exc.__class__.__name__})")
        return
    counts["BM25"] = n
    if not n:
        return
    try:
        arrays = {k: load_array(folder / f"{k}.csc.index.npy")
                  for k in ("data", "indices", "indptr")}
        terms = load_array(folder / "terms.npy")
        cols = load_array(folder / "term_cols.npy")
        lengths = load_array(folder / "lengths.npy")
    except Exception as exc:
        r.problems.append(f"{where}/lexical cannot be read ({exc.__class__.__name__}: {exc})")
        return
    counts["BM25 lengths"] = len(lengths)
    data, indices, indptr = arrays["data"], arrays["indices"], arrays["indptr"]
    wrong = []
    if len(indptr) - 1 != len(terms) or len(cols) != len(terms):
        wrong.append(f"{len(indptr)} column pointers and {len(cols)} term columns for {len(terms)} terms")
    elif len(terms) and (np.any(np.diff(terms) <= 0) or not np.array_equal(np.sort(cols), np.arange(len(cols)))):
        wrong.append("the term table is not sorted or does not name each column once")
    if len(data) != len(indices) or (len(indptr) and indptr[-1] != len(indices)):
        wrong.append("arrays of different lengths")
    if len(indptr) and np.any(np.diff(indptr) < 0):
        wrong.append("column pointers go backwards")
    if len(indices) and (indices.min() < 0 or indices.max() >= n):
        wrong.append(f"passage numbers outside 0..{n - 1}")
    if len(data) and (not np.all(np.isfinite(data)) or data.min() <= 0):
        wrong.append("term frequencies that are not positive or not finite")
    if len(lengths) and lengths.min() < 1:
        wrong.append("passage lengths below 1")
    if wrong:
        r.problems.append(f"{where}/lexical is inconsistent: {'; '.join(wrong)}")
    else:
        r.ok.append(f"{where}: BM25 of {len(terms)} terms, arrays consistent")


def _check_rows(r: CheckReport, gen: Path, where: str, manifest, counts: dict) -> None:
    from .rows import RowTable

    try:
        rows = RowTable.load(gen / "rows")
    except Exception as exc:
        r.problems.append(f"{where}/rows cannot be read ({exc.__class__.__name__}: {exc})")
        return
    counts["rows"] = len(rows)
    wrong = [f"{name} numbers outside their table" for name, arr, top in (
        ("document", rows.doc, manifest.documents), ("date", rows.date, len(rows.dates)),
        ("source", rows.source, len(rows.sources))) if len(arr) and (arr.min() < -1 or arr.max() >= top)]
    if len(rows.doc) and rows.doc.min() < 0:
        wrong.append("passages without a document")
    if wrong:
        r.problems.append(f"{where}/rows is inconsistent: {'; '.join(wrong)}")


def repair_pointer(folder: str | Path) -> str:
    """Point a lost or unreadable ``CURRENT`` at the newest complete generation (under the write
    lock); say what was done. Deletes nothing."""
    folder = Path(folder)
    if not folder.is_dir():
        return f"no index at {folder}: nothing to repair"
    with write_lock(folder):
        gen, problem = read_pointer(folder)
        if gen is not None:
            return f"{CURRENT} is fine ({gen.name}); nothing to repair"
        live, _ = live_generation(folder)  # IndexCorrupt when no generation is complete
        if live is None:
            return f"no index at {folder}: nothing to repair"
        write_pointer(folder, live)
        return f"{problem}; {CURRENT} now names {live.name}"
