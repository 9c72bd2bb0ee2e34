"""What every index records and the errors of opening one, whichever store holds it.

A :class:`Manifest` names the model, chunker and lexical settings an index was built with (the FAISS
store writes one per generation, ``gen-*/manifest.json``; the Milvus store keeps one in its local
file); :func:`check_compatible` refuses to serve or extend an index with other settings, and the
errors say what happened and what to do.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import xxhash

FORMAT_VERSION = 6  # 2: checksums of every file, sequence numbers, alias paths; 3: ISO dates, lexical tokens
# folded to Simplified; 4: row arrays, BM25 with a hashed vocabulary, documents counted (not listed) in the manifest;
# 5: segments (BM25 as raw term frequencies, deletions per generation); 6: passages' page numbers, where each
# document's date came from


class IndexNotFound(FileNotFoundError):
    """No index at the given folder."""


class IndexMismatch(RuntimeError):
    """The index was built with another model, chunker or format than the one asked for."""


class IndexCorrupt(RuntimeError):
    """The live generation is unreadable or damaged."""


@dataclass
class Manifest:
    model: dict
    chunker: dict
    lexical: str
    index_type: str
    documents: int = 0  # live documents (they are listed in each segment's meta.sqlite)
    format_version: int = FORMAT_VERSION
    created: str = ""
    chunks: int = 0  # live passages
    sequence: int = 0  # 1 for the first generation of a folder, one more for each later one
    files: dict[str, dict] = field(default_factory=dict)  # path in the index folder -> bytes, xxh3_128
    segments: list[dict] = field(default_factory=list)  # SegmentInfo of each live segment, in row order
    total_len: int = 0  # BM25 tokens in the live passages

    def to_json(self) -> str:
        data = dict(self.__dict__)
        data["digest"] = json_digest(data)
        return json.dumps(data, ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str) -> "Manifest":
        """The manifest in ``text``; ValueError when it is not one this version wrote intact."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        digest = data.pop("digest", None)
        if data.get("format_version") == FORMAT_VERSION and digest != json_digest(data):
            raise ValueError("its content does not match its digest (it was changed after it was written)")
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def json_digest(data: dict) -> str:
    """xxh3-128 of a JSON object in one canonical spelling (sorted keys, no spaces)."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return xxhash.xxh3_128_hexdigest(text.encode("utf-8"))


def rebuild_hint(folder: Path) -> str:
    return (f"rebuild it: `rag ingest PATH... --index {folder} --rebuild` "
            f"(or delete {folder} and ingest again)")


def check_compatible(manifest: Manifest, folder: Path, model: dict | None = None,
                     chunker: dict | None = None, lexical: str | None = None) -> None:
    """Raise :class:`IndexMismatch` when the index cannot serve these settings."""
    problems = []
    if manifest.format_version != FORMAT_VERSION:
        problems.append(f"index format {manifest.format_version}, this version reads {FORMAT_VERSION}")
    if model is not None:
        for key in ("id", "dim", "query_prompt", "passage_prompt"):
            if manifest.model.get(key) != model.get(key):
                problems.append(f"model {key} is {manifest.model.get(key)!r} in the index "
                                f"but {model.get(key)!r} now")
    if chunker is not None and manifest.chunker != chunker:
        problems.append(f"chunker settings {manifest.chunker} in the index but {chunker} now")
    if lexical is not None and manifest.lexical != lexical:
        problems.append(f"lexical tokenizer {manifest.lexical!r} in the index but {lexical!r} now")
    if problems:
        raise IndexMismatch(f"the index at {folder} does not match: " + "; ".join(problems)
                            + ". Vectors are never mixed; " + rebuild_hint(folder) + ".")
