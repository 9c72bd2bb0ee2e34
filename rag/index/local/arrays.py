"""Reading the ``.npy`` arrays of an index, memory-mapped.

``np.load`` parses each file's header with :func:`ast.literal_eval`, and CPython 3.11 can fail
("AST constructor recursion depth mismatch", a SystemError) when threads parse at the same
moment: readers opening the index while a writer swaps generations hit it. Headers are
therefore read one at a time; mapping the data is unaffected.
"""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

_HEADERS = threading.Lock()


def load_array(path: Path, mmap: bool = True) -> np.ndarray:
    """The array in ``path``, memory-mapped read-only unless ``mmap`` is False (never pickled).
    A file NumPy cannot read raises :class:`~rag.index.format.IndexCorrupt` naming it (a missing
    one, FileNotFoundError)."""
    from .format import READ_ERRORS, unreadable

    with _HEADERS:
        try:
            return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
        except FileNotFoundError:
            raise
        except READ_ERRORS as exc:
            raise unreadable(path, "a NumPy array", _index_folder(path)) from exc


def _index_folder(path: Path) -> Path:
    """The index folder an array lies in (segments/<seg>/..., gen-*/deleted/...)."""
    path = Path(path)
    for parent in path.parents:
        if parent.name == "segments" or parent.name.startswith("gen-"):
            return parent.parent
    return path.parent
