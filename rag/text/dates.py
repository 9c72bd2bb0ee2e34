"""Dates: the one parser for documents, search filters, the command line and the UI.

:func:`parse_date` reads a date as people write it in bulletins and forms and returns it in ISO
form at the precision it was given: ``2024-01-05`` (a day), ``2024-01`` (a month) or ``2024``
(a year). ISO strings of mixed precision compare correctly as strings, so a filter ``2024-01``
covers every day of January (see :func:`date_range`).

The forms bulletins use are read by a small exact parser (microseconds each): ``2024-01-05``,
``2024/1/5``, ``2024.1.5``, ``2024年1月5日``, ``二〇二四年一月五日``, ``20240105``, with or
without a time after them, and a month or a year alone. Anything else is handed to
`dateparser <https://dateparser.readthedocs.io>`_ (``5 January 2024``, ``Jan 5, 2024``...).

Relative forms (``昨天``, ``3天前``, ``去年``, ``1月5日`` without a year, ``yesterday``) are read
only against an *anchor*, the date of the document they come from; without one they are an
error, as is anything unreadable. Every error lists the forms that work (:data:`FORMS`).
"""
from __future__ import annotations

import datetime as _dt
import functools
import re
import unicodedata

FORMS = ("2024-01-05, 2024/1/5, 2024.1.5, 2024年1月5日, 二〇二四年一月五日, 20240105; "
         "a month (2024-01, 2024年1月) or a year (2024)")


class DateError(ValueError):
    """A date that cannot be read; the message says which forms work."""


_CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUMBER = re.compile(r"[〇零○Ｏ一二两三四五六七八九十]+")
_TIME = r"(?:\s*(?:T|\s|日|号)?\s*\d{1,2}[:：]\d{2}(?:[:：]\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?)?"
_WEEKDAY = r"(?:\s*[（(]?(?:星期|周|礼拜)[1-7日天][)）]?)?"  # numerals are digits by then
_DAY = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?" + _WEEKDAY + _TIME)
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_MONTH = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?(?:份)?")
_YEAR = re.compile(r"(\d{4})\s*年?(?:度)?")
# relative to the document's own date
_MONTH_DAY = re.compile(r"(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?" + _WEEKDAY + _TIME)
_MONTH_ONLY = re.compile(r"(\d{1,2})\s*月份?")
_DAYS_AGO = re.compile(r"(\d+)\s*(?:天|日)(?:以)?前")
_RELATIVE_DAYS = {"今天": 0, "今日": 0, "当天": 0, "当日": 0, "本日": 0, "昨天": -1, "昨日": -1,
                  "前天": -2, "前日": -2, "明天": 1, "明日": 1, "后天": 2}
_RELATIVE_YEARS = {"今年": 0, "本年": 0, "当年": 0, "去年": -1, "上年": -1, "前年": -2, "明年": 1}
_RELATIVE_MONTHS = {"本月": 0, "这个月": 0, "当月": 0, "上月": -1, "上个月": -1, "下月": 1, "下个月": 1}


def _cn_number(run: str) -> str:
    """Chinese numerals as digits: 二〇二四 -> 2024 (digit by digit), 二十五 -> 25, 十二 -> 12."""
    if "十" not in run:
        return "".join(str(_CN_DIGITS[ch]) for ch in run)
    tens, _, units = run.partition("十")
    if "十" in units:
        return run  # not a number a date holds
    return str((_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(units, 0) if units else 0))


def _clean(value: str) -> str:
    text = unicodedata.normalize("NFKC", value or "").strip()
    return _CN_NUMBER.sub(lambda m: _cn_number(m.group()), text)


def _iso(year: int, month: int | None = None, day: int | None = None, original: str = "") -> str:
    try:
        _dt.date(year, month or 1, day or 1)
    except ValueError:
        raise DateError(f"{original!r} is not a date on the calendar; accepted forms: {FORMS}") from None
    if month is None:
        return f"{year:04d}"
    return f"{year:04d}-{month:02d}" + (f"-{day:02d}" if day is not None else "")


def as_date(value: str | _dt.date | None) -> _dt.date | None:
    """An anchor as a :class:`datetime.date` (ISO strings of any precision: their first day)."""
    if value is None or isinstance(value, _dt.date):
        return value
    if not value:
        return None
    parts = [int(p) for p in value.split("-")]
    return _dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


def _shift_months(d: _dt.date, months: int) -> tuple[int, int]:
    total = d.year * 12 + d.month - 1 + months
    return total // 12, total % 12 + 1


