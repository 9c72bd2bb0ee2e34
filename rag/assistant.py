"""The Python front door: ``Assistant`` answers questions over an index with cited passages.

    from rag import Assistant
    bot = Assistant.open("index/")            # or Assistant.build("corpus/")
    ans = bot.ask("2023年青岛高新区新引进了多少个高质量项目？")
    print(ans.text, ans.citations, ans.refused)

One ``Assistant`` may serve many threads: questions run against the index loaded at the time,
while ``ingest``/``remove`` build a new index generation on the side and swap it in when done.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from . import llm as llm_mod
from .citations import CitationChecker, sentence_ends, split_answer
from .config import Settings, load_settings
from .conversation import condense_by_rule, is_follow_up, normalize_history
from .embeddings import Embedder, load_embedder
from .extractive import REFUSAL, ExtractiveAnswerer
from .index import Index, IndexNotFound
from .language import answer_type, language
from .prompts import NO_ANSWER, answer_messages, condense_messages
from .retriever import Filters, Retriever
from .types import Answer, IngestReport, SearchResult

ANSWERERS = ("extractive", "llm")


@dataclass
class _Loaded:
    """One loaded index generation with what queries need; swapped whole on re-ingest."""

    index: Index
    retriever: Retriever
    extractive: ExtractiveAnswerer


@dataclass
class AnswerStream:
    """Iterate to get the answer text in pieces; ``answer`` holds the full :class:`Answer` after."""

    _pieces: Iterator[str]
    answer: Answer | None = None

    def __iter__(self) -> Iterator[str]:
        yield from self._pieces

    def text(self) -> str:
        """Consume the stream and return the final answer text."""
        for _ in self:
            pass
        return self.answer.text if self.answer else ""


class Assistant:
    """Answers questions from an index. Build it with :meth:`open` or :meth:`build`."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None, llm=None,
                 log=lambda msg: None):
        self.settings = settings
        self.embedder = embedder or load_embedder(settings, log)
        self.llm = llm if llm is not None else llm_mod.chat_model_from_settings(settings)
        self._loaded: _Loaded | None = None
        self._write = threading.Lock()

    # ------------------------------------------------------------ construction
    @classmethod
    def open(cls, index_dir: str | Path | None = None, *, settings: Settings | None = None,
             llm=None, embedder: Embedder | None = None, **overrides) -> "Assistant":
        """Open an existing index (default: ``settings.index_dir``, i.e. ``index/``).

        ``llm`` is any LangChain chat model; without it, the configured endpoint (if any) is used.
        ``overrides`` are setting names (``k=8``, ``mode="dense"``, ``answerer="llm"``...).
        """
        s = (settings or load_settings()).replace(index_dir=Path(index_dir) if index_dir else None, **overrides)
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
        index = Index.load(self.settings.index_dir)
        retriever = Retriever(index, self.embedder, self.settings)
        self._loaded = _Loaded(index, retriever, ExtractiveAnswerer(self.embedder, index.lexical))

    @property
    def index(self) -> Index:
        if self._loaded is None:
            raise IndexNotFound(f"no index loaded: build one with `rag ingest corpus/ --index {self.settings.index_dir}`")
        return self._loaded.index

    # ------------------------------------------------------------ corpus
    def ingest(self, paths: Iterable[str | Path], progress=None, rebuild: bool = False) -> IngestReport:
        """Add or refresh files and folders; questions keep running on the old index meanwhile."""
        from .ingest import ingest

        with self._write:
            report = ingest(list(paths), self.settings, self.embedder, rebuild=rebuild, progress=progress)
            self.reload()
        return report

    def remove(self, doc_ids: list[str]) -> IngestReport:
        """Remove documents (by id) from the index."""
        from .ingest import remove_documents

        with self._write:
            report = remove_documents(list(doc_ids), self.settings)
            self.reload()
        return report

    def documents(self) -> list:
        """The documents in the index (``Document`` records), by title."""
        return sorted(self.index.documents.values(), key=lambda d: (d.title or d.doc_id))

    def info(self) -> dict:
        """Which model and index are loaded, and their sizes."""
        d = self.index.describe()
        d["answerer"] = self.settings.answerer
        d["llm"] = llm_mod.describe(self.llm)
        return d

    # ------------------------------------------------------------ questions
    def search(self, query: str, k: int | None = None, mode: str | None = None,
               filters: Filters | None = None) -> SearchResult:
        """Ranked passages for ``query`` (no answer)."""
        loaded = self._loaded or self._fail()
        return loaded.retriever.search(query, k=k, mode=mode, filters=filters or Filters())

    def _fail(self):
        raise IndexNotFound(f"no index loaded: build one with `rag ingest corpus/ --index {self.settings.index_dir}`")

    def condense(self, question: str, history, use_llm: bool | None = None) -> tuple[str, str, str]:
        """The standalone question for retrieval, the kind of answer asked for, and how it was made
        (``none``, ``rule`` or ``llm``). The LLM rewrites it when it answers, else a rule does."""
        hist = normalize_history(history)
        if not hist or not is_follow_up(question):
            return question, answer_type(question), "none"
        rule_q, kind = condense_by_rule(question, hist)
        use_llm = self.settings.answerer == "llm" if use_llm is None else use_llm
        if self.llm is not None and use_llm:
            try:
                text = llm_mod.generate(self.llm, condense_messages(question, hist, language(question)),
                                        self.settings.llm_timeout).strip().splitlines()[0].strip()
                if 2 <= len(text) <= 300:
                    return text, kind if answer_type(text) == "other" else answer_type(text), "llm"
            except (llm_mod.LLMError, IndexError):
                pass
        return rule_q, kind, "rule"

    def ask(self, question: str, history=None, *, k: int | None = None, mode: str | None = None,
            filters: Filters | None = None, answerer: str | None = None) -> Answer:
        """Answer ``question``; ``history`` is the conversation so far (message dicts or pairs)."""
        holder = AnswerStream(iter(()))
        holder._pieces = self._stream(holder, question, history, k, mode, filters, answerer, streaming=False)
        holder.text()
        return holder.answer

    def stream(self, question: str, history=None, *, k: int | None = None, mode: str | None = None,
               filters: Filters | None = None, answerer: str | None = None) -> AnswerStream:
        """Like :meth:`ask`, but the answer comes in pieces: ``for piece in bot.stream(q): ...``;
        afterwards ``stream.answer`` is the full :class:`Answer`."""
        holder = AnswerStream(iter(()))
        holder._pieces = self._stream(holder, question, history, k, mode, filters, answerer)
        return holder

    def _stream(self, holder: AnswerStream, question, history, k, mode, filters, answerer,
                streaming: bool = True) -> Iterator[str]:
        question = (question or "").strip()
        lang = language(question)
        backend = answerer or self.settings.answerer
        if backend not in ANSWERERS:
            raise ValueError(f"unknown answerer {backend!r}; choose one of {ANSWERERS}")
        if not question:
            holder.answer = Answer(question, REFUSAL[lang], refused=True, lang=lang, note="empty question")
            yield holder.answer.text
            return
        loaded = self._loaded or self._fail()
        search_q, kind, how = self.condense(question, history, use_llm=backend == "llm")
        res = loaded.retriever.search(search_q, k=k, mode=mode, filters=filters or Filters())
        note = ""
        if backend == "llm" and self.llm is None:
            note = "no LLM is configured (set RAG_LLM_BASE_URL and RAG_LLM_MODEL); extractive answer shown"
        elif backend == "llm" and res.found and res.hits:
            ok = yield from self._llm_pieces(holder, question, search_q, res, lang, streaming)
            if ok:
                return
            note = holder.answer.note  # the reason the LLM failed
        ans = loaded.extractive.answer(search_q if how != "none" else question, res.hits, res.found,
                                       res.query_vector, res.background, kind)
        ans.question, ans.lang, ans.search_query = question, lang, search_q
        if ans.refused:
            ans.text = REFUSAL[lang]
        if note:
            ans.note = note + (f"; {ans.note}" if ans.note else "")
        holder.answer = ans
        yield from _pieces(ans.text)

    def _llm_pieces(self, holder: AnswerStream, question: str, search_q: str, res: SearchResult,
                    lang: str, streaming: bool = True) -> Iterator[str]:
        """Stream a checked LLM answer sentence by sentence.

        Sentences are held back until one of them is supported by a passage, so a reply that is
        all unsupported (or fails early) yields nothing. Returns False in that case, with the
        reason in ``holder.answer.note``, and the caller falls back to the extractive answer.
        """
        hits = res.hits
        checker = CitationChecker(hits, lang, self.embedder)
        messages = answer_messages(search_q, hits, lang)
        joiner = "" if lang == "zh" else " "
        buffer, out, pending, shown = "", [], [], False
        said_no_answer = False

        def fallback(reason: str) -> bool:
            holder.answer = Answer(question, "", passages=hits, lang=lang, backend="llm",
                                   note=f"{reason}; extractive answer shown", search_query=search_q)
            return False

        def take(sentences) -> None:
            nonlocal said_no_answer
            for sent, marks in sentences:
                if _is_no_answer(sent, lang):
                    said_no_answer = True
                    continue
                checked = checker.check(sent, marks)
                pending.append((joiner if out else "") + checked)
                out.append(checked)

        try:
            timeout = self.settings.llm_timeout
            tokens = (llm_mod.stream(self.llm, messages, timeout) if streaming
                      else iter([llm_mod.generate(self.llm, messages, timeout)]))
            for token in tokens:
                buffer += token
                n = _complete(buffer)
                if n:
                    take(split_answer(buffer)[:n])
                    buffer = _rest(buffer, n)
                if checker.citations and pending:
                    shown = True
                    yield "".join(pending)
                    pending.clear()
            take(split_answer(buffer))
        except llm_mod.LLMError as exc:
            if not shown:
                return fallback(str(exc))
            tail = {"zh": "（回答中断：", "en": " (answer cut short: "}[lang] + str(exc) + ("）" if lang == "zh" else ")")
            yield tail
            holder.answer = Answer(question, joiner.join(out) + tail, checker.citations, hits, lang=lang,
                                   backend="llm", note=str(exc), unsupported=checker.unsupported,
                                   search_query=search_q)
            return True
        if not out and said_no_answer:  # the model says the passages hold no answer
            holder.answer = Answer(question, REFUSAL[lang], [], hits, refused=True, lang=lang, backend="llm",
                                   note="the LLM found no answer in the passages", search_query=search_q)
            yield holder.answer.text
            return True
        if not checker.citations:
            return fallback("the LLM reply is not supported by the passages" if out
                            else "the LLM returned no answer")
        if pending:
            yield "".join(pending)
        note = "some statements are not supported by the passages" if checker.unsupported else ""
        holder.answer = Answer(question, joiner.join(out), checker.citations, hits, lang=lang, backend="llm",
                               note=note, unsupported=checker.unsupported, search_query=search_q)
        return True

    # ------------------------------------------------------------ LangChain
    def as_retriever(self, k: int | None = None, mode: str | None = None, filters: Filters | None = None):
        """This index as a LangChain ``BaseRetriever`` (for your own chains)."""
        from .langchain_retriever import BulletinRetriever

        return BulletinRetriever(assistant=self, k=k or self.settings.k, mode=mode, filters=filters)


def _is_no_answer(sentence: str, lang: str) -> bool:
    s = sentence.strip().rstrip("。.!！")
    return any(p.lower() in s.lower() for p in NO_ANSWER.values()) and len(s) <= len(NO_ANSWER[lang]) + 12


def _complete(buffer: str) -> int:
    """How many sentences of ``buffer`` are finished: all but the last, which may still grow
    (or take markers after its full stop)."""
    return max(len(sentence_ends(buffer)) - 1, 0)


def _rest(buffer: str, complete: int) -> str:
    """``buffer`` without its first ``complete`` sentences (markers included)."""
    return buffer[sentence_ends(buffer)[complete - 1]:] if complete else buffer


def _pieces(text: str, size: int = 12) -> Iterator[str]:
    """Split a finished answer into small pieces, for a typing effect in the UI."""
    for i in range(0, len(text), size):
        yield text[i:i + size]


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
