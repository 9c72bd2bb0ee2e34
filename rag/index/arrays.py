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
    """The array in ``path``, memory-mapped read-only unless ``mmap`` is False (never pickled)."""
    with _HEADERS:
        return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
