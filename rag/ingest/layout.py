"""Recover a bulletin's layout from extracted text.

Bulletins reach us as text with markdown-style headings (``##`` article, ``###`` section),
photo captions starting with ``■``, table rows starting with ``▦`` (one sentence each, made by
:mod:`.tables`), bylines (a lone short name line closing an article, or a signed line such as
``本报记者 孙晓梅`` under its heading) and page breaks that cut a sentence, or a word, in two.
Pages of a paged document (PDF, scan) are separated by form feeds (``\f``). :func:`parse_layout`
repairs the breaks, keeps captions and tables apart, attaches bylines to their article, and
returns the cleaned text with :class:`~rag.types.Block` s that carry title, section path, author
and character offsets, and where each page starts in the text.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from ..text import CJK, fold, planted_instruction
from ..types import Block
from .pagelayout import join_words

HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*$")
CAPTION_MARKS = "■▲●◆□△▼"
TABLE_MARK = "▦"  # a table row, written as a sentence (rag.ingest.tables)
# characters that can end a paragraph; anything else at a line end is a cut sentence
TERMINAL = set("。！？!?；;…：:”’」』》）)】.\"'")
_NAME = rf"[{CJK}·•]{{2,4}}"
BYLINE = re.compile(
    rf"^[（(]?(?:(?:本报|本刊)?(?:记者|通讯员|文|图|文/图|摄影|摄|编辑|责任编辑|作者)\s*[:：/／]?\s*)?"
    rf"{_NAME}(?:\s*[ 、，,/／]\s*{_NAME})*[）)]?$"
    r"|^(?:By|by)\s+[A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+){0,3}$"
)
# a byline that says what it is (记者, 通讯员, 文/图...): it signs the article under whose heading it stands
SIGNED = re.compile(r"^[（(]?(?:本报|本刊)?(?:记者|通讯员|文/图|文|图|摄影|作者)\s*[:：/／]?\s*[^\s]")
MIN_CUT_LINE = 20  # shorter lines without terminal punctuation are headings, not cut sentences


@dataclass
class _Line:
    kind: str  # heading | caption | table | byline | lead (a byline under its heading) | body
    text: str
    level: int = 0
    page: int = 0
    pages: list[tuple[int, int]] = field(default_factory=list)  # (offset in text, page) where later pages start


def _clean_line(line: str) -> str:
    line = line.replace("\u00a0", " ").replace("\u200b", "")
    return line.strip(" \t\u3000\r\f\v")


def _is_prose(text: str) -> bool:
    return any(ch in "，。、；,;" for ch in text)


def _needs_join(prev: str) -> bool:
    """A body paragraph that stops mid-sentence (a page break cut it)."""
    return len(prev) >= MIN_CUT_LINE and _is_prose(prev) and prev[-1] not in TERMINAL


def _join_lines(a: _Line, b: _Line) -> None:
    """``b`` appended to ``a`` (a cut paragraph), keeping where ``b``'s page starts."""
    joined = join_words(a.text, b.text)
    at = len(joined) - len(b.text)
    if b.page != (a.pages[-1][1] if a.pages else a.page):
        a.pages.append((at, b.page))
    a.pages.extend((at + off, page) for off, page in b.pages)
    a.text = joined


def _classify(lines: list[tuple[int, str]]) -> list[_Line]:
    out: list[_Line] = []
    for page, raw in lines:
        text = _clean_line(raw)
        if not text:
            continue
        m = HEADING.match(text)
        if m and planted_instruction(m.group(2)):  # an instruction to the reader never titles anything:
            out.append(_Line("body", m.group(2).strip(), 0, page))  # it stays text, in a passage flagged, never quoted
        elif m:
            out.append(_Line("heading", m.group(2).strip(), len(m.group(1)), page))
        elif text[0] in CAPTION_MARKS:
            out.append(_Line("caption", text[1:].strip(), page=page))
        elif text[0] == TABLE_MARK:
            out.append(_Line("table", text[1:].strip(), page=page))
        else:
            out.append(_Line("body", text, page=page))
    # bylines: short name lines right before a heading, another byline, or the end (captions and
    # tables placed after them do not count)
    for i in range(len(out) - 1, -1, -1):
        ln = out[i]
        if ln.kind != "body" or not BYLINE.match(fold(ln.text)):  # 記者 as 记者
            continue
        nxt = next((x for x in out[i + 1:] if x.kind not in ("caption", "table")), None)
        prev_body = any(x.kind == "body" for x in out[:i])
        if prev_body and (nxt is None or nxt.kind in ("heading", "byline")):
            ln.kind = "byline"
        elif i and out[i - 1].kind == "heading" and SIGNED.match(fold(ln.text)):
            ln.kind = "lead"  # 本报记者 孙晓梅, right under the heading
    return out


