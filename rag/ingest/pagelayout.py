"""A page's reading order, rebuilt from where its lines of text stand.

Both a PDF's text layer (words placed by pdfplumber) and OCR (boxes found by RapidOCR) give lines
of text with their boxes, but not the order a person reads them in: on a two-column page the
lines of both columns interleave row by row. :func:`page_text` puts them back:

1. **Columns.** Lines narrower than most of the page's text width are projected onto the x axis;
   the gaps in what they cover separate the columns. A line wider than its column (a headline
   over two columns, a full-width paragraph) spans: it splits the page into bands, read one
   after the other, each band column by column.
2. **Paragraphs.** Within a column, a line continues the one above unless there is a vertical
   gap, the size changes, the line above ended short, or this one is indented.
3. **Headings by size, captions by position.** A short paragraph in letters well above the body
   size is a heading (``##`` or ``###``); a short paragraph in smaller letters next to a large
   empty space (where a photo stands) is a caption (``■``).

The result is the light markdown the layout parser reads (:mod:`.layout`). Units are whatever the
boxes are in (PDF points, image pixels).
"""
from __future__ import annotations

import statistics
import unicodedata
from dataclasses import dataclass, field

import numpy as np

NARROW = 0.6  # a line narrower than this share of the text width may sit in a column
MIN_COLUMN_SHARE = 0.1  # a column holds at least this share of the narrow lines
HEADING_2 = 1.4  # size over the body size: an article heading (##)
HEADING_3 = 1.12  # a section heading (###)
CAPTION_SIZE = 0.93  # smaller than the body by this much, beside a photo: a caption
PHOTO_GAP = 3.0  # an empty space this many body sizes tall is where a photo stands
MAX_HEADING = 60  # characters


@dataclass
class Line:
    """One line of text (or a piece of one) with its box; ``rows`` holds ready lines instead of
    text (a table found on the page, written as ``▦`` sentences)."""

    x0: float
    top: float
    x1: float
    bottom: float
    text: str
    size: float = 0.0  # the letters' height; the box's height when unknown
    rows: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.size:
            self.size = self.bottom - self.top

    @property
    def width(self) -> float:
        return self.x1 - self.x0


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WF"


def join_words(a: str, b: str, wrapped: bool = True) -> str:
    """Two pieces of a paragraph: Chinese runs on, English takes a space (a hyphen cut at a line
    end is joined). Digits cut by a line end (``wrapped``) in a Chinese line run on too (1 + 1月
    is 11月); two pieces of one line (``wrapped=False``) had a gap between them, kept for them."""
    if not a or not b:
        return a or b
    if a.endswith("-") and a[-2:-1].isalpha() and b[:1].islower():
        return a[:-1] + b
    if not a.strip("#■"):  # a heading's or caption's mark drawn apart from its words
        return a + " " + b if a[0] == "#" else a + b
    chinese = any(map(_wide, a[-6:] + b[:6]))
    if _wide(a[-1]) or _wide(b[0]) or (wrapped and chinese and not (a[-1].isalpha() and b[0].isalpha())):
        return a + b
    return a + " " + b


def merge_pieces(lines: list[Line], gap: float = 0.6) -> list[Line]:
    """Pieces of one line (words, OCR boxes) side by side, closer than ``gap`` letter sizes and
    on the same row, merged into one line; pieces further apart (across a column gap) are not."""
    out: list[Line] = []
    for ln in sorted(lines, key=lambda l: (round(l.top / max(l.size, 1) * 2), l.x0)):
        prev = out[-1] if out else None
        if (prev is not None and not prev.rows and not ln.rows
                and abs((prev.top + prev.bottom) - (ln.top + ln.bottom)) / 2 < 0.5 * max(prev.size, ln.size)
                and 0 <= ln.x0 - prev.x1 < gap * max(prev.size, ln.size)):
            out[-1] = Line(prev.x0, min(prev.top, ln.top), max(prev.x1, ln.x1), max(prev.bottom, ln.bottom),
                           join_words(prev.text, ln.text, wrapped=False), max(prev.size, ln.size))
        else:
            out.append(ln)
    return out


