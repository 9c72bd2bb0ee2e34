"""The original of a cited passage: the document at the passage, with the passage and its quoted
sentence marked; for a PDF, the page rendered as an image with the quoted sentence boxed where
the PDF's text layer places it (pypdfium2: renders pages, and gives each character's box).

No Gradio here: :func:`original_html` takes the document and where the passage lies, and returns
the HTML the page shows.
"""
from __future__ import annotations

import base64
import html
import io
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..types import Document
from .texts import t

CONTEXT_CHARS = 3000  # of the document's text shown before and after the passage
RENDER_SCALE = 1.5  # 108 dpi: a page's words readable, its image a few hundred KB
MIN_MATCH = 6  # characters of a quote that must be found to place it on a page


def esc(text: str) -> str:
    return html.escape(text or "", quote=True)


def _norm(ch: str) -> str:
    folded = unicodedata.normalize("NFKC", ch).casefold()
    return folded if len(folded) == 1 else ch


def squashed(text: str) -> tuple[str, list[int]]:
    """``text`` without whitespace, folded (NFKC, case), and where each character came from."""
    chars, where = [], []
    for i, ch in enumerate(text):
        if not ch.isspace():
            chars.append(_norm(ch))
            where.append(i)
    return "".join(chars), where


def find_span(text: str, needle: str) -> tuple[int, int]:
    """Where ``needle`` lies in ``text`` with whitespace, width and case ignored: ``(start, end)``
    in ``text``, or ``(-1, -1)``. A needle cut by a page break is found by its longest found
    beginning or end (at least :data:`MIN_MATCH` characters)."""
    hay, where = squashed(text)
    pin, _ = squashed(needle)
    if not pin or not hay:
        return -1, -1
    lowest = min(len(pin), max(MIN_MATCH, (len(pin) + 1) // 2))  # less than half of it: not this quote any more
    for size in range(len(pin), lowest - 1, -1):
        for piece in (pin[:size], pin[len(pin) - size:]):
            i = hay.find(piece)
            if i >= 0:
                return where[i], where[i + len(piece) - 1] + 1
    return -1, -1


# ---------------------------------------------------------------- text documents
def passage_span(doc: Document, passage: str, start: int, end: int) -> tuple[int, int]:
    """Where the cited passage lies in the document's text: its recorded offsets when they still
    hold it, else where its text is found."""
    if 0 <= start < end <= len(doc.text) and squashed(doc.text[start:end])[0] == squashed(passage)[0]:
        return start, end
    return find_span(doc.text, passage)


def text_view(doc: Document, passage: str, quote: str, start: int, end: int, lang: str) -> str:
    """The document's text around the passage, the passage marked and its quote marked in it."""
    lo, hi = passage_span(doc, passage, start, end)
    if lo < 0:
        return f'<div class="orig-note">{esc(t("orig_not_found", lang))}</div>' + \
            f'<div class="orig-text">{esc(doc.text[:2 * CONTEXT_CHARS])}</div>'
    a = doc.text.rfind("\n", 0, max(0, lo - CONTEXT_CHARS)) + 1 if lo > CONTEXT_CHARS else 0
    b = doc.text.find("\n", hi + CONTEXT_CHARS)
    b = len(doc.text) if b < 0 else b
    body = doc.text[lo:hi]
    q0, q1 = find_span(body, quote) if quote else (-1, -1)
    marked = (f"{esc(body[:q0])}<mark class=\"orig-quote\">{esc(body[q0:q1])}</mark>{esc(body[q1:])}"
              if q0 >= 0 else esc(body))
    return (f'<div class="orig-text">{"…" if a else ""}{esc(doc.text[a:lo])}'
            f'<mark class="orig-passage">{marked}</mark>{esc(doc.text[hi:b])}{"…" if b < len(doc.text) else ""}</div>')


# ---------------------------------------------------------------- PDF pages
@dataclass
class PageView:
    """One rendered page: its number (1-based) of how many, the PNG, and the boxes of the quoted
    sentence as fractions of the page (left, top, width, height)."""

    page: int
    pages: int
    png: bytes
    boxes: list[tuple[float, float, float, float]] = field(default_factory=list)


def page_of(path: str | Path, needles: list[str], hint: int = 0) -> tuple[int, int, int]:
    """The page (1-based) whose text layer holds the first of ``needles`` found, with the
    character range there: ``(page, start, end)``; ``hint`` (a passage's recorded page) is tried
    first. ``(hint or 1, -1, -1)`` when no page holds any (a scan without a text layer)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        order = list(range(len(pdf)))
        if 1 <= hint <= len(pdf):
            order.remove(hint - 1)
            order.insert(0, hint - 1)
        texts: dict[int, str] = {}
        for needle in (n for n in needles if n):
            for i in order:
                if i not in texts:
                    texts[i] = pdf[i].get_textpage().get_text_range()
                lo, hi = find_span(texts[i], needle)
                if lo >= 0:
                    return i + 1, lo, hi
        return (hint if 1 <= hint <= len(pdf) else 1), -1, -1
    finally:
        pdf.close()


def render_page(path: str | Path, page: int, start: int = -1, end: int = -1,
                scale: float = RENDER_SCALE) -> PageView:
    """Page ``page`` as a PNG, with the boxes of its characters ``start:end`` merged by line."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        p = pdf[page - 1]
        width, height = p.get_size()
        boxes: list[list[float]] = []
        if start >= 0:
            tp = p.get_textpage()
            chars = tp.get_text_range()
            for i in range(start, end):
                left, bottom, right, top = tp.get_charbox(i)
                if i < len(chars) and chars[i].isspace() or right - left < 0.5 or top - bottom < 0.5:
                    continue  # a line break or space (generated by the text layer, or a real one)
                line = boxes[-1] if boxes else None
                # the same line: it runs on to the right, and overlaps the line's height (a small
                # "." or "。" included)
                if line and left >= line[0] - 1 and min(top, line[3]) - max(bottom, line[1]) > 0:
                    line[2], line[3] = max(line[2], right), max(line[3], top)
                    line[1] = min(line[1], bottom)
                else:
                    boxes.append([left, bottom, right, top])
        image = p.render(scale=scale).to_pil()
        buf = io.BytesIO()
        image.save(buf, format="PNG", optimize=True)
        pad = 1.5
        fractions = [((l - pad) / width, 1 - (tp_ + pad) / height, (r - l + 2 * pad) / width, (tp_ - b + 2 * pad) / height)
                     for l, b, r, tp_ in boxes]
        return PageView(page, len(pdf), buf.getvalue(), fractions)
    finally:
        pdf.close()


def pdf_view(path: str | Path, passage: str, quote: str, hint: int, lang: str) -> str:
    """The page of a PDF that holds the quote (else the passage), rendered, the quote boxed."""
    page, lo, hi = page_of(path, [quote, passage], hint)
    view = render_page(path, page, lo, hi)
    boxes = "".join(f'<div class="orig-box" style="left:{x:.2%};top:{y:.2%};width:{w:.2%};height:{h:.2%}"></div>'
                    for x, y, w, h in view.boxes)
    note = "" if view.boxes else f'<div class="orig-note">{esc(t("orig_not_placed", lang))}</div>'
    data = base64.b64encode(view.png).decode("ascii")
    return (f'<div class="orig-where">{esc(t("orig_page", lang, page=view.page, pages=view.pages))}</div>{note}'
            f'<div class="orig-page"><img src="data:image/png;base64,{data}" alt="{esc(t("orig_page", lang, page=view.page, pages=view.pages))}">'
            f'{boxes}</div>')


# ---------------------------------------------------------------- the panel
def original_html(doc: Document | None, citation: dict, lang: str) -> str:
    """The original of ``citation`` (a turn record's citation: doc_id, title, passage, quote,
    start, end, page) in ``doc`` (None: the document is no longer in the index)."""
    title = citation.get("title") or citation.get("doc_id", "")
    head = (f'<div class="orig-head"><span class="orig-title">{esc(title)}</span>'
            f'<a class="orig-close" href="#" title="{esc(t("orig_close", lang))}">{esc(t("orig_close", lang))}</a></div>')
    if doc is None:
        return f'<div class="orig-view">{head}<div class="orig-note">{esc(t("orig_gone", lang))}</div></div>'
    passage, quote = citation.get("passage") or citation.get("quote", ""), citation.get("quote", "")
    path = Path(doc.path) if doc.path else None
    if (doc.format == "pdf" or (path and path.suffix.lower() == ".pdf")) and path and path.is_file():
        try:
            body = pdf_view(path, passage, quote, int(citation.get("page") or 0), lang)
        except Exception as exc:  # noqa: BLE001 - a PDF pdfium cannot open: show the text instead
            body = (f'<div class="orig-note">{esc(t("orig_unrenderable", lang))}</div>'
                    f'<details class="note-details"><summary>{esc(t("details", lang))}</summary>'
                    f'{esc(f"{type(exc).__name__}: {exc}")}</details>'
                    + text_view(doc, passage, quote, int(citation.get("start", 0)), int(citation.get("end", 0)), lang))
    else:
        body = text_view(doc, passage, quote, int(citation.get("start", 0)), int(citation.get("end", 0)), lang)
    return f'<div class="orig-view">{head}{body}</div>'
