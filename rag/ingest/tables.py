"""Tables as sentences: each row one sentence that carries its column headers and the table's caption.

A statistics table in a bulletin answers questions about one cell ("2023年技术合同成交额增长了多
少？"); cells run together ("12%技术合同成交额") answer none. So a row becomes
``{caption} {row name}：{header}{value}，{header}{value}。`` -- "2023年 技术合同成交额：增长12%。" --
one sentence the answerer can quote alone, written with a leading ``▦`` the layout parser reads as
a table row (:mod:`.layout`; passages of the kind ``table``).

The first row is the header; a first row of one merged cell is the caption instead (when there is
none) and the next row is the header. A first column that only numbers the rows (1, 2, 3...) is
left out. A table of one column, or whose cells hold paragraphs, is layout, not data: its cells
come back as paragraphs.
"""
from __future__ import annotations

import re
import unicodedata

from .layout import TABLE_MARK

LONG_CELL = 200  # characters: a cell this long is a paragraph (a layout table)
_SPACE = re.compile(r"\s+")


def _cell(text) -> str:
    return _SPACE.sub(" ", str(text if text is not None else "")).strip()


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WF"


def _pair(header: str, value: str) -> str:
    """``header`` and ``value`` as a phrase: 增长12%, 单位：青岛高新区, Growth 12%."""
    if not header or header == value:
        return value
    if _wide(value[0]) and _wide(header[-1]):
        return f"{header}：{value}"
    return header + value if _wide(header[-1]) or _wide(value[0]) else f"{header} {value}"


def _dedupe(row: list[str]) -> list[str]:
    """A merged cell repeats in each column it spans (python-docx, openpyxl): once is enough."""
    out: list[str] = []
    for c in row:
        out.append("" if out and c and c == out[-1] else c)
    return out


def clean_rows(rows) -> list[list[str]]:
    """Rows of cell texts, whitespace folded, empty rows and all-empty columns dropped."""
    rows = [[_cell(c) for c in r] for r in rows]
    rows = [r for r in rows if any(r)]
    if not rows:
        return []
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    keep = [j for j in range(width) if any(r[j] for r in rows)]
    return [[r[j] for j in keep] for r in rows]


def is_layout(rows: list[list[str]]) -> bool:
    """A table used to place text (one column, or cells that are paragraphs), not to hold data."""
    return not rows or len(rows[0]) < 2 or any(len(c) > LONG_CELL for r in rows for c in r)


def row_sentences(rows, caption: str = "") -> list[str]:
    """One sentence per data row of a table (rows of cell texts, the first the header)."""
    rows = clean_rows(rows)
    caption = _cell(caption)
    if not rows:
        return []
    if len(rows) > 1 and len(set(c for c in rows[0] if c)) == 1:  # a merged title row
        caption = caption or next(c for c in rows[0] if c)
        rows = rows[1:]
    header, data = (rows[0], rows[1:]) if len(rows) > 1 else ([""] * len(rows[0]), rows)
    header = _dedupe(header)
    if len(header) > 2 and all(re.fullmatch(r"\d{1,3}", r[0]) for r in data):  # 序号: 1, 2, 3
        header, data = header[1:], [r[1:] for r in data]
    out = []
    for row in data:
        row = _dedupe(row)
        key, rest = row[0], [_pair(h, v) for h, v in zip(header[1:], row[1:]) if v]
        if not rest:
            body = key
        else:
            body = (f"{key}：" if key else "") + "，".join(rest)
        body = body.rstrip("。.;；，,")
        if body:
            out.append((f"{caption} " if caption else "") + body + "。")
    return out


def table_lines(rows, caption: str = "") -> list[str]:
    """The table as lines for the layout parser: ``▦`` rows, or plain paragraphs for a layout table."""
    cleaned = clean_rows(rows)
    if is_layout(cleaned):
        cells = [c for r in cleaned for c in _dedupe(r) if c]
        return ([caption] if caption else []) + cells
    return [TABLE_MARK + s for s in row_sentences(cleaned, caption)]
