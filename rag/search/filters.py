"""Search filters: documents, sources and a date range."""
from __future__ import annotations

from dataclasses import dataclass

from ..text.dates import date_range


@dataclass(frozen=True)
class Filters:
    """Restrict a search to some documents, sources or a date range (inclusive).

    Dates are read by :func:`rag.text.dates.parse_date` (2024-01-05, 2024/1/5, 2024年1月5日,
    a month 2024-01 ...) and kept in ISO form; an unreadable date, or an end before the start,
    raises :class:`rag.text.dates.DateError` naming the accepted forms.
    """

    doc_ids: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    date_from: str = ""
    date_to: str = ""

    def __post_init__(self) -> None:
        lo, hi = date_range(self.date_from, self.date_to)
        object.__setattr__(self, "date_from", lo)
        object.__setattr__(self, "date_to", hi)

    def __bool__(self) -> bool:
        return bool(self.doc_ids or self.sources or self.date_from or self.date_to)
