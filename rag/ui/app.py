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

import uuid  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Iterator  # noqa: E402

import gradio as gr  # noqa: E402

from ..config import Settings  # noqa: E402
from ..ingest import SUPPORTED  # noqa: E402
from ..search import MODES, Filters  # noqa: E402
from ..text.dates import DateError  # noqa: E402
from ..types import Skipped  # noqa: E402
from .render import (NO_SOURCES, SEARCHING, doc_choices, info_markdown, ingest_markdown,  # noqa: E402
                     message_html, plain_history, sources_html)
from .safety import check_exposure, is_inside, save_upload  # noqa: E402

STAGES = {"read": "Reading files", "chunk": "Cutting into passages", "embed": "Embedding passages",
          "write": "Writing the index"}

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


def make_filters(doc_ids, date_from: str, date_to: str) -> Filters:
    """Search filters from the settings controls; a date that cannot be read, or an end date
    before the start date, is an error that lists the accepted forms."""
    try:
        return Filters(doc_ids=tuple(doc_ids or ()), date_from=date_from or "", date_to=date_to or "")
    except DateError as exc:
        raise gr.Error(str(exc)) from None


class UI:
    """The event handlers, bound to one assistant and its settings."""

    def __init__(self, bot, settings: Settings):
        self.bot = bot
        self.settings = settings

    def chat(self, message: str, history: list, k: float, mode: str, answerer: str,
             doc_ids: list[str] | None, date_from: str, date_to: str) -> Iterator[tuple[str, str]]:
        """Stream an answer (chat bubble HTML) and, at the end, its sources panel."""
        filters = make_filters(doc_ids, date_from, date_to)
        turn = uuid.uuid4().hex[:8]
        stream = self.bot.stream(message, plain_history(history), k=int(k), mode=mode, filters=filters,
                                 answerer=answerer)
        text = ""
        for piece in stream:
            text += piece
            yield message_html(text, turn), SEARCHING
        answer = stream.answer
        yield message_html(answer.text, turn, answer.note), sources_html(answer, turn)

    def ingest(self, files: list[str] | None, progress=gr.Progress()) -> tuple:
        """Copy uploads into the data folder and add them to the index, with a progress bar."""
        if not files:
            raise gr.Error("Choose one or more files first.")
        saved: list[Path] = []
        refused: list[Skipped] = []
        for f in files:
            result = save_upload(Path(f), Path(f).name, uploads_dir(self.settings),
                                 self.settings.max_upload_mb * 1024 * 1024)
            (refused if isinstance(result, Skipped) else saved).append(result)
        report = None
        if saved:
            progress(0, desc=STAGES["read"])
            report = self.bot.ingest(saved, progress=lambda stage, done, total: progress(
                (done, total), desc=STAGES.get(stage, stage), unit="passages" if stage == "embed" else "steps"))
        return (ingest_markdown(report, refused), None, *self.refresh())

    def remove(self, doc_id: str | None) -> tuple:
        """Remove a document from the index (and its file, when it was uploaded here)."""
        if not doc_id:
            raise gr.Error("Choose a document to remove.")
        doc = next((d for d in self.bot.documents() if d.doc_id == doc_id), None)
        if doc is None:
            raise gr.Error(f"{doc_id} is not in the index.")
        report = self.bot.remove([doc_id])
        note = ""
        if doc.path and is_inside(doc.path, uploads_dir(self.settings)):
            Path(doc.path).unlink(missing_ok=True)
            note = " Its uploaded file was deleted."
        msg = f"**Removed** `{doc_id}` ({report.documents} documents, {report.chunks} passages left).{note}"
        return (msg, *self.refresh())

    def refresh(self) -> tuple:
        """Fresh document lists for both dropdowns, and the model/index summary."""
        choices = doc_choices(self.bot.documents())
        return (gr.update(choices=choices), gr.update(choices=choices, value=None),
                info_markdown(self.bot.info()))


