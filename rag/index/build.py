"""Building an index generation: metadata, row arrays, vectors and BM25 written side by side,
checksummed, then made live."""
from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from ..types import Chunk, Document
from .bm25 import LexicalIndex
from .format import Manifest, commit_generation, new_generation, next_sequence, remove_debris
from .integrity import MANIFEST, describe_files
from .meta import write_metadata
from .rows import RowTable
from .vectors import LOSSY, build_vector_index, resolve_index_type, save_vector_index

DEFAULT_FLAT_MAX = 200_000  # Settings.flat_max_passages; callers pass the setting


def write_generation(folder: Path, manifest: Manifest, documents: Sequence[Document],
                     chunks: Sequence[Chunk], vectors: np.ndarray, lexical_scheme: str,
                     previous: Path | None = None, flat_max: int = DEFAULT_FLAT_MAX) -> Path:
    """Write a complete generation and make it live in place of ``previous`` (the generation
    it was built from, or the one a rebuild replaces). Caller holds :func:`write_lock`.

    ``chunks`` is read several times (a list, or any sequence); ``vectors`` may be a
    memory-mapped array. ``manifest.index_type`` ``auto`` is resolved for this many passages
    (``flat_max``) and recorded as the type built."""
    remove_debris(folder)  # folders of a killed writer
    manifest.sequence = next_sequence(folder)
    manifest.index_type = resolve_index_type(manifest.index_type, len(chunks), flat_max)
    gen = new_generation(folder)
    try:
        write_metadata(gen / "meta.sqlite", documents, chunks)
        RowTable.build(chunks, {d.doc_id: i for i, d in enumerate(documents)}).save(gen / "rows")
        vindex = build_vector_index(vectors, manifest.index_type)
        save_vector_index(vindex, gen / "vectors.faiss")
        del vindex
        if manifest.index_type in LOSSY:
            np.save(gen / "vectors.npy", np.asarray(vectors, dtype=np.float32), allow_pickle=False)
        LexicalIndex.build((c.embed_text() for c in chunks), lexical_scheme).save(gen / "lexical")
        manifest.created = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        manifest.chunks = len(chunks)
        manifest.documents = len(documents)
        manifest.files = describe_files(gen)
        (gen / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
        commit_generation(folder, gen, previous)
    except BaseException:
        shutil.rmtree(gen, ignore_errors=True)
        raise
    return gen
