"""Office files: .docx (python-docx), .xlsx (openpyxl), .csv, and .doc/.wps through a converter.

A .docx is read in document order: paragraphs by style (headings, captions) and tables where they
stand, each row a sentence with its headers and caption (:mod:`.tables`); its created date is
kept as a hint for the document's date. A spreadsheet's sheets and a CSV file are tables too.
Legacy Word (.doc) and WPS (.wps) files are converted by LibreOffice (headless) or, for .doc and
.wps files in Word's binary format, antiword, when one is installed; otherwise they are refused
naming what to install.
"""
from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..config import ReadLimits
from .budget import MB, Clock, ReadError, too_long
from .tables import table_lines

MAX_ZIP_PARTS = 10_000  # a .docx with more parts than this is not a bulletin
_TABLE_CAPTION = re.compile(r"^(?:表|附表|Table)\s*[\d一二三四五六七八九十]*\s*[:：.．、 ]?")


@dataclass
class OfficeText:
    """What an office file gave: its text (light markdown, tables as ``▦`` rows) and a metadata date."""

    text: str
    meta_date: str = ""
    meta_source: str = ""


def check_unzipped_size(path: Path, limits: ReadLimits, kind: str = "DOCX") -> None:
    """Refuse a .docx or .xlsx (a zip) whose parts would unzip to more than
    ``limits.max_unzipped_mb``, from the sizes its directory declares, before anything is
    unzipped. (Python's zip reader never returns more than a part's declared size, so a part
    cannot lie its way past this.)"""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            parts = z.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError) as exc:
        raise ReadError(f"unreadable {kind} ({exc.__class__.__name__}: {exc})") from exc
    if len(parts) > MAX_ZIP_PARTS:
        raise ReadError(f"unreadable {kind}: {len(parts):,} parts (a document has a few dozen)")
    total = sum(p.file_size for p in parts)
    if total > limits.max_unzipped_mb * MB:
        raise ReadError(f"unzips to {total / MB:,.0f} MB > {limits.max_unzipped_mb:g} MB (limits.max_unzipped_mb)")


def _styled(text: str, style: str) -> str:
    if style in ("title", "heading 1"):
        return "## " + text
    if style.startswith("heading"):
        return "### " + text
    if style == "caption":
        return "■" + text
    return text


def _is_table_caption(text: str, style: str) -> bool:
    return bool(text) and len(text) <= 60 and (style == "caption" or bool(_TABLE_CAPTION.match(text)))


def read_docx(path: Path, limits: ReadLimits | None = None) -> OfficeText:
    """A .docx in document order: headings, captions and paragraphs by style, tables in place."""
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    limits = limits or ReadLimits()
    clock = Clock(limits.max_seconds)
    check_unzipped_size(path, limits)
    try:
        d = docx.Document(str(path))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError) as exc:
        raise ReadError(f"unreadable DOCX ({exc.__class__.__name__}: {exc})") from exc
    clock.check("opening it")
    lines: list[str] = []
    chars = 0
    pending_caption = ""  # a table's caption printed above it
    items = list(d.iter_inner_content())
    for i, item in enumerate(items):
        if i % 256 == 0:
            clock.check(f"{i} paragraphs and tables done")
            if chars > limits.max_chars:
                raise too_long(chars, limits)
        if isinstance(item, Table):
            rows = [[c.text for c in row.cells] for row in item.rows]
            caption = pending_caption
            nxt = items[i + 1] if i + 1 < len(items) else None
            if not caption and nxt is not None and not isinstance(nxt, Table):  # a caption printed below it
                style = (nxt.style.name if nxt.style is not None else "").lower()
                if style == "caption":
                    caption = nxt.text.strip()
                    items[i + 1] = None  # type: ignore[call-overload]
            if pending_caption:
                lines.pop()
            got = table_lines(rows, caption)
            lines.extend(got)
            chars += sum(map(len, got))
            pending_caption = ""
            continue
        if item is None:
            continue
        text = item.text.strip()
        if not text:
            continue
        style = (item.style.name if item.style is not None else "").lower()
        nxt = items[i + 1] if i + 1 < len(items) else None
        pending_caption = text if isinstance(nxt, Table) and _is_table_caption(text, style) else ""
        lines.append(_styled(text, style))
        chars += len(text)
    text = "\n\n".join(lines)
    if not text.strip():
        raise ReadError("empty document")
    created = d.core_properties.created
    return OfficeText(text, created.date().isoformat() if created else "", "DOCX metadata" if created else "")


