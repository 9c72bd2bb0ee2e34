"""The prepare stage: a document as read -> layout repaired -> cut into passages."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..config import ChunkerSettings
from ..text import planted_instruction
from ..types import Chunk, Document
from .chunker import chunk_document
from .dating import Dated, document_date
from .layout import parse_layout
from .readers import PAGED, RawDocument, fingerprint


@dataclass
class Prepared:
    """One document ready to embed: its cleaned text and its passages."""

    document: Document
    chunks: list[Chunk]
    warnings: list[str] = field(default_factory=list)  # what was left out (a date that cannot be read)


def date_of(raw: RawDocument) -> tuple[Dated | None, str]:
    """The document's date and where it came from (:mod:`.dating`), and a warning when a date
    it states cannot be read. A JSONL record's file name is no record's date."""
    return document_date(raw.text, "" if raw.format == "jsonl" else raw.path, raw.date, raw.date_source,
                         raw.meta_date, raw.meta_source)


def prepare_document(raw: RawDocument, chunker: ChunkerSettings, count: Callable[[str], int]) -> Prepared:
    """Layout repair and chunking for one raw document; ``count`` counts tokens."""
    layout = parse_layout(raw.text, raw.title or "", paged=raw.format in PAGED)
    for b in layout.blocks:
        b.author = b.author or raw.author
    # a file's name titles its one document; a JSONL file holds many records, and its name
    # (say "corpus") is no record's title: it would head every passage and every citation
    title = layout.title or ("" if raw.format == "jsonl" else Path(raw.path).stem)
    if planted_instruction(title):  # an instruction to the reader never titles a citation
        title = ""
    dated, warning = date_of(raw)
    doc = Document(raw.doc_id, layout.text, title, raw.source, dated.date if dated else "", raw.path, raw.format,
                   fingerprint(layout.text), date_source=dated.source if dated else "")
    return Prepared(doc, chunk_document(doc, layout.blocks, chunker, count, layout.page_at),
                    [warning] if warning else [])
