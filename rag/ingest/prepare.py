"""The prepare stage: a document as read -> layout repaired -> cut into passages."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..config import ChunkerSettings
from ..types import Chunk, Document
from .chunker import chunk_document
from .layout import parse_layout
from .readers import RawDocument, fingerprint


@dataclass
class Prepared:
    """One document ready to embed: its cleaned text and its passages."""

    document: Document
    chunks: list[Chunk]


def prepare_document(raw: RawDocument, chunker: ChunkerSettings, count: Callable[[str], int]) -> Prepared:
    """Layout repair and chunking for one raw document; ``count`` counts tokens."""
    layout = parse_layout(raw.text, raw.title or "")
    title = layout.title or Path(raw.path).stem
    doc = Document(raw.doc_id, layout.text, title, raw.source, raw.date, raw.path, raw.format,
                   fingerprint(layout.text))
    return Prepared(doc, chunk_document(doc, layout.blocks, chunker, count))