def read_xlsx(path: Path, limits: ReadLimits | None = None) -> OfficeText:
    """Every sheet of a workbook as a table (its name the caption), values as Excel shows them."""
    import zipfile

    import openpyxl

    limits = limits or ReadLimits()
    clock = Clock(limits.max_seconds)
    check_unzipped_size(path, limits, "XLSX")
    try:
        wb = openpyxl.load_workbook(str(path), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ReadError(f"unreadable XLSX ({exc.__class__.__name__}: {exc})") from exc
    lines: list[str] = []
    chars = 0
    try:
        for ws in wb.worksheets:
            rows = []
            for i, row in enumerate(ws.iter_rows(values_only=True)):
                if i % 1000 == 0:
                    clock.check(f"sheet {ws.title!r}, {i} rows")
                rows.append([_value(v) for v in row])
                chars += sum(len(c) for c in rows[-1])
                if chars > limits.max_chars:
                    raise too_long(chars, limits)
            got = table_lines(rows, "" if re.fullmatch(r"(?:Sheet|工作表)\s*\d*", ws.title) else ws.title)
            if got:
                lines += ["## " + ws.title] + got if len(wb.worksheets) > 1 else got
        created = wb.properties.created
    finally:
        wb.close()
    if not lines:
        raise ReadError("empty workbook")
    return OfficeText("\n\n".join(lines), created.date().isoformat() if created else "",
                      "XLSX metadata" if created else "")


def _value(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if hasattr(v, "isoformat"):
        return v.isoformat()[:10] if getattr(v, "hour", 0) == 0 and getattr(v, "minute", 0) == 0 else v.isoformat()
    return str(v)


def read_csv(text: str, name: str) -> str:
    """A CSV (or tab-separated) file's text as one table, its file name the caption."""
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",\t;|")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = list(csv.reader(io.StringIO(text), dialect))
    except csv.Error as exc:
        raise ReadError(f"unreadable CSV ({exc})") from exc
    lines = table_lines(rows, "")
    if not lines:
        raise ReadError("empty table")
    return "## " + name + "\n\n" + "\n\n".join(lines)


# ---------------------------------------------------------------- .doc and .wps
def converters() -> dict[str, str]:
    """The converters found on PATH: ``soffice`` (LibreOffice) and ``antiword``."""
    found = {}
    for name in ("soffice", "libreoffice", "antiword"):
        exe = shutil.which(name)
        if exe and ("soffice" not in found or name == "antiword"):
            found["soffice" if name != "antiword" else "antiword"] = exe
    return found


INSTALL = ("install LibreOffice (Debian: apt-get install libreoffice-writer-nogui) or, for Word 97-2003 "
           "files, antiword (apt-get install antiword); or save it as .docx")


def read_legacy(path: Path, limits: ReadLimits | None = None) -> OfficeText:
    """A .doc or .wps file, converted to .docx by LibreOffice (then read as one) or to text by
    antiword; refused by name, saying what to install, when neither is there."""
    limits = limits or ReadLimits()
    found = converters()
    kind = path.suffix.lower().lstrip(".").upper()
    if not found:
        raise ReadError(f"{kind} needs a converter: {INSTALL}")
    errors = []
    if "soffice" in found:
        try:
            return _via_libreoffice(found["soffice"], path, limits)
        except ReadError as exc:
            errors.append(f"LibreOffice: {exc}")
    if "antiword" in found:
        try:
            return OfficeText(_via_antiword(found["antiword"], path, limits))
        except ReadError as exc:
            errors.append(f"antiword: {exc}")
    hint = "" if "soffice" in found else f"; LibreOffice reads more: {INSTALL}"
    raise ReadError(f"unreadable {kind} ({'; '.join(errors)}){hint}")


def _run(cmd: list[str], seconds: float, env: dict | None = None) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(cmd, capture_output=True, timeout=seconds, env=env, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise ReadError(f"took over {seconds:g} s to convert (limits.max_seconds = {seconds:g})") from None


def _via_libreoffice(exe: str, path: Path, limits: ReadLimits) -> OfficeText:
    with tempfile.TemporaryDirectory(prefix="rag-convert-") as tmp:
        # its own profile: a LibreOffice the user has open (or another conversion) does not block this one
        env = {**os.environ, "HOME": tmp}
        r = _run([exe, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp}/profile",
                  "--convert-to", "docx:MS Word 2007 XML", "--outdir", tmp, str(path.resolve())],
                 limits.max_seconds, env)
        out = Path(tmp) / (path.stem + ".docx")
        if r.returncode != 0 or not out.is_file():
            reason = (r.stderr or r.stdout).decode("utf-8", "replace").strip().splitlines()
            raise ReadError(reason[-1] if reason else "it could not convert the file")
        return read_docx(out, limits)


def _via_antiword(exe: str, path: Path, limits: ReadLimits) -> str:
    r = _run([exe, "-m", "UTF-8.txt", "-w", "0", str(path)], limits.max_seconds)
    if r.returncode != 0:
        reason = r.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ReadError(reason[-1] if reason else "it could not read the file")
    text = r.stdout.decode("utf-8", "replace")
    if len(text) > limits.max_chars:
        raise too_long(len(text), limits)
    # antiword writes a table's rows as |cell|cell| lines: they become a table
    out: list[str] = []
    rows: list[list[str]] = []
    for line in text.splitlines() + [""]:
        if line.strip().startswith("|"):
            rows.append(line.strip().strip("|").split("|"))
            continue
        if rows:
            while out and not out[-1]:
                out.pop()
            caption = out.pop() if out and _is_table_caption(out[-1], "") else ""
            out += table_lines(rows, caption)
            rows = []
        out.append(line.strip())
    return "\n\n".join(p.strip() for p in re.split(r"\n\s*\n", "\n".join(out)) if p.strip())
