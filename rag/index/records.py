"""How a document is kept as a row of SQLite, by either store (the FAISS store's ``meta.sqlite``,
the Milvus store's local file both have a ``documents`` table of these columns), and the summary
of their dates that ``rag info`` shows."""
from __future__ import annotations

import json
from typing import Iterable

from ..types import Document

DOC_COLS = ("doc_id", "text", "title", "source", "date", "path", "format", "fingerprint", "aliases",
            "alias_paths", "date_source")


def document_row(d: Document) -> tuple:
    """The values of ``DOC_COLS`` for ``d``."""
    return (d.doc_id, d.text, d.title, d.source, d.date, d.path, d.format, d.fingerprint,
            json.dumps(d.aliases, ensure_ascii=False), json.dumps(d.alias_paths, ensure_ascii=False), d.date_source)


def document_from_row(row) -> Document:
    """A :class:`Document` from a row of ``DOC_COLS``."""
    v = dict(zip(DOC_COLS, row))
    v["aliases"], v["alias_paths"] = json.loads(v["aliases"] or "[]"), json.loads(v["alias_paths"] or "{}")
    v["date_source"] = v["date_source"] or ""
    return Document(**v)


def date_summary(documents: Iterable[Document]) -> dict:
    """How many documents carry a date, where their dates came from, and the range they span
    (what `rag info` shows)."""
    dated, sources = [], {}
    undated = 0
    for d in documents:
        if d.date:
            dated.append(d.date)
            sources[d.date_source or "unknown"] = sources.get(d.date_source or "unknown", 0) + 1
        else:
            undated += 1
    return {"dated": len(dated), "undated": undated, "earliest": min(dated, default=""),
            "latest": max(dated, default=""), "from": dict(sorted(sources.items()))}
