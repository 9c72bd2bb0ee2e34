"""The web UI: a Gradio chat over the bulletins, with sources, settings and corpus management.

    from rag.ui import build_app, launch
    launch(Assistant.open(settings=s), s)        # what `rag serve` and `python app.py` do

Questions stream into the chat; each marker ``[n]`` links to its source card in the panel beside
it. A sidebar holds the search settings and the documents: upload (ingested with a progress bar,
without holding up anyone's questions) and remove. Nothing is fetched from the internet.
"""
from __future__ import annotations

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported: no telemetry

import tempfile  # noqa: E402
from dataclasses import replace  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Iterator  # noqa: E402

import gradio as gr  # noqa: E402

from ..config import Settings, SettingsError, check_k  # noqa: E402
from ..ingest import SUPPORTED  # noqa: E402
from ..search import MODES, Filters  # noqa: E402
from ..text.dates import DateError, parse_date  # noqa: E402
from ..types import Skipped  # noqa: E402
from .render import (conversation_markdown, doc_choices, documents_table, info_markdown,  # noqa: E402
                     ingest_markdown, message_html, no_sources, plain_history, plain_text, problem_html,
                     searching, sources_html, turn_record)
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
a.cite { text-decoration: none; font-weight: 600; cursor: pointer; }
"""

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
</script>"""


def theme() -> gr.themes.Base:
    """The default look with system fonts (nothing loaded from a font service)."""
    return gr.themes.Default(font=FONTS, font_mono=MONO)


def uploads_dir(settings: Settings) -> Path:
    """Where uploaded bulletins are kept: ``<corpus_dir>/uploads``."""
    return Path(settings.corpus_dir) / "uploads"


