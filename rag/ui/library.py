"""The knowledge bases the app serves: one :class:`~rag.answering.Assistant` each, opened when a
page first asks for it, all sharing one embedding model and one LLM.

A knowledge base without an index yet (just created) has no assistant until its first upload
builds one; :class:`Library` answers for it meanwhile (no documents, nothing to ask).
"""
from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

from ..answering import Assistant
from ..config import Settings
from ..index import IndexNotFound
from ..workspace import DEFAULT_KB, FeedbackStore, History, KnowledgeBase, KnowledgeBases, kb_settings

SECRETS = ("llm_api_key", "auth", "milvus_token")  # never written into feedback records


def settings_record(settings: Settings) -> dict:
    """The settings an answer was produced with, as JSON-able data, secrets left out."""
    out = {}
    for f in dataclasses.fields(settings):
        if f.name in SECRETS:
            continue
        value = getattr(settings, f.name)
        out[f.name] = dataclasses.asdict(value) if dataclasses.is_dataclass(value) else (
            str(value) if isinstance(value, Path) else value)
    return out


class Library:
    """Knowledge bases by id, each with its assistant (``bot``). ``bot`` is the default knowledge
    base's assistant when the caller has opened it already (``rag serve``, tests)."""

    def __init__(self, settings: Settings, bot=None):
        self.settings = settings
        self.kbs = KnowledgeBases(settings)
        self.history = History(settings.data_dir)
        self.feedback = FeedbackStore(settings.data_dir)
        self._bots: dict[str, object] = {DEFAULT_KB: bot} if bot is not None else {}
        self._shared = bot  # whose embedding model and LLM the others use
        self._lock = threading.Lock()

    @property
    def llm(self):
        return getattr(self._shared, "llm", None)

    def kb(self, kb_id: str | None) -> KnowledgeBase:
        """The knowledge base ``kb_id`` (:class:`~rag.workspace.KBError` when it is gone)."""
        return self.kbs.get(kb_id or DEFAULT_KB)

    def _assistant(self, kb: KnowledgeBase):
        with self._lock:
            bot = self._bots.get(kb.id)
            if bot is None:
                shared = self._shared
                bot = Assistant(kb_settings(self.settings, kb), embedder=getattr(shared, "embedder", None),
                                llm=getattr(shared, "llm", None))
                try:
                    bot.reload()
                except IndexNotFound:
                    pass  # built by the first upload
                self._bots[kb.id] = bot
                if self._shared is None:
                    self._shared = bot
            return bot

    def bot(self, kb_id: str | None):
        """The assistant of ``kb_id`` when it has an index, else None."""
        bot = self._assistant(self.kb(kb_id))
        try:
            bot.index
        except IndexNotFound:
            return None
        return bot

    def writer(self, kb_id: str | None):
        """The assistant that ingests into ``kb_id`` (with or without an index yet)."""
        return self._assistant(self.kb(kb_id))

    def forget(self, kb_id: str) -> None:
        """Drop the assistant of a deleted knowledge base."""
        with self._lock:
            self._bots.pop(kb_id, None)

    def documents(self, kb_id: str | None) -> list:
        bot = self.bot(kb_id)
        return bot.documents() if bot is not None else []

    def passages_per_document(self, kb_id: str | None) -> dict[str, int]:
        bot = self.bot(kb_id)
        return bot.passages_per_document() if bot is not None else {}

    def info(self, kb_id: str | None) -> dict | None:
        """What ``Assistant.info()`` says, or None for a knowledge base without an index yet."""
        bot = self.bot(kb_id)
        return bot.info() if bot is not None else None

    def generation(self, kb_id: str | None) -> str:
        """Which generation of the index answers now (``sequence:folder``), for feedback records."""
        bot = self.bot(kb_id)
        index = getattr(bot, "index", None)
        manifest = getattr(index, "manifest", None)
        folder = getattr(index, "generation", None)
        return ":".join(str(x) for x in (getattr(manifest, "sequence", ""), Path(folder).name if folder else "")
                        if x != "")
