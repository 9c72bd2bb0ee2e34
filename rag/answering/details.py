"""An answer against the details of its question: what backs a quote, and what to say when a
detail is not matched.

Every answerer runs the same check (:func:`rag.text.constraints.check`) on what it quotes, read
with what backs it: the quoted window, its sentence, the text before it in its article (its
passage's earlier sentences, then the article's earlier passages: a year stated once at the top
holds for the paragraphs below it), the document's title and section path, and its date. The
outcome is one of three:

- every detail matched: an answer;
- some detail not matched, but the evidence says what it holds instead (2023年 for 2022年,
  青岛高新区 for 济南高新区, 省级 for 国家级): a caveat that says what the bulletins lack and
  gives the neighbouring fact as such ("简报中没有2022年的数据，只有2023年以来的：…[1]");
- a detail the evidence says nothing of (GDP, a company it never names): a refusal naming it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..text.constraints import Constraints, Evidence, Miss, check
from ..types import Chunk, Hit
from .prompts import CAVEAT, CAVEAT_WHAT, LIST_SEP, REFUSAL_MISSING

# passages of a document by their row in the index: how the article around a passage is read
ArticleReader = Callable[[Chunk], list[Chunk]]


@dataclass(frozen=True)
class Grounding:
    """How one quote stands to the question's details."""

    misses: tuple[Miss, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.misses

    @property
    def weight(self) -> int:
        """How far the quote is from the question: another subject (a name) counts twice as much
        as another year, level or role of the same subject."""
        return sum(2 if m.constraint.kind in ("place", "org", "person", "title") else 1 for m in self.misses)

    @property
    def caveat_possible(self) -> bool:
        """Every unmatched detail has what the evidence holds instead."""
        return bool(self.misses) and all(m.found for m in self.misses)


class ArticleContext:
    """The text before a passage in its article, read once per document and answer."""

    def __init__(self, read_article: ArticleReader | None, max_chars: int = 1500):
        self.read_article = read_article
        self.max_chars = max_chars
        self._docs: dict[str, list[Chunk]] = {}

    def _pool(self, chunk: Chunk, hits: list[Hit]) -> list[Chunk]:
        if self.read_article is not None:
            if chunk.doc_id not in self._docs:
                try:
                    self._docs[chunk.doc_id] = sorted(self.read_article(chunk), key=lambda c: c.start)
                except Exception:  # noqa: BLE001 - a store that cannot list a document: use what was retrieved
                    self._docs[chunk.doc_id] = []
            if self._docs[chunk.doc_id]:
                return self._docs[chunk.doc_id]
        return sorted((h.chunk for h in hits if h.chunk.doc_id == chunk.doc_id), key=lambda c: c.start)

    def lead(self, chunk: Chunk, hits: list[Hit] = (), chars: int = 300) -> str:
        """The first ``chars`` characters of ``chunk``'s article (its first passage)."""
        article = _article(chunk.section)
        first = next((c for c in self._pool(chunk, hits) if _article(c.section) == article), chunk)
        return first.text[:chars]

    def after(self, chunk: Chunk, hits: list[Hit] = (), chars: int = 300) -> str:
        """The text of ``chunk``'s article after it (the next passages), at most ``chars``."""
        article, end, parts = _article(chunk.section), chunk.end, []
        for c in self._pool(chunk, hits):
            if _article(c.section) != article or c.end <= end:
                continue
            parts.append(c.text[max(0, end - c.start):])  # past the overlap
            end = c.end
            if sum(map(len, parts)) >= chars:
                break
        return "".join(parts)[:chars]

    def before(self, chunk: Chunk, hits: list[Hit] = ()) -> str:
        """The text of ``chunk``'s article before it (its section's earlier passages, nearest
        last), at most ``max_chars``: the index's passages when it can read them, else the
        retrieved ones."""
        pool = self._pool(chunk, hits)
        parts, end = [], chunk.start
        article = _article(chunk.section)
        for c in reversed(pool):
            if _article(c.section) != article or c.start >= chunk.start:
                continue
            if c.end > end:  # overlap with the next passage: only what comes before it
                text = c.text[: max(0, len(c.text) - (c.end - end))]
            else:
                text = c.text
            parts.append(text)
            end = c.start
            if sum(map(len, parts)) >= self.max_chars:
                break
        return "".join(reversed(parts))[-self.max_chars:]


def _article(section: str) -> str:
    """The article a section path belongs to: its top heading (### parts are of one article)."""
    return section.split(" > ")[0]


def evidence_for(hit: Hit, start: int, sentence: str, quote: str, article: ArticleContext,
                 hits: list[Hit] = ()) -> Evidence:
    """What backs ``quote``, a window of ``sentence`` (which starts at ``start`` in its passage,
    or is its heading)."""
    ch = hit.chunk
    before = article.before(ch, hits) + ch.text[:start]
    headings = " ".join(x for x in (ch.title, ch.section) if x)
    after = ch.text[start + len(sentence):]
    if len(after) < 200:
        after += article.after(ch, hits)
    return Evidence(quote, sentence, before, headings, ch.date or "", after, lead=article.lead(ch, hits))


def ground_reply(constraints: Constraints, kind: str, reply: str, quotes: list[tuple[Hit, str]],
                 article: ArticleContext, hits: list[Hit] = ()) -> Grounding:
    """A written reply (an LLM's) against the question's details: what it says, with the sentences
    it cites (``(passage, supporting sentence)``) and the article before the first of them. A reply
    that itself names the detail asked (简报中没有2022年的数据…) matches it."""
    if not constraints or not quotes:
        return Grounding()
    hit, first = quotes[0]
    start = max(0, hit.chunk.text.find(first))
    ev = evidence_for(hit, start, " ".join(q for _, q in quotes), reply, article, hits)
    return Grounding(tuple(check(constraints, ev, kind)))


def ground(constraints: Constraints, ev: Evidence, kind: str) -> Grounding:
    """The details of the question ``ev`` does not match."""
    if not constraints:
        return Grounding()
    return Grounding(tuple(check(constraints, ev, kind)))


def caveat_text(misses: tuple[Miss, ...] | list[Miss], lang: str, kind: str) -> str:
    """"简报中没有2022年的数据，只有2023年以来的：" (or its English), for these misses."""
    sep = LIST_SEP[lang]
    missing = sep.join(dict.fromkeys(m.asked for m in misses))
    found = sep.join(dict.fromkeys(m.found for m in misses if m.found))
    what = CAVEAT_WHAT[lang].get(kind, CAVEAT_WHAT[lang]["other"])
    return CAVEAT[lang].format(missing=missing, found=found, what=what)


def refusal_text(misses: tuple[Miss, ...] | list[Miss], lang: str) -> str:
    """A refusal naming what the bulletins lack."""
    return REFUSAL_MISSING[lang].format(missing=LIST_SEP[lang].join(dict.fromkeys(m.asked for m in misses)))


def describe(misses: tuple[Miss, ...] | list[Miss]) -> str:
    """The misses for an answer's note (the reason, in the log's words)."""
    return "; ".join(f"the question's {m.constraint.kind} {m.asked} is not in the passage"
                     + (f" (it says {m.found})" if m.found else "") for m in misses)