class Problem(ValueError):
    """Something about a question or a request that the page says in its language (and that
    locks nothing: the question box stays usable)."""


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
    """The event handlers, bound to one assistant and its settings. Each takes the page's
    language (``lang``, set when the page loads) and writes its messages in it."""

    def __init__(self, bot, settings: Settings):
        self.bot = bot
        self.settings = settings
        self.exports = Path(tempfile.mkdtemp(prefix="bulletin-rag-export-"))

    def on_load(self, doc_query: str, request: gr.Request) -> tuple:
        """A page opened: its language (the browser's ``Accept-Language``), and everything the
        server writes in it."""
        lang = language_of(request.headers.get("accept-language") if request is not None else None)
        return (lang, *self.refresh(lang, doc_query), no_sources(lang), t("upload_help", lang),
                gr.update(placeholder=t("chat_placeholder", lang)))

    def chat(self, message: str, history: list, k: float, mode: str, answerer: str,
             doc_ids: list[str] | None, date_from: str, date_to: str, lang: str = "en",
             turns: dict | None = None) -> Iterator[tuple]:
        """Stream an answer (chat bubble HTML) and, at the end, its sources panel; the answer and
        its sources are kept (``turns``) for the export. What is wrong with a question (a date
        that cannot be read, a question too long, documents no longer there) is said in the
        chat instead of an answer: nothing is raised, so the question box stays usable."""
        lang = _lang(lang)
        try:
            filters, gone = self.check_question(message, k, mode, doc_ids, date_from, date_to, lang)
        except Problem as exc:
            yield problem_html(str(exc)), gr.skip(), gr.skip(), gr.skip()
            return
        filter_update = gr.skip()
        notice = ""
        if gone:
            notice = problem_html(t("docs_gone", lang, names="、".join(gone) if lang == "zh" else ", ".join(gone))) + "\n\n"
            filter_update = gr.update(choices=doc_choices(self.bot.documents()), value=list(filters.doc_ids))
        turn = uuid.uuid4().hex[:8]
        try:
            stream = self.bot.stream(message, plain_history(history), k=check_k(k), mode=mode, filters=filters,
                                     answerer=answerer)
            text = ""
            for piece in stream:
                text += piece
                yield notice + message_html(text, turn, lang=lang), searching(lang), gr.skip(), filter_update
            answer = stream.answer
        except Exception as exc:  # noqa: BLE001 - said in the chat; the page stays usable
            yield (problem_html(t("failed", lang), f"{type(exc).__name__}: {exc}", lang), no_sources(lang), gr.skip(),
                   filter_update)
            return
        html = notice + message_html(answer.text, turn, answer.note, lang)
        turns = {**(turns or {}), plain_text(html): turn_record(answer)}
        yield html, sources_html(answer, turn, lang), turns, filter_update

    def check_question(self, message: str, k, mode: str, doc_ids, date_from: str, date_to: str,
                       lang: str) -> tuple[Filters, list[str]]:
        """The filters for a question, and the chosen documents no longer in the index (left out);
        :class:`Problem` when it cannot be asked as it is."""
        most = self.settings.max_question_chars
        if len(message or "") > most:
            raise Problem(t("too_long", lang, n=len(message), most=most))
        try:
            check_k(k)
        except SettingsError:
            raise Problem(t("bad_k", lang, value=k)) from None
        if mode not in MODES:
            raise Problem(t("bad_mode", lang, value=mode))
        filters = make_filters(doc_ids, date_from, date_to, lang)
        if not filters.doc_ids:
            return filters, []
        known = {d.doc_id for d in self.bot.documents()}
        kept = tuple(d for d in filters.doc_ids if d in known)
        gone = [Path(d).name for d in filters.doc_ids if d not in known]
        if gone and not kept:
            raise Problem(t("docs_all_gone", lang))
        return replace(filters, doc_ids=kept), gone

    def ingest(self, files: list | None, lang: str = "en", doc_query: str = "",
               progress=gr.Progress()) -> tuple:
        """Copy uploads into the data folder and add them to the index, with a progress bar. An
        upload the index cannot read does not stay in the data folder. ``files`` are Gradio's
        file records (their ``orig_name`` is the name the user uploaded) or paths."""
        lang = _lang(lang)
        if not files:
            return (t("choose_files", lang), None, *self.refresh(lang, doc_query))
        saved: dict[Path, str] = {}  # where each upload went -> the name it was uploaded as
        refused: list[Skipped] = []
        for f in files:
            path, name = upload_of(f)
            result = save_upload(Path(path), name, uploads_dir(self.settings),
                                 self.settings.max_upload_mb * 1024 * 1024, {p.name for p in saved})
            if isinstance(result, Skipped):
                refused.append(result)
            else:
                saved[result] = name
        report = None
        if saved:
            progress(0, desc=t("stage_read", lang))
            try:
                report = self.bot.ingest(list(saved), progress=lambda stage, done, total: progress(
                    (done, total), desc=t(f"stage_{stage}", lang) if stage in STAGES else stage,
                    unit=t("unit_passages" if stage == "embed" else "unit_steps", lang)))
            except Exception as exc:  # noqa: BLE001 - said in the status; nothing of it stays
                for dest in saved:
                    settle_upload(dest, accepted=False)
                return (t("ingest_failed", lang, error=exc), None, *self.refresh(lang, doc_query))
            failed = {s.path for s in report.skipped}
            for dest, name in saved.items():
                settle_upload(dest, accepted=str(dest) not in failed, original_name=name)
        names = {dest.name: name for dest, name in saved.items()}
        return (ingest_markdown(report, refused, lang, names), None, *self.refresh(lang, doc_query))

    def remove(self, doc_id: str | None, lang: str = "en", doc_query: str = "") -> tuple:
        """Remove a document from the index (and its file, when it was uploaded here)."""
        lang = _lang(lang)
        if not doc_id:
            return (t("choose_doc", lang), *self.refresh(lang, doc_query))
        doc = next((d for d in self.bot.documents() if d.doc_id == doc_id), None)
        if doc is None:  # removed meanwhile (another page): say so, with fresh lists
            return (t("not_in_index", lang, doc_id=doc_id), *self.refresh(lang, doc_query))
        report = self.bot.remove([doc_id])
        note = ""
        if doc.path and is_inside(doc.path, uploads_dir(self.settings)):
            forget_upload(Path(doc.path))
            note = t("file_deleted", lang)
        msg = t("removed", lang, doc_id=doc_id, documents=report.documents, chunks=report.chunks) + note
        return (msg, *self.refresh(lang, doc_query))

    def documents(self, doc_query: str = "", lang: str = "en") -> dict:
        """The documents table, filtered by ``doc_query``."""
        return documents_table(self.bot.documents(), self.bot.passages_per_document(), doc_query, _lang(lang))

    def export(self, history: list | None, turns: dict | None, lang: str = "en"):
        """The conversation so far with the sources of each answer, as a Markdown file (shown as a
        download link)."""
        lang = _lang(lang)
        when = time.strftime("%Y-%m-%d %H:%M")
        path = self.exports / f"{t('export_name', lang)}-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}.md"
        path.write_text(conversation_markdown(history or [], turns or {}, lang, when), encoding="utf-8")
        return gr.update(value=str(path), visible=True)

    def refresh(self, lang: str = "en", doc_query: str = "") -> tuple:
        """Fresh document lists for both dropdowns, the model/index summary and the table."""
        lang = _lang(lang)
        choices = doc_choices(self.bot.documents())
        return (gr.update(choices=choices), gr.update(choices=choices, value=None),
                info_markdown(self.bot.info(), lang), self.documents(doc_query, lang))


