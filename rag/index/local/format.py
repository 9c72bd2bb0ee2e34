"""The on-disk format of the local (FAISS) store: generations, their manifests, ``CURRENT``.

Layout of an index folder::

    index/
      CURRENT            name of the live generation (replaced atomically)
      .lock              held by the one process writing (it holds that process's id)
      segments/seg-<stamp>/   immutable mini-indexes, one per ingest or merge (segment.py):
                         meta.sqlite, rows/, vectors.faiss (+ vectors.npy), lexical/ (raw BM25
                         term frequencies and lengths), segment.json
      gen-<stamp>/       one commit: which segments are live and what is deleted from them
        manifest.json    format version, sequence number, model, chunker, lexical settings,
                         counts, total BM25 length, the segments it lists, and the size and
                         xxh3-128 checksum of every file it relies on (paths from the index folder)
        deleted/         per segment with deletions: <seg>.rows.npy and <seg>.docs.npy (sorted)
        .writing         only while the commit is under way

A write adds a segment (only the passages it adds) and a new generation listing it, then swaps
``CURRENT``; a process killed at any moment leaves the previous generation as the live one. A
lost or unreadable ``CURRENT`` is recovered from the newest complete generation. A writer
deletes only what it can prove is not needed: the live generation it replaced, generations
older than that one (lower sequence number), folders of builds that never finished
(``.writing``), and segments no remaining generation lists. Nothing is pickled.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

from ..manifest import FORMAT_VERSION, IndexCorrupt, IndexMismatch, Manifest, rebuild_hint
from .integrity import MANIFEST, WRITING

CURRENT = "CURRENT"
SEGMENTS = "segments"
_GEN_NAME = re.compile(r"gen-[0-9A-Za-z_-]{1,100}")


def damage_hint(folder: Path) -> str:
    return (f"Nothing was read from it or written to it. `rag check --index {folder}` lists every problem "
            f"(`rag check --index {folder} --repair` restores a lost {CURRENT}); to repair damaged files, "
            + rebuild_hint(folder))


READ_ERRORS = (RuntimeError, ValueError, OSError, EOFError, MemoryError, SystemError)  # what FAISS and NumPy raise


def unreadable(path: Path, what: str, folder: Path | None = None) -> "IndexCorrupt":
    """The error for an index file that FAISS or NumPy cannot read (their own messages, such as
    "Index type 0x00000000 not recognized", say nothing a user can act on)."""
    folder = Path(folder) if folder is not None else Path(path).parent.parent.parent
    try:
        rel = Path(path).relative_to(folder).as_posix()
    except ValueError:
        rel = str(path)
    return IndexCorrupt(f"the index at {folder} is damaged: {rel} cannot be read as {what} (its bytes are not "
                        f"what was written). " + damage_hint(folder))


def read_manifest(gen: Path, folder: Path) -> Manifest:
    """The manifest of ``gen``: :class:`IndexMismatch` for another format version (with the
    rebuild hint), :class:`IndexCorrupt` naming the file when it is unreadable or altered."""
    try:
        data = json.loads((gen / MANIFEST).read_bytes().decode("utf-8"))
        version = data.get("format_version") if isinstance(data, dict) else None
    except (OSError, ValueError) as exc:
        raise IndexCorrupt(f"the index at {folder} is damaged: {gen.name}/{MANIFEST} is unreadable "
                           f"({exc.__class__.__name__}: {exc}). " + damage_hint(folder)) from exc
    if version != FORMAT_VERSION:
        raise IndexMismatch(f"the index at {folder} does not match: index format {version!r}, this version "
                            f"reads {FORMAT_VERSION}. Vectors are never mixed; " + rebuild_hint(folder) + ".")
    try:
        manifest = Manifest.from_json(json.dumps(data))
        _check_types(manifest)
    except (ValueError, TypeError) as exc:
        raise IndexCorrupt(f"the index at {folder} is damaged: {gen.name}/{MANIFEST}: {exc}. "
                           + damage_hint(folder)) from exc
    return manifest


def _check_types(m: Manifest) -> None:
    for name, kind in (("model", dict), ("chunker", dict), ("documents", int), ("files", dict),
                       ("lexical", str), ("index_type", str), ("chunks", int), ("sequence", int),
                       ("segments", list), ("total_len", int)):
        if not isinstance(getattr(m, name), kind):
            raise TypeError(f"{name!r} is not a {kind.__name__}")


# ------------------------------------------------------------ generations
def named_dirs(folder: Path, name: re.Pattern) -> list[Path]:
    """The subfolders of ``folder`` whose whole name matches ``name``, by name (none when
    ``folder`` cannot be read)."""
    try:
        return sorted(p for p in Path(folder).iterdir() if name.fullmatch(p.name) and p.is_dir())
    except OSError:
        return []


def generation_dirs(folder: Path) -> list[Path]:
    """Every generation folder (``gen-*``) in ``folder``, by name."""
    return named_dirs(folder, _GEN_NAME)


def is_unfinished(gen: Path) -> bool:
    """A build that never finished (or finished without clearing its marker)."""
    return (gen / WRITING).exists()


def read_pointer(folder: Path) -> tuple[Path | None, str]:
    """The generation ``CURRENT`` names, or None and what is wrong with it."""
    pointer = Path(folder) / CURRENT
    if not pointer.exists() and not pointer.is_symlink():
        return None, f"{CURRENT} is missing"
    try:
        name = pointer.read_bytes()[:256].decode("ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"{CURRENT} is unreadable ({exc.__class__.__name__})"
    if not _GEN_NAME.fullmatch(name):
        return None, f"{CURRENT} does not name a generation ({name[:40]!r})"
    gen = Path(folder) / name
    if not gen.is_dir():
        return None, f"{CURRENT} names {name}, which does not exist"
    return gen, ""


def sequence_of(gen: Path) -> int | None:
    """The sequence number of a generation whose manifest is intact, else None."""
    try:
        m = Manifest.from_json((gen / MANIFEST).read_bytes().decode("utf-8"))
    except (OSError, ValueError, TypeError):
        return None
    return m.sequence if m.format_version == FORMAT_VERSION and isinstance(m.sequence, int) else None


def complete_generations(folder: Path) -> list[Path]:
    """Generations with an intact manifest, the one to prefer first: finished builds before
    unfinished ones, then the highest sequence number, then the newest name."""
    found = [(not is_unfinished(g), seq, g.name, g) for g in generation_dirs(folder)
             if (seq := sequence_of(g)) is not None]
    return [g for *_, g in sorted(found, reverse=True)]


def live_generation(folder: Path) -> tuple[Path | None, str]:
    """The live generation and, when ``CURRENT`` had to be recovered, a note saying how.

    ``(None, "")`` when there is no index here. :class:`IndexCorrupt` when there are generation
    folders but ``CURRENT`` is unusable and none of them is complete (nothing is deleted).
    """
    folder = Path(folder)
    gen, problem = read_pointer(folder)
    if gen is not None:
        return gen, ""
    finished = [g for g in generation_dirs(folder) if not is_unfinished(g)]
    if problem == f"{CURRENT} is missing" and not finished:
        return None, ""
    candidates = complete_generations(folder)
    if candidates:
        return candidates[0], (f"{problem}; using {candidates[0].name}, the newest complete generation "
                               f"(the next ingest, or `rag check --index {folder} --repair`, rewrites {CURRENT})")
    names = ", ".join(g.name for g in generation_dirs(folder)) or "none"
    raise IndexCorrupt(f"the index at {folder} has no live generation: {problem}, and no generation folder "
                       f"holds an intact {MANIFEST} (folders: {names}). Nothing was deleted. "
                       f"`rag check --index {folder}` shows each; to start again from your files: "
                       f"`rag ingest PATH... --index {folder} --rebuild` (the folders above are kept)")


def current_generation(folder: Path) -> Path | None:
    """The live generation (``CURRENT``, or recovered from the newest complete one), or None."""
    return live_generation(folder)[0]


def next_sequence(folder: Path) -> int:
    """One more than the highest sequence number of any intact generation in ``folder``."""
    return 1 + max((s for g in generation_dirs(folder) if (s := sequence_of(g)) is not None), default=0)


def new_generation(folder: Path) -> Path:
    """An empty generation folder marked as being written."""
    folder.mkdir(parents=True, exist_ok=True)
    gen = folder / f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    gen.mkdir()
    (gen / WRITING).write_text(str(os.getpid()))
    return gen


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(path: Path) -> None:
    for p in sorted(path.rglob("*")):
        if p.is_file():
            with open(p, "rb") as fh:
                os.fsync(fh.fileno())
        elif p.is_dir():
            _fsync_dir(p)
    _fsync_dir(path)


def write_pointer(folder: Path, gen: Path) -> None:
    """Point ``CURRENT`` at ``gen``, atomically and durably."""
    tmp = folder / f"{CURRENT}.{os.getpid()}.tmp"
    tmp.write_text(gen.name)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, folder / CURRENT)
    _fsync_dir(folder)


def commit_generation(folder: Path, gen: Path, previous: Path | None) -> None:
    """Make ``gen`` the live generation atomically, then remove ``previous`` (the live one it
    replaces) and the generations older than ``previous`` (superseded by it before)."""
    _fsync_tree(gen)
    write_pointer(folder, gen)
    (gen / WRITING).unlink(missing_ok=True)
    _fsync_dir(gen)
    if previous is None or previous.name == gen.name:
        remove_unlisted_segments(folder)
        return
    below = sequence_of(previous)
    shutil.rmtree(previous, ignore_errors=True)
    if below is not None:
        remove_superseded(folder, gen, below)
    remove_unlisted_segments(folder)


def remove_debris(folder: Path) -> None:
    """Folders of builds that never finished, and stray pointer files (callers hold the lock).
    The live generation is never touched, even if its marker was left behind."""
    live = read_pointer(folder)[0]
    for g in generation_dirs(folder):
        if is_unfinished(g) and (live is None or g.name != live.name):
            shutil.rmtree(g, ignore_errors=True)
    for p in Path(folder).glob(f"{CURRENT}.*.tmp"):
        p.unlink(missing_ok=True)
    remove_unlisted_segments(folder)


def listed_segments(folder: Path) -> tuple[set[str], bool]:
    """Names of the segments the generations of ``folder`` list, and whether every finished
    generation's manifest could be read (else one may list more)."""
    names: set[str] = set()
    complete = True
    for g in generation_dirs(folder):
        try:
            m = Manifest.from_json((g / MANIFEST).read_bytes().decode("utf-8"))
            names.update(s["name"] for s in m.segments if isinstance(s, dict) and isinstance(s.get("name"), str))
        except (OSError, ValueError, TypeError, AttributeError):
            complete = complete and is_unfinished(g)
    return names, complete


def remove_unlisted_segments(folder: Path) -> None:
    """Segment folders no generation lists (callers hold the lock): those of a writer killed
    before its commit (still marked ``.writing``) always; those left by generations since
    deleted only when every generation's manifest could be read (nothing else may list them)."""
    root = Path(folder) / SEGMENTS
    if not root.is_dir():
        return
    keep, complete = listed_segments(folder)
    for seg in root.glob("seg-*"):
        if seg.is_dir() and seg.name not in keep and (complete or (seg / WRITING).exists()):
            shutil.rmtree(seg, ignore_errors=True)


def remove_superseded(folder: Path, live: Path, below: int) -> None:
    """Finished generations numbered below ``below`` (older than the generation ``live`` was
    built from). Kept: folders whose manifest cannot be read (nothing proves them old), and a
    newer one someone rolled ``CURRENT`` back from."""
    for g in generation_dirs(folder):
        if g.name != live.name and not is_unfinished(g) and (s := sequence_of(g)) is not None and s < below:
            shutil.rmtree(g, ignore_errors=True)
