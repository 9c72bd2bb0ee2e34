"""What search needs of every passage, as compact arrays: its document, date and source.

Files in ``rows/``: ``doc.npy`` (int32, the document's number in ``meta.sqlite``), ``date.npy``
and ``source.npy`` (int32 into the distinct values listed in ``values.json``; -1: none). A
filter is answered on the distinct values (a few thousand dates at most) and then by one
array lookup per row, so a million passages cost 12 MB and no Python object each.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

import numpy as np

from ...text.dates import in_range
from ...types import Chunk
from .arrays import load_array


class RowTable:
    """Per-row document number, date and source (memory-mapped when loaded)."""

    def __init__(self, doc: np.ndarray, date: np.ndarray, source: np.ndarray, dates: list[str],
                 sources: list[str]):
        self.doc, self.date, self.source = doc, date, source
        self.dates, self.sources = dates, sources

    def __len__(self) -> int:
        return len(self.doc)

    @classmethod
    def build(cls, chunks: Iterable[Chunk], doc_pos: dict[str, int]) -> "RowTable":
        """From passages in row order; ``doc_pos`` numbers their documents."""
        dates: dict[str, int] = {}
        sources: dict[str, int] = {}
        doc, date, source = [], [], []
        for c in chunks:
            doc.append(doc_pos[c.doc_id])
            date.append(dates.setdefault(c.date, len(dates)) if c.date else -1)
            source.append(sources.setdefault(c.source, len(sources)) if c.source else -1)
        return cls(np.asarray(doc, np.int32), np.asarray(date, np.int32), np.asarray(source, np.int32),
                   list(dates), list(sources))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("doc", "date", "source"):
            np.save(folder / f"{name}.npy", np.asarray(getattr(self, name), np.int32), allow_pickle=False)
        (folder / "values.json").write_text(json.dumps({"dates": self.dates, "sources": self.sources},
                                                       ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, mmap: bool = True) -> "RowTable":
        arrays = [load_array(folder / f"{name}.npy", mmap) for name in ("doc", "date", "source")]
        values = json.loads((folder / "values.json").read_text(encoding="utf-8"))
        return cls(*arrays, values["dates"], values["sources"])

    def undated(self, doc_positions: set[int] | None = None, sources: Iterable[str] = ()) -> np.ndarray:
        """Numbers of the documents with undated rows among those passing the other conditions."""
        rows = self.matching(doc_positions, sources)
        return np.unique(np.asarray(self.doc)[rows[np.asarray(self.date)[rows] < 0]])

    def matching(self, doc_positions: set[int] | None = None, sources: Iterable[str] = (),
                 date_from: str = "", date_to: str = "") -> np.ndarray:
        """Rows that pass every given condition (documents by number, sources, an ISO date range
        read as :func:`rag.text.dates.in_range` reads it; an undated passage is in no range)."""
        mask = np.ones(len(self.doc), dtype=bool)
        if doc_positions is not None:
            mask &= np.isin(self.doc, np.fromiter(doc_positions, dtype=np.int32, count=len(doc_positions)))
        sources = set(sources)
        if sources:
            ok = np.array([s in sources for s in self.sources] + ["" in sources], dtype=bool)  # [-1]: none
            mask &= ok[self.source]
        if date_from or date_to:
            ok = np.array([in_range(d, date_from, date_to) for d in self.dates] + [False], dtype=bool)
            mask &= ok[self.date]
        return np.nonzero(mask)[0]
