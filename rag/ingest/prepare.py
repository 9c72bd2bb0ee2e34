"""The prepare stage: a document as read -> layout repaired -> cut into passages."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..config import ChunkerSettings
from ..text import planted_instruction
from ..text.dates import DateError, parse_date
from ..types import Chunk, Document
from .chunker import chunk_document
from .layout import parse_layout
from .readers import RawDocument, fingerprint


@dataclass
class Prepared:
    """One document ready to embed: its cleaned text and its passages."""

    document: Document
    chunks: list[Chunk]
    warnings: list[str] = field(default_factory=list)  # what was left out (a date that cannot be read)


def document_date(raw: RawDocument) -> tuple[str, str]:
    """The document's date in ISO form, and a warning when its date cannot be read (then '')."""
    if not raw.date.strip():
        return "", ""
    try:
        return parse_date(raw.date), ""
    except DateError as exc:
        return "", f"date left out: {exc}"


def prepare_document(raw: RawDocument, chunker: ChunkerSettings, count: Callable[[str], int]) -> Prepared:
    """Layout repair and chunking for one raw document; ``count`` counts tokens."""
    layout = parse_layout(raw.text, raw.title or "")
    for b in layout.blocks:
        b.author = b.author or raw.author
    # a file's name titles its one document; a JSONL file holds many records, and its name
    # (say "corpus") is no record's title: it would head every passage and every citation
    title = layout.title or ("" if raw.format == "jsonl" else Path(raw.path).stem)
    if planted_instruction(title):  # an instruction to the reader never titles a citation
        title = ""
    date, warning = document_date(raw)
    doc = Document(raw.doc_id, layout.text, title, raw.source, date, raw.path, raw.format,
                   fingerprint(layout.text))
    return Prepared(doc, chunk_document(doc, layout.blocks, chunker, count), [warning] if warning else [])
