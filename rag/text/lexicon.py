"""jieba's dictionary in SQLite, read a word at a time.

jieba loads its whole dictionary (every word and every prefix of one, ~580,000 entries, with
part-of-speech tags for ``jieba.posseg``) before it cuts its first sentence: about 1.3 s, most of
a one-shot ``rag search`` or ``rag ask``. A question needs a few hundred of those entries. The
lexicon is jieba's own dictionary, written once into SQLite (``rag prepare-model``, or the first
question that needs it), and a :class:`jieba.Tokenizer` whose ``FREQ`` reads it on demand: the
same algorithm over the same numbers, so the same words (``tests/text/test_lexicon.py`` compares
them with jieba's on real text). Entries read are kept in memory, so a long run converges to
jieba's in-memory dictionary.
"""
from __future__ import annotations

import functools
import os
import sqlite3
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Iterator

FORMAT = 1


def lexicon_path(folder: Path) -> Path:
    """Where the lexicon of the installed jieba's dictionary lives under ``folder``."""
    return Path(folder) / _lexicon_name()


@functools.lru_cache(maxsize=1)
def _lexicon_name() -> str:
    """The lexicon's file name: jieba's version and its dictionary's size (read once)."""
    import jieba

    with jieba.get_module_res(jieba.DEFAULT_DICT_NAME) as f:
        size = os.path.getsize(f.name)
    return f"jieba-{jieba.__version__}-{size}-v{FORMAT}.sqlite"


def build_lexicon(path: Path) -> Path:
    """Write jieba's default dictionary (frequencies, prefixes, tags) to ``path``, atomically: a
    process killed while writing leaves no half file under that name."""
    import jieba

    freq, total = jieba.Tokenizer.gen_pfdict(jieba.get_module_res(jieba.DEFAULT_DICT_NAME))
    tags: dict[str, str] = {}
    with jieba.get_module_res(jieba.DEFAULT_DICT_NAME) as f:
        for line in f:
            parts = line.decode("utf-8").strip().split(" ")
            if len(parts) == 3:
                tags[parts[0]] = parts[2]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.unlink(missing_ok=True)
    con = sqlite3.connect(tmp)
    try:
        con.execute("CREATE TABLE words (word TEXT PRIMARY KEY, freq INTEGER NOT NULL, tag TEXT) WITHOUT ROWID")
        con.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)")
        con.executemany("INSERT INTO words VALUES (?, ?, ?)", ((w, n, tags.get(w)) for w, n in freq.items()))
        con.execute("INSERT INTO meta VALUES ('total', ?)", (total,))
        con.commit()
    finally:
        con.close()
    os.replace(tmp, path)
    return path


class _Column(Mapping):
    """One column of the lexicon as a read-only mapping ``word -> value`` (missing: absent)."""

    def __init__(self, con: sqlite3.Connection, lock: threading.Lock, column: str):
        self._con, self._lock = con, lock
        self._sql = f"SELECT {column} FROM words WHERE word = ?" + (" AND tag IS NOT NULL" if column == "tag" else "")
        self._seen: dict[str, object] = {}

    def _lookup(self, word: str):
        try:
            return self._seen[word]
        except KeyError:
            pass
        with self._lock:
            row = self._con.execute(self._sql, (word,)).fetchone()
        value = row[0] if row else _ABSENT
        self._seen[word] = value
        return value

    def __getitem__(self, word: str):
        value = self._lookup(word)
        if value is _ABSENT:
            raise KeyError(word)
        return value

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self._lookup(word) is not _ABSENT

    def get(self, word, default=None):
        value = self._lookup(word) if isinstance(word, str) else _ABSENT
        return default if value is _ABSENT else value

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            words = [w for (w,) in self._con.execute("SELECT word FROM words")]
        return iter(words)

    def __len__(self) -> int:
        with self._lock:
            return self._con.execute("SELECT count(*) FROM words").fetchone()[0]


_ABSENT = object()


class Lexicon:
    """An open lexicon: jieba tokenizers (words, and words with parts of speech) reading it."""

    def __init__(self, path: Path):
        import jieba

        self.path = Path(path)
        con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        lock = threading.Lock()
        total = con.execute("SELECT value FROM meta WHERE key = 'total'").fetchone()[0]
        self.words = jieba.Tokenizer()
        self.words.FREQ = _Column(con, lock, "freq")
        self.words.total = total
        self.words.initialized = True  # jieba's initialize() would load the whole dictionary
        self._tags = _Column(con, lock, "tag")
        self._pos = None
        self._pos_lock = threading.Lock()

    @property
    def pos(self):
        """A ``jieba.posseg.POSTokenizer`` over the lexicon (built on first use)."""
        with self._pos_lock:
            if self._pos is None:
                self._pos = _pos_tokenizer(self.words, self._tags)
            return self._pos


def _pos_tokenizer(words, tags):
    """``jieba.posseg``'s tokenizer reading ``tags`` instead of loading every tag. Importing
    ``jieba.posseg`` builds a module-level tokenizer that reads the whole dictionary file
    (~0.3 s); for that one import jieba's default tokenizer is pointed at an empty dictionary,
    and the module-level tokenizer is then replaced by this one, so ``jieba.posseg.lcut`` anywhere
    in the process gives the tags it always gave."""
    import sys

    import jieba

    emptied = "jieba.posseg" not in sys.modules
    if emptied:
        saved = jieba.dt.dictionary
        jieba.dt.dictionary = os.devnull
        try:
            import jieba.posseg  # noqa: F401
        finally:
            jieba.dt.dictionary = saved
    posseg = sys.modules["jieba.posseg"]
    tokenizer = object.__new__(posseg.POSTokenizer)
    tokenizer.tokenizer = words
    tokenizer.word_tag_tab = tags
    if emptied:
        posseg.dt = tokenizer
    return tokenizer


_OPEN: dict[Path, Lexicon] = {}
_OPEN_LOCK = threading.Lock()


def open_lexicon(folder: Path) -> Lexicon:
    """The lexicon under ``folder``, built there first if missing; one per process."""
    path = lexicon_path(folder)
    with _OPEN_LOCK:
        lexicon = _OPEN.get(path)
        if lexicon is None:
            if not path.exists():
                build_lexicon(path)
            lexicon = _OPEN[path] = Lexicon(path)
        return lexicon
