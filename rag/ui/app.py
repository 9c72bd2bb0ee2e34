"""The web UI: a Gradio chat over the bulletins, with sources, settings and corpus management.

    from rag.ui import build_app, launch
    launch(Assistant.open(settings=s), s)        # what `rag serve` and `python app.py` do

Questions stream into the chat; each marker ``[n]`` links to its source card in the panel beside
it. A sidebar holds the knowledge bases (create, rename, delete, choose), the conversations kept
between visits (reopen, rename, delete), the search settings and the documents: upload
(ingested with a progress bar, without holding up anyone's questions) and remove. Every answer
takes a 👍 or 👎, and a 👎 a correction. The page remembers (in the browser) which knowledge base
and conversation it showed, so a reload shows them again. Nothing is fetched from the internet.
"""
from __future__ import annotations

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported: no telemetry

import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from dataclasses import replace  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Iterator  # noqa: E402

import gradio as gr  # noqa: E402

from ..config import Settings, SettingsError, check_k  # noqa: E402
from ..search import MODES, Filters  # noqa: E402
from ..text.dates import DateError, parse_date  # noqa: E402
from ..types import Skipped  # noqa: E402
from ..workspace import DEFAULT_KB, KBError, browser_secret  # noqa: E402
from .library import Library, settings_record  # noqa: E402
from .original import original_html  # noqa: E402
from .render import (answer_of, conversation_markdown, doc_choices, documents_table, esc,  # noqa: E402
                     info_markdown, ingest_markdown, llm_name, message_html, no_sources, plain_history, plain_text,
                     problem_html, record_html, searching, sources_html, turn_record)
from .safety import check_exposure, forget_upload, is_inside, save_upload, settle_upload  # noqa: E402
from .texts import language_of, t, translations  # noqa: E402

STAGES = ("read", "chunk", "embed", "write")

# Local fonts only: the default theme would load its fonts from Google.
FONTS = ["system-ui", "-apple-system", "Segoe UI", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei",
         "sans-serif"]
MONO = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]

CSS = """
.sources { display: flex; flex-direction: column; gap: 10px; }
.src-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px;
            background: var(--background-fill-primary); scroll-margin: 80px; transition: box-shadow .3s; }
.src-card.active { box-shadow: 0 0 0 3px var(--color-accent); }
.src-head { font-weight: 600; margin-bottom: 4px; }
.src-n { color: var(--color-accent); margin-right: 4px; }
.src-kind { font-weight: 400; font-size: .8em; color: var(--body-text-color-subdued); }
.src-meta { font-size: .85em; color: var(--body-text-color-subdued); margin-bottom: 6px; }
.src-text { white-space: pre-wrap; line-height: 1.6; }
.src-text mark { background: #ffe58a; color: inherit; padding: 0 1px; border-radius: 2px; }
.src-doc { font-size: .75em; color: var(--body-text-color-subdued); margin-top: 6px; word-break: break-all; }
.sources-empty { color: var(--body-text-color-subdued); padding: 8px 0; }
.answer-note { display: block; font-size: .85em; color: var(--body-text-color-subdued); }
.answer-caveat { display: block; margin-bottom: .3em; padding: .2em .5em; border-left: 3px solid #d97706;
                 background: rgba(217, 119, 6, .08); }
a.cite { text-decoration: none; font-weight: 600; cursor: pointer; }
.answer-problem { color: var(--error-text-color, #b91c1c); }
.note-details { font-size: .8em; color: var(--body-text-color-subdued); }
.upload-refused:not(:empty) { color: var(--error-text-color, #b91c1c); font-size: .9em; padding: 4px 0; }
#page-title h2 { margin: 0; }
#history .wrap { flex-direction: column; align-items: stretch; gap: 4px; max-height: 40vh; overflow-y: auto;
                 flex-wrap: nowrap; }
#history label { width: 100%; }
/* a file's whole name, wrapped (Gradio cuts a long one short with an ellipsis); font-size 0 drops the
   space between its name and extension */
#upload .filename { display: block; overflow: visible; word-break: break-all; font-size: 0; }
#upload .filename .stem, #upload .filename .ext { display: inline; white-space: normal; overflow: visible;
                                                  font-size: var(--text-md); }
/* the original of a cited passage */
.orig-view { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px; margin-top: 10px;
             background: var(--background-fill-primary); }
.orig-head { display: flex; justify-content: space-between; gap: 8px; font-weight: 600; margin-bottom: 6px; }
.orig-close { font-weight: 400; font-size: .85em; }
.orig-text { white-space: pre-wrap; line-height: 1.7; max-height: 70vh; overflow-y: auto; }
.orig-text mark.orig-passage { background: #fff3c4; color: inherit; }
.orig-text mark.orig-quote { background: #ffd54a; color: inherit; }
.orig-page { position: relative; }
.orig-page img { width: 100%; display: block; border: 1px solid var(--border-color-primary); }
.orig-box { position: absolute; border: 2px solid #e8590c; background: rgba(255, 213, 74, .35); border-radius: 2px; }
.orig-where, .orig-note { font-size: .85em; color: var(--body-text-color-subdued); margin-bottom: 4px; }
a.open-original { margin-left: 6px; }
#open-request, #open-btn { display: none !important; }
/* Gradio's own progress words ("processing", "queue: 1/2", timers) are English only: the page says
   how far things are in its own words (the ingest status, the chat's pending answer) */
.wrap .progress-text.meta-text, .wrap .progress-text.meta-text-center { display: none !important; }
"""

# The chat fills the window's height, so the question box under it stays in view (1024x700 too).
CHAT_HEIGHT = "calc(100vh - 250px)"

