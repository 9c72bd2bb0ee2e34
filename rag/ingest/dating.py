"""A document's date, from whatever gives one, and where it came from.

Candidates, best first:

1. a date the file states as a field: a JSONL record's ``date``, a web page's date (``record``,
   ``page``);
2. the text: an issue line (``2024年第1期 2024年1月15日``), a dated line among the first short
   lines (``2024年3月``, ``发布日期：2024-03-05``), a dateline (``新华社北京2024年1月5日电``,
   ``本报讯 ... 2024年1月5日``) -- a month or a day (``text``);
3. the file's name: ``2024-01``, ``20240105``, ``2024年3月`` (``file name``);
4. the file's metadata (a PDF's CreationDate, a .docx's created date), unless its year
   contradicts a year the text or the name states (a file made years after the issue);
5. a year alone: an issue line's (``2024年第1期``), then the name's.

The date is read by :func:`rag.text.dates.parse_date` and kept at the precision it was given.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..text.dates import DateError, parse_date

_CN = "〇零○Ｏ一二三四五六七八九"
_Y = rf"(?:(?:19|20)\d{{2}}|[{_CN}]{{4}})"
_MD = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})"
# 2024年1月5日, 2024年1月, 二〇二四年一月五日
_CN_DATE = re.compile(rf"(?<!\d)({_Y})\s*年\s*({_MD})\s*月(?:\s*({_MD})\s*[日号])?")
# 2024-01-05, 2024/1/5, 2024.1.5, 2024-01
_NUM_DATE = re.compile(r"(?<![\d.\-/])((?:19|20)\d{2})([-/.])(\d{1,2})(?:\2(\d{1,2}))?(?![\d.\-/])")
_ISSUE = re.compile(rf"({_Y})\s*年\s*(?:第\s*[\d一二三四五六七八九十百]+\s*期|[\d一二三四五六七八九十]+\s*月?\s*号)")
_DATELINE = re.compile(r"(?:电|讯)")
FIRST_LINES = 12  # short lines at the top that may state the issue's date
MAX_SHORT = 80  # characters: a longer line is prose, whose dates are events, not the issue's
DATELINE_LINES = 30

# the file name: a day, a month, a year (bounded by anything but digits)
_NAME_DAY = re.compile(r"(?<!\d)((?:19|20)\d{2})[-_. 年]?(0[1-9]|1[0-2])[-_. 月]?(0[1-9]|[12]\d|3[01])日?(?!\d)")
_NAME_MONTH = re.compile(r"(?<!\d)((?:19|20)\d{2})(?:[-_. 年](0?[1-9]|1[0-2])月?|(0[1-9]|1[0-2]))(?!\d)")
_NAME_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")


@dataclass(frozen=True)
class Dated:
    """A date in ISO form (``2024``, ``2024-01``, ``2024-01-05``) and where it came from."""

    date: str
    source: str

    @property
    def year_only(self) -> bool:
        return len(self.date) == 4


def _parse(value: str) -> str:
    try:
        return parse_date(value)
    except DateError:
        return ""


def dates_in_line(line: str) -> list[str]:
    """Every date (with a year and a month at least) written in ``line``, as ISO, in order."""
    found: list[tuple[int, str]] = []
    for m in _CN_DATE.finditer(line):
        iso = _parse(m.group(0))
        if iso:
            found.append((m.start(), iso))
    for m in _NUM_DATE.finditer(line):
        iso = _parse(m.group(0).replace(m.group(2), "-"))
        if iso:
            found.append((m.start(), iso))
    return [iso for _, iso in sorted(found)]


def _most_precise(dates: list[str]) -> str:
    return max(dates, key=len) if dates else ""


def _lines(text: str) -> list[str]:
    out = []
    for raw in text.replace("\r", "\n").replace("\f", "\n").split("\n"):
        line = raw.strip(" \t\u3000#")
        if line and line[0] not in "■▲●◆□△▼|":
            out.append(line)
    return out


def text_date(text: str) -> tuple[Dated | None, Dated | None]:
    """What the text says of its own date: (a month or day, a year alone), either may be None.

    Read from the first short lines (the masthead, an issue line, a title such as
    ``2024年3月``) and from datelines in the first lines; dates inside prose are what it
    reports on, not when it was written, and are left alone."""
    lines = _lines(text[:20_000])
    precise = year = None
    for i, line in enumerate(lines[:DATELINE_LINES]):
        short = i < FIRST_LINES and len(line) <= MAX_SHORT
        issue = _ISSUE.search(line) if short else None
        if short:
            best = _most_precise([d for d in dates_in_line(line) if len(d) > 4])
            if best:
                precise = precise or Dated(best, "text")
            if issue and year is None:
                y = _parse(issue.group(1) + "年")
                year = Dated(y, "text") if y else None
        elif precise is None:
            head = line[:60]
            m = _DATELINE.search(head)
            dated = [d for d in dates_in_line(head) if len(d) == 10]
            if dated and (m or head.startswith(("本报讯", "本刊讯", "讯"))):
                precise = Dated(dated[0], "text")
        if precise is not None and year is not None:
            break
    return precise, year


def name_date(path: str) -> Dated | None:
    """The date a file's name states (``bulletin-2024-01``, ``20240105``, ``2024年3月简报``)."""
    stem = Path(path).stem if path else ""
    if not stem:
        return None
    for pattern in (_NAME_DAY, _NAME_MONTH):
        for m in pattern.finditer(stem):
            year, *rest = [g for g in m.groups() if g]
            iso = _parse("-".join([year] + [f"{int(x):02d}" for x in rest]))
            if iso:
                return Dated(iso, "file name")
    m = _NAME_YEAR.search(stem)
    return Dated(m.group(1), "file name") if m else None


def document_date(text: str, path: str = "", stated: str = "", stated_source: str = "",
                  metadata: str = "", metadata_source: str = "metadata") -> tuple[Dated | None, str]:
    """The document's date and where it came from (None: nothing gives one), and a warning when
    a date the file states cannot be read (``stated``: a record's or page's date field;
    ``metadata``: the file's own metadata date)."""
    warning = ""
    if stated.strip():
        try:
            return Dated(parse_date(stated), stated_source or "record"), ""
        except DateError as exc:
            warning = f"date left out: {exc}"
    precise, issue_year = text_date(text)
    named = name_date(path)
    if precise is not None:
        return precise, warning
    if named is not None and not named.year_only:
        return named, warning
    meta = Dated(_parse(metadata), metadata_source) if metadata.strip() else None
    if meta is not None and meta.date:
        years = {d.date[:4] for d in (issue_year, named) if d is not None}
        if not years or meta.date[:4] in years:
            return meta, warning
    return issue_year or named, warning
