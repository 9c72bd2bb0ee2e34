"""The model's tokenizer for a few short texts, without loading its 250,002 pieces.

Loading ``tokenizer.json`` (a Unigram model) takes about a second on these CPUs and holds the
GIL: most of a one-shot ``rag ask``'s budget. A Unigram segmentation only ever uses pieces that
are substrings of the (normalised, pre-tokenised) text, plus the lowest score of the vocabulary
(an unknown character costs ``min_score - 10``). So a question is tokenised by a tokenizer built
for it: the same normaliser, pre-tokeniser and framing (``query-tokenizer.json``, the model's
file with an empty vocabulary), the four special pieces, the lowest-scored piece, and the pieces
among the text's substrings (looked up in ``pieces.sqlite``), their ids mapped back to the
model's. Identical ids to the full tokenizer (``tests/embed/test_query_tokenizer.py``); texts
holding a special token's spelling (``<s>``, ``<unk>``...) go to the full tokenizer.
"""
from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from pathlib import Path
from typing import Sequence

SKELETON = "query-tokenizer.json"
PIECES = "pieces.sqlite"
_BATCH = 500  # pieces per SELECT ... IN (...)


def query_tokenizer_exists(folder: Path) -> bool:
    return (Path(folder) / SKELETON).is_file() and (Path(folder) / PIECES).is_file()


def write_query_tokenizer(folder: Path) -> None:
    """Write ``query-tokenizer.json`` and ``pieces.sqlite`` beside ``tokenizer.json`` in
    ``folder`` (once; atomic: a reader sees both files whole or falls back to the full tokenizer)."""
    folder = Path(folder)
    if query_tokenizer_exists(folder):
        return
    spec = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
    model = spec["model"]
    if model.get("type") != "Unigram" or model.get("byte_fallback"):
        return  # another kind of tokenizer: the full one serves every text
    vocab = model["vocab"]
    low = min(range(len(vocab)), key=lambda i: vocab[i][1])
    specials = [t for t in spec.get("added_tokens", []) if t.get("special")]
    skeleton = {**spec, "model": {**model, "vocab": []},
                "added_tokens": [t for t in specials if t["id"] < 4]}
    skeleton["query"] = {"specials": vocab[:4], "low": [low, *vocab[low]], "max_piece": max(len(p) for p, _ in vocab),
                         "special_texts": sorted(t["content"] for t in specials)}
    fd, tmp_db = tempfile.mkstemp(prefix=".pieces-", dir=folder)
    os.close(fd)
    db = sqlite3.connect(tmp_db)
    try:
        db.execute("CREATE TABLE pieces (piece TEXT PRIMARY KEY, id INTEGER, score REAL) WITHOUT ROWID")
        db.executemany("INSERT OR IGNORE INTO pieces VALUES (?, ?, ?)",
                       ((p, i, s) for i, (p, s) in enumerate(vocab) if i >= 4))
        db.commit()
    finally:
        db.close()
    tmp_json = folder / f".{SKELETON}.{os.getpid()}.tmp"
    tmp_json.write_text(json.dumps(skeleton, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp_db, folder / PIECES)
    os.replace(tmp_json, folder / SKELETON)


class QueryTokenizer:
    """``encode_batch(texts)`` -> token ids as the full tokenizer gives them, for a few texts."""

    def __init__(self, folder: Path, max_length: int):
        from tokenizers import Tokenizer

        self._Tokenizer = Tokenizer
        self.folder = Path(folder)
        spec = json.loads((self.folder / SKELETON).read_text(encoding="utf-8"))
        self._query = spec.pop("query")
        self._spec = spec
        self.max_length = max_length
        self._db: sqlite3.Connection | None = None
        self._base = self._build([])  # normaliser and pre-tokeniser, to find the substrings

    def handles(self, texts: Sequence[str]) -> bool:
        """False for a text holding a special token's spelling (the full tokenizer splits those first)."""
        return not any(s in t for t in texts for s in self._query["special_texts"])

    def _build(self, found: list[tuple[str, int, float]]):
        low_id, low_piece, low_score = self._query["low"]
        vocab = self._query["specials"] + [[p, s] for p, _, s in found] + [[low_piece, low_score]]
        tok = self._Tokenizer.from_str(json.dumps({**self._spec, "model": {**self._spec["model"], "vocab": vocab}}))
        tok.no_padding()
        tok.enable_truncation(self.max_length)
        return tok

    def _pieces(self, substrings: list[str]) -> list[tuple[str, int, float]]:
        if self._db is None:
            self._db = sqlite3.connect(f"file:{self.folder / PIECES}?mode=ro", uri=True, check_same_thread=False)
        out: list[tuple[str, int, float]] = []
        for i in range(0, len(substrings), _BATCH):
            part = substrings[i:i + _BATCH]
            out += self._db.execute(f"SELECT piece, id, score FROM pieces WHERE piece IN ({','.join('?' * len(part))})",
                                    part).fetchall()
        return out

    def encode_batch(self, texts: Sequence[str]) -> list[list[int]]:
        longest = int(self._query["max_piece"])
        subs: set[str] = set()
        for text in texts:
            for word, _ in self._base.pre_tokenizer.pre_tokenize_str(self._base.normalizer.normalize_str(text)):
                subs.update(word[i:j] for i in range(len(word)) for j in range(i + 1, min(len(word), i + longest) + 1))
        found = sorted(self._pieces(sorted(subs)), key=lambda f: f[1])
        ids = [0, 1, 2, 3] + [i for _, i, _ in found] + [self._query["low"][0]]
        tok = self._build(found)
        return [[ids[i] for i in e.ids] for e in tok.encode_batch(list(texts))]

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
