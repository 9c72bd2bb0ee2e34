"""HTML and Markdown for the chat UI (no Gradio here, so it is quick to test).

An answer's markers ``[n]`` become links to source card ``n`` of that answer; a card shows the
cited passage with its title, section, author and date, and the supporting sentence in ``<mark>``.
Every function that writes words for people takes ``lang`` (``en`` or ``zh``, :mod:`.texts`).
"""
from __future__ import annotations

import html
import re
from dataclasses import fields
from pathlib import Path

from ..answering import best_sentence, char_overlap
from ..text import MARKER, marker_numbers
from ..text.chars import escape_controls
from ..types import Answer, Chunk, Citation, Document, Hit, IngestReport, Skipped
from .safety import safe_filename as safe_name
from .texts import note_parts, reason, t

NOTE_CLASS = "answer-note"
DETAILS_CLASS = "note-details"
PROBLEM_CLASS = "answer-problem"


def esc(text: str) -> str:
    return html.escape(text or "", quote=True)


def no_sources(lang: str = "en") -> str:
    return f'<div class="sources-empty">{esc(t("no_sources", lang))}</div>'


def searching(lang: str = "en") -> str:
    return f'<div class="sources-empty">{esc(t("searching", lang))}</div>'


NO_SOURCES = no_sources()
SEARCHING = searching()


def card_id(turn: str, n: int) -> str:
    """The HTML id of source card ``n`` of one answer (``turn`` keeps answers apart)."""
    return f"src-{turn}-{n}"


# ---------------------------------------------------------------- the chat message
def link_markers(text: str, turn: str, lang: str = "en") -> str:
    """``text`` escaped, with each marker ``[n]`` a link to source card ``n`` of ``turn``."""
    out, pos = [], 0
    for m in MARKER.finditer(text):
        out.append(esc(text[pos:m.start()]))
        out.extend(f'<a class="cite" href="#{card_id(turn, n)}" title="{esc(t("source_n", lang, n=n))}">[{n}]</a>'
                   for n in marker_numbers(m))
        pos = m.end()
    out.append(esc(text[pos:]))
    return "".join(out)


def note_text(note: str, lang: str = "en") -> tuple[str, str]:
    """An answer's note in ``lang`` and the original words kept aside for a details line ("" if none)."""
    parts = note_parts(note, lang)
    text = ("；" if lang == "zh" else "; ").join(p for p, _ in parts)
    return text, "; ".join(d for _, d in parts if d)


def note_html(note: str, lang: str = "en") -> str:
    """The note under an answer (why it fell back, why it refused...) in ``lang``; words kept in
    their original language go in a closed details line."""
    text, details = note_text(note, lang)
    if not text:
        return ""
    return f'\n\n<span class="{NOTE_CLASS}">ℹ️ {esc(text)}</span>' + details_html(details, lang)


def message_html(text: str, turn: str, note: str = "", lang: str = "en", caveat: str = "",
                 read_as: str = "") -> str:
    """The chat bubble of an answer: how a follow-up was read (``read_as``), the text with linked
    markers (its ``caveat`` lead marked), then the note (fallback reason...) if any, in ``lang``."""
    if caveat and text.startswith(caveat):
        body = (f'<span class="answer-caveat">⚠️ {link_markers(caveat, turn, lang)}</span>'
                + link_markers(text[len(caveat):], turn, lang))
    else:
        body = link_markers(text, turn, lang)
    if read_as:
        body = f'<span class="{NOTE_CLASS}">🔁 {esc(t("read_as", lang))}{esc(read_as)}</span>\n\n' + body
    return body + note_html(note, lang)


def details_html(details: str, lang: str = "en") -> str:
    """Words kept in their original language (an error's text), in a closed details line."""
    if not details:
        return ""
    return f'<details class="{DETAILS_CLASS}"><summary>{esc(t("details", lang))}</summary>{esc(details)}</details>'


