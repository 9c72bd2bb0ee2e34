"""Checksums of the files of a generation, written into its manifest and checked when it opens.

Every file a build writes (metadata, vectors, BM25 arrays) is hashed with xxh3-128 as it is
committed; opening the index hashes them again and refuses a generation whose bytes changed,
naming the file. The manifest carries a digest of its own content too (:func:`rag.index.manifest.json_digest`).
"""
from __future__ import annotations

from pathlib import Path

import xxhash

HASH = "xxh3_128"
MANIFEST = "manifest.json"
WRITING = ".writing"  # present in a generation folder while it is written; removed once it is live
_BLOCK = 1 << 22


def file_digest(path: Path) -> str:
    """xxh3-128 of a file's bytes, read in 4 MiB blocks (memory stays flat for any size)."""
    h = xxhash.xxh3_128()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_BLOCK), b""):
            h.update(block)
    return h.hexdigest()


def generation_files(gen: Path) -> list[Path]:
    """The files of a generation that its manifest vouches for (all but the manifest itself)."""
    return sorted(p for p in gen.rglob("*") if p.is_file() and p.name not in (MANIFEST, WRITING))


def describe_files(gen: Path) -> dict[str, dict]:
    """``{path inside gen: {"bytes": size, "xxh3_128": digest}}`` for every file of ``gen``."""
    return {p.relative_to(gen).as_posix(): {"bytes": p.stat().st_size, HASH: file_digest(p)}
            for p in generation_files(gen)}


def verify_files(gen: Path, files: dict, first_only: bool = True, sizes_only: bool = False) -> list[str]:
    """What is wrong with the files under ``gen`` against their manifest entry ``files`` (paths
    relative to ``gen``; empty: all good). Sizes are compared first (cheap), then checksums
    (unless ``sizes_only``). ``first_only`` stops at the first."""
    problems: list[str] = []
    if not isinstance(files, dict) or not files:
        return ["the manifest lists no files"]
    entries = sorted(files.items())
    for rel, want in entries:
        path = gen / rel
        if not isinstance(want, dict) or ".." in Path(rel).parts or Path(rel).is_absolute():
            problems.append(f"{rel}: the manifest's entry for it is malformed")
        elif not path.is_file():
            problems.append(f"{rel} is missing")
        elif path.stat().st_size != want.get("bytes"):
            problems.append(f"{rel} has {path.stat().st_size} bytes, {want.get('bytes')} were written")
        if problems and first_only:
            return problems
    if sizes_only:
        return problems
    for rel, want in entries:
        path = gen / rel
        if not isinstance(want, dict) or not path.is_file() or path.stat().st_size != want.get("bytes"):
            continue
        if file_digest(path) != want.get(HASH):
            problems.append(f"{rel} does not match its checksum (its bytes changed after it was written)")
            if first_only:
                return problems
    return problems
