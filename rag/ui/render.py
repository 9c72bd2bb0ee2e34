"""HTML and Markdown for the chat UI (no Gradio here, so it is quick to test).

An answer's markers ``[n]`` become links to source card ``n`` of that answer; a card shows the
cited passage with its title, section, author and date, and the supporting sentence in ``<mark>``.
"""
from __future__ import annotations

import html
import re
from pathlib import Path

from ..answering import best_sentence, char_overlap
from ..text import MARKER, marker_numbers
from ..types import Answer, Citation, Document, Hit, IngestReport, Skipped
NOTE_CLASS = "answer-note"
NO_SOURCES = '<div class="sources-empty">Sources of the answer appear here.</div>'
SEARCHING = '<div class="sources-empty">Searching the bulletins…</div>'


def esc(text: str) -> str:
    return html.escape(text or "", quote=True)


def card_id(turn: str, n: int) -> str:
    """The HTML id of source card ``n`` of one answer (``turn`` keeps answers apart)."""
    return f"src-{turn}-{n}"


# ---------------------------------------------------------------- the chat message
def link_markers(text: str, turn: str) -> str:
    """``text`` escaped, with each marker ``[n]`` a link to source card ``n`` of ``turn``."""
    out, pos = [], 0
    for m in MARKER.finditer(text):
        out.append(esc(text[pos:m.start()]))
        out.extend(f'<a class="cite" href="#{card_id(turn, n)}" title="source {n}">[{n}]</a>'
                   for n in marker_numbers(m))
        pos = m.end()
    out.append(esc(text[pos:]))
    return "".join(out)


def message_html(text: str, turn: str, note: str = "") -> str:
    """The chat bubble of an answer: linked markers, then the note (fallback reason...) if any."""
    body = link_markers(text, turn)
    if note:
        body += f'\n\n<span class="{NOTE_CLASS}">ℹ️ {esc(note)}</span>'
    return body


def plain_text(content) -> str:
    """A chat message back as plain text (for the follow-up history): no markup, no note."""
    if isinstance(content, list):  # content parts
        content = " ".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    if not isinstance(content, str):
        return ""
    content = re.sub(rf'<span class="{NOTE_CLASS}">.*?</span>', "", content, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", content)).strip()


def plain_history(history) -> list[dict]:
    """Gradio's chat history as ``{"role", "content"}`` dicts of plain text."""
    out = []
    for msg in history or []:
        if isinstance(msg, dict) and msg.get("role") in ("user", "assistant"):
            text = plain_text(msg.get("content"))
            if text:
                out.append({"role": msg["role"], "content": text})
    return out


# ---------------------------------------------------------------- the sources panel
def find_quote(passage: str, quote: str) -> tuple[int, int]:
    """Where the supporting sentence lies in the passage: ``(start, end)``, or ``(-1, -1)``.

    Tried in turn: the exact text; the text with whitespace and the final stop ignored; the
    passage sentence sharing most characters with the quote (at least half of them).
    """
    q = (quote or "").strip()
    if not q or not passage:
        return -1, -1
    i = passage.find(q)
    if i >= 0:
        return i, i + len(q)
    core = re.sub(r"\s+", "", q).rstrip("。．.！!？?；;")
    if core:
        m = re.search(r"\s*".join(map(re.escape, core)), passage)
        if m:
            return m.start(), m.end()
    start, end = best_sentence(q, passage)
    if char_overlap(q, passage[start:end]) >= 0.5:
        return start, end
    return -1, -1


def highlight(passage: str, quote: str) -> str:
    """The passage as HTML with the supporting sentence in ``<mark>`` (quote shown apart if absent)."""
    start, end = find_quote(passage, quote)
    if start < 0:
        return esc(passage) + (f'\n<mark class="quote-apart">{esc(quote)}</mark>' if quote else "")
    return f"{esc(passage[:start])}<mark>{esc(passage[start:end])}</mark>{esc(passage[end:])}"


def section_label(section: str, title: str) -> str:
    """The section path without the document title it starts with."""
    prefix = f"{title} > "
    return section[len(prefix):] if title and section.startswith(prefix) else ("" if section == title else section)


def source_card(c: Citation, hit: Hit | None, turn: str) -> str:
    """One cited passage: title, section, author, date, and the passage with its quote marked."""
    passage = hit.chunk.text if hit is not None else c.quote
    section = section_label(c.section, c.title)
    meta = [f'<span class="src-{k}">{label}: {esc(v)}</span>'
            for k, label, v in (("section", "Section", section), ("author", "Author", c.author),
                                ("date", "Date", c.date)) if v]
    kind = ' <span class="src-kind">photo caption</span>' if c.kind == "caption" else ""
    return (f'<div class="src-card" id="{card_id(turn, c.n)}">'
            f'<div class="src-head"><span class="src-n">[{c.n}]</span> '
            f'<span class="src-title">{esc(c.title or c.doc_id)}</span>{kind}</div>'
            f'<div class="src-meta">{" · ".join(meta)}</div>'
            f'<div class="src-text">{highlight(passage, c.quote)}</div>'
            f'<div class="src-doc">{esc(c.doc_id)} · relevance {c.score:.2f}</div></div>')


def sources_html(answer: Answer, turn: str) -> str:
    """The sources panel for one answer: its cited passages, or why there are none."""
    if answer.refused or not answer.citations:
        what = "No passage in the bulletins answers this question." if answer.refused else "No sources cited."
        return f'<div class="sources"><div class="sources-empty refusal">{what}</div></div>'
    hits = {h.chunk.chunk_id: h for h in answer.passages}
    cards = "".join(source_card(c, hits.get(c.chunk_id), turn) for c in answer.citations)
    return f'<div class="sources">{cards}</div>'


# ---------------------------------------------------------------- settings and documents
def human_size(n: int | None) -> str:
    size = float(n or 0)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def info_markdown(info: dict) -> str:
    """Which model and index are loaded, with their sizes (from ``Assistant.info()``)."""
    llm = info.get("llm") or "none"
    return (f"**Model:** `{info.get('model')}` ({info.get('dim')}-dim vectors)  \n"
            f"**Index:** `{info.get('folder')}`: {info.get('documents')} documents, "
            f"{info.get('chunks')} passages, {info.get('index_type')}, {human_size(info.get('bytes'))} on disk  \n"
            f"**Answerer:** {info.get('answerer')} · **LLM:** {llm}")


def doc_choices(documents: list[Document]) -> list[tuple[str, str]]:
    """``(label, doc_id)`` pairs for document dropdowns."""
    out = []
    for d in documents:
        label = d.title or Path(d.doc_id).name
        extra = " · ".join(x for x in (d.date, Path(d.doc_id).name) if x)
        out.append((f"{label} ({extra})" if extra else label, d.doc_id))
    return out


def ingest_markdown(report: IngestReport | None, refused: list[Skipped]) -> str:
    """What an upload did: documents added/updated/unchanged, and every skipped file with why."""
    lines = []
    if report is not None:
        lines.append(f"**Index updated** in {report.seconds:.1f} s: {len(report.added)} added, "
                     f"{len(report.updated)} updated, {len(report.unchanged)} unchanged "
                     f"({report.documents} documents, {report.chunks} passages).")
        for doc_id, kept in report.duplicates.items():
            lines.append(f"- `{Path(doc_id).name}` is identical to `{kept}` (stored once)")
    skipped = refused + (report.skipped if report is not None else [])
    if skipped:
        lines.append(f"**Skipped {len(skipped)}:**")
        lines.extend(f"- `{Path(s.path).name}`: {s.reason}" for s in skipped)
    return "\n".join(lines) or "Nothing to do."
