"""Cut documents into sentence-aligned passages under a token budget.

Sentences end at ``。！？；…`` and ``.!?`` (closing quotes stay with their sentence) or at a
paragraph break. A chunk packs whole sentences from consecutive paragraphs of one section
until the next would pass ``max_tokens``; the next chunk starts with the last whole sentences
of the previous one, up to ``overlap_tokens``. A sentence is cut only when it alone exceeds
the budget. Captions are always passages of their own; a table's rows (one sentence each) pack
into passages of the kind ``table``, apart from the text around them.
"""
from __future__ import annotations

from typing import Callable

from ..config import ChunkerSettings
from ..text import planted_instruction, split_sentences
from ..types import Block, Chunk, Document


def _split_long(text: str, start: int, end: int, budget: int,
                count: Callable[[str], int]) -> list[tuple[int, int]]:
    """Cut one over-long sentence into pieces of at most ``budget`` tokens, at commas if possible."""
    pieces = []
    s = start
    while s < end:
        lo, hi = s + 1, end
        while lo < hi:  # longest prefix within budget
            mid = (lo + hi + 1) // 2
            if count(text[s:mid]) <= budget:
                lo = mid
            else:
                hi = mid - 1
        cut = lo
        if cut < end:
            comma = max(text.rfind(c, s, cut) for c in "，,、：:")
            if comma > s + (cut - s) // 2:
                cut = comma + 1
        pieces.append((s, cut))
        s = cut
    return pieces


def chunk_document(doc: Document, blocks: list[Block], settings: ChunkerSettings,
                   count: Callable[[str], int], page_at: Callable[[int], int] = lambda offset: 0) -> list[Chunk]:
    """Chunks for one document; ``count`` returns the number of tokens in a string, ``page_at``
    the page a character offset is on (0: not paged)."""
    text = doc.text
    budget, overlap = settings.max_tokens, settings.overlap_tokens
    chunks: list[Chunk] = []

    def emit(group: list[Block], first: int, last: int) -> None:
        b = group[0]
        n = len(chunks)
        chunks.append(Chunk(
            chunk_id=f"{doc.doc_id}#{n}", doc_id=doc.doc_id, text=text[first:last],
            title=b.title or doc.title, section=" > ".join(b.section), author=b.author,
            date=doc.date, source=doc.source, kind=b.kind, start=first, end=last,
            planted=planted_instruction(text[first:last]), page=page_at(first),
        ))

    # group consecutive blocks that share kind, title, section and author
    groups: list[list[Block]] = []
    for b in blocks:
        g = groups[-1] if groups else None
        if (g and b.kind in ("body", "table") and g[-1].kind == b.kind
                and (g[-1].title, g[-1].section, g[-1].author) == (b.title, b.section, b.author)):
            g.append(b)
        else:
            groups.append([b])

    for group in groups:
        sents: list[tuple[int, int, int]] = []  # start, end, tokens
        for b in group:
            for s, e in split_sentences(text[b.start:b.end], b.start):
                n = count(text[s:e])
                if n > budget:
                    sents.extend((ps, pe, count(text[ps:pe]))
                                 for ps, pe in _split_long(text, s, e, budget, count))
                else:
                    sents.append((s, e, n))
        if not sents:
            continue
        if group[0].kind == "caption":
            emit(group, sents[0][0], sents[-1][1])
            continue
        cur: list[tuple[int, int, int]] = []
        total = 0
        fresh = 0  # sentences in cur that are not overlap from the previous chunk
        for sent in sents:
            if cur and total + sent[2] > budget:
                emit(group, cur[0][0], cur[-1][1])
                keep: list[tuple[int, int, int]] = []
                kept = 0
                for prev in reversed(cur):
                    if kept + prev[2] > overlap or kept + prev[2] + sent[2] > budget:
                        break
                    keep.insert(0, prev)
                    kept += prev[2]
                cur, total, fresh = keep, kept, 0
            cur.append(sent)
            total += sent[2]
            fresh += 1
        if cur and fresh:
            emit(group, cur[0][0], cur[-1][1])
    return chunks
