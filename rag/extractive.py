"""The default answerer: picks the sentences that answer the question, no LLM needed.

Each sentence of the retrieved passages is scored by meaning (its cosine to the question,
measured against the question's cosine to the corpus at large), by the question's terms it
holds (IDF-weighted, the passage's title and section included), by whether it holds the kind
of thing asked for (a number for 多少, a name for 谁, a date for 何时...) and by its passage's
rank. The best sentence is trimmed to the clauses that carry the answer and cited; a second
one is added when it covers terms the first misses.

It refuses when the best sentence does not support an answer: for a question in the
passages' language, too few of the question's terms (a question about a 主任 the bulletin
never names), or nothing of the asked-for kind; across languages, where terms cannot be
compared, a meaning score too close to the corpus baseline.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .chunker import split_sentences
from .embeddings import Embedder
from .language import answer_type, has_role, language, type_fit
from .lexical import LexicalIndex, tokenize, tokenize_query
from .metrics import squash as M_squash
from .types import Answer, Citation, Hit

REFUSAL = {
    "zh": "抱歉，现有公告中没有找到能回答这个问题的内容。",
    "en": "Sorry, the bulletins do not contain an answer to this question.",
}
_CLAUSE = re.compile(r"[^，,；;：:]+[，,；;：:]?")
MAX_ANSWER_CHARS = 120


@dataclass(frozen=True)
class ExtractiveSettings:
    """Weights and thresholds, calibrated on the dev question sets (see eval/README.md)."""

    w_semantic: float = 0.25  # per standard deviation above the corpus baseline
    w_lexical: float = 1.0
    w_type: float = 0.3
    w_rank: float = 0.15
    min_coverage: float = 0.45  # same language: share of the question's (IDF-weighted) terms
    min_z: float = 2.0  # across languages: cosine this many std above the corpus baseline
    anchor_df: float = 0.02  # question words in at most this share of passages must be in the answer's
    anchor_max_word_freq: int = 1000  # ...unless jieba's dictionary counts them as everyday words
    hard_types: tuple[str, ...] = ("number", "date")  # asked-for kinds an answer must hold (others: a boost)
    max_sentences: int = 2


@dataclass
class Candidate:
    """A sentence of a retrieved passage, scored as an answer."""

    hit: Hit
    n_hit: int  # index of the passage in the hit list
    start: int  # offsets in the passage text
    end: int
    text: str
    z: float = 0.0  # semantic: (cosine - corpus mean) / corpus std
    coverage: float = 0.0
    fit: float = 0.0
    score: float = 0.0


def question_terms(question: str, scheme: str = "bigram") -> list[str]:
    """Terms of a question for judging answers: with ``bigram``, the character bigrams inside
    each jieba word (so 学打 in 大学/打造 is not a term) and words of one character."""
    if scheme != "bigram":
        return tokenize_query(question, scheme)

    terms: list[str] = []
    for word in question_words(question):
        terms.extend(t for t in tokenize(word, "bigram") if len(t) > 1 or t.isascii())
    return terms


def question_words(question: str) -> list[str]:
    """Content words of a question (jieba), without question words and one-character words."""
    from .lexical import _QUESTION_WORDS, _jieba, _normalize

    words = []
    for w in _jieba().lcut(_QUESTION_WORDS.sub(" ", _normalize(question))):
        w = w.strip()
        if len(w) > 1 and (w.isalnum() or any("\u4e00" <= ch <= "\u9fff" for ch in w)):
            words.append(w)
    return words


def coverage(query_weights: dict[str, float], text: str, scheme: str = "bigram") -> float:
    """IDF-weighted share of the question's terms that occur in ``text``."""
    total = sum(query_weights.values())
    if not total:
        return 0.0
    toks = set(tokenize(text, scheme))
    return sum(w for t, w in query_weights.items() if t in toks) / total


def _best_window(sentence: str, qweights: dict[str, float], kind: str, scheme: str) -> str:
    """The run of clauses (at most three) of a long sentence that best carries the answer."""
    if len(sentence) <= 60:
        return sentence
    clauses = [m.group() for m in _CLAUSE.finditer(sentence)]
    if len(clauses) <= 1:
        return sentence
    best, best_score = sentence, -1.0
    for i in range(len(clauses)):
        for j in range(i + 1, min(i + 3, len(clauses)) + 1):
            window = "".join(clauses[i:j])
            if len(window) > MAX_ANSWER_CHARS:
                break
            s = coverage(qweights, window, scheme) + 0.5 * type_fit(kind, window) - 0.002 * len(window)
            if s > best_score:
                best, best_score = window, s
    return best


