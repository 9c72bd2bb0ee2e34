"""PDF files: each page's text layer placed by pdfplumber, its tables read as tables, and pages
without a text layer (scans) read by OCR.

A page's words and their sizes give lines with boxes; the page's reading order, paragraphs,
headings and captions are rebuilt from them as for a scan (:mod:`.pagelayout`), so a two-column
page reads column by column. Ruled tables (pdfplumber's ``find_tables``) are taken out of the text
and put back where they stand as ``▦`` rows (:mod:`.tables`), captioned by the short line just
above them. A page whose text layer is empty (or a few stray characters) is rendered at
``OCR_DPI`` and read by OCR (:mod:`.ocr`), with ``limits.max_seconds`` for each such page; the
time spent on text pages counts against one ``limits.max_seconds`` for the file. Pages are
separated by form feeds, so passages keep their page. The PDF's CreationDate is kept as a hint
for the document's date.
"""
from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..config import ReadLimits
from .budget import Clock, ReadError, too_long
from .ocr import ocr_pages
from .pagelayout import Line, merge_pieces, page_text
from .tables import table_lines

_CAPTION = re.compile(r"^(?:表|附表|Table)\s*[\d一二三四五六七八九十]")
OCR_DPI = 150  # pages without text are rendered at this resolution for OCR (A4: 1240 x 1754)
MIN_TEXT_CHARS = 8  # a page with fewer characters in its text layer is a scan
PageProgress = Callable[[int, int], None]  # pages done, pages


@dataclass
class PdfText:
    """What a PDF gave: its pages' text (form feeds between), its metadata date, pages read by OCR."""

    text: str
    meta_date: str = ""
    ocr_pages: int = 0


def _pdf_date(value) -> str:
    """A PDF date string (``D:20240312093000+08'00'``) as ISO ``2024-03-12``, or ''."""
    m = re.match(r"D?:?(\d{4})(\d{2})?(\d{2})?", str(value or ""))
    if not m:
        return ""
    y, mo, d = m.group(1), m.group(2), m.group(3)
    return "-".join(x for x in (y, mo, d) if x) if mo else y


def _words(page, tables) -> list[Line]:
    inside = [t.bbox for t in tables]

    def free(w) -> bool:
        cx, cy = (w["x0"] + w["x1"]) / 2, (w["top"] + w["bottom"]) / 2
        return not any(x0 <= cx <= x1 and top <= cy <= bottom for x0, top, x1, bottom in inside)

    words = page.extract_words(extra_attrs=["size"], keep_blank_chars=False, use_text_flow=False)
    return [Line(w["x0"], w["top"], w["x1"], w["bottom"], w["text"], float(w.get("size") or 0)) for w in words if free(w)]


def _with_tables(lines: list[Line], tables) -> list[Line]:
    """The page's lines with each table as one block of ``▦`` rows where it stands, captioned by
    a short line just above it (taken out of the text)."""
    out = list(lines)
    for t in tables:
        rows = t.extract()
        if not rows or len(rows) < 2 or max(len(r) for r in rows) < 2:
            continue
        x0, top, x1, bottom = t.bbox
        above = [ln for ln in out if not ln.rows and ln.bottom <= top + 1 and top - ln.bottom < 2 * ln.size
                 and len(ln.text) <= 60 and ln.text[-1] not in "。！？；.!?;"
                 and (min(ln.x1, x1) > max(ln.x0, x0) or _CAPTION.match(ln.text))]
        caption = max(above, key=lambda ln: ln.bottom) if above else None
        if caption is not None:
            out.remove(caption)
        got = table_lines(rows, caption.text if caption is not None else "")
        out.append(Line(x0, top, x1, bottom, "", size=0.0, rows=got))
    return out


def read_pdf(path: Path, limits: ReadLimits | None = None, progress: PageProgress | None = None) -> PdfText:
    """The text of a PDF, page by page (form feeds between), scans read by OCR."""
    import pdfplumber
    from pdfminer.pdfparser import PDFSyntaxError
    from pdfplumber.utils.exceptions import PdfminerException

    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    limits = limits or ReadLimits()
    clock = Clock(limits.max_seconds)
    try:
        pdf = pdfplumber.open(str(path))
    except (PdfminerException, PDFSyntaxError, ValueError, KeyError, TypeError) as exc:
        cause = exc.args[0] if exc.args and isinstance(exc.args[0], Exception) else exc
        if "encrypt" in f"{cause.__class__.__name__} {cause}".lower() or "password" in str(cause).lower():
            raise ReadError("encrypted PDF: decrypt it first") from exc
        raise ReadError(f"unreadable PDF ({cause.__class__.__name__}: {cause})") from exc
    try:
        n = len(pdf.pages)
        if n > limits.max_pdf_pages:
            raise ReadError(f"too many pages: {n:,} > {limits.max_pdf_pages:,} (limits.max_pdf_pages)")
        pages: list[str | None] = []
        scans: dict[int, bytes] = {}  # page index -> the page rendered for OCR
        chars = 0
        for i, page in enumerate(pdf.pages):
            clock.check(f"{i} of {n} pages done")
            tables = page.find_tables()
            lines = _words(page, tables)
            if sum(len(ln.text) for ln in lines) < MIN_TEXT_CHARS and not tables:
                scans[i] = _render(page)
                pages.append(None)
                continue
            pages.append(page_text(_with_tables(merge_pieces(lines, gap=1.0), tables)))
            chars += len(pages[-1])
            if chars > limits.max_chars:
                raise too_long(chars, limits)
        started = time.monotonic()
        for i, text in ocr_pages(scans, limits, progress):
            pages[i] = text
        clock.end += time.monotonic() - started  # scanned pages have a time limit each
        text = "\f".join(p or "" for p in pages)
        if len(text) > limits.max_chars:
            raise too_long(len(text), limits)
        meta = pdf.metadata or {}
    except ReadError:
        raise
    except (PdfminerException, PDFSyntaxError, ValueError, KeyError, TypeError, OSError) as exc:
        raise ReadError(f"unreadable PDF ({exc.__class__.__name__}: {exc})") from exc
    finally:
        pdf.close()
    if not text.strip():
        raise ReadError("PDF has no text: no text layer, and OCR found none on its pages")
    return PdfText(text, _pdf_date(meta.get("CreationDate")), len(scans))


def _render(page) -> bytes:
    """A page without a text layer as a PNG at ``OCR_DPI`` (what OCR reads)."""
    import io

    buf = io.BytesIO()
    page.to_image(resolution=OCR_DPI).original.convert("L").save(buf, "PNG")
    return buf.getvalue()