def _relative(text: str, anchor: _dt.date) -> str | None:
    """A relative form against ``anchor``, or None when ``text`` is not one."""
    if text in _RELATIVE_DAYS:
        return (anchor + _dt.timedelta(days=_RELATIVE_DAYS[text])).isoformat()
    if text in _RELATIVE_YEARS:
        return f"{anchor.year + _RELATIVE_YEARS[text]:04d}"
    if text in _RELATIVE_MONTHS:
        return "%04d-%02d" % _shift_months(anchor, _RELATIVE_MONTHS[text])
    m = _DAYS_AGO.fullmatch(text)
    if m:
        return (anchor - _dt.timedelta(days=int(m.group(1)))).isoformat()
    for prefix, years in _RELATIVE_YEARS.items():  # 去年3月, 今年1月5日
        if text.startswith(prefix) and len(text) > len(prefix):
            rest = text[len(prefix):]
            if _MONTH_DAY.fullmatch(rest) or _MONTH_ONLY.fullmatch(rest):
                return parse_date(f"{anchor.year + years}年{rest}")
    m = _MONTH_DAY.fullmatch(text)
    if m:
        return _iso(anchor.year, int(m.group(1)), int(m.group(2)), text)
    m = _MONTH_ONLY.fullmatch(text)
    if m:
        return _iso(anchor.year, int(m.group(1)), None, text)
    return None


def _looks_relative(text: str) -> bool:
    probe = _dt.date(2000, 6, 15)
    try:
        return _relative(text, probe) is not None
    except DateError:
        return True


def parse_date(value: str, anchor: str | _dt.date | None = None) -> str:
    """``value`` as an ISO date (``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``, as precise as written).

    ``anchor`` is the date of the document ``value`` comes from; relative forms (``昨天``,
    ``去年``, ``1月5日`` without a year) are read against it and are an error without it.
    Raises :class:`DateError` (a ``ValueError``) naming the accepted forms.
    """
    original = (value or "").strip()
    if not original:
        raise DateError(f"no date given; accepted forms: {FORMS}")
    text = _clean(original)
    m = _DAY.fullmatch(text)
    if m:
        return _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)), original)
    m = _COMPACT.fullmatch(text)
    if m:
        return _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)), original)
    m = _MONTH.fullmatch(text)
    if m:
        return _iso(int(m.group(1)), int(m.group(2)), None, original)
    m = _YEAR.fullmatch(text)
    if m:
        return _iso(int(m.group(1)), None, None, original)
    base = as_date(anchor)
    if base is not None:
        found = _relative(text, base)
        if found:
            return found
    elif _looks_relative(text):
        raise DateError(f"{original!r} is a relative date: it needs the date of a document to be read "
                        f"against; give a full date: {FORMS}")
    found = _dateparser(text, base)
    if found:
        return found
    raise DateError(f"date {original!r} not understood; accepted forms: {FORMS}")


def _date_data_parser(anchor: _dt.date | None):
    """dateparser's parser: absolute forms only, unless there is an anchor for relative ones."""
    if anchor is None:
        return _absolute_parser()
    from dateparser.date import DateDataParser

    return DateDataParser(languages=["zh", "en"], settings={
        "PARSERS": ["timestamp", "custom-formats", "absolute-time", "relative-time"],
        "RETURN_AS_TIMEZONE_AWARE": False, "PREFER_DAY_OF_MONTH": "first",
        "RELATIVE_BASE": _dt.datetime.combine(anchor, _dt.time())})


@functools.lru_cache(maxsize=1)
def _absolute_parser():
    from dateparser.date import DateDataParser

    return DateDataParser(languages=["zh", "en"], settings={
        "PARSERS": ["timestamp", "custom-formats", "absolute-time"], "RETURN_AS_TIMEZONE_AWARE": False,
        "PREFER_DAY_OF_MONTH": "first", "REQUIRE_PARTS": ["year"]})


def _dateparser(text: str, anchor: _dt.date | None) -> str:
    """The long tail (``5 January 2024``, ``yesterday`` with an anchor), by dateparser."""
    if not re.search(r"\d|[a-zA-Z]", text) or len(text) > 64:
        return ""
    parser = _date_data_parser(anchor)
    try:
        data = parser.get_date_data(text)
    except (ValueError, OverflowError, TypeError):
        return ""
    d = data["date_obj"] if data else None
    if d is None:
        return ""
    period = data["period"]
    if period == "year":
        return f"{d.year:04d}"
    if period == "month":
        return f"{d.year:04d}-{d.month:02d}"
    return d.date().isoformat()


def date_range(date_from: str = "", date_to: str = "") -> tuple[str, str]:
    """A filter's range as ISO dates (either may be empty: open-ended).

    Raises :class:`DateError` when a date cannot be read or the range ends before it starts
    (``date_to`` 2024-01 covers the whole of January, so a range from 2024-01-05 to it is fine).
    """
    lo = parse_date(date_from) if (date_from or "").strip() else ""
    hi = parse_date(date_to) if (date_to or "").strip() else ""
    if lo and hi and not in_range(lo, lo, hi):
        raise DateError(f"the end date {date_to.strip()!r} is before the start date {date_from.strip()!r}")
    return lo, hi


def in_range(date: str, lo: str, hi: str) -> bool:
    """Does the ISO ``date`` fall within ``lo``..``hi`` (inclusive; a month or year ``hi``
    includes all its days)? An undated passage is in no range."""
    return bool(date) and (not lo or lo[:len(date)] <= date) and (not hi or date[:len(hi)] <= hi)
