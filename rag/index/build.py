"""Building an index generation: metadata, vectors and BM25 written side by side, checksummed,
then made live."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np

from ..types import Chunk, Document
from .bm25 import LexicalIndex
from .format import Manifest, commit_generation, new_generation, next_sequence, remove_debris, write_metadata
from .integrity import MANIFEST, describe_files
from .vectors import build_vector_index, exact_vectors, save_vector_index


def write_generation(folder: Path, manifest: Manifest, documents: list[Document],
                     chunks: list[Chunk], vectors: np.ndarray, lexical_scheme: str,
                     previous: Path | None = None) -> Path:
    """Write a complete generation and make it live in place of ``previous`` (the generation
    it was built from, or the one a rebuild replaces). Caller holds :func:`write_lock`."""
    remove_debris(folder)  # folders of a killed writer
    manifest.sequence = next_sequence(folder)
    gen = new_generation(folder)
    try:
        write_metadata(gen / "meta.sqlite", documents, chunks)
        vindex = build_vector_index(vectors, manifest.index_type)
        save_vector_index(vindex, gen / "vectors.faiss")
        if exact_vectors(vindex) is None:
            np.save(gen / "vectors.npy", vectors.astype(np.float32), allow_pickle=False)
        LexicalIndex.build([c.embed_text() for c in chunks], lexical_scheme).save(gen / "lexical")
        manifest.created = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        manifest.chunks = len(chunks)
        manifest.files = describe_files(gen)
        (gen / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
        commit_generation(folder, gen, previous)
    except BaseException:
        shutil.rmtree(gen, ignore_errors=True)
        raise
    return gen
