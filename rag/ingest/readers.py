"""Read bulletin files into text: .txt .md .html .pdf .docx .doc .wps .xlsx .csv, images, and .jsonl records.

Each reader returns the document text in the light markdown the layout parser understands
(``##``/``###`` headings, ``■`` captions, ``▦`` table rows, form feeds between pages). This
module decides which reader a file goes to and reads text, web pages and JSONL itself; PDFs are
read by :mod:`.pdf`, office files by :mod:`.office`, images by :mod:`.ocr`. Failures raise
:class:`ReadError` with a reason a user can act on; the ingest reports it by file name and
carries on with the other files.

What one file may cost is bounded by :class:`~rag.config.ReadLimits` (``Settings.limits``):
size on disk, a .docx's unzipped size (measured before anything is unzipped), a PDF's size and
pages, characters per document, and seconds to extract a PDF or DOCX. A file over a limit is
skipped with the limit it broke.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from ..config import ReadLimits
from ..types import Skipped
from .budget import MB, ReadError, too_long
from .encoding import EncodingError, detect
from .ocr import read_image
from .office import read_csv, read_docx, read_legacy, read_xlsx
from .pdf import read_pdf

IMAGES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")  # read by OCR (rag.ingest.ocr)
SUPPORTED = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx", ".doc", ".wps", ".xlsx", ".csv",
             ".jsonl") + IMAGES
PAGED = ("pdf",) + tuple(e.lstrip(".") for e in IMAGES)  # text in pages (form feeds between): passages keep their page
MAX_FILE_BYTES = int(ReadLimits().max_file_mb * MB)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")  # control characters but \t \n \f \r


@dataclass
class RawDocument:
    """Text as read from a file or record, before layout parsing."""

    doc_id: str
    text: str
    path: str
    format: str
    title: str = ""
    source: str = ""
    date: str = ""  # a date the file states as a field, as written; read into ISO form when prepared
    author: str = ""  # the page's author (web pages); bylines in the text take precedence
    date_source: str = "record"  # what stated ``date``: a record, a web page
    meta_date: str = ""  # the file's own metadata date (PDF CreationDate, .docx created), a weaker hint
    meta_source: str = ""  # which metadata


def doc_id_for(path: Path) -> str:
    """Files are named by their path relative to the working directory (absolute if outside)."""
    rel = os.path.relpath(path.resolve(), Path.cwd().resolve())
    return Path(rel).as_posix() if not rel.startswith("..") else path.resolve().as_posix()


def fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- discovery
def iter_files(paths: list[str | Path]) -> Iterator[Path | Skipped]:
    """Every file under ``paths`` (folders walked in sorted order, hidden entries skipped); a
    path that cannot be used (missing, a link loop, an unreadable folder) comes back as Skipped."""
    for p in map(Path, paths):
        if p.is_dir():
            errors: list[OSError] = []
            for root, dirs, files in os.walk(p, onerror=errors.append):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith("."):
                        yield Path(root) / name
            for exc in errors:
                yield Skipped(str(exc.filename or p), f"cannot read the folder ({exc.strerror or exc})")
        elif p.is_file():
            yield p
        elif p.is_symlink():
            yield Skipped(str(p), "a symbolic link that loops or leads nowhere")
        else:
            yield Skipped(str(p), "no such file or folder")


# ---------------------------------------------------------------- decoding
def decode_bytes(data: bytes, name: str = "") -> str:
    """Decode text in UTF-8 or UTF-16 (with or without BOM), GB18030/GBK, Big5/Big5-HKSCS, or what
    charset-normalizer finds; a file no decoding of which reads as text is refused
    (:mod:`.encoding`), never stored garbled."""
    if not data.strip():
        raise ReadError("empty file")
    try:
        text, _ = detect(data)
    except EncodingError as exc:
        if b"\x00" in data[:8192]:
            raise ReadError("binary file (contains NUL bytes), not text") from None
        raise ReadError(f"unreadable text: {exc}") from None
    return text_only(text)


def text_only(text: str) -> str:
    """``text`` without control characters (NUL and the like, wherever they are); a text with
    more than 1% NULs is binary, not text."""
    nul = text.count("\x00")
    if nul and nul > len(text) / 100:
        raise ReadError("binary file (contains NUL bytes), not text")
    return _CONTROL.sub("", text)


# ---------------------------------------------------------------- formats
@dataclass
class WebPage:
    """What trafilatura found in a page: the main text (light markdown) and its metadata."""

    text: str
    title: str = ""
    date: str = ""
    author: str = ""


_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_TABLE_RULE = re.compile(r"^\|(?:\s*:?-+:?\s*\|)+\s*$", re.M)  # markdown table rules carry no text


def _captions_as_paragraphs(tree) -> None:
    """A ``<figure>``'s caption becomes a ``■`` paragraph (trafilatura drops figures; bulletins
    keep their photo captions as passages of their own)."""
    import lxml.html

    for fig in list(tree.iter("figure")):
        cap = fig.find(".//figcaption")
        parent = fig.getparent()
        if cap is None or parent is None or not cap.text_content().strip():
            continue
        p = lxml.html.Element("p")
        p.text, p.tail = "■" + cap.text_content().strip(), fig.tail
        parent.replace(fig, p)


def read_html(data: bytes) -> WebPage:
    """The main text of a web page (menus, footers, link lists, ads and comments left out),
    with its title, date and author, by trafilatura. Headings come as ``#`` lines, photo
    captions as ``■`` lines; a page trafilatura finds no article in is read whole."""
    import lxml.html
    import trafilatura

    text = decode_bytes(data)
    m = re.search(rb'<meta[^>]+charset=["\']?([\w-]+)', data[:4096], re.I)
    if m and m.group(1).lower() not in (b"utf-8", b"utf8"):
        try:
            text = data.decode(m.group(1).decode(), errors="replace")
        except LookupError:
            pass
    text = _XML_DECLARATION.sub("", text, count=1)  # lxml refuses a decoded text that declares its encoding
    try:
        tree = lxml.html.fromstring(text)
    except (ValueError, lxml.etree.ParserError) as exc:
        raise ReadError(f"unreadable HTML ({exc})") from exc
    _captions_as_paragraphs(tree)
    # dates from the page's markup only: a year mentioned in the text is not the page's date
    page = trafilatura.bare_extraction(tree, with_metadata=True, include_formatting=True, include_tables=True,
                                       include_comments=False, include_images=False,
                                       date_extraction_params={"extensive_search": False, "original_date": True})
    body = (page.text or "") if page is not None else ""
    if not body.strip():
        body = trafilatura.html2txt(tree) or ""
    body = _TABLE_RULE.sub("", body)
    if page is None:
        return WebPage(body)
    return WebPage(body, page.title or "", page.date or "", page.author or "")


def read_jsonl(path: Path, data: bytes, limits: ReadLimits | None = None) -> Iterator[RawDocument | Skipped]:
    """One document per line: ``{"id", "title"?, "date"?, "source"?, "text"}``; a record longer
    than ``limits.max_chars`` is skipped by its line."""
    limits = limits or ReadLimits()
    text = decode_bytes(data)
    seen_any = False
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Skipped(where, f"invalid JSON ({exc.msg})")
            continue
        if not isinstance(rec, dict) or not isinstance(rec.get("text"), str):
            yield Skipped(where, 'record needs a "text" string')
            continue
        if not rec["text"].strip():
            yield Skipped(where, "empty text")
            continue
        if len(rec["text"]) > limits.max_chars:
            yield Skipped(where, str(too_long(len(rec["text"]), limits)))
            continue
        seen_any = True
        rid = str(rec.get("id") or f"{doc_id_for(path)}:{lineno}")
        yield RawDocument(rid, _CONTROL.sub("", rec["text"]), str(path), "jsonl", str(rec.get("title") or ""),
                          str(rec.get("source") or ""), str(rec.get("date") or ""))
    if not seen_any:
        yield Skipped(str(path), "no usable records")


def check_size(size: int, ext: str, limits: ReadLimits) -> None:
    """Refuse a file by its size on disk, before reading it."""
    if size == 0:
        raise ReadError("empty file")
    if size > limits.max_file_mb * MB:
        raise ReadError(f"too large: {size / MB:,.1f} MB > {limits.max_file_mb:g} MB (limits.max_file_mb)")
    if ext == ".pdf" and size > limits.max_pdf_mb * MB:
        raise ReadError(f"too large for a PDF: {size / MB:,.1f} MB > {limits.max_pdf_mb:g} MB (limits.max_pdf_mb)")
    if ext in (".txt", ".md", ".markdown", ".csv") and size > 4 * limits.max_chars:  # no character takes over 4 bytes
        amount = f"{size / MB:,.1f} MB" if size >= MB else f"{size / 1024:,.1f} KB"
        raise ReadError(f"too long: {amount} of text holds more than {limits.max_chars:,} "
                        "characters (limits.max_chars)")


def read_path(path: Path, limits: ReadLimits | None = None,
              pages: Callable[[int, int], None] | None = None) -> Iterator[RawDocument | Skipped]:
    """Read one file; every failure comes back as a :class:`Skipped` naming the file (a file
    over one of ``limits`` too, naming the limit). ``pages`` hears of each page read by OCR."""
    limits = limits or ReadLimits()
    ext = path.suffix.lower()
    if ext not in SUPPORTED:
        yield Skipped(str(path), f"unsupported format '{ext or path.name}' (supported: {', '.join(SUPPORTED)})")
        return
    try:
        check_size(path.stat().st_size, ext, limits)
        if ext == ".jsonl":
            yield from read_jsonl(path, path.read_bytes(), limits)
            return
        title = date = author = meta_date = meta_source = ""
        if ext == ".pdf":
            pdf = read_pdf(path, limits, pages)
            text, meta_date, meta_source = pdf.text, pdf.meta_date, "PDF metadata"
        elif ext in (".docx", ".xlsx", ".doc", ".wps"):
            office = {".docx": read_docx, ".xlsx": read_xlsx}.get(ext, read_legacy)(path, limits)
            text, meta_date, meta_source = office.text, office.meta_date, office.meta_source
        elif ext in IMAGES:
            text = read_image(path, limits)
        elif ext in (".html", ".htm"):
            page = read_html(path.read_bytes())
            text, title, date, author = page.text, page.title, page.date, page.author
        elif ext == ".csv":
            text = read_csv(decode_bytes(path.read_bytes()), path.stem)
        else:
            text = decode_bytes(path.read_bytes())
        if len(text) > limits.max_chars:
            raise too_long(len(text), limits)
        text = _CONTROL.sub("", text)
        if not text.strip():
            raise ReadError("no text")
        yield RawDocument(doc_id_for(path), text, str(path), ext.lstrip("."), title=title, date=date, author=author,
                          date_source="page", meta_date=meta_date, meta_source=meta_source)
    except ReadError as exc:
        yield Skipped(str(path), str(exc))
    except PermissionError:
        yield Skipped(str(path), "permission denied")
    except OSError as exc:
        yield Skipped(str(path), f"cannot read ({exc.strerror or exc})")
    except Exception as exc:  # a parser library failing on a malformed file must not stop the batch
        yield Skipped(str(path), f"unreadable {ext.lstrip('.').upper()} ({exc.__class__.__name__}: {exc})")


def read_all(paths: list[str | Path], limits: ReadLimits | None = None) -> tuple[list[RawDocument], list[Skipped]]:
    """Every document under ``paths``, as read (before layout cleaning), and what was skipped."""
    raws: list[RawDocument] = []
    skipped: list[Skipped] = []
    for item in iter_files(paths):
        if isinstance(item, Skipped):
            skipped.append(item)
            continue
        for r in read_path(item, limits):
            (skipped if isinstance(r, Skipped) else raws).append(r)
    return raws, skipped