def body_size(lines: list[Line]) -> float:
    """The size most of the text is in (weighted by characters)."""
    sizes = [round(ln.size, 1) for ln in lines if not ln.rows for _ in range(max(1, len(ln.text)))]
    return statistics.median(sizes) if sizes else 1.0


def find_columns(lines: list[Line]) -> list[tuple[float, float]]:
    """The columns of a page, as x ranges, left to right (one range for a single column): where
    the narrow lines stand, split at the valleys of how many cover each x (a box or two may reach
    into the gutter: padded OCR boxes, a slight tilt)."""
    text = [ln for ln in lines if ln.text or ln.rows]
    if not text:
        return []
    left, right = min(ln.x0 for ln in text), max(ln.x1 for ln in text)
    span = max(right - left, 1e-6)
    narrow = [ln for ln in text if ln.width < NARROW * span]
    if len(narrow) < 6:
        return [(left, right)]
    bins = 200
    cover = np.zeros(bins)
    for ln in narrow:
        a, b = int((ln.x0 - left) / span * bins), int(np.ceil((ln.x1 - left) / span * bins))
        cover[max(a, 0):min(b, bins)] += 1
    low = cover <= max(1.0, 0.1 * cover.max())
    edges, start = [], None  # valleys strictly inside the text, not at its margins
    for i in range(bins + 1):
        if i < bins and low[i]:
            start = i if start is None else start
        elif start is not None:
            if start > 0 and i < bins:
                edges.append((start, i))
            start = None
    cuts = [left + (a + b) / 2 / bins * span for a, b in edges]
    bounds = [left] + cuts + [right]
    columns = []
    for a, b in zip(bounds, bounds[1:]):
        members = [ln for ln in narrow if a <= ln.x0 and ln.x1 <= b + 0.02 * span]
        if len(members) >= max(3, MIN_COLUMN_SHARE * len(narrow)) and b - a > 0.15 * span:
            # where its text stands: the outermost tenth of its lines' ends left out
            columns.append((float(np.percentile([ln.x0 for ln in members], 5)),
                            float(np.percentile([ln.x1 for ln in members], 95))))
    return columns if len(columns) >= 2 else [(left, right)]


def _column_of(ln: Line, columns: list[tuple[float, float]], body: float) -> int | None:
    """The column a line sits in (the one it overlaps most), or None when it spans several: a
    heading (larger letters) that reaches into another column, or any line that reaches far into
    one (a padded box or a quotation mark may reach a little)."""
    if len(columns) == 1:
        return 0
    overlap = [min(ln.x1, b) - max(ln.x0, a) for a, b in columns]
    best = max(range(len(columns)), key=overlap.__getitem__)
    intrudes = max((o for i, o in enumerate(overlap) if i != best), default=0.0)
    if intrudes > 0.5 * ln.size and (ln.size >= HEADING_3 * body or ln.rows):
        return None
    return best if intrudes <= 2 * ln.size else None


def _split_across(ln: Line, columns: list[tuple[float, float]], body: float) -> list[Line]:
    """A line of body text that runs across a gutter is two lines the detector joined (their rows
    lined up): it is cut where the gutter is, its characters shared out by width (Chinese
    characters are all one width). Headings, in larger letters, span columns and stay whole."""
    if ln.rows or len(columns) < 2 or ln.size > 1.1 * body:
        return [ln]
    pieces = [(max(ln.x0, a), min(ln.x1, b)) for a, b in columns if min(ln.x1, b) - max(ln.x0, a) > 2 * body]
    if len(pieces) < 2:
        return [ln]
    inked = sum(b - a for a, b in pieces)
    out, used = [], 0
    for i, (a, b) in enumerate(pieces):
        n = len(ln.text) - used if i == len(pieces) - 1 else round(len(ln.text) * (b - a) / inked)
        out.append(Line(a, ln.top, b, ln.bottom, ln.text[used:used + n], ln.size))
        used += n
    return [p for p in out if p.text]