def build_app(bot, settings: Settings) -> gr.Blocks:
    """The Gradio app for ``bot`` (an :class:`~rag.assistant.Assistant`). Launch it with :func:`launch`."""
    ui = UI(bot, settings)
    choices = doc_choices(bot.documents())
    answerers = [("Extractive: sentences from the bulletins", "extractive")]
    if bot.llm is not None:
        answerers.append((f"LLM: {bot.info().get('llm')}", "llm"))
    default_answerer = settings.answerer if any(v == settings.answerer for _, v in answerers) else "extractive"

    with gr.Blocks(title="bulletin-rag", fill_width=True) as demo:
        with gr.Sidebar(label="Settings and documents", open=True, width=340):
            gr.Markdown("### Search settings")
            k = gr.Slider(1, 20, value=settings.k, step=1, label="Passages to search (k)")
            mode = gr.Radio(list(MODES), value=settings.mode, label="Retrieval mode")
            answerer = gr.Radio(answerers, value=default_answerer, label="Answerer")
            doc_filter = gr.Dropdown(choices, value=[], multiselect=True, allow_custom_value=True,
                                     label="Only these documents",
                                     elem_id="doc-filter")
            with gr.Row():
                date_from = gr.Textbox("", label="From date", placeholder="YYYY-MM-DD", elem_id="date-from")
                date_to = gr.Textbox("", label="To date", placeholder="YYYY-MM-DD", elem_id="date-to")
            info = gr.Markdown(info_markdown(bot.info()), elem_id="index-info")

            gr.Markdown("### Documents")
            upload = gr.File(label=f"Upload bulletins (up to {settings.max_upload_mb} MB each)",
                             file_count="multiple", file_types=list(SUPPORTED), elem_id="upload")
            add = gr.Button("Add to index", variant="primary", elem_id="add-docs")
            status = gr.Markdown("Uploaded files are kept in the data folder and added to the index.",
                                 elem_id="ingest-status", min_height=80)
            to_remove = gr.Dropdown(choices, value=None, allow_custom_value=True, label="Document to remove",
                                    elem_id="remove-doc")
            remove = gr.Button("Remove from index", variant="stop", elem_id="remove-btn")

        gr.Markdown("## bulletin-rag · ask the news bulletins")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                sources = gr.HTML(NO_SOURCES, label="Sources", render=False, elem_id="sources")
                gr.ChatInterface(
                    ui.chat,
                    chatbot=gr.Chatbot(height=620, elem_id="chat", label="Chat",
                                       placeholder="Ask a question about the bulletins, in Chinese or English."),
                    textbox=gr.Textbox(placeholder="例如：2023年青岛高新区新引进了多少个高质量项目？",
                                       elem_id="question", submit_btn=True, stop_btn=True, show_label=False),
                    additional_inputs=[k, mode, answerer, doc_filter, date_from, date_to],
                    additional_outputs=[sources],
                    api_name="chat", concurrency_limit=None, fill_height=False, autofocus=True)
            with gr.Column(scale=2, elem_id="sources-col"):
                gr.Markdown("### Sources")
                sources.render()

        corpus_events = dict(concurrency_limit=1, concurrency_id="corpus")  # one writer; chat never waits
        add.click(ui.ingest, [upload], [status, upload, doc_filter, to_remove, info],
                  api_name="ingest", show_progress_on=[status], **corpus_events)
        remove.click(ui.remove, [to_remove], [status, doc_filter, to_remove, info],
                     api_name="remove", show_progress_on=[status], **corpus_events)
        demo.load(ui.refresh, None, [doc_filter, to_remove, info], api_visibility="private", queue=False)
    return demo


def launch(bot, settings: Settings, *, block: bool = True, quiet: bool = False) -> gr.Blocks:
    """Start the app on ``settings.host:settings.port`` (loopback unless ``RAG_AUTH`` sets a login).

    ``block=False`` returns once the server is up (tests); stop it with ``demo.close()``.
    """
    login = check_exposure(settings.host, settings.auth)
    demo = build_app(bot, settings)
    demo.queue(default_concurrency_limit=None)
    demo.launch(server_name=settings.host, server_port=settings.port, auth=login,
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