def _repair_breaks(lines: list[_Line]) -> list[_Line]:
    """Join body paragraphs cut by a page break, even across captions placed in the gap."""
    out: list[_Line] = []
    pending: int | None = None  # index in out of a body line waiting for its continuation
    for ln in lines:
        if ln.kind == "body" and pending is not None:
            _join_lines(out[pending], ln)
            if not _needs_join(out[pending].text):
                pending = None
            continue
        if ln.kind in ("heading", "byline", "lead"):
            pending = None
        out.append(ln)
        if ln.kind == "body" and _needs_join(ln.text):
            pending = len(out) - 1
    return out


@dataclass
class Layout:
    text: str  # the cleaned document text; block offsets point into it
    title: str
    blocks: list[Block]
    pages: list[tuple[int, int]] = field(default_factory=list)  # (offset, page) where each page starts

    def page_at(self, offset: int) -> int:
        """The page the text at ``offset`` is on (1-based; 0 when the document is not paged)."""
        i = bisect.bisect_right(self.pages, (offset, 1 << 30)) - 1
        return self.pages[i][1] if i >= 0 else 0


def _page_lines(raw: str, paged: bool) -> list[tuple[int, str]]:
    """(page, line) for every line; pages are split at form feeds when ``paged`` (else 0)."""
    if not paged:
        return [(0, line) for line in raw.replace("\f", "\n").split("\n")]
    return [(n, line) for n, page in enumerate(raw.split("\f"), 1) for line in page.split("\n")]


def parse_layout(raw: str, default_title: str = "", paged: bool = False) -> Layout:
    """Parse extracted bulletin text into blocks with titles, sections, authors and offsets;
    ``paged``: its pages are separated by form feeds, and where each starts is kept."""
    raw = raw.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    lines = _repair_breaks(_classify(_page_lines(raw, paged)))

    # masthead: short lines before the first heading that are not prose
    first_heading = next((i for i, ln in enumerate(lines) if ln.kind == "heading"), len(lines))
    masthead = [ln for ln in lines[:first_heading]
                if ln.kind == "body" and len(ln.text) < MIN_CUT_LINE and not _is_prose(ln.text)]
    if planted_instruction(default_title):  # a page titled with an instruction to its reader
        default_title = ""
    doc_title = default_title or (masthead[0].text if masthead else "")
    if not doc_title:
        doc_title = next((ln.text for ln in lines if ln.kind == "heading"), "")

    parts: list[str] = []
    pos = 0
    marks: list[tuple[int, int]] = []
    blocks: list[Block] = []
    title, path = doc_title, ()
    article_start = 0  # index in blocks where the current article began
    closed = False  # a byline closed the current article
    authors: list[str] = []

    def emit(ln: _Line, text: str | None = None) -> tuple[int, int]:
        nonlocal pos
        if parts:
            parts.append("\n\n")
            pos += 2
        start = pos
        text = ln.text if text is None else text
        parts.append(text)
        pos += len(text)
        if paged:
            for off, page in [(0, ln.page)] + ln.pages:
                if not marks or marks[-1][1] != page:
                    marks.append((start + min(off, len(text)), page))
        return start, pos

    for ln in lines:
        if ln.kind == "heading":
            if authors:
                for b in blocks[article_start:]:
                    b.author = "、".join(authors)
                authors = []
            emit(ln, "#" * ln.level + " " + ln.text)
            if ln.level <= 2 or closed or not path:
                title, path = ln.text, (ln.text,)
                article_start = len(blocks)
            else:
                depth = max(1, min(ln.level - 2, len(path)))
                path = path[:depth] + (ln.text,)
            closed = False
            continue
        if ln.kind in ("byline", "lead"):
            emit(ln)
            authors.append(re.sub(r"^[（(]|[）)]$", "", ln.text))
            closed = ln.kind == "byline"
            continue
        if ln in masthead:
            emit(ln)
            continue
        if closed and ln.kind != "table":  # text after a byline without a new heading: a new unnamed
            # article (a table printed after the byline still belongs to the article it closes)
            for b in blocks[article_start:]:
                b.author = "、".join(authors)
            authors, closed, article_start = [], False, len(blocks)
        start, end = emit(ln)
        blocks.append(Block(ln.text, ln.kind, title, path, "", start, end))
    if authors:
        for b in blocks[article_start:]:
            b.author = "、".join(authors)
    return Layout("".join(parts), doc_title, blocks, marks)
