"""Read bulletin files into text: .txt .md .html .pdf .docx and .jsonl records.

Each reader returns the document text in the light markdown the layout parser understands
(``##``/``###`` headings, ``■`` captions). Failures raise :class:`ReadError` with a reason a
user can act on; the ingest reports it by file name and carries on with the other files.
"""
from __future__ import annotations

import codecs
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..types import Skipped

SUPPORTED = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx", ".jsonl")
MAX_FILE_BYTES = 200 * 1024 * 1024


class ReadError(Exception):
    """A file that cannot be ingested; the message says why."""


@dataclass
class RawDocument:
    """Text as read from a file or record, before layout parsing."""

    doc_id: str
    text: str
    path: str
    format: str
    title: str = ""
    source: str = ""
    date: str = ""  # as written; read into ISO form when the document is prepared
    author: str = ""  # the page's author (web pages); bylines in the text take precedence


def doc_id_for(path: Path) -> str:
    """Files are named by their path relative to the working directory (absolute if outside)."""
    rel = os.path.relpath(path.resolve(), Path.cwd().resolve())
    return Path(rel).as_posix() if not rel.startswith("..") else path.resolve().as_posix()


def fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- discovery
def iter_files(paths: list[str | Path]) -> Iterator[Path | Skipped]:
    """Every file under ``paths`` (folders walked in sorted order, hidden entries skipped)."""
    for p in map(Path, paths):
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith("."):
                        yield Path(root) / name
        elif p.is_file():
            yield p
        else:
            yield Skipped(str(p), "no such file or folder")


# ---------------------------------------------------------------- decoding
def decode_bytes(data: bytes, name: str = "") -> str:
    """Decode text that may be UTF-8 (with or without BOM), UTF-16 with BOM, GBK or GB18030."""
    if not data.strip():
        raise ReadError("empty file")
    for bom, enc in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                     (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom):].decode(enc, errors="replace")
    if b"\x00" in data[:8192]:
        raise ReadError("binary file (contains NUL bytes), not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")  # a superset of GBK and GB2312
        if _looks_like_text(text):
            return text
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or not _looks_like_text(str(best)):
        raise ReadError("unreadable: not UTF-8, GBK or GB18030 text and no other encoding fits")
    return str(best)


def _looks_like_text(text: str) -> bool:
    if not text:
        return False
    bad = sum(1 for ch in text if (ord(ch) < 32 and ch not in "\t\n\r\f") or ch == "\ufffd")
    return bad / len(text) < 0.01


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


def read_pdf(path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ReadError("encrypted PDF: decrypt it first")
        pages = [(page.extract_text() or "") for page in reader.pages]
    except ReadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise ReadError(f"unreadable PDF ({exc.__class__.__name__}: {exc})") from exc
    text = "\n\n".join(pages)
    if not text.strip():
        raise ReadError("PDF has no extractable text (scanned images need OCR first)")
    return text


def read_docx(path: Path) -> str:
    import zipfile

    import docx

    from docx.opc.exceptions import PackageNotFoundError

    try:
        d = docx.Document(str(path))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError) as exc:
        raise ReadError(f"unreadable DOCX ({exc.__class__.__name__}: {exc})") from exc
    lines: list[str] = []
    for para in d.paragraphs:
        text = para.text.strip()
        if not text:
            continue
        style = (para.style.name if para.style is not None else "").lower()
        if style == "title" or style == "heading 1":
            lines.append("## " + text)
        elif style.startswith("heading"):
            lines.append("### " + text)
        elif style == "caption":
            lines.append("■" + text)
        else:
            lines.append(text)
    for table in d.tables:
        for row in table.rows:
            lines.append(" | ".join(c.text.strip() for c in row.cells))
    text = "\n\n".join(lines)
    if not text.strip():
        raise ReadError("empty document")
    return text


def read_jsonl(path: Path, data: bytes) -> Iterator[RawDocument | Skipped]:
    """One document per line: ``{"id", "title"?, "date"?, "source"?, "text"}``."""
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
        seen_any = True
        rid = str(rec.get("id") or f"{doc_id_for(path)}:{lineno}")
        yield RawDocument(rid, rec["text"], str(path), "jsonl", str(rec.get("title") or ""),
                          str(rec.get("source") or ""), str(rec.get("date") or ""))
    if not seen_any:
        yield Skipped(str(path), "no usable records")


def read_path(path: Path) -> Iterator[RawDocument | Skipped]:
    """Read one file; every failure comes back as a :class:`Skipped` naming the file."""
    ext = path.suffix.lower()
    if ext not in SUPPORTED:
        yield Skipped(str(path), f"unsupported format '{ext or path.name}' (supported: {', '.join(SUPPORTED)})")
        return
    try:
        size = path.stat().st_size
        if size == 0:
            raise ReadError("empty file")
        if size > MAX_FILE_BYTES:
            raise ReadError(f"file too large ({size / 1e6:.0f} MB > {MAX_FILE_BYTES / 1e6:.0f} MB)")
        if ext == ".jsonl":
            yield from read_jsonl(path, path.read_bytes())
            return
        title = date = author = ""
        if ext == ".pdf":
            text = read_pdf(path)
        elif ext == ".docx":
            text = read_docx(path)
        elif ext in (".html", ".htm"):
            page = read_html(path.read_bytes())
            text, title, date, author = page.text, page.title, page.date, page.author
        else:
            text = decode_bytes(path.read_bytes())
        if not text.strip():
            raise ReadError("no text")
        yield RawDocument(doc_id_for(path), text, str(path), ext.lstrip("."), title=title, date=date, author=author)
    except ReadError as exc:
        yield Skipped(str(path), str(exc))
    except PermissionError:
        yield Skipped(str(path), "permission denied")
    except OSError as exc:
        yield Skipped(str(path), f"cannot read ({exc.strerror or exc})")
    except Exception as exc:  # a parser library failing on a malformed file must not stop the batch
        yield Skipped(str(path), f"unreadable {ext.lstrip('.').upper()} ({exc.__class__.__name__}: {exc})")


def read_all(paths: list[str | Path]) -> tuple[list[RawDocument], list[Skipped]]:
    """Every document under ``paths``, as read (before layout cleaning), and what was skipped."""
    raws: list[RawDocument] = []
    skipped: list[Skipped] = []
    for item in iter_files(paths):
        if isinstance(item, Skipped):
            skipped.append(item)
            continue
        for r in read_path(item):
            (skipped if isinstance(r, Skipped) else raws).append(r)
    return raws, skipped
