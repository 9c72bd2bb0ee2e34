"""Training data for the answer judge: does this sentence answer this question? From DRCD (CC BY-SA 3.0).

For every DRCD question whose answer span one sentence of its paragraph holds (the project's own
sentence splitter; a span in two sentences of the paragraph: the one sharing most of the
question's characters):

- a :class:`~rag.train.examples.Group`: that sentence is the positive; the negatives are the other
  sentences of the paragraph, then the sentences of the first stage's best wrong passages (the
  dense and BM25 top ``depth``, interleaved, minus every passage holding an answer span): the
  judge learns which sentence answers, among the ones a search puts in front of it;
- two :class:`~rag.train.examples.Pair` s: the question with that sentence (label 1), and a
  *near-miss* of the question with the same sentence (label 0): one detail swapped for another of
  its kind that the paragraph does not hold (a year, a name, a number, a level or an opposite:
  SQuAD 2.0's unanswerable questions made by rule). A sentence about 2023 does not answer a
  question about 2021, however much else they share.

Texts are what the answerer gives the judge: the question, and the sentence headed by its
passage's title or section (``title\\nsentence``). Keys are article titles, so a held-out split
keeps an article's questions on one side. Near-miss questions of cmrc2018 are made by the same
:func:`near_miss` (``eval/make_near_misses.py``) and only measured on.
"""
from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np

from ..text import fold, split_sentences, squash
from .examples import Group, Pair
from .pairs_drcd import doc_rows, holds, interleave

Log = Callable[[str], None]

_YEAR = re.compile(r"(?<!\d)(1[0-9]|20)(\d{2})(?=\s*年)")
_NUMBER = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?![\d年])")
_NAME_TAGS = ("nr", "ns", "nt", "nz")
# a detail and what it could wrongly be (the other way round too)
_OPPOSITES = [("最高", "最低"), ("最大", "最小"), ("最早", "最晚"), ("最多", "最少"), ("第一", "第二"), ("上半年", "下半年"),
              ("国家级", "省级"), ("省级", "市级"), ("男", "女"), ("东", "西"), ("南", "北"), ("前", "后"), ("首次", "最后一次"),
              ("增加", "减少"), ("上升", "下降"), ("北部", "南部"), ("东部", "西部"), ("长子", "次子"), ("父亲", "母亲"),
              ("冬季", "夏季"), ("春季", "秋季")]


@dataclass(frozen=True)
class NearMiss:
    """A question with one detail swapped: ``kind`` of detail, ``asked`` (the new detail the
    evidence does not hold) and ``was`` (the original)."""

    question: str
    kind: str
    asked: str
    was: str


def name_pools(texts: list[str]) -> dict[str, list[str]]:
    """Names of ``texts`` by jieba's tag (person, place, organisation, other proper noun): what a
    swapped name is drawn from."""
    from ..text.terms import pos_tokenizer

    pools: dict[str, set[str]] = {t: set() for t in _NAME_TAGS}
    tok = pos_tokenizer()
    for t in texts:
        for p in tok.lcut(t):
            if p.flag in pools and len(p.word) >= 2 and re.fullmatch(r"[\u4e00-\u9fff·]+", p.word):
                pools[p.flag].add(p.word)
    return {k: sorted(v) for k, v in pools.items()}


def near_miss(question: str, evidence: str, pools: dict[str, list[str]], rng: random.Random) -> NearMiss | None:
    """``question`` with one detail swapped for one ``evidence`` does not hold (None when no
    detail of it can be swapped so)."""
    from ..text.terms import pos_tokenizer

    flat = fold(squash(evidence))
    options: list[Callable[[], NearMiss | None]] = []

    m = _YEAR.search(question)
    if m:
        def year() -> NearMiss | None:
            y = int(m.group(1) + m.group(2))
            for d in rng.sample([-3, -2, -1, 1, 2, 3, 5, 10], 8):
                new = str(y + d)
                if new not in flat:
                    return NearMiss(question[:m.start()] + new + question[m.end():], "year", new + "年", str(y))
            return None
        options.append(year)
    words = [(p.word, p.flag) for p in pos_tokenizer().lcut(question)]
    names = [(w, f) for w, f in words if f in _NAME_TAGS and len(w) >= 2 and fold(w) in flat and pools.get(f)]
    if names:
        def name() -> NearMiss | None:
            w, f = rng.choice(names)
            for cand in rng.sample(pools[f], min(30, len(pools[f]))):
                if fold(cand) not in flat and cand not in question and len(cand) >= 2:
                    return NearMiss(question.replace(w, cand, 1), {"nr": "person", "ns": "place"}.get(f, "org"), cand, w)
            return None
        options.append(name)
    nums = [x for x in _NUMBER.finditer(question) if not _YEAR.match(question, x.start())]
    if nums:
        def number() -> NearMiss | None:
            x = rng.choice(nums)
            v = float(x.group())
            for new in (v * 2, v + 3, v + 1, max(0, v - 1), v * 10):
                s = str(int(new)) if new == int(new) else f"{new:g}"
                if s not in flat and s != x.group():
                    return NearMiss(question[:x.start()] + s + question[x.end():], "number", s, x.group())
            return None
        options.append(number)
    pairs = [(a, b) for a, b in _OPPOSITES + [(b, a) for a, b in _OPPOSITES] if a in question and b not in flat]
    if pairs:
        def opposite() -> NearMiss | None:
            a, b = rng.choice(pairs)
            return NearMiss(question.replace(a, b, 1), "qualifier", b, a)
        options.append(opposite)
    rng.shuffle(options)
    for make in options:
        nm = make()
        if nm is not None and nm.question != question:
            return nm
    return None


