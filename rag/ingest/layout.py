"""Recover a bulletin's layout from extracted text.

Bulletins reach us as text with markdown-style headings (``##`` article, ``###`` section),
photo captions starting with ``■``, bylines (a lone short name line closing an article) and
page breaks that cut a sentence, or a word, in two. :func:`parse_layout` repairs the breaks,
keeps captions apart, attaches bylines to their article, and returns the cleaned text with
:class:`~rag.types.Block` s that carry title, section path, author and character offsets.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ..text import CJK, fold, planted_instruction
from ..types import Block

HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*$")
CAPTION_MARKS = "■▲●◆□△▼"
# characters that can end a paragraph; anything else at a line end is a cut sentence
TERMINAL = set("。！？!?；;…：:”’」』》）)】.\"'")
_NAME = rf"[{CJK}·•]{{2,4}}"
BYLINE = re.compile(
    rf"^[（(]?(?:(?:本报|本刊)?(?:记者|通讯员|文|图|文/图|摄影|摄|编辑|责任编辑|作者)\s*[:：/／]?\s*)?"
    rf"{_NAME}(?:\s*[ 、，,/／]\s*{_NAME})*[）)]?$"
    r"|^(?:By|by)\s+[A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+){0,3}$"
)
MIN_CUT_LINE = 20  # shorter lines without terminal punctuation are headings, not cut sentences


@dataclass
class _Line:
    kind: str  # heading | caption | byline | body
    text: str
    level: int = 0


def _clean_line(line: str) -> str:
    line = line.replace("\u00a0", " ").replace("\u200b", "")
    return line.strip(" \t\u3000\r\f\v")


def _is_prose(text: str) -> bool:
    return any(ch in "，。、；,;" for ch in text)


def _needs_join(prev: str) -> bool:
    """A body paragraph that stops mid-sentence (a page break cut it)."""
    return len(prev) >= MIN_CUT_LINE and _is_prose(prev) and prev[-1] not in TERMINAL


def _join(a: str, b: str) -> str:
    if a.endswith("-") and a[-2:-1].isalpha() and b[:1].islower():
        return a[:-1] + b  # de-hyphenate an English word cut at the break
    wide = lambda ch: unicodedata.east_asian_width(ch) in "WF"
    return a + b if (wide(a[-1]) or wide(b[0])) else a + " " + b


def _classify(lines: list[str]) -> list[_Line]:
    out: list[_Line] = []
    for raw in lines:
        text = _clean_line(raw)
        if not text:
            continue
        m = HEADING.match(text)
        if m and planted_instruction(m.group(2)):  # an instruction to the reader never titles anything:
            out.append(_Line("body", m.group(2).strip()))  # it stays text, in a passage flagged and never quoted
        elif m:
            out.append(_Line("heading", m.group(2).strip(), len(m.group(1))))
        elif text[0] in CAPTION_MARKS:
            out.append(_Line("caption", text[1:].strip()))
        else:
            out.append(_Line("body", text))
    # bylines: short name lines right before a heading, another byline, or the end
    for i in range(len(out) - 1, -1, -1):
        ln = out[i]
        if ln.kind != "body" or not BYLINE.match(fold(ln.text)):  # 記者 as 记者
            continue
        nxt = next((x for x in out[i + 1:] if x.kind != "caption"), None)
        prev_body = any(x.kind == "body" for x in out[:i])
        if prev_body and (nxt is None or nxt.kind in ("heading", "byline")):
            ln.kind = "byline"
    return out


def _repair_breaks(lines: list[_Line]) -> list[_Line]:
    """Join body paragraphs cut by a page break, even across captions placed in the gap."""
    out: list[_Line] = []
    pending: int | None = None  # index in out of a body line waiting for its continuation
    for ln in lines:
        if ln.kind == "body" and pending is not None:
            out[pending].text = _join(out[pending].text, ln.text)
            if not _needs_join(out[pending].text):
                pending = None
            continue
        if ln.kind in ("heading", "byline"):
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


def parse_layout(raw: str, default_title: str = "") -> Layout:
    """Parse extracted bulletin text into blocks with titles, sections, authors and offsets."""
    raw = raw.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    lines = _repair_breaks(_classify(raw.split("\n")))

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
    blocks: list[Block] = []
    title, path = doc_title, ()
    article_start = 0  # index in blocks where the current article began
    closed = False  # a byline closed the current article
    authors: list[str] = []

    def emit(text: str) -> tuple[int, int]:
        nonlocal pos
        if parts:
            parts.append("\n\n")
            pos += 2
        start = pos
        parts.append(text)
        pos += len(text)
        return start, pos

    for ln in lines:
        if ln.kind == "heading":
            if authors:
                for b in blocks[article_start:]:
                    b.author = "、".join(authors)
                authors = []
            emit("#" * ln.level + " " + ln.text)
            if ln.level <= 2 or closed or not path:
                title, path = ln.text, (ln.text,)
                article_start = len(blocks)
            else:
                depth = max(1, min(ln.level - 2, len(path)))
                path = path[:depth] + (ln.text,)
            closed = False
            continue
        if ln.kind == "byline":
            emit(ln.text)
            authors.append(re.sub(r"^[（(]|[）)]$", "", ln.text))
            closed = True
            continue
        if ln in masthead:
            emit(ln.text)
            continue
        if closed:  # text after a byline without a new heading: a new unnamed article
            for b in blocks[article_start:]:
                b.author = "、".join(authors)
            authors, closed, article_start = [], False, len(blocks)
        start, end = emit(ln.text)
        blocks.append(Block(ln.text, ln.kind, title, path, "", start, end))
    if authors:
        for b in blocks[article_start:]:
            b.author = "、".join(authors)
    return Layout("".join(parts), doc_title, blocks)