# A click on a marker [n] scrolls its source card into view and outlines it.
HEAD = """<script>
document.addEventListener("click", function (event) {
  var link = event.target.closest ? event.target.closest('a[href^="#src-"]') : null;
  if (!link) return;
  event.preventDefault();
  event.stopPropagation();
  var card = document.getElementById(link.getAttribute("href").slice(1));
  if (!card) return;
  document.querySelectorAll(".src-card.active").forEach(function (c) { c.classList.remove("active"); });
  card.classList.add("active");
  card.scrollIntoView({behavior: "smooth", block: "center"});
}, true);

// "Open the original" on a source card: a hidden button asks the server to render it into #original
// (the button's event reads which source from window.bulletinRagOpen)
document.addEventListener("click", function (event) {
  var link = event.target.closest ? event.target.closest("a.open-original, a.orig-close") : null;
  if (!link) return;
  event.preventDefault();
  event.stopPropagation();
  if (link.classList.contains("orig-close")) {
    var view = link.closest(".orig-view");
    if (view) view.style.display = "none";
    return;
  }
  window.bulletinRagOpen = link.dataset.open;
  var button = document.querySelector("#open-btn");
  if (button) button.click();
}, true);

// A file over the upload limit is refused before it is sent, with the page's own message
// (#upload-rules: the limit and the words, in the page's language), instead of Gradio's.
function refusedForSize(files) {
  var rules = document.querySelector("#upload-rules [data-max]");
  if (!rules) return false;
  var big = Array.prototype.filter.call(files || [], function (f) { return f.size > Number(rules.dataset.max); });
  rules.textContent = big.length ? rules.dataset.message.replace("{names}",
      big.map(function (f) { return f.name; }).join(", ")) : "";
  return big.length > 0;
}
document.addEventListener("change", function (event) {
  var input = event.target;
  if (!input.matches || !input.matches('#upload input[type="file"]')) return;
  if (refusedForSize(input.files)) { event.stopImmediatePropagation(); input.value = ""; }
}, true);
// Words Gradio writes in English whatever the page's language ("Uploading 1 file...", a rated answer's
// "Liked"/"Disliked"): said in the page's own (#upload-rules holds them, in its language)
function ownWords() {
  var words = document.querySelector("#upload-rules [data-uploading]");
  if (!words) return;
  var fixed = {Liked: words.dataset.liked, Disliked: words.dataset.disliked};
  document.querySelectorAll("#upload *, #chat button").forEach(function (el) {
    el.childNodes.forEach(function (n) {
      var m = n.nodeType === 3 && n.textContent.match(/^\s*Uploading (\d+)\s+files?\.\.\.\s*$/);
      if (m) n.textContent = words.dataset.uploading.replace("{n}", m[1]);
    });
    ["title", "aria-label"].forEach(function (a) {
      var v = el.getAttribute(a);
      if (v && fixed[v] && fixed[v] !== v) el.setAttribute(a, fixed[v]);
    });
  });
}
new MutationObserver(ownWords).observe(document.documentElement, {subtree: true, childList: true,
  characterData: true, attributes: true, attributeFilter: ["title", "aria-label"]});
document.addEventListener("drop", function (event) {
  if (!event.target.closest || !event.target.closest("#upload")) return;
  if (refusedForSize(event.dataTransfer && event.dataTransfer.files)) {
    event.preventDefault(); event.stopImmediatePropagation();
  }
}, true);
</script>"""


def theme() -> gr.themes.Base:
    """The default look with system fonts (nothing loaded from a font service)."""
    return gr.themes.Default(font=FONTS, font_mono=MONO)


def uploads_dir(settings: Settings) -> Path:
    """Where uploaded bulletins are kept: ``<corpus_dir>/uploads``."""
    return Path(settings.corpus_dir) / "uploads"


class Problem(ValueError):
    """Something about a question or a request that the page says in its language (and that
    locks nothing: the question box stays usable). ``clear_filter``: the document filter holds
    only documents gone from the index, and is emptied."""

    def __init__(self, message: str, clear_filter: bool = False):
        super().__init__(message)
        self.clear_filter = clear_filter