def problem_html(message: str, details: str = "", lang: str = "en") -> str:
    """A chat bubble saying why a question was not asked or answered (a bad date, too long...):
    not an answer, so the follow-up history and the export leave it out."""
    return f'<span class="{PROBLEM_CLASS}">⚠️ {esc(message)}</span>' + details_html(details, lang)


def plain_text(content) -> str:
    """A chat message back as plain text (for the follow-up history): no markup, no note."""
    if isinstance(content, list):  # content parts
        content = " ".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    if not isinstance(content, str):
        return ""
    content = re.sub(rf'<span class="(?:{NOTE_CLASS}|{PROBLEM_CLASS})">.*?</span>|<details class="{DETAILS_CLASS}">.*?</details>',
                     "", content, flags=re.S)
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


def source_card(c: Citation, hit: Hit | None, turn: str, lang: str = "en") -> str:
    """One cited passage: title, section, author, date, and the passage with its quote marked."""
    passage = hit.chunk.text if hit is not None else c.quote
    section = section_label(c.section, c.title)
    colon = "：" if lang == "zh" else ": "
    meta = [f'<span class="src-{k}">{esc(t(k, lang))}{colon}{esc(v)}</span>'
            for k, v in (("section", section), ("author", c.author), ("date", c.date)) if v]
    kind = f' <span class="src-kind">{esc(t(c.kind, lang))}</span>' if c.kind in ("caption", "table") else ""
    page = f' · <span class="src-page">{esc(t("page", lang, page=c.page))}</span>' if c.page else ""
    rerank = ("" if hit is None or hit.rerank_score is None
              else f' · <span class="src-rerank">{esc(t("rerank_score", lang))} {hit.rerank_score:.2f}</span>')
    return (f'<div class="src-card" id="{card_id(turn, c.n)}">'
            f'<div class="src-head"><span class="src-n">[{c.n}]</span> '
            f'<span class="src-title">{esc(c.title or c.doc_id)}</span>{kind}</div>'
            f'<div class="src-meta">{" · ".join(meta)}</div>'
            f'<div class="src-text">{highlight(passage, c.quote)}</div>'
            f'<div class="src-doc">{esc(c.doc_id)}{page} · {esc(t("relevance", lang))} {c.score:.2f}{rerank}'
            f'<a class="open-original" href="#" data-open="{esc(turn)}:{c.n}">{esc(t("open_original", lang))}</a>'
            f'</div></div>')


def sources_html(answer: Answer, turn: str, lang: str = "en") -> str:
    """The sources panel for one answer: its cited passages, or why there are none."""
    if answer.refused or not answer.citations:
        what = t("refused" if answer.refused else "no_citations", lang)
        return f'<div class="sources"><div class="sources-empty refusal">{esc(what)}</div></div>'
    hits = {h.chunk.chunk_id: h for h in answer.passages}
    cards = "".join(source_card(c, hits.get(c.chunk_id), turn, lang) for c in answer.citations)
    return f'<div class="sources">{cards}</div>'


# ---------------------------------------------------------------- settings and documents
def human_size(n: int | None) -> str:
    size = float(n or 0)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def info_markdown(info: dict, lang: str = "en") -> str:
    """Which model and index are loaded, with their sizes (from ``Assistant.info()``)."""
    if info is None:
        return t("kb_empty_info", lang)
    llm = llm_name(info.get("llm"))
    index_type = info.get("index_type")
    return t("info", lang, model=info.get("model"), dim=info.get("dim"), folder=info.get("folder"),
             documents=info.get("documents"), chunks=info.get("chunks"),
             index_type=t("index_exact", lang) if index_type == "flat"
             else t("index_approximate", lang, index_type=index_type),
             size=human_size(info.get("bytes")), llm=llm or t("none", lang))


def llm_name(described: str | None) -> str:
    """The LLM's model name from ``Assistant.info()["llm"]`` (``name @ endpoint``), without the
    endpoint's address (a page shows no server addresses); "" for none."""
    name = (described or "").split(" @ ")[0].strip()
    return "" if name == "none" else name


