"""The Python front door: ``Assistant`` answers questions over an index with cited passages.

    from rag import Assistant
    bot = Assistant.open("index/")            # or Assistant.build("corpus/")
    ans = bot.ask("2023年青岛高新区新引进了多少个高质量项目？")
    print(ans.text, ans.citations, ans.refused)

One answer path for everyone (the UI, ``rag ask``, ``rag eval``, Python): the question is read
once, a follow-up is made standalone, the :class:`~rag.search.Query` is built once, the retriever
searches with it and the chosen answerer answers it.

One ``Assistant`` may serve many threads: questions run against the index loaded at the time,
while ``ingest``/``remove`` build a new index generation on the side and swap it in when done.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable


from ..config import Settings, check_k, load_settings
from ..embed import Embedder, load_embedder
from ..index import Index, IndexNotFound, compact_index, ingest, open_index, remove_documents
from ..search import Filters, Query, Retriever, undated_note
from ..text import asked_for, language
from ..types import Answer, IngestReport, SearchResult
from ..workspace import kb_settings
from . import llm as llm_mod
from .base import AnswerPieces, Answerer, AnswerStream
from .conversation import condense
from .extractive import ExtractiveAnswerer
from .judge import load_judge
from .llm_answerer import LLMAnswerer
from .prompts import REFUSAL, TOO_LONG

ANSWERERS = ("extractive", "llm")


def article_reader(index: Index):
    """A passage -> the passages of its document, from ``index`` (the article around a quote)."""
    def read(chunk) -> list:
        rows = index.rows_matching(Filters(doc_ids=(chunk.doc_id,)))
        return index.chunks_at(rows) if rows is not None and len(rows) <= 2000 else []
    return read


@dataclass
class _Loaded:
    """One loaded index generation with what queries need; swapped whole on re-ingest."""

    index: Index
    retriever: Retriever
    answerers: dict[str, Answerer]


class Assistant:
    """Answers questions from an index. Build it with :meth:`open` or :meth:`build`."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None, llm=None,
                 log=lambda msg: None, index: Index | None = None):
        self.settings = settings
        self.log = log
        self.embedder = embedder or load_embedder(settings, log)
        self.llm = llm if llm is not None else llm_mod.chat_model_from_settings(settings)
        self._loaded: _Loaded | None = None
        self._write = threading.Lock()
        if index is not None:
            self._load(index)

    # ------------------------------------------------------------ construction
    @classmethod
    def open(cls, index_dir: str | Path | None = None, *, kb: str | None = None, settings: Settings | None = None,
             llm=None, embedder: Embedder | None = None, **overrides) -> "Assistant":
        """Open an existing index (default: ``settings.index_dir``, i.e. ``index/``), or the
        index of knowledge base ``kb`` (its name or id; ``rag kb list``).

        ``llm`` is any LangChain chat model; without it, the configured endpoint (if any) is used.
        ``overrides`` are setting names (``k=8``, ``mode="dense"``, ``answerer="llm"``...).
        """
        s = (settings or load_settings()).replace(index_dir=Path(index_dir) if index_dir else None, **overrides)
        if kb is not None:
            s = kb_settings(s, kb)
        bot = cls(s, embedder, llm)
        bot.reload()
        return bot

    @classmethod
    def build(cls, corpus: str | Path | Iterable[str | Path] = "corpus", index_dir: str | Path | None = None,
              *, settings: Settings | None = None, llm=None, embedder: Embedder | None = None,
              progress=None, **overrides) -> "Assistant":
        """Ingest ``corpus`` (files or folders) into ``index_dir`` (built or refreshed), then open it."""
        s = (settings or load_settings()).replace(index_dir=Path(index_dir) if index_dir else None, **overrides)
        bot = cls(s, embedder, llm)
        paths = [corpus] if isinstance(corpus, (str, Path)) else list(corpus)
        bot.ingest(paths, progress=progress)
        return bot

    def reload(self) -> None:
        """Load the index's current generation (after another process changed it)."""
        index = open_index(self.settings)
        if index.recovered:
            self.log(f"rag: {index.recovered}")
        self._load(index)

    def _load(self, index: Index) -> None:
        s = self.settings
        judge = load_judge(s.extractive.judge_model, s.cache_dir, log=self.log) if s.extractive.judge else None
        extractive = ExtractiveAnswerer(self.embedder, index, s.extractive, articles=article_reader(index), judge=judge)
        llm = LLMAnswerer(self.llm, extractive, self.embedder, s.llm_timeout, s.citations)
        self._loaded = _Loaded(index, Retriever(index, self.embedder, s), {"extractive": extractive, "llm": llm})

    def _current(self) -> _Loaded:
        if self._loaded is None:
            raise IndexNotFound(f"no index loaded: build one with `rag ingest corpus/ --index {self.settings.index_dir}`")
        return self._loaded

    @property
    def index(self) -> Index:
        return self._current().index

    @property
    def retriever(self) -> Retriever:
        return self._current().retriever

    # ------------------------------------------------------------ corpus
    def ingest(self, paths: Iterable[str | Path], progress=None, rebuild: bool = False) -> IngestReport:
        """Add or refresh files and folders; questions keep running on the old index meanwhile."""
        with self._write:
            report = ingest(list(paths), self.settings, self.embedder, rebuild=rebuild, progress=progress,
                            log=self.log)
            self.reload()
        return report

    def remove(self, doc_ids: list[str]) -> IngestReport:
        """Remove documents (by id) from the index."""
        with self._write:
            report = remove_documents(list(doc_ids), self.settings, log=self.log)
            self.reload()
        return report

    def compact(self) -> IngestReport:
        """Merge the index's segments into one (``rag compact``); nothing is embedded again."""
        with self._write:
            report = compact_index(self.settings, log=self.log)
            self.reload()
        return report

    def documents(self) -> list:
        """The documents in the index (``Document`` records), by title."""
        return sorted(self.index.documents.values(), key=lambda d: (d.title or d.doc_id))

    def passages_per_document(self) -> dict[str, int]:
        """How many passages each document has in the index."""
        return self.index.passages_per_document()

    def info(self) -> dict:
        """Which model and index are loaded, and their sizes."""
        d = self.index.describe()
        d["answerer"] = self.settings.answerer
        d["llm"] = llm_mod.describe(self.llm)
        return d

    # ------------------------------------------------------------ questions
    def understand(self, question: str, history=None, use_llm: bool | None = None) -> Query:
        """The :class:`Query` for ``question``: read once, a follow-up made standalone with
        ``history`` (by the LLM when it answers, else by a rule)."""
        return self._understand(self._current(), question, history, use_llm)

    def _understand(self, loaded: _Loaded, question: str, history, use_llm: bool | None) -> Query:
        question = (question or "").strip()
        lang = language(question)
        asked = asked_for(question)
        use_llm = self.settings.answerer == "llm" if use_llm is None else use_llm
        text, kind, how = condense(question, lang, asked.kind, history,
                                   self.llm if use_llm else None, self.settings.llm_timeout)
        if how == "none":
            return loaded.retriever.query(question, lang=lang, asked=asked)
        return loaded.retriever.query(text, question=question, kind=kind, reply_lang=lang, rewritten=how)

    def too_long(self, question: str) -> Answer | None:
        """The refusal of a question over ``max_question_chars`` (None when it is within)."""
        limit, n = self.settings.max_question_chars, len(question or "")
        if n <= limit:
            return None
        lang = language(question[:limit])
        return Answer(question[:200] + "…", TOO_LONG[lang].format(n=n, limit=limit), refused=True, lang=lang,
                      note=f"question too long: {n} characters (max_question_chars = {limit})")

    def search(self, query: str | Query, k: int | None = None, mode: str | None = None,
               filters: Filters | None = None) -> SearchResult:
        """Ranked passages for ``query`` (no answer)."""
        return self._current().retriever.search(query, k=k, mode=mode, filters=filters or Filters())

    def ask(self, question: str, history=None, *, k: int | None = None, mode: str | None = None,
            filters: Filters | None = None, answerer: str | None = None) -> Answer:
        """Answer ``question``; ``history`` is the conversation so far (message dicts or pairs)."""
        stream = AnswerStream(self._answer(question, history, k, mode, filters, answerer, streaming=False))
        stream.text()
        return stream.answer

    def stream(self, question: str, history=None, *, k: int | None = None, mode: str | None = None,
               filters: Filters | None = None, answerer: str | None = None) -> AnswerStream:
        """Like :meth:`ask`, but the answer comes in pieces: ``for piece in bot.stream(q): ...``;
        afterwards ``stream.answer`` is the full :class:`Answer`."""
        return AnswerStream(self._answer(question, history, k, mode, filters, answerer))

    def _answer(self, question, history, k, mode, filters, answerer, streaming: bool = True) -> AnswerPieces:
        backend = answerer or self.settings.answerer
        if backend not in ANSWERERS:
            raise ValueError(f"unknown answerer {backend!r}; choose one of {ANSWERERS}")
        if not (question or "").strip():
            ans = Answer("", REFUSAL["en"], refused=True, lang="en", note="empty question")
            yield ans.text
            return ans
        too_long = self.too_long(question)
        if too_long is not None:  # refused before anything reads it: a 1.7M-character paste costs nothing
            yield too_long.text
            return too_long
        loaded = self._current()
        query = self._understand(loaded, question, history, use_llm=backend == "llm")
        result = loaded.retriever.search(query, k=k, mode=mode, filters=filters or Filters())
        ans = yield from loaded.answerers[backend].stream(query, result, streaming=streaming)
        return with_places(ans, result, query.reply_lang)

    # ------------------------------------------------------------ LangChain
    def as_retriever(self, k: int | None = None, mode: str | None = None, filters: Filters | None = None):
        """This index as a LangChain ``BaseRetriever`` (for your own chains)."""
        from ..integrations.langchain import BulletinRetriever

        return BulletinRetriever(assistant=self, k=check_k(self.settings.k if k is None else k), mode=mode,
                                 filters=filters)


def with_places(ans: Answer, result: SearchResult, lang: str) -> Answer:
    """``ans`` with each citation's page (from its passage) and, when a date range left out
    undated documents, a note saying how many and why."""
    pages = {h.chunk.chunk_id: h.chunk.page for h in result.hits}
    for c in ans.citations:
        c.page = c.page or pages.get(c.chunk_id, 0)
    note = undated_note(result.undated, lang)
    if note:
        ans.note = f"{ans.note}; {note}" if ans.note else note
    return ans


_DEFAULT: dict[str, Assistant] = {}
_DEFAULT_LOCK = threading.Lock()


def answer(question: str, history=None, **options) -> Answer:
    """Answer with the default index (``index/`` or ``RAG_INDEX_DIR``) and settings.

    ``options``: ``k``, ``mode``, ``filters``, ``answerer`` (per question).
    """
    s = load_settings()
    key = str(Path(s.index_dir).resolve())
    with _DEFAULT_LOCK:
        bot = _DEFAULT.get(key)
        if bot is None:
            bot = _DEFAULT[key] = Assistant.open(settings=s)
    return bot.ask(question, history, **options)