def read_date(value: str, field: str, lang: str) -> str:
    """A date box's value as an ISO date ("" when empty), or :class:`Problem` naming the box."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return parse_date(value)
    except DateError as exc:
        key = "bad_date_relative" if "relative date" in str(exc) else "bad_date"
        raise Problem(t(key, lang, field=t(field, lang), value=value, forms=t("date_forms", lang))) from None


def make_filters(doc_ids, date_from: str, date_to: str, lang: str = "en") -> Filters:
    """Search filters from the settings controls; a date that cannot be read, or an end date
    before the start date, is a :class:`Problem` that lists the accepted forms (in the page's language)."""
    lo, hi = read_date(date_from, "date_from", lang), read_date(date_to, "date_to", lang)
    try:
        return Filters(doc_ids=tuple(doc_ids or ()), date_from=lo, date_to=hi)
    except DateError:
        raise Problem(t("date_order", lang, date_from=date_from.strip(), date_to=date_to.strip())) from None


def upload_of(f) -> tuple[str, str]:
    """``(path, name as uploaded)`` of one file of the upload box: a Gradio file record (its
    ``orig_name`` is what the user's file was called; Gradio's own copy drops characters such as
    ``?``) or a path."""
    if isinstance(f, dict):
        path = f.get("path") or ""
        return path, f.get("orig_name") or Path(path).name
    return str(f), Path(str(f)).name


def _lang(value) -> str:
    return value if value in ("en", "zh") else "en"


class UI:
    """The event handlers, bound to the knowledge bases (:class:`Library`) and the settings. Each
    takes the page's language (``lang``, set when the page loads) and writes its messages in it,
    and the page's ``session`` (``{"kb": id, "conversation": id}``, kept in the browser)."""

    def __init__(self, library, settings: Settings):
        self.library = library if isinstance(library, Library) else Library(settings, library)
        self.settings = settings
        self.exports = Path(tempfile.mkdtemp(prefix="bulletin-rag-export-"))

    # ------------------------------------------------------------ what the page shows
    def view(self, kb_id: str | None, conversation: str | None, lang: str, doc_query: str = "") -> tuple:
        """Everything that follows the knowledge base and the conversation (``VIEW`` outputs):
        the session, the lists, the conversation's messages and the last answer's sources. A
        knowledge base or conversation deleted meanwhile gives way to the default one or none."""
        try:
            kb = self.library.kb(kb_id)
        except KBError:
            kb = self.library.kb(DEFAULT_KB)
        conv = self.library.history.get(conversation) if conversation else None
        if conv is not None and conv.kb != kb.id:
            conv = None
        messages, turns = [], {}
        kept = self.library.history.turns(conv.id) if conv else []
        for turn in kept:
            html = record_html(turn.answer, turn.id, lang)
            messages += [{"role": "user", "content": turn.question}, {"role": "assistant", "content": html}]
            turns[plain_text(html)] = turn.answer
        sources = sources_html(answer_of(kept[-1].answer), kept[-1].id, lang) if kept else no_sources(lang)
        session = {"kb": kb.id, "conversation": conv.id if conv else ""}
        chat = gr.update(value=messages, placeholder=t("chat_placeholder", lang))
        return (session, self.kb_choices(kb.id, lang), *self.refresh(lang, doc_query, kb.id),
                self.history_choices(kb.id, session["conversation"]), chat, messages, messages, turns, sources,
                gr.update(visible=False), "")

    def kb_choices(self, kb_id: str, lang: str) -> dict:
        return gr.update(choices=[(kb.name or t("kb_default", lang), kb.id) for kb in self.library.kbs.list()],
                         value=kb_id)

    def history_choices(self, kb_id: str, conversation: str) -> dict:
        return gr.update(choices=[(c.title, c.id) for c in self.library.history.conversations(kb_id)],
                         value=conversation or None)

    def refresh(self, lang: str = "en", doc_query: str = "", kb_id: str | None = None) -> tuple:
        """Fresh document lists for the dropdowns, the model/index summary and the table."""
        lang = _lang(lang)
        docs = self.library.documents(kb_id)  # read once for the lists and the table
        choices = doc_choices(docs)
        return (gr.update(choices=choices), gr.update(choices=choices, value=None), gr.update(choices=choices),
                info_markdown(self.library.info(kb_id), lang), self.documents(doc_query, lang, kb_id, docs))

    def documents(self, doc_query: str = "", lang: str = "en", kb_id: str | None = None, docs: list | None = None) -> dict:
        """The documents table, filtered by ``doc_query``."""
        docs = self.library.documents(kb_id) if docs is None else docs
        return documents_table(docs, self.library.passages_per_document(kb_id), doc_query, _lang(lang))

    def on_load(self, doc_query: str, session: dict | None, request: gr.Request) -> tuple:
        """A page opened: its language (the browser's ``Accept-Language``), the knowledge base and
        conversation it showed before (a reload), and everything the server writes in the language."""
        lang = language_of(request.headers.get("accept-language") if request is not None else None)
        session = session or {}
        return (lang, *self.view(session.get("kb"), session.get("conversation"), lang, doc_query),
                t("upload_help", lang), self.upload_rules(lang))

    def upload_rules(self, lang: str) -> str:
        """What the page checks before it uploads a file (its size), with the message it then shows,
        and the page's words for what Gradio says in English only (see ``HEAD``)."""
        mb = self.settings.max_upload_mb
        return (f'<div class="upload-refused" role="alert" data-max="{mb * 1024 * 1024}" '
                f'data-message="{esc(t("upload_too_large", lang, mb=mb, names="{names}"))}" '
                f'data-uploading="{esc(t("uploading", lang, n="{n}"))}" data-liked="{esc(t("liked", lang))}" '
                f'data-disliked="{esc(t("disliked", lang))}"></div>')

    # ------------------------------------------------------------ questions
    def chat(self, message: str, history: list, k: float, mode: str, answerer: str,
             doc_ids: list[str] | None, date_from: str, date_to: str, lang: str = "en",
             turns: dict | None = None, session: dict | None = None) -> Iterator[tuple]:
        """Stream an answer (chat bubble HTML) and, at the end, its sources panel; the answer is
        kept in the conversation (started by the first question) and in ``turns`` for the
        export. What is wrong with a question (a date that cannot be read, a question too long,
        documents no longer there) is said in the chat instead of an answer: nothing is raised,
        so the question box stays usable."""
        lang = _lang(lang)
        session = dict(session or {})
        bot = None
        try:
            filters = self.check_question(message, k, mode, doc_ids, date_from, date_to, lang)
            kb = self.library.kb(session.get("kb"))
            bot = self.library.bot(kb.id)
            if bot is None:
                raise Problem(t("kb_empty", lang))
            filters, gone = self.check_documents(bot, filters, lang)
        except KBError:
            yield problem_html(t("kb_not_found", lang, name=session.get("kb", ""))), *(gr.skip(),) * 5
            return
        except Problem as exc:
            cleared = gr.update(value=[], choices=doc_choices(bot.documents())) if exc.clear_filter and bot else gr.skip()
            yield problem_html(str(exc)), gr.skip(), gr.skip(), cleared, gr.skip(), gr.skip()
            return
        filter_update = gr.skip()
        notice = ""
        if gone:
            notice = problem_html(t("docs_gone", lang, names="、".join(gone) if lang == "zh" else ", ".join(gone))) + "\n\n"
            filter_update = gr.update(choices=doc_choices(bot.documents()), value=list(filters.doc_ids))
        turn = uuid.uuid4().hex[:12]
        try:
            stream = bot.stream(message, plain_history(history), k=check_k(k), mode=mode, filters=filters,
                                answerer=answerer)
            text = ""
            for piece in stream:
                text += piece
                yield notice + message_html(text, turn, lang=lang), searching(lang), gr.skip(), filter_update, \
                    gr.skip(), gr.skip()
            answer = stream.answer
        except Exception as exc:  # noqa: BLE001 - said in the chat; the page stays usable
            yield (problem_html(t("failed", lang), f"{type(exc).__name__}: {exc}", lang), no_sources(lang), gr.skip(),
                   filter_update, gr.skip(), gr.skip())
            return
        record = turn_record(answer, turn, message)
        html = notice + record_html(record, turn, lang)
        conv = self.library.history.get(session.get("conversation") or "")
        if conv is None or conv.kb != kb.id:
            conv = self.library.history.start(kb.id, message)
        options = {"kb": kb.id, "k": check_k(k), "mode": mode, "answerer": answerer, "doc_ids": list(filters.doc_ids),
                   "date_from": filters.date_from, "date_to": filters.date_to}
        self.library.history.add(conv.id, turn, message, record, options, self.library.generation(kb.id))
        session = {"kb": kb.id, "conversation": conv.id}
        turns = {**(turns or {}), plain_text(html): record}
        yield (html, sources_html(answer, turn, lang), turns, filter_update, session,
               self.history_choices(kb.id, conv.id))

    def check_question(self, message: str, k, mode: str, doc_ids, date_from: str, date_to: str,
                       lang: str) -> Filters:
        """The filters for a question; :class:`Problem` when it cannot be asked as it is."""
        most = self.settings.max_question_chars
        if len(message or "") > most:
            raise Problem(t("too_long", lang, n=len(message), most=most))
        try:
            check_k(k)
        except SettingsError:
            raise Problem(t("bad_k", lang, value=k)) from None
        if mode not in MODES:
            raise Problem(t("bad_mode", lang, value=mode))
        return make_filters(doc_ids, date_from, date_to, lang)

    @staticmethod
    def check_documents(bot, filters: Filters, lang: str) -> tuple[Filters, list[str]]:
        """The filters without the chosen documents no longer in the index, and their names;
        :class:`Problem` when none of the chosen is left."""
        if not filters.doc_ids:
            return filters, []
        known = {d.doc_id for d in bot.documents()}
        kept = tuple(d for d in filters.doc_ids if d in known)
        gone = [Path(d).name for d in filters.doc_ids if d not in known]
        if gone and not kept:
            raise Problem(t("docs_all_gone", lang), clear_filter=True)
        return replace(filters, doc_ids=kept), gone

    # ------------------------------------------------------------ documents
    def ingest(self, files: list | None, lang: str = "en", doc_query: str = "",
               session: dict | None = None) -> Iterator[tuple]:
        """Copy uploads into the knowledge base's data folder and add them to its index, saying
        in the status how far it got (the page's words; Gradio's own progress is not shown). An
        upload the index cannot read does not stay in the data folder. ``files`` are Gradio's
        file records (their ``orig_name`` is the name the user uploaded) or paths."""
        lang = _lang(lang)
        kb_id = (session or {}).get("kb")
        try:
            bot = self.library.writer(kb_id)
        except KBError:
            yield (t("kb_not_found", lang, name=kb_id), None, *self.refresh(lang, doc_query))
            return
        if not files:
            yield (t("choose_files", lang), None, *self.refresh(lang, doc_query, kb_id))
            return
        folder = uploads_dir(bot.settings)
        saved: dict[Path, str] = {}  # where each upload went -> the name it was uploaded as
        refused: list[Skipped] = []
        for f in files:
            path, name = upload_of(f)
            result = save_upload(Path(path), name, folder, self.settings.max_upload_mb * 1024 * 1024,
                                 {p.name for p in saved})
            if isinstance(result, Skipped):
                refused.append(result)
            else:
                saved[result] = name
        report = None
        if saved:
            where = {"stage": "read", "done": 0, "total": 0}
            job = IngestJob(bot, list(saved), where)
            try:
                while True:
                    yield (progress_text(where, lang), gr.skip(), *(gr.skip(),) * 5)
                    if job.wait(0.5):
                        break
                report = job.report()
            except Exception as exc:  # noqa: BLE001 - said in the status; nothing of it stays
                yield (problem_html(t("ingest_failed", lang), f"{type(exc).__name__}: {exc}", lang), None,
                       *self.refresh(lang, doc_query, kb_id))
                return
            finally:  # also when the page goes away meanwhile: the files follow what the index took
                job.settle(saved)
        names = {dest.name: name for dest, name in saved.items()}
        yield (ingest_markdown(report, refused, lang, names), None, *self.refresh(lang, doc_query, kb_id))

    def remove(self, doc_id: str | None, lang: str = "en", doc_query: str = "", session: dict | None = None) -> tuple:
        """Remove a document from the index (and its file, when it was uploaded here)."""
        lang = _lang(lang)
        kb_id = (session or {}).get("kb")
        if not doc_id:
            return (t("choose_doc", lang), *self.refresh(lang, doc_query, kb_id))
        try:
            bot = self.library.bot(kb_id)
        except KBError:
            bot = None
        doc = next((d for d in bot.documents() if d.doc_id == doc_id), None) if bot is not None else None
        if doc is None:  # removed meanwhile (another page): say so, with fresh lists
            return (t("not_in_index", lang, doc_id=doc_id), *self.refresh(lang, doc_query, kb_id))
        report = bot.remove([doc_id])
        note = ""
        if doc.path and is_inside(doc.path, uploads_dir(bot.settings)):
            forget_upload(Path(doc.path))
            note = t("file_deleted", lang)
        msg = t("removed", lang, doc_id=doc_id, documents=report.documents, chunks=report.chunks) + note
        return (msg, *self.refresh(lang, doc_query, kb_id))

    def export(self, history: list | None, turns: dict | None, lang: str = "en"):
        """The conversation so far with the sources of each answer, as a Markdown file (shown as a
        download link)."""
        lang = _lang(lang)
        when = time.strftime("%Y-%m-%d %H:%M")
        path = self.exports / f"{t('export_name', lang)}-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().int % 10**6:06d}.md"
        path.write_text(conversation_markdown(history or [], turns or {}, lang, when), encoding="utf-8")
        return gr.update(value=str(path), visible=True)

    # ------------------------------------------------------------ knowledge bases
    def switch_kb(self, kb_id: str, lang: str, doc_query: str = "", session: dict | None = None) -> tuple:
        """Show another knowledge base (its documents, its conversations; a new conversation)."""
        lang = _lang(lang)
        try:
            self.library.kb(kb_id)
            note = ""
        except KBError:
            note = t("kb_not_found", lang, name=kb_id)
        return (*self.view(kb_id, "", lang, doc_query), note)

    def create_kb(self, name: str, lang: str, doc_query: str = "", session: dict | None = None) -> tuple:
        """A new knowledge base, shown at once (empty: its documents are uploaded next)."""
        lang = _lang(lang)
        try:
            kb = self.library.kbs.create(name)
        except KBError as exc:
            return (*self.view((session or {}).get("kb"), (session or {}).get("conversation"), lang, doc_query),
                    kb_message(exc, lang), gr.skip())
        return (*self.view(kb.id, "", lang, doc_query), t("kb_created", lang, name=kb.name), "")

    def rename_kb(self, name: str, lang: str, session: dict | None = None) -> tuple:
        lang = _lang(lang)
        kb_id = (session or {}).get("kb") or DEFAULT_KB
        try:
            kb = self.library.kbs.rename(kb_id, name)
        except KBError as exc:
            return self.kb_choices(kb_id, lang), kb_message(exc, lang), gr.skip()
        return self.kb_choices(kb.id, lang), t("kb_renamed", lang, name=kb.name), ""

    def delete_kb(self, name: str, lang: str, doc_query: str = "", session: dict | None = None) -> tuple:
        """Delete the knowledge base shown, once its name is typed in the box (it takes its index,
        its uploads and its conversations); the default one is shown next."""
        lang = _lang(lang)
        session = session or {}
        keep = (*self.view(session.get("kb"), session.get("conversation"), lang, doc_query),)
        try:
            kb = self.library.kb(session.get("kb"))
            shown = kb.name or t("kb_default", lang)
            if kb.is_default:
                self.library.kbs.delete(kb.id)  # refused: says why
            if (name or "").strip() != shown:
                return (*keep, t("kb_delete_confirm", lang, name=shown), gr.skip())
            self.library.kbs.delete(kb.id)
        except KBError as exc:
            return (*keep, kb_message(exc, lang), gr.skip())
        self.library.forget(kb.id)
        return (*self.view(DEFAULT_KB, "", lang, doc_query), t("kb_deleted", lang, name=shown), "")

    # ------------------------------------------------------------ conversations
    def new_chat(self, lang: str, doc_query: str = "", session: dict | None = None) -> tuple:
        return self.view((session or {}).get("kb"), "", _lang(lang), doc_query)

    def open_conversation(self, conversation: str, lang: str, doc_query: str = "", session: dict | None = None) -> tuple:
        lang = _lang(lang)
        gone = bool(conversation) and self.library.history.get(conversation) is None
        return (*self.view((session or {}).get("kb"), conversation, lang, doc_query),
                t("conv_gone", lang) if gone else "")

    def rename_conversation(self, title: str, lang: str, session: dict | None = None) -> tuple:
        lang = _lang(lang)
        session = session or {}
        conv = session.get("conversation")
        if not conv:
            return gr.skip(), t("conv_none", lang), gr.skip()
        if not self.library.history.rename(conv, title):
            return gr.skip(), t("conv_gone" if (title or "").strip() else "kb_empty_name", lang), gr.skip()
        return self.history_choices(session.get("kb") or DEFAULT_KB, conv), t("conv_renamed", lang), ""

    def delete_conversation(self, lang: str, doc_query: str = "", session: dict | None = None) -> tuple:
        lang = _lang(lang)
        session = session or {}
        conv = self.library.history.get(session.get("conversation") or "")
        if conv is None:
            return (*self.view(session.get("kb"), "", lang, doc_query), t("conv_none", lang))
        self.library.history.delete(conv.id)
        return (*self.view(session.get("kb"), "", lang, doc_query), t("conv_deleted", lang, title=conv.title))

    # ------------------------------------------------------------ the original
    def open_original(self, request: str, lang: str, session: dict | None = None) -> str:
        """The original of source ``n`` of an answer (``request``: ``turn:n``, then a stamp): the
        document at the passage, the quote marked; a PDF's page as an image, the quote boxed."""
        lang = _lang(lang)
        turn_id, _, n = (request or "").split("#")[0].rpartition(":")
        turn = self.library.history.turn(turn_id)
        cited = next((c for c in (turn.answer.get("citations") or [] if turn else []) if str(c.get("n")) == n), None)
        if cited is None:
            return f'<div class="orig-view"><div class="orig-note">{esc(t("fb_gone", lang))}</div></div>'
        try:
            bot = self.library.bot(turn.options.get("kb") or (session or {}).get("kb"))
        except KBError:
            bot = None
        index = getattr(bot, "index", None)
        doc = index.documents.get(cited.get("doc_id", "")) if index is not None else None
        return original_html(doc, cited, lang)

    # ------------------------------------------------------------ feedback
    def rate(self, turns: dict | None, lang: str, session: dict | None, like: gr.LikeData) -> tuple:
        """👍 or 👎 on an answer, kept with what produced it; a 👎 opens the correction form
        (pre-filled with the documents the answer cited)."""
        lang = _lang(lang)
        hidden = gr.update(visible=False)
        record = (turns or {}).get(plain_text(like.value))
        if record is None or not record.get("id"):
            return hidden, gr.skip(), "", False, gr.skip(), "", t("fb_not_answer", lang)
        turn = self.library.history.turn(record["id"])
        if turn is None:
            return hidden, gr.skip(), "", False, gr.skip(), "", t("fb_gone", lang)
        kb_id = turn.options.get("kb") or (session or {}).get("kb") or DEFAULT_KB
        bot = self.library.bot(kb_id) if kb_id in {kb.id for kb in self.library.kbs.list()} else None
        settings = settings_record(bot.settings) if bot is not None and hasattr(bot, "settings") else {}
        up = like.liked is True or like.liked == "Like"
        fb = self.library.feedback.rate(turn, kb_id, 1 if up else -1, settings)
        if up:
            return hidden, gr.skip(), "", False, gr.skip(), "", t("fb_up", lang)
        cited = [c["doc_id"] for c in record.get("citations") or []]
        return (gr.update(visible=True), t("fb_title", lang, question=esc(turn.question)), fb.correction,
                fb.should_refuse, gr.update(value=list(dict.fromkeys(cited))), turn.id, t("fb_down", lang))

    def save_feedback(self, turn_id: str, correction: str, should_refuse: bool, doc_ids: list | None,
                      lang: str) -> tuple:
        """What a 👎'd answer should have been: a correction (and the documents holding it), or
        that it should have been refused."""
        lang = _lang(lang)
        if not (correction or "").strip() and not should_refuse:
            return gr.skip(), t("fb_nothing", lang)
        fb = self.library.feedback.correct(turn_id, correction, should_refuse, list(doc_ids or []))
        if fb is None:
            return gr.update(visible=False), t("fb_gone", lang)
        return gr.update(visible=False), t("fb_saved", lang)


class IngestJob:
    """An ingest running beside the handler that reports on it (``where``: stage, done, total)."""

    def __init__(self, bot, paths: list[Path], where: dict):
        self._result: dict = {}
        self._thread = threading.Thread(target=self._run, args=(bot, paths, where), daemon=True)
        self._thread.start()

    def _run(self, bot, paths, where) -> None:
        try:
            self._result["report"] = bot.ingest(paths, progress=lambda stage, done, total: where.update(
                stage=stage, done=done, total=total))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller by report()
            self._result["error"] = exc

    def wait(self, seconds: float) -> bool:
        """Whether it finished within ``seconds``."""
        self._thread.join(seconds)
        return not self._thread.is_alive()

    def report(self):
        if "error" in self._result:
            raise self._result["error"]
        return self._result["report"]

    def settle(self, saved: dict[Path, str]) -> None:
        """Once it is done: keep the uploads the index took, take back the others (and an old
        version replaced by one it refused)."""
        self._thread.join()
        report = self._result.get("report")
        failed = {s.path for s in report.skipped} if report is not None else None
        for dest, name in saved.items():
            settle_upload(dest, accepted=failed is not None and str(dest) not in failed, original_name=name)


def progress_text(where: dict, lang: str) -> str:
    """How far an ingest is, in the page's words: the stage, and how many of how many."""
    stage = where.get("stage", "read")
    desc = t(f"stage_{stage}", lang) if stage in STAGES else stage
    done, total = where.get("done", 0), where.get("total", 0)
    if not total:
        return f"{desc}…"
    unit = t("unit_passages" if stage == "embed" else "unit_steps", lang)
    return f"{desc}：{done}/{total} {unit}（{done / total:.0%}）" if lang == "zh" else \
        f"{desc}: {done}/{total} {unit} ({done / total:.0%})"


def kb_message(exc: KBError, lang: str) -> str:
    """Why a knowledge base could not be created, renamed or deleted, in ``lang``."""
    return t(f"kb_{exc.code}", lang, **exc.values)


def build_app(bot, settings: Settings) -> gr.Blocks:
    """The Gradio app over the default knowledge base's assistant ``bot`` (an
    :class:`~rag.answering.Assistant`, or a :class:`Library` of knowledge bases) and the others
    of ``settings.data_dir``. Launch it with :func:`launch`.

    Labels follow the browser's language through Gradio's i18n (English and Chinese)."""
    ui = UI(bot, settings)
    library = ui.library
    llm = library.llm
    i18n = gr.I18n(**translations(mb=settings.max_upload_mb, name=llm_name(library.info(DEFAULT_KB) and
                                                                        library.info(DEFAULT_KB).get("llm"))))
    answerers = [(i18n("answerer_extractive"), "extractive")]
    if llm is not None:
        answerers.append((i18n("answerer_llm"), "llm"))
    default_answerer = settings.answerer if any(v == settings.answerer for _, v in answerers) else "extractive"

    with gr.Blocks(title="bulletin-rag", fill_width=True) as demo:
        demo.i18n_instance = i18n  # also given to launch(); set here so build_app alone carries it
        lang = gr.State("en")  # the page's language, set when it loads
        turns = gr.State({})  # answer text -> its record, for the export and feedback
        session = gr.BrowserState({"kb": DEFAULT_KB, "conversation": ""}, storage_key="bulletin-rag-session",
                                  secret=browser_secret(settings.data_dir))  # read again after a restart
        fb_turn = gr.State("")  # the answer the correction form is about
        with gr.Sidebar(label=i18n("sidebar"), open=True, width=340):
            gr.Markdown(i18n("kb_title"))
            kb_select = gr.Dropdown([(i18n("kb_default"), DEFAULT_KB)], value=DEFAULT_KB, label=i18n("kb"), show_label=False, elem_id="kb-select")
            with gr.Accordion(i18n("kb_manage"), open=False, elem_id="kb-manage"):
                kb_name = gr.Textbox("", label=i18n("kb_name"), placeholder=i18n("kb_name_placeholder"),
                                     elem_id="kb-name")
                with gr.Row():
                    kb_create = gr.Button(i18n("kb_create"), size="sm", elem_id="kb-create")
                    kb_rename = gr.Button(i18n("kb_rename"), size="sm", elem_id="kb-rename")
                    kb_delete = gr.Button(i18n("kb_delete"), size="sm", variant="stop", elem_id="kb-delete")
            kb_status = gr.Markdown("", elem_id="kb-status")

            gr.Markdown(i18n("history_title"))
            new_chat = gr.Button(i18n("new_chat"), size="sm", elem_id="new-chat")
            history = gr.Radio([], value=None, label=i18n("history"), show_label=False, elem_id="history")
            with gr.Accordion(i18n("conv_manage"), open=False, elem_id="conv-manage"):
                conv_name = gr.Textbox("", label=i18n("conv_name"), elem_id="conv-name")
                with gr.Row():
                    conv_rename = gr.Button(i18n("conv_rename"), size="sm", elem_id="conv-rename")
                    conv_delete = gr.Button(i18n("conv_delete"), size="sm", variant="stop", elem_id="conv-delete")
            conv_status = gr.Markdown("", elem_id="conv-status")

            with gr.Accordion(i18n("search_settings"), open=False, elem_id="search-settings"):
                k = gr.Slider(1, 20, value=settings.k, step=1, label=i18n("k"))
                mode = gr.Radio([(i18n(f"mode_{m}"), m) for m in MODES], value=settings.mode, label=i18n("mode"))
                answerer = gr.Radio(answerers, value=default_answerer, label=i18n("answerer"), elem_id="answerer")
                doc_filter = gr.Dropdown([], value=[], multiselect=True, allow_custom_value=True,
                                         label=i18n("only_docs"), elem_id="doc-filter")
                with gr.Row():
                    date_from = gr.Textbox("", label=i18n("date_from"), placeholder=i18n("date_placeholder"),
                                           elem_id="date-from")
                    date_to = gr.Textbox("", label=i18n("date_to"), placeholder=i18n("date_placeholder"),
                                         elem_id="date-to")
            info = gr.Markdown("", elem_id="index-info")

            gr.Markdown(i18n("documents"))
            upload = gr.File(label=i18n("upload"), file_count="multiple", elem_id="upload")  # types: checked on save
            upload_rules = gr.HTML("", elem_id="upload-rules")
            add = gr.Button(i18n("add"), variant="primary", elem_id="add-docs")
            status = gr.Markdown(i18n("upload_help"), elem_id="ingest-status")
            to_remove = gr.Dropdown([], value=None, allow_custom_value=True, label=i18n("to_remove"),
                                    elem_id="remove-doc")
            remove = gr.Button(i18n("remove"), variant="stop", elem_id="remove-btn")

        gr.Markdown(i18n("title"), elem_id="page-title")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=380):
                sources = gr.HTML("", label=i18n("sources"), render=False, elem_id="sources")  # filled on load
                chatbot = gr.Chatbot(height=CHAT_HEIGHT, min_height=260, elem_id="chat", label=i18n("chat"),
                                     placeholder=i18n("chat_placeholder"),
                                     buttons=["copy"])  # no "copy all" (its title has no translation): export
                chat = gr.ChatInterface(
                    ui.chat,
                    chatbot=chatbot,
                    textbox=gr.Textbox(placeholder=i18n("question_placeholder"),
                                       elem_id="question", submit_btn=True, stop_btn=True, show_label=False,
                                       label=i18n("question")),
                    additional_inputs=[k, mode, answerer, doc_filter, date_from, date_to, lang, turns, session],
                    additional_outputs=[sources, turns, doc_filter, session, history],
                    api_name="chat", concurrency_limit=None, fill_height=False, autofocus=True,
                    show_progress="hidden")  # the chat shows its own pending answer
                feedback_status = gr.Markdown("", elem_id="feedback-status")
                with gr.Group(visible=False, elem_id="feedback-box") as fb_box:
                    fb_title = gr.Markdown("", elem_id="feedback-title")
                    fb_correction = gr.Textbox("", label=i18n("fb_correction"), lines=2,
                                               placeholder=i18n("fb_correction_placeholder"), elem_id="fb-correction")
                    fb_refuse = gr.Checkbox(False, label=i18n("fb_refuse"), elem_id="fb-refuse")
                    fb_docs = gr.Dropdown([], value=[], multiselect=True, label=i18n("fb_docs"), elem_id="fb-docs")
                    fb_save = gr.Button(i18n("fb_save"), size="sm", variant="primary", elem_id="fb-save")
                with gr.Row():
                    export = gr.Button(i18n("export"), elem_id="export-btn", size="sm")
                    exported = gr.File(label=i18n("export_file"), interactive=False, elem_id="export-file",
                                       visible=False)
            with gr.Column(scale=2, min_width=300, elem_id="sources-col"):
                gr.Markdown(i18n("sources_title"))
                sources.render()
                original = gr.HTML("", elem_id="original")
                open_request = gr.Textbox("", elem_id="open-request", show_label=False)  # hidden by CSS: which source
                open_button = gr.Button("", elem_id="open-btn")  # hidden by CSS: pressed by the link's script
        with gr.Accordion(i18n("doc_table"), open=False, elem_id="doc-table-box"):
            doc_query = gr.Textbox("", label=i18n("doc_filter"), placeholder=i18n("doc_filter_placeholder"),
                                   elem_id="doc-query")
            doc_table = gr.Dataframe(documents_table([], {}), interactive=False, elem_id="doc-table", wrap=True,
                                     max_height=400, buttons=[])  # Gradio's copy/fullscreen titles: English only

        corpus_events = dict(concurrency_limit=1, concurrency_id="corpus")  # one writer; chat never waits
        # Gradio's own progress says "processing" in English: the page shows its own words instead
        quick = dict(api_visibility="private", queue=False, show_progress="hidden")
        lists = [doc_filter, to_remove, fb_docs, info, doc_table]
        view = [session, kb_select, *lists, history, chatbot, chat.chatbot_state, chat.chatbot_value, turns, sources,
                fb_box, original]
        add.click(ui.ingest, [upload, lang, doc_query, session], [status, upload, *lists],
                  preprocess=False,  # the files' records: their orig_name is the name the user uploaded
                  api_name="ingest", show_progress="hidden", **corpus_events)  # its own progress, in the status
        remove.click(ui.remove, [to_remove, lang, doc_query, session], [status, *lists],
                     api_name="remove", show_progress="hidden", **corpus_events)
        doc_query.change(lambda q, lang_, s: ui.documents(q, lang_, (s or {}).get("kb")), [doc_query, lang, session],
                         [doc_table], api_name="documents", show_progress="hidden", queue=False)
        export.click(ui.export, [chatbot, turns, lang], [exported], api_name="export", show_progress="hidden")
        kb_select.input(ui.switch_kb, [kb_select, lang, doc_query, session], [*view, kb_status], **quick)
        kb_create.click(ui.create_kb, [kb_name, lang, doc_query, session], [*view, kb_status, kb_name], **quick)
        kb_rename.click(ui.rename_kb, [kb_name, lang, session], [kb_select, kb_status, kb_name], **quick)
        kb_delete.click(ui.delete_kb, [kb_name, lang, doc_query, session], [*view, kb_status, kb_name],
                        api_visibility="private", show_progress="hidden", **corpus_events)
        new_chat.click(ui.new_chat, [lang, doc_query, session], view, **quick)
        chatbot.clear(ui.new_chat, [lang, doc_query, session], view, **quick)  # the chat's own 🗑: a new one too
        history.input(ui.open_conversation, [history, lang, doc_query, session], [*view, conv_status], **quick)
        conv_rename.click(ui.rename_conversation, [conv_name, lang, session], [history, conv_status, conv_name],
                          **quick)
        conv_delete.click(ui.delete_conversation, [lang, doc_query, session], [*view, conv_status], **quick)
        chatbot.like(ui.rate, [turns, lang, session],
                     [fb_box, fb_title, fb_correction, fb_refuse, fb_docs, fb_turn, feedback_status], **quick)
        fb_save.click(ui.save_feedback, [fb_turn, fb_correction, fb_refuse, fb_docs, lang], [fb_box, feedback_status],
                      **quick)
        open_button.click(ui.open_original, [open_request, lang, session], [original], **quick,
                          js="(request, lang, session) => [window.bulletinRagOpen || '', lang, session]").then(
            None, js="() => { const m = document.querySelector('#original .orig-quote, #original .orig-box');"
                     " if (m) m.scrollIntoView({behavior: 'smooth', block: 'center'}); }")
        demo.load(ui.on_load, [doc_query, session], [lang, *view, status, upload_rules], **quick)
    return demo