class ExtractiveAnswerer:
    """Answers from the passages' own sentences."""

    def __init__(self, embedder: Embedder, lexical: LexicalIndex | None,
                 settings: ExtractiveSettings = ExtractiveSettings()):
        self.embedder = embedder
        self.lexical = lexical
        self.settings = settings
        self.scheme = lexical.scheme if lexical is not None else "bigram"

    def query_weights(self, question: str) -> dict[str, float]:
        """The question's terms with their IDF: bigrams inside its words, not across them."""
        toks = set(question_terms(question, self.scheme))
        if self.lexical is not None and self.lexical.n:
            return self.lexical._idf(toks)
        return {t: 1.0 for t in toks}

    def candidates(self, question: str, hits: list[Hit], query_vector=None,
                   background: tuple[float, float] | None = None, kind: str | None = None,
                   qweights: dict[str, float] | None = None) -> list[Candidate]:
        """Every sentence of the passages, best first."""
        s = self.settings
        kind = kind or answer_type(question)
        qweights = self.query_weights(question) if qweights is None else qweights
        cands = [Candidate(h, i, a, b, h.chunk.text[a:b])
                 for i, h in enumerate(hits) for a, b in split_sentences(h.chunk.text)
                 if len(M_squash(h.chunk.text[a:b])) >= 6]  # not stray words cut off by a page break
        if not cands:
            return []
        qv = self.embedder.embed_queries([question])[0] if query_vector is None else query_vector
        heads = [c.hit.chunk.section or c.hit.chunk.title for c in cands]
        sv = self.embedder.embed_passages([f"{hd}\n{c.text}" if hd else c.text for hd, c in zip(heads, cands)],
                                          urgent=True)
        sims = sv @ qv
        mu, sd = background if background else (float(sims.mean()), float(max(sims.std(), 1e-3)))
        cross = language(question) != language(hits[0].chunk.text)
        for c, sim, hd in zip(cands, sims, heads):
            c.z = (float(sim) - mu) / sd
            c.coverage = 0.0 if cross else coverage(qweights, f"{hd} {c.text}", self.scheme)
            c.fit = type_fit(kind, c.text, question)
            c.score = s.w_semantic * c.z + s.w_lexical * c.coverage + s.w_type * c.fit + s.w_rank / (1 + c.n_hit)
        return sorted(cands, key=lambda c: -c.score)

    def anchors(self, question: str) -> list[str]:
        """Rare words of the question that the corpus holds: names, mostly (软控股份, 盈古智能).

        An answer passage must hold them; a passage about another company will not do.
        """
        if self.lexical is None or not self.lexical.n or self.scheme != "bigram":
            return []
        from .lexical import _jieba

        out = []
        limit = max(2, int(self.settings.anchor_df * self.lexical.n))
        freq = _jieba().dt.FREQ
        for w in question_words(question):
            if freq.get(w, 0) > self.settings.anchor_max_word_freq:
                continue  # everyday words (时候, 地方, 作用) are asked about in other words
            grams = [t for t in tokenize(w, "bigram") if len(t) > 1 or t.isascii()]
            dfs = self.lexical.doc_freq(grams)
            if grams and all(0 < d for d in dfs) and min(dfs) <= limit:
                out.append(w)
        return out

    def supports(self, question: str, best: Candidate, anchors: list[str] | None = None) -> tuple[bool, str]:
        """Does this sentence support an answer? Returns (ok, why not). ``anchors``: the
        question's :meth:`anchors`, when already known."""
        s = self.settings
        if language(question) != language(best.text):
            return best.z >= s.min_z, f"meaning score {best.z:.1f} std over the corpus baseline (< {s.min_z})"
        if best.coverage < s.min_coverage:
            return False, f"the best sentence holds {best.coverage:.0%} of the question's terms (< {s.min_coverage:.0%})"
        context = M_squash(f"{best.hit.chunk.title}{best.hit.chunk.section}{best.hit.chunk.text}").lower()
        anchors = self.anchors(question) if anchors is None else anchors
        missing = [w for w in anchors if M_squash(w) not in context]
        if missing:
            return False, f"the best passage does not mention {'、'.join(missing)}"
        return True, ""

    def answer(self, question: str, hits: list[Hit], found: bool = True, query_vector=None,
               background=None, kind: str | None = None) -> Answer:
        """Answer ``question`` from ``hits``; ``kind`` overrides the asked-for kind of thing."""
        lang = language(question)
        if not hits or not found:
            return Answer(question, REFUSAL[lang], passages=hits, refused=True, lang=lang,
                          note="nothing relevant found in the index")
        kind = kind or answer_type(question)
        qv = self.embedder.embed_queries([question])[0] if query_vector is None else query_vector
        qweights = self.query_weights(question)
        cands = self.candidates(question, hits, qv, background, kind, qweights)
        if kind in self.settings.hard_types or (kind == "person" and has_role(question)):
            cands = [c for c in cands if c.fit]  # a number, a date, the 董事长 asked for: it must be there
        if not cands:
            return Answer(question, REFUSAL[lang], passages=hits, refused=True, lang=lang,
                          note=f"no {kind} in the retrieved passages" if kind != "other" else "no sentences")
        anchors = self.anchors(question)
        ok, why = self.supports(question, cands[0], anchors)
        if not ok:
            return Answer(question, REFUSAL[lang], passages=hits, refused=True, lang=lang, note=why)
        chosen = [cands[0]]
        covered = {t for t in qweights if t in set(tokenize(cands[0].text, self.scheme))}
        total = sum(qweights.values()) or 1.0
        for c in cands[1:]:
            if len(chosen) >= self.settings.max_sentences or c.score < 0.85 * cands[0].score:
                break
            toks = set(tokenize(c.text, self.scheme))
            gain = sum(w for t, w in qweights.items() if t in toks and t not in covered)
            if gain > 0.15 * total and self.supports(question, c, anchors)[0] and c.text not in chosen[0].text:
                chosen.append(c)
                covered |= {t for t in qweights if t in toks}
        chosen.sort(key=lambda c: (c.n_hit, c.start))  # reading order
        cross = language(question) != language(chosen[0].text)
        spans = [(c, c.text if cross and len(c.text) <= 150 else self._window(c, qweights, kind, question, qv))
                 for c in chosen]
        spans = [(c, w if len(M_squash(w)) >= 6 else c.text) for c, w in spans]  # no one-word fragments
        return compose(question, lang, spans, hits)

    def _window(self, c: Candidate, qweights, kind: str, question: str, qv: np.ndarray) -> str:
        if language(question) == language(c.text):
            return _best_window(c.text, qweights, kind, self.scheme)
        # across languages terms cannot be matched: pick the clauses closest in meaning
        clauses = [m.group() for m in _CLAUSE.finditer(c.text)]
        windows = ["".join(clauses[i:j]) for i in range(len(clauses))
                   for j in range(i + 1, min(i + 3, len(clauses)) + 1)]
        windows = [w for w in windows if len(w) <= MAX_ANSWER_CHARS and type_fit(kind, w, question)] or [c.text]
        sims = self.embedder.embed_passages(windows, urgent=True) @ qv
        return windows[int(np.argmax(sims))]


def compose(question: str, lang: str, spans: list[tuple[Candidate, str]], hits: list[Hit]) -> Answer:
    """Answer text with a marker after each claim, and the citations the markers point to."""
    citations: list[Citation] = []
    marker_of: dict[str, int] = {}
    parts = []
    for c, span in spans:
        ch = c.hit.chunk
        if ch.chunk_id not in marker_of:
            marker_of[ch.chunk_id] = len(citations) + 1
            citations.append(Citation(len(citations) + 1, ch.chunk_id, ch.doc_id, ch.title, ch.section,
                                      c.text, round(c.hit.relevance, 4), ch.author, ch.date, ch.kind))
        n = marker_of[ch.chunk_id]
        span = span.strip().rstrip("，,；;：:、")
        if lang == "zh":
            if span[-1] in "。！？":
                parts.append(f"{span[:-1]}[{n}]{span[-1]}")
            else:
                parts.append(f"{span}[{n}]" + ("" if span.endswith(("”", "…")) else "。"))
        else:
            parts.append(f"“{span.rstrip('。')}” [{n}]")
    text = "".join(parts) if lang == "zh" else "According to the bulletins: " + "; ".join(parts) + "."
    return Answer(question, text, citations, hits, refused=False, lang=lang)