def doc_choices(documents: list[Document]) -> list[tuple[str, str]]:
    """``(label, doc_id)`` pairs for document dropdowns."""
    out = []
    for d in documents:
        label = d.title or Path(d.doc_id).name
        extra = " · ".join(x for x in (d.date, Path(d.doc_id).name) if x)
        out.append((f"{label} ({extra})" if extra else label, d.doc_id))
    return out


def code(text: str) -> str:
    """``text`` as inline Markdown code on one line, whatever characters a file name holds."""
    text = escape_controls(text)
    fence = "`" * (max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def shown_name(path: str, names: dict[str, str]) -> str:
    """A skipped file as the user knows it: the name it was uploaded as (``names``: saved name ->
    uploaded name), else its file name; a record of a JSONL file (``file (record id)``) keeps its id."""
    m = re.fullmatch(r"(.+) \((.+)\)", path)
    file, record = (m.group(1), m.group(2)) if m and not Path(path).exists() else (path, "")
    name = Path(file).name
    name = names.get(name, name)
    return f"{name} ({record})" if record and Path(record).name != Path(file).name else name


def ingest_markdown(report: IngestReport | None, refused: list[Skipped], lang: str = "en",
                    names: dict[str, str] | None = None) -> str:
    """What an upload did: documents added/updated/unchanged, files saved under another name, and
    every skipped file with why, each named as it was uploaded (``names``: saved name -> that name)."""
    names = names or {}
    lines = []
    if report is not None:
        lines.append(t("updated", lang, seconds=report.seconds, added=len(report.added), updated=len(report.updated),
                       unchanged=len(report.unchanged), documents=report.documents, chunks=report.chunks))
        for doc_id, kept in report.duplicates.items():
            lines.append(t("identical", lang, name=shown_name(doc_id, names), kept=shown_name(kept, names)))
    skipped = refused + (report.skipped if report is not None else [])
    failed = {Path(s.path).name for s in skipped}
    lines.extend(t("saved_as", lang, name=code(name), saved=code(saved)) for saved, name in names.items()
                 if saved != safe_name(name) and saved not in failed)
    if skipped:
        lines.append(t("skipped", lang, n=len(skipped)))
        lines.extend(f"- {code(shown_name(s.path, names))}: {html.escape(reason(s.reason, lang), quote=False)}"
                     for s in skipped)
    return "\n".join(lines) or t("nothing", lang)


def documents_table(documents: list[Document], passages: dict[str, int], query: str = "",
                    lang: str = "en") -> dict:
    """The documents table (title, date, source, passages) as Gradio's ``{"headers", "data"}``,
    only the rows whose title, date, source or id hold ``query`` (any case)."""
    q = (query or "").strip().lower()
    rows = []
    for d in documents:
        row = [d.title or Path(d.doc_id).name, d.date, d.source or d.doc_id, passages.get(d.doc_id, 0)]
        if not q or any(q in str(x).lower() for x in (*row[:3], d.doc_id, *d.aliases)):
            rows.append(row)
    headers = [t(k, lang) for k in ("col_title", "col_date", "col_source", "col_passages")]
    return {"headers": headers, "data": rows or [["", "", "", ""]]}


# ---------------------------------------------------------------- the exported conversation
def turn_record(answer: Answer, turn: str = "", question: str = "") -> dict:
    """One answer as plain data (kept in the page's session for the export, and in the
    conversation's history): its text, note, caveat, how a follow-up was read, and citations,
    each citation with the passage it quotes and where that lies in its document (``start``,
    ``end``, ``page``: 0 when unknown)."""
    hits = {h.chunk.chunk_id: h.chunk for h in answer.passages}

    def cited(c: Citation) -> dict:
        chunk = hits.get(c.chunk_id)
        where = ({"passage": chunk.text, "start": chunk.start, "end": chunk.end, "page": chunk.page}
                 if chunk is not None else {})
        return {**c.to_dict(), **where}

    return {"id": turn, "question": question or answer.question, "text": answer.text, "note": answer.note,
            "refused": answer.refused, "lang": answer.lang, "backend": answer.backend,
            "search_query": answer.search_query, "caveat": answer.caveat,
            "read_as": answer.search_query if answer.rewritten else "",
            "citations": [cited(c) for c in answer.citations]}


CITATION_FIELDS = {f.name for f in fields(Citation)}


def answer_of(record: dict) -> Answer:
    """The :class:`Answer` a :func:`turn_record` was made from, as far as the page needs it (its
    citations, and the passages they quote)."""
    cites = [Citation(**{k: v for k, v in c.items() if k in CITATION_FIELDS}) for c in record.get("citations") or []]
    passages = [Hit(Chunk(c["chunk_id"], c["doc_id"], c["passage"], start=c.get("start", 0), end=c.get("end", 0),
                          page=c.get("page", 0)), c.get("n", 0), c.get("score", 0.0), c.get("score", 0.0))
                for c in record.get("citations") or [] if c.get("passage")]
    return Answer(record.get("question", ""), record.get("text", ""), cites, passages, refused=record.get("refused", False),
                  note=record.get("note", ""), lang=record.get("lang", "zh"), backend=record.get("backend", "extractive"),
                  search_query=record.get("search_query", ""), caveat=record.get("caveat", ""))


def record_html(record: dict, turn: str, lang: str = "en") -> str:
    """The chat bubble of a kept answer (:func:`turn_record`)."""
    return message_html(record.get("text", ""), turn, record.get("note", ""), lang, caveat=record.get("caveat", ""),
                        read_as=record.get("read_as", ""))


def _quote_block(text: str) -> str:
    return "\n".join("> " + line for line in (text or "").splitlines() or [""])


def source_markdown(c: dict, lang: str = "en") -> str:
    """One cited source as a Markdown list item: title, section, author, date, id, quote."""
    section = section_label(c.get("section", ""), c.get("title", ""))
    meta = " · ".join(x for x in (section, c.get("author", ""), c.get("date", "")) if x)
    head = f"{c.get('n')}. **{c.get('title') or c.get('doc_id')}**" + (f" — {meta}" if meta else "")
    page = f" · {t('page', lang, page=c['page'])}" if c.get("page") else ""
    where = f"   {code(c.get('doc_id', ''))}{page} · {t('relevance', lang)} {float(c.get('score', 0)):.2f}"
    quote = "\n".join("   " + line for line in _quote_block(c.get("quote", "")).splitlines())
    return f"{head}  \n{where}\n\n{quote}"


def conversation_markdown(history: list, turns: dict, lang: str = "en", when: str = "") -> str:
    """The conversation (Gradio's chat history) as Markdown: each question, its answer and the
    sources the answer cited (from ``turns``: answer text -> :func:`turn_record`)."""
    out = [t("md_title", lang)]
    if when:
        out.append(f"_{t('md_exported', lang, when=when)}_")
    n = 0
    question = ""
    for msg in history or []:
        if not isinstance(msg, dict):
            continue
        text = plain_text(msg.get("content"))
        if msg.get("role") == "user":
            question = text
            continue
        if msg.get("role") != "assistant" or not text:
            continue
        n += 1
        record = turns.get(text) or {}
        out += [t("md_question", lang, n=n), _quote_block(question) if question else ""]
        if record.get("read_as"):
            out.append(t("md_read_as", lang, q=record["read_as"]))
        out += [t("md_answer", lang), text]
        if record.get("caveat"):
            out.append(t("md_caveat", lang))
        note, details = note_text(record.get("note", ""), lang)
        if note:
            out.append(f"_{note}_" + (f" ({details})" if details else ""))
        out.append(t("md_sources", lang))
        cites = record.get("citations") or []
        out.append("\n\n".join(source_markdown(c, lang) for c in cites) if cites else t("md_no_sources", lang))
        question = ""
    if not n:
        out.append(t("md_empty", lang))
    return "\n\n".join(x for x in out if x) + "\n"