def launch(bot, settings: Settings, *, block: bool = True, quiet: bool = False) -> gr.Blocks:
    """Start the app on ``settings.host:settings.port`` (loopback unless ``RAG_AUTH`` sets a login).

    ``block=False`` returns once the server is up (tests); stop it with ``demo.close()``.
    """
    login = check_exposure(settings.host, settings.auth)
    demo = build_app(bot, settings)
    demo.queue(default_concurrency_limit=None)
    demo.launch(server_name=settings.host, server_port=settings.port, auth=login, i18n=demo.i18n_instance,
                max_file_size=f"{settings.max_upload_mb}mb", share=False, ssr_mode=False,
                mcp_server=False, pwa=False, prevent_thread_lock=not block, quiet=quiet,
                show_error=True, footer_links=["api"], theme=theme(), css=CSS, head=HEAD)
    return demo


def serve(settings: Settings) -> int:
    """What ``rag serve`` runs: check the address, open the index, start the app (blocking)."""
    from ..answering import Assistant

    check_exposure(settings.host, settings.auth)  # refuse before the slow model load
    bot = Assistant.open(settings=settings)
    try:
        launch(bot, settings)
    except OSError as exc:  # the port is taken, or the address is not this machine's
        raise RuntimeError(f"cannot listen on {settings.host}:{settings.port}: {exc}") from exc
    return 0
