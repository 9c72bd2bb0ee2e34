"""Search filters: documents, sources and a date range."""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Filters:
    """Restrict a search to some documents, sources or a date range (ISO dates, inclusive)."""

    doc_ids: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    date_from: str = ""
    date_to: str = ""

    def __bool__(self) -> bool:
        return bool(self.doc_ids or self.sources or self.date_from or self.date_to)


def iso_date(value: str) -> str:
    """``YYYY-MM-DD`` from common date spellings (2024-01-05, 2024/1/5, 2024年1月5日), else ''."""
    m = re.search(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})", value or "")
    if not m:
        m2 = re.search(r"(\d{4})\s*[-/.年]\s*(\d{1,2})", value or "")
        return f"{int(m2.group(1)):04d}-{int(m2.group(2)):02d}" if m2 else ""
    return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