def sentence_with(text: str, answers: list[str], question: str) -> tuple[int, int] | None:
    """The span of the sentence of ``text`` that holds an answer (the one sharing most of the
    question's characters when several do); None when none does."""
    spans = [(a, b) for a, b in split_sentences(text) if holds(text[a:b], answers)]
    if not spans:
        return None
    qchars = set(fold(question))
    return max(spans, key=lambda s: len(qchars & set(fold(text[s[0]:s[1]]))))


def judge_examples(retriever, questions: list[dict], paragraphs: dict[str, dict], *, depth: int = 20,
                   negatives: int = 15, seed: int = 0, batch: int = 64,
                   log: Log = lambda s: None) -> tuple[list, dict]:
    """Groups and pairs (see the module's docstring) for ``questions`` (``id``, ``question``,
    ``answers``, ``gold``) over ``paragraphs`` (id -> ``title``, ``text``), and counts of what
    was made and left out."""
    rng = random.Random(seed)
    pools = name_pools([p["text"] for p in paragraphs.values()])
    index = retriever.index
    stats = {"questions": len(questions), "no_single_sentence": 0, "groups": 0, "near_misses": 0,
             "near_miss_kinds": {}}
    queries = [retriever.query(q["question"]) for q in questions]
    for i in range(0, len(queries), batch):
        part = queries[i:i + batch]
        vectors = retriever.embedder.embed_queries([x.text for x in part])
        for j, v in zip(range(i, i + len(part)), vectors):
            queries[j] = replace(queries[j], _vector=np.asarray(v, np.float32))
    out: list = []
    for n, (q, query) in enumerate(zip(questions, queries), 1):
        para = paragraphs.get(q["gold"])
        if para is None:
            continue
        span = sentence_with(para["text"], q["answers"], q["question"])
        if span is None:
            stats["no_single_sentence"] += 1
            continue
        title = para.get("title", "")
        head = lambda s: f"{title}\n{s}" if title else s  # noqa: E731
        positive = para["text"][span[0]:span[1]]
        negs = [para["text"][a:b] for a, b in split_sentences(para["text"])
                if (a, b) != span and not holds(para["text"][a:b], q["answers"]) and len(squash(para["text"][a:b])) >= 6]
        negs = [head(s) for s in negs]
        dense = [r for r, _ in index.dense(query.vector, depth)]
        lexical = [r for r, _ in index.lexical(query.tokens, depth)]
        rows = interleave(dense, lexical)
        for c in index.chunks_at(rows):
            if c.doc_id == q["gold"] or holds(c.text, q["answers"]):
                continue
            hd = c.section or c.title
            for a, b in split_sentences(c.text):
                s = c.text[a:b]
                if len(squash(s)) >= 6:
                    negs.append(f"{hd}\n{s}" if hd else s)
            if len(negs) >= 3 * negatives:
                break
        negs = list(dict.fromkeys(negs))[:negatives * 2]
        if negs:
            out.append(Group(q["question"], head(positive), tuple(negs), title))
            stats["groups"] += 1
        out.append(Pair(q["question"], head(positive), 1.0, title))
        nm = near_miss(q["question"], para["text"], pools, rng)
        if nm is not None:
            out.append(Pair(nm.question, head(positive), 0.0, title))
            stats["near_misses"] += 1
            stats["near_miss_kinds"][nm.kind] = stats["near_miss_kinds"].get(nm.kind, 0) + 1
        if n % 1000 == 0:
            log(f"  {n}/{len(questions)} questions")
    return out, stats


def read_paragraphs(corpus: Path) -> dict[str, dict]:
    out = {}
    with open(corpus, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                d = json.loads(line)
                out[d["id"]] = {"title": d.get("title", ""), "text": d["text"]}
    return out


__all__ = ["NearMiss", "judge_examples", "name_pools", "near_miss", "read_paragraphs", "sentence_with", "doc_rows"]