def build_app(bot, settings: Settings) -> gr.Blocks:
    """The Gradio app for ``bot`` (an :class:`~rag.assistant.Assistant`). Launch it with :func:`launch`.

    Labels follow the browser's language through Gradio's i18n (English and Chinese)."""
    ui = UI(bot, settings)
    llm_name = bot.info().get("llm") if bot.llm is not None else ""
    i18n = gr.I18n(**translations(mb=settings.max_upload_mb, name=llm_name))
    choices = doc_choices(bot.documents())
    answerers = [(i18n("answerer_extractive"), "extractive")]
    if bot.llm is not None:
        answerers.append((i18n("answerer_llm"), "llm"))
    default_answerer = settings.answerer if any(v == settings.answerer for _, v in answerers) else "extractive"

    with gr.Blocks(title="bulletin-rag", fill_width=True) as demo:
        demo.i18n_instance = i18n  # also given to launch(); set here so build_app alone carries it
        lang = gr.State("en")  # the page's language, set when it loads
        turns = gr.State({})  # answer text -> its sources, for the export
        with gr.Sidebar(label=i18n("sidebar"), open=True, width=340):
            gr.Markdown(i18n("search_settings"))
            k = gr.Slider(1, 20, value=settings.k, step=1, label=i18n("k"))
            mode = gr.Radio([(i18n(f"mode_{m}"), m) for m in MODES], value=settings.mode, label=i18n("mode"))
            answerer = gr.Radio(answerers, value=default_answerer, label=i18n("answerer"))
            doc_filter = gr.Dropdown(choices, value=[], multiselect=True, allow_custom_value=True,
                                     label=i18n("only_docs"), elem_id="doc-filter")
            with gr.Row():
                date_from = gr.Textbox("", label=i18n("date_from"), placeholder=i18n("date_placeholder"),
                                       elem_id="date-from")
                date_to = gr.Textbox("", label=i18n("date_to"), placeholder=i18n("date_placeholder"),
                                     elem_id="date-to")
            info = gr.Markdown(info_markdown(bot.info()), elem_id="index-info")

            gr.Markdown(i18n("documents"))
            upload = gr.File(label=i18n("upload"), file_count="multiple", file_types=list(SUPPORTED),
                             elem_id="upload")
            add = gr.Button(i18n("add"), variant="primary", elem_id="add-docs")
            status = gr.Markdown(t("upload_help", "en"), elem_id="ingest-status", min_height=80)
            to_remove = gr.Dropdown(choices, value=None, allow_custom_value=True, label=i18n("to_remove"),
                                    elem_id="remove-doc")
            remove = gr.Button(i18n("remove"), variant="stop", elem_id="remove-btn")

        gr.Markdown(i18n("title"))
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                sources = gr.HTML(no_sources(), label=i18n("sources"), render=False, elem_id="sources")
                chatbot = gr.Chatbot(height=620, elem_id="chat", label=i18n("chat"),
                                     placeholder=t("chat_placeholder", "en"))
                gr.ChatInterface(
                    ui.chat,
                    chatbot=chatbot,
                    textbox=gr.Textbox(placeholder=i18n("question_placeholder"),
                                       elem_id="question", submit_btn=True, stop_btn=True, show_label=False,
                                       label=i18n("question")),
                    additional_inputs=[k, mode, answerer, doc_filter, date_from, date_to, lang, turns],
                    additional_outputs=[sources, turns, doc_filter],
                    api_name="chat", concurrency_limit=None, fill_height=False, autofocus=True)
                with gr.Row():
                    export = gr.Button(i18n("export"), elem_id="export-btn", size="sm")
                    exported = gr.File(label=i18n("export_file"), interactive=False, elem_id="export-file",
                                       visible=False)
            with gr.Column(scale=2, elem_id="sources-col"):
                gr.Markdown(i18n("sources_title"))
                sources.render()
        with gr.Accordion(i18n("doc_table"), open=False, elem_id="doc-table-box"):
            doc_query = gr.Textbox("", label=i18n("doc_filter"), placeholder=i18n("doc_filter_placeholder"),
                                   elem_id="doc-query")
            doc_table = gr.Dataframe(ui.documents(), interactive=False, elem_id="doc-table", wrap=True,
                                     max_height=400)

        corpus_events = dict(concurrency_limit=1, concurrency_id="corpus")  # one writer; chat never waits
        lists = [doc_filter, to_remove, info, doc_table]
        add.click(ui.ingest, [upload, lang, doc_query], [status, upload, *lists], preprocess=False,  # orig_name
                  api_name="ingest", show_progress_on=[status], **corpus_events)
        remove.click(ui.remove, [to_remove, lang, doc_query], [status, *lists],
                     api_name="remove", show_progress_on=[status], **corpus_events)
        doc_query.change(ui.documents, [doc_query, lang], [doc_table], api_name="documents",
                         show_progress="hidden", queue=False)
        export.click(ui.export, [chatbot, turns, lang], [exported], api_name="export")
        demo.load(ui.on_load, [doc_query], [lang, *lists, sources, status, chatbot],
                  api_visibility="private", queue=False)
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
