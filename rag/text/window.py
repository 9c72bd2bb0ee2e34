"""The part of a long sentence to quote as an answer: the shortest run of its clauses that keeps
what answers.

A window keeps every question term the sentence holds, the asked-for item (a number for 多少, a
date for 何时, the role for 董事长是谁), the subject of its first clause (a clause that starts with
a verb, an adverb or a preposition takes the clause before it along: "青岛高新区，2023年新引进项目
56个" keeps 青岛高新区) and a list announced at its end (a clause ending in 分为/包括/如下/： takes
the rest of the sentence along).
"""
from __future__ import annotations

import functools
import re

from .detect import AskedFor, type_fit
from .sentences import clauses
from .terms import coverage, pos_tokenizer, tokenize

# a clause ending like this announces what follows: the list must come with it
_ANNOUNCES = re.compile(r"(?:分为|分成|包括|包含|涵盖|分别是|分别为|如下|以下|有|为|是)?[：:]\s*$|"
                        r"(?:分为|分成|包括|包含|涵盖|分别是|分别为|主要有|依次为)[，,]?\s*$")
# parts of speech (jieba) a clause without its own subject starts with
_PREDICATE_POS = ("v", "d", "p", "c", "u", "vn", "vd", "ad")


@functools.lru_cache(maxsize=4096)
def starts_with_predicate(clause: str) -> bool:
    """Does ``clause`` start with a verb, adverb, preposition or conjunction (so its subject is in
    the clause before)? Chinese only; a clause starting with a number or a name does not."""
    text = clause.strip()
    if not text or text[0].isascii():
        return False
    for pair in pos_tokenizer().lcut(text[:12]):
        if pair.word.strip():
            return pair.flag in _PREDICATE_POS
    return False


def announces_list(clause: str) -> bool:
    """Does ``clause`` end by announcing a list (…分为、…包括：)?"""
    return bool(_ANNOUNCES.search(clause.strip()))


def answer_window(sentence: str, asked: AskedFor, terms: dict[str, float], scheme: str = "bigram",
                  max_chars: int = 120, short_chars: int = 60) -> str:
    """The shortest run of ``sentence``'s clauses that keeps its question terms (``terms``, IDF
    weights), the asked-for item, the subject of its first clause and an announced list; the
    whole sentence when it is short (``short_chars``) or when no window of at most ``max_chars``
    keeps them all."""
    if len(sentence) <= short_chars:
        return sentence
    parts = clauses(sentence)
    if len(parts) <= 1:
        return sentence

    def cov(text: str) -> float:
        return coverage(terms, set(tokenize(text, scheme)))

    need_cov = cov(sentence) - 1e-9
    need_fit = asked.kind != "other" and type_fit(asked, sentence) > 0
    best: tuple[int, int] | None = None
    for i in range(len(parts)):
        start = i
        while start > 0 and starts_with_predicate(parts[start]):
            start -= 1  # its subject is in the clause before
        for j in range(i + 1, len(parts) + 1):
            end = j
            if announces_list(parts[end - 1]):
                end = len(parts)  # the list comes along
            window = "".join(parts[start:end])
            if len(window) > max_chars:
                break
            if cov(window) >= need_cov and (not need_fit or type_fit(asked, window) > 0):
                if best is None or len(window) < best[1] - best[0]:
                    best = (sum(len(p) for p in parts[:start]), sum(len(p) for p in parts[:end]))
                break  # longer windows from this start only add length
    if best is None:
        return sentence
    return sentence[best[0]:best[1]]
