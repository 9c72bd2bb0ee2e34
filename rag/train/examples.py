"""What a cross-encoder is trained on: labelled pairs, or groups of one positive and its negatives.

- :class:`Pair` ``(text_a, text_b, label)``: ``label`` 1.0 for a match, 0.0 for none (or a grade in
  between); trained pointwise (binary cross-entropy on the score).
- :class:`Group` ``(text_a, positive, negatives)``: trained listwise (softmax cross-entropy: the
  positive against ``group_size - 1`` negatives drawn from ``negatives`` each epoch).

Both serialise to JSON lines, so a built data set is written once and read back on resume.
``key`` says what must not straddle the training / held-out split (e.g. the article a question
is about).
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterable, Union


@dataclass(frozen=True)
class Pair:
    text_a: str
    text_b: str
    label: float
    key: str = ""


@dataclass(frozen=True)
class Group:
    text_a: str
    positive: str
    negatives: tuple[str, ...]
    key: str = ""


Example = Union[Pair, Group]


def to_json(ex: Example) -> str:
    d = asdict(ex)
    d["type"] = "group" if isinstance(ex, Group) else "pair"
    return json.dumps(d, ensure_ascii=False)


def from_json(line: str) -> Example:
    d = json.loads(line)
    kind = d.pop("type", "pair")
    if kind == "group":
        return Group(d["text_a"], d["positive"], tuple(d["negatives"]), d.get("key", ""))
    return Pair(d["text_a"], d["text_b"], float(d["label"]), d.get("key", ""))


def write_examples(path: Path, examples: Iterable[Example]) -> Path:
    """One example a line, written atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        for ex in examples:
            fh.write(to_json(ex) + "\n")
    os.replace(tmp, path)
    return path


def read_examples(path: Path) -> list[Example]:
    with open(path, encoding="utf-8") as fh:
        return [from_json(line) for line in fh if line.strip()]


def split_by_key(examples: list[Example], held_out: float, seed: int) -> tuple[list[Example], list[Example]]:
    """Training and held-out examples: a seeded ``held_out`` share of the distinct keys (an
    example without a key is its own), every example of a key on one side."""
    keys = sorted({ex.key or str(i) for i, ex in enumerate(examples)})
    chosen = set(random.Random(seed).sample(keys, int(round(len(keys) * held_out)))) if held_out > 0 else set()
    train = [ex for i, ex in enumerate(examples) if (ex.key or str(i)) not in chosen]
    valid = [ex for i, ex in enumerate(examples) if (ex.key or str(i)) in chosen]
    return train, valid


def built_once(work: Path, name: str, key: dict, build: Callable[[], tuple[list[Example], dict]],
               log: Callable[[str], None] = lambda s: None) -> tuple[list[Example], dict]:
    """The examples (and their stats) that ``build`` makes, written to ``work/<name>-<hash of
    key>.jsonl`` the first time and read back while ``key`` (the data, sample and settings they
    depend on) is the same: a resumed run trains on exactly what it started with."""
    digest = hashlib.sha1(json.dumps(key, sort_keys=True).encode()).hexdigest()[:10]
    saved = Path(work) / f"{name}-{digest}.jsonl"
    stats_file = saved.with_suffix(".stats.json")
    if saved.is_file() and stats_file.is_file():
        examples = read_examples(saved)
        log(f"{len(examples)} examples read back from {saved}")
        return examples, json.loads(stats_file.read_text(encoding="utf-8"))
    examples, stats = build()
    write_examples(saved, examples)
    stats_file.write_text(json.dumps(stats, ensure_ascii=False, indent=1), encoding="utf-8")
    return examples, stats
