"""Read bulletin files into text: .txt .md .html .pdf .docx and .jsonl records.

Each reader returns the document text in the light markdown the layout parser understands
(``##``/``###`` headings, ``■`` captions). Failures raise :class:`ReadError` with a reason a
user can act on; the ingest reports it by file name and carries on with the other files.
"""
from __future__ import annotations

import codecs
import hashlib
import html.parser
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
    date: str = ""


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
class _HTMLToText(html.parser.HTMLParser):
    BLOCK = {"p", "div", "br", "li", "tr", "section", "article", "header", "footer", "table",
             "ul", "ol", "blockquote", "pre", "figure"}
    SKIP = {"script", "style", "noscript", "template", "head"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.title = ""
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        if tag == "title":
            self._in_title = True
        elif tag in self.SKIP:
            self._skip += 1
        elif tag in ("h1", "h2"):
            self.out.append("\n\n## ")
        elif tag in ("h3", "h4", "h5", "h6"):
            self.out.append("\n\n### ")
        elif tag == "figcaption":
            self.out.append("\n\n■")
        elif tag in self.BLOCK:
            self.out.append("\n\n")
        elif tag in ("td", "th"):
            self.out.append(" ")

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        elif tag in self.SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in self.BLOCK or tag in ("h1", "h2", "h3", "h4", "h5", "h6", "figcaption"):
            self.out.append("\n\n")

    def handle_data(self, data):
        if self._in_title:
            self.title += data.strip()
        elif not self._skip:
            self.out.append(re.sub(r"[ \t\r\n]+", " ", data))


def read_html(data: bytes) -> tuple[str, str]:
    text = decode_bytes(data)
    m = re.search(rb'<meta[^>]+charset=["\']?([\w-]+)', data[:4096], re.I)
    if m and m.group(1).lower() not in (b"utf-8", b"utf8"):
        try:
            text = data.decode(m.group(1).decode(), errors="replace")
        except LookupError:
            pass
    parser = _HTMLToText()
    parser.feed(text)
    parser.close()
    body = re.sub(r"\n[ \t]+", "\n", "".join(parser.out))
    return body, parser.title


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
        title = ""
        if ext == ".pdf":
            text = read_pdf(path)
        elif ext == ".docx":
            text = read_docx(path)
        elif ext in (".html", ".htm"):
            text, title = read_html(path.read_bytes())
        else:
            text = decode_bytes(path.read_bytes())
        if not text.strip():
            raise ReadError("no text")
        yield RawDocument(doc_id_for(path), text, str(path), ext.lstrip("."), title=title)
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