def reading_order(lines: list[Line]) -> list[tuple[list[Line], tuple[float, float]]]:
    """The page's lines as runs, in the order they are read: each run is a column within a band,
    or a line that spans columns; with the edges of its column (where full lines start and end)."""
    columns = find_columns(lines)
    body = body_size(lines)
    lines = [piece for ln in lines for piece in _split_across(ln, columns, body)]
    placed = [(ln, _column_of(ln, columns, body)) for ln in lines]
    spanning = sorted((ln for ln, c in placed if c is None), key=lambda l: l.top)
    runs: list[list[Line]] = []
    edges = [float("-inf")] + [ln.top for ln in spanning] + [float("inf")]
    for i in range(len(edges) - 1):
        lo, hi = edges[i], edges[i + 1]
        for c in range(len(columns)):
            run = sorted((ln for ln, col in placed if col == c and lo <= ln.top < hi), key=lambda l: (l.top, l.x0))
            if run:
                runs.append((run, columns[c]))
        if i < len(spanning):
            runs.append(([spanning[i]], (spanning[i].x0, spanning[i].x1)))
    return runs


def _paragraphs(run: list[Line], edges: tuple[float, float], body: float) -> list[list[Line]]:
    """Lines of one column run grouped into paragraphs (``edges``: where the column's lines start
    and end)."""
    if not run:
        return []
    left, right = edges
    out = [[run[0]]]
    for prev, ln in zip(run, run[1:]):
        size = max(prev.size, ln.size, 1e-6)
        heading = min(prev.size, ln.size) >= HEADING_3 * body  # a heading's lines stand close, if it wraps
        new = (ln.rows or prev.rows
               or ln.top - prev.bottom > (0.4 if heading else 0.8) * size  # a blank line between
               or abs(ln.size - prev.size) > 0.2 * size  # another size
               or prev.x1 < right - 2.5 * size  # the line above ended short
               or ln.x0 > left + 1.5 * min(prev.size, ln.size))  # indented: a new paragraph
        if new:
            out.append([ln])
        else:
            out[-1].append(ln)
    return out


def page_text(lines: list[Line]) -> str:
    """The page's text in reading order as light markdown: paragraphs, ``##``/``###`` headings by
    size, ``■`` captions by position, table rows as they came."""
    lines = [ln for ln in lines if ln.text.strip() or ln.rows]
    if not lines:
        return ""
    body = body_size(lines)
    blocks: list[tuple[list[Line], float, float]] = []  # paragraph, gap above, gap below
    for run, edges in reading_order(lines):
        paras = _paragraphs(run, edges, body)
        for i, para in enumerate(paras):
            above = para[0].top - paras[i - 1][-1].bottom if i else float("inf")
            below = paras[i + 1][0].top - para[-1].bottom if i + 1 < len(paras) else float("inf")
            blocks.append((para, above, below))
    out: list[str] = []
    for para, above, below in blocks:
        if para[0].rows:
            out.extend(r for ln in para for r in ln.rows)
            continue
        text = ""
        for ln in para:
            text = join_words(text, ln.text.strip())
        size = statistics.median(ln.size for ln in para)
        short = len(text) <= MAX_HEADING
        if short and size >= HEADING_2 * body:
            out.append("## " + text)
        elif short and size >= HEADING_3 * body:
            out.append("### " + text)
        elif (len(text) <= 2 * MAX_HEADING and size <= CAPTION_SIZE * body
              and max(above, below) >= PHOTO_GAP * body and not text.startswith("■")):
            out.append("■" + text)
        else:
            out.append(text)
    return "\n\n".join(out)
