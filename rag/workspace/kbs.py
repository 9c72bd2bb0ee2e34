"""Knowledge bases: named collections of documents, one index each.

The default one is the configured index and corpus (``index_dir``, ``corpus_dir``: what
``make run`` builds from ``corpus/``, and what ``--index DIR`` points elsewhere). Every other
one lives under the data folder, in ``<data_dir>/kb/<id>/`` (``index/`` and ``corpus/uploads/``),
named by a fixed id, so renaming one moves nothing. Names and ids are in the workspace's SQLite.
"""
from __future__ import annotations

import re
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from ..config import Settings
from .db import connect

DEFAULT_KB = "default"
MAX_NAME_CHARS = 60


class KBError(ValueError):
    """A knowledge base that cannot be found, named or deleted as asked. ``code`` names the case
    (``not_found``, ``empty_name``, ``long_name``, ``name_taken``, ``default_kept``) for a
    caller that says it in another language; ``values`` fill its message."""

    def __init__(self, code: str, message: str, **values):
        super().__init__(message)
        self.code = code
        self.values = values


@dataclass(frozen=True)
class KnowledgeBase:
    id: str
    name: str  # "" for the default one until it is renamed (each caller says "default" its way)
    index_dir: Path
    corpus_dir: Path  # uploads go to corpus_dir/uploads
    created: float = 0.0

    @property
    def is_default(self) -> bool:
        return self.id == DEFAULT_KB

    @property
    def label(self) -> str:
        """The name, or the default one's id while it has none."""
        return self.name or self.id


def kb_settings(settings: Settings, kb: "KnowledgeBase | str") -> Settings:
    """``settings`` pointed at knowledge base ``kb`` (a :class:`KnowledgeBase`, or its name or id)."""
    if isinstance(kb, str):
        kb = KnowledgeBases(settings).get(kb)
    return settings.replace(index_dir=kb.index_dir, corpus_dir=kb.corpus_dir)


def check_name(name: str) -> str:
    """A knowledge base's name, trimmed; :class:`KBError` when empty, too long or not printable."""
    name = re.sub(r"\s+", " ", name or "").strip()
    if not name:
        raise KBError("empty_name", "a knowledge base needs a name")
    if len(name) > MAX_NAME_CHARS:
        raise KBError("long_name", f"a knowledge base's name has at most {MAX_NAME_CHARS} characters",
                      most=MAX_NAME_CHARS)
    if not name.isprintable():
        raise KBError("empty_name", "a knowledge base's name holds only printable characters")
    return name


class KnowledgeBases:
    """The knowledge bases of ``settings.data_dir`` (the default one always among them)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.data_dir = Path(settings.data_dir)

    def _default(self, name: str = "", created: float = 0.0) -> KnowledgeBase:
        return KnowledgeBase(DEFAULT_KB, name, Path(self.settings.index_dir), Path(self.settings.corpus_dir), created)

    def folder(self, kb_id: str) -> Path:
        return self.data_dir / "kb" / kb_id

    def _named(self, kb_id: str, name: str, created: float) -> KnowledgeBase:
        if kb_id == DEFAULT_KB:
            return self._default(name, created)
        return KnowledgeBase(kb_id, name, self.folder(kb_id) / "index", self.folder(kb_id) / "corpus", created)

    def list(self) -> list[KnowledgeBase]:
        """Every knowledge base: the default one first, then the others by name."""
        with connect(self.data_dir) as con:
            rows = con.execute("SELECT id, name, created FROM kbs").fetchall()
        kbs = {r[0]: self._named(*r) for r in rows}
        default = kbs.pop(DEFAULT_KB, None) or self._default()
        return [default, *sorted(kbs.values(), key=lambda kb: kb.name.casefold())]

    def get(self, name_or_id: str | None) -> KnowledgeBase:
        """The knowledge base with this id or name (any case); the default one for None or "";
        :class:`KBError` listing the names there are otherwise."""
        key = (name_or_id or "").strip()
        kbs = self.list()
        if not key:
            return kbs[0]
        for kb in kbs:
            if kb.id == key or kb.name.casefold() == key.casefold():
                return kb
        names = ", ".join(kb.label for kb in kbs)
        raise KBError("not_found", f"no knowledge base named {key!r} (there are: {names}); "
                                   f"create it with `rag kb create {key}`", name=key)

    def _check_free(self, name: str, but: str = "") -> None:
        for kb in self.list():
            if kb.id != but and (kb.name.casefold() == name.casefold() or kb.id == name):
                raise KBError("name_taken", f"there is already a knowledge base named {name!r}", name=name)

    def create(self, name: str) -> KnowledgeBase:
        """A new, empty knowledge base named ``name`` (its index is built by the first ingest)."""
        name = check_name(name)
        self._check_free(name)
        kb_id = f"kb-{uuid.uuid4().hex[:10]}"
        now = time.time()
        (self.folder(kb_id) / "corpus" / "uploads").mkdir(parents=True, exist_ok=True)
        with connect(self.data_dir) as con:
            con.execute("INSERT INTO kbs (id, name, created) VALUES (?, ?, ?)", (kb_id, name, now))
        return self._named(kb_id, name, now)

    def rename(self, name_or_id: str, new_name: str) -> KnowledgeBase:
        """Give a knowledge base another name (nothing moves on disk)."""
        kb = self.get(name_or_id)
        name = check_name(new_name)
        self._check_free(name, but=kb.id)
        with connect(self.data_dir) as con:
            con.execute("INSERT INTO kbs (id, name, created) VALUES (?, ?, ?) "
                        "ON CONFLICT (id) DO UPDATE SET name = excluded.name", (kb.id, name, kb.created or time.time()))
        return self._named(kb.id, name, kb.created)

    def delete(self, name_or_id: str) -> KnowledgeBase:
        """Delete a knowledge base: its index, its uploaded files and its conversations (feedback
        on its answers is kept). The default one is the configured index: it is not deleted."""
        kb = self.get(name_or_id)
        if kb.is_default:
            raise KBError("default_kept", "the default knowledge base is the configured index and corpus; "
                                          "it is not deleted (remove its documents instead)")
        with connect(self.data_dir) as con:
            con.execute("DELETE FROM conversations WHERE kb = ?", (kb.id,))
            con.execute("DELETE FROM kbs WHERE id = ?", (kb.id,))
        shutil.rmtree(self.folder(kb.id), ignore_errors=True)
        return kb
