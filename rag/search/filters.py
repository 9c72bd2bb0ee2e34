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


def undated_note(n: int, lang: str = "en") -> str:
    """What to tell a user whose date range left out ``n`` documents that carry no date."""
    if not n:
        return ""
    if lang == "zh":
        return (f"日期筛选排除了 {n} 份没有日期的文档（正文、文件名和文件属性中都找不到日期）；"
                "去掉日期筛选可以搜索它们。")
    return (f"the date filter left out {n} undated document{'s' if n != 1 else ''} (no date in the text, "
            "the file name or the file's metadata); search without the date filter to include "
            f"{'them' if n != 1 else 'it'}")
