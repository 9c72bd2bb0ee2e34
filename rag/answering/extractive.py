"""The default answerer: picks the sentences that answer the question, no LLM needed.

Each sentence of the retrieved passages is scored by meaning (its cosine to the question,
measured against the question's cosine to the corpus at large), by the question's terms it
holds (IDF-weighted, the passage's title and section included), by whether it holds the kind
of thing asked for (a number for 多少, a name for 谁, a date for 何时...) and by its passage's
rank. The best sentence is trimmed to the clauses that carry the answer and cited; a second
one is added when it covers terms the first misses.

With ``selector = "learned"`` (an option: it measured no better than the rules on CMRC 2018) the
sentences of a hybrid or dense search are ordered, and the refusal decided, by the learned selector (:mod:`rag.answering.selector`, trained on DRCD): it refuses when the
calibrated probability that the best sentence answers is under the threshold chosen at training,
or when that sentence fails the rules' floor below (too few of the question's terms, a rare name
of the question its passage lacks): on the bulletin's unanswerable questions the probability
alone refused 8 of 12.
With ``selector = "rules"`` (the default; and for a question in another language than the
passages, which the Chinese training set cannot teach, or a lexical search, which has no cosines),
the rules below decide.

The rules refuse when the best sentence does not support an answer: for a question in the
passages' language, too few of the question's terms (a question about a 主任 the bulletin
never names), a name of the question (a word jieba tags as a person, place, organisation or
abbreviation, rare in the corpus) its passage lacks, or nothing of the asked-for kind; across
languages, where terms cannot be compared, a passage without the question's names in pinyin, one
holding none of the Chinese terms an English question's words translate to, or a meaning score
too close to the corpus baseline. "Who wrote …?" is answered from the byline of the article the
question names.
An open question (什么, 为什么) quotes the clauses around those holding its terms: its answer is
next to them.

Either way, input that is not a question (emoji, code, a request to write a poem) is refused
before anything is searched for it, and a passage that tells its reader what to answer
(``Chunk.planted``, :func:`rag.text.planted_instruction`) is never quoted.

Weights and thresholds are :class:`rag.config.ExtractiveSettings` (``Settings.extractive``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Generator, Protocol

import numpy as np

from ..config import ExtractiveSettings
from ..embed import Embedder
from ..search import Query
from ..text import (AskedFor, acronyms, clauses, coverage, language, normalize, not_a_question, planted_instruction, split_sentences,
                    squash, tokenize, type_fit, word_frequency, word_tags)
from ..text.pinyin import names_found, pinyin_names
from ..text.overlap import longest_common_substring, numbers_of, plain, question_core
from ..text.window import answer_window
from ..types import Answer, Citation, Hit, SearchResult
from .base import join_notes, pieces
from .judge import AnswerJudge
from .details import ArticleContext, ArticleReader, Grounding, caveat_text, describe, evidence_for, ground, refusal_text
from .prompts import REFUSAL
from .selector import FEATURES, SelectorModel, load_selector

SELECTORS = ("learned", "rules")
# words a "who wrote it?" question uses about the writing, not about the article it means
_ABOUT_WRITING = frozenset(t for w in "作者 记者 报道 这篇文章 稿子 稿件 消息 新闻 撰写 撰稿 撰文 采写 署名 执笔 通讯员 谁写 写的"
                           .split() for t in tokenize(w, "bigram") if len(t) > 1)


def headed(hit: Hit) -> str:
    """A passage's title, section and text: where a name of the question may be."""
    ch = hit.chunk
    return f"{ch.title} {ch.section} {ch.text}"


def usable_hits(hits: list[Hit]) -> list[Hit]:
    """The passages that may be quoted: not those that tell their reader what to answer (flagged
    at ingest; checked again here for indexes built before the flag)."""
    return [h for h in hits if not (h.chunk.planted or planted_instruction(h.chunk.text))]


class CorpusStats(Protocol):
    """What the answerer asks of the corpus: an :class:`rag.index.Index` (or its BM25) answers."""

    n: int
    scheme: str

    def doc_freq(self, tokens: list[str]) -> list[int]: ...


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
    position: int = 0  # the sentence's place in its passage
    n_sentences: int = 1  # sentences in its passage
    probability: float | None = None  # the learned selector's calibrated probability
    quote: str = ""  # the window of the sentence quoted (set when it is checked against the question's details)
    grounding: Grounding | None = None  # how the quote stands to the question's details


class ExtractiveAnswerer:
    """Answers from the passages' own sentences."""

    name = "extractive"

    def __init__(self, embedder: Embedder, lexical: CorpusStats | None,
                 settings: ExtractiveSettings = ExtractiveSettings(), articles: ArticleReader | None = None,
                 judge: AnswerJudge | None = None):
        self.embedder = embedder
        self.lexical = lexical  # the index (or its BM25): passage count, tokenizer, document frequencies
        self.articles = articles  # a passage -> the passages of its document (the article around a quote)
        self.judge = judge  # the answer judge (rag.answering.judge), or None: the rules alone
        self.settings = settings
        self.scheme = lexical.scheme if lexical is not None else "bigram"
        if settings.selector not in SELECTORS:
            raise ValueError(f"unknown extractive.selector {settings.selector!r}; choose one of {SELECTORS}")
        self.model: SelectorModel | None = (load_selector(settings.selector_model or None)
                                            if settings.selector == "learned" else None)

    def _tokens(self, text: str) -> set[str]:
        return set(tokenize(text, self.scheme))

    def _best_window(self, sentence: str, query: Query) -> str:
        """The run of clauses (at most three) of a long sentence that best carries the answer."""
        s = self.settings
        if len(sentence) <= s.short_sentence_chars:
            return sentence
        parts = clauses(sentence)
        if len(parts) <= 1:
            return sentence
        best, best_score = (0, len(parts)), -1.0
        for i in range(len(parts)):
            for j in range(i + 1, min(i + 3, len(parts)) + 1):
                window = "".join(parts[i:j])
                if len(window) > s.max_answer_chars:
                    break
                score = (coverage(query.terms, self._tokens(window)) + 0.5 * type_fit(query.asked, window, False)
                         - 0.002 * len(window))
                if score > best_score:
                    best, best_score = (i, j), score
        if best_score < 0:
            return sentence
        i, j = best
        if query.kind == "other":  # an open question: its answer is next to its terms, not among them
            i, j = widen(parts, i, j, s.window_context, s.max_answer_chars)
        return "".join(parts[i:j])

    def candidates(self, query: Query, hits: list[Hit], embed: bool = True) -> list[Candidate]:
        """Every sentence of the passages, best first; ``embed=False`` gives each sentence its
        passage's meaning score instead of its own (no sentence embedded: the learned selector)."""
        s = self.settings
        cands = []
        for i, h in enumerate(hits):
            spans = [(a, b) for a, b in split_sentences(h.chunk.text)
                     if len(squash(h.chunk.text[a:b])) >= s.min_quote_chars]  # not stray words cut off by a page break
            cands += [Candidate(h, i, a, b, h.chunk.text[a:b], position=n, n_sentences=len(spans))
                      for n, (a, b) in enumerate(spans)]
        cands += self._headlines(query, hits)
        if not cands:
            return []
        heads = [c.hit.chunk.section or c.hit.chunk.title for c in cands]
        if embed:
            sv = self.embedder.embed_passages([f"{hd}\n{c.text}" if hd else c.text for hd, c in zip(heads, cands)],
                                              urgent=True)
            sims = sv @ query.vector
        else:
            sims = np.asarray([np.nan if c.hit.dense_score is None else c.hit.dense_score for c in cands],
                              np.float64)
        mu, sd = query.baseline or (float(sims.mean()), float(max(sims.std(), 1e-3)))
        cross = query.lang != language(hits[0].chunk.text)
        names = pinyin_names(query.text) if cross else []
        for c, sim, hd in zip(cands, sims, heads):
            c.z = (float(sim) - mu) / sd if sim == sim else 0.0  # lexical mode: no cosine of the passage
            # across languages the question's own terms cannot be compared; names written in pinyin
            # can (Huaxia: 华夏), and so can the Chinese terms its English words translate to
            toks = self._tokens(f"{hd} {c.text}")
            c.coverage = max(names_found(names, f"{hd} {c.text}"), coverage(query.translated, toks)) if cross \
                else coverage(query.terms, toks)
            c.fit = type_fit(query.asked, c.text)
            c.score = s.w_semantic * c.z + s.w_lexical * c.coverage + s.w_type * c.fit + s.w_rank / (1 + c.n_hit)
        return sorted(cands, key=lambda c: -c.score)

    def judged(self, query: Query, cands: list[Candidate]) -> list[Candidate]:
        """The rules' best ``judge_candidates`` reordered by the judge's probability that each
        answers the question (ties: the rules' order), the rest after them."""
        top = cands[: self.settings.judge_candidates]
        texts = [f"{hd}\n{c.text}" if (hd := c.hit.chunk.section or c.hit.chunk.title) else c.text for c in top]
        for c, p in zip(top, self.judge.probabilities(query.text, texts)):
            c.probability = float(p)
        order = sorted(range(len(top)), key=lambda i: (-top[i].probability, i))
        return [top[i] for i in order] + cands[len(top):]

    def _headlines(self, query: Query, hits: list[Hit]) -> list[Candidate]:
        """An article's heading as a candidate for a number question: news headlines state the
        figure (青岛高新区再添两家国家级绿色工厂) that the body may only list. Offsets 0..0: a
        heading is not in its passage's text."""
        if query.kind != "number":
            return []
        out, seen = [], set()
        for i, h in enumerate(hits):
            head = h.chunk.section.split(" > ")[-1].strip() if h.chunk.section else ""
            if len(squash(head)) < self.settings.min_quote_chars or head in seen or not type_fit(query.asked, head):
                continue
            seen.add(head)
            out.append(Candidate(h, i, 0, 0, head, position=-1, n_sentences=1))
        return out

    def features(self, query: Query, cands: list[Candidate], anchors: list[str]) -> np.ndarray:
        """The selector's features (:data:`rag.answering.selector.FEATURES`) of each candidate."""
        if not cands:
            return np.zeros((0, len(FEATURES)))
        mu, sd = query.baseline or (0.0, 1.0)
        core = question_core(query.text)
        qnums = numbers_of(query.text)
        n_terms = float(np.log1p(len(query.terms)))
        per_hit: dict[int, tuple[float, float, float]] = {}
        for c in cands:
            if c.n_hit not in per_hit:
                ch = c.hit.chunk
                cross = query.lang != language(ch.text)
                pcov = 0.0 if cross else coverage(query.terms, self._tokens(f"{ch.title} {ch.section} {ch.text}"))
                context = normalize(squash(f"{ch.title}{ch.section}{ch.text}"))
                missing = float(any(normalize(squash(w)) not in context for w in anchors))
                dense = c.hit.dense_score
                pz = min(10.0, max(-5.0, (dense - mu) / sd)) if dense is not None else 0.0  # lexical mode: none
                per_hit[c.n_hit] = (pcov, missing, pz)
        best_pz = max(v[2] for v in per_hit.values())
        best_cov = max(c.coverage for c in cands)
        rows = []
        for c in cands:
            pcov, missing, pz = per_hit[c.n_hit]
            cross = float(query.lang != language(c.text))
            scov = 0.0 if cross else coverage(query.terms, self._tokens(c.text))
            fit_loose = type_fit(query.asked, c.text, False)
            asks = float(query.kind != "other")
            text = plain(c.text)
            lcs = longest_common_substring(core, text) / max(1, len(core))
            shared = len(qnums & numbers_of(c.text)) / len(qnums) if qnums else 0.0
            rows.append([pz, pz - best_pz, c.coverage, c.coverage - best_cov,
                         scov, pcov, c.fit, fit_loose, asks, c.fit * asks, float(c.hit.relevance),
                         1.0 / (1 + c.n_hit), c.position / max(1, c.n_sentences - 1), float(c.position == 0),
                         float(np.log1p(len(c.text))), lcs, shared, float(bool(qnums)), missing, cross, n_terms])
        return np.asarray(rows, np.float64)

    def select(self, query: Query, cands: list[Candidate], anchors: list[str]) -> list[Candidate]:
        """The candidates ordered by the learned selector, each with its calibrated probability."""
        logits = self.model.logits(self.features(query, cands, anchors))
        for c, lg in zip(cands, logits):
            c.score = float(lg)
            c.probability = self.model.probability(float(lg))
        return sorted(cands, key=lambda c: -c.score)

    @property
    def threshold(self) -> float:
        """The calibrated probability under which the learned selector refuses."""
        t = self.settings.min_probability
        return t if t >= 0 or self.model is None else self.model.threshold

    def anchors(self, query: Query) -> list[str]:
        """Rare words of the question that the corpus holds: names, mostly (软控股份, 盈古智能).

        An answer passage must hold them; a passage about another company will not do.
        """
        if self.lexical is None or not self.lexical.n or self.scheme != "bigram":
            return []
        out = []
        s = self.settings
        limit = max(s.anchor_min_passages, int(s.anchor_df * self.lexical.n))
        tags = word_tags(query.text) if s.anchor_pos else {}
        for w in query.words:
            freq = word_frequency(w)
            if freq > s.anchor_max_word_freq:
                continue  # everyday words (时候, 地方, 作用) are asked about in other words
            if s.anchor_pos and (freq or not s.anchor_unknown) and not w.isascii() \
                    and not tags.get(w, "").startswith(s.anchor_pos):
                continue  # a common noun or verb of the dictionary (赛事, 别名, 播出): a passage may say it otherwise
            grams = [t for t in tokenize(w, "bigram") if len(t) > 1 or t.isascii()]
            dfs = self.lexical.doc_freq(grams)
            if grams and all(0 < d for d in dfs) and min(dfs) <= limit:
                out.append(w)
        return out

    def lead(self, hit: Hit, hits: list[Hit]) -> str:
        """The text of the retrieved passages of ``hit``'s section that end at most
        ``anchor_lead_chars`` before it starts: where its paragraph may have named its subject."""
        ch, n = hit.chunk, self.settings.anchor_lead_chars
        return "".join(h.chunk.text for h in hits
                       if n and h.chunk.doc_id == ch.doc_id and h.chunk.section == ch.section
                       and h.chunk.start < ch.start and ch.start - h.chunk.end <= n)

    def supports(self, query: Query, best: Candidate, anchors: list[str],
                 hits: list[Hit] = ()) -> tuple[bool, str]:
        """Does this sentence support an answer? Returns (ok, why not). ``hits``: the passages
        retrieved with it, where an earlier passage of its paragraph may hold a name it lacks."""
        s = self.settings
        if query.lang != language(best.text):
            context = normalize(headed(best.hit))
            absent = [n for n in anchors if not names_found([n], context)]
            if absent:  # across languages: the question's names in pinyin (Yinggu for 盈古, Haier for 海尔)
                return False, f"the best passage does not mention {', '.join(n.capitalize() for n in absent)}"
            missing = [a for a in acronyms(query.text) if a.lower() not in context]
            if missing:  # GDP, 5G... are written as they are in Chinese text too
                return False, f"the best passage does not mention {', '.join(missing)}"
            if query.lang == "en" and not anchors and not coverage(query.translated, self._tokens(context)):
                # no name of the English question, and none of the Chinese terms its words translate
                # to: a meaning score alone is no evidence ("How do I cook dumplings?" scored 2 std)
                return False, "the best passage holds none of the question's words in Chinese"
            return best.z >= s.min_z, f"meaning score {best.z:.1f} std over the corpus baseline (< {s.min_z})"
        if best.coverage < s.min_coverage:
            return False, f"the best sentence holds {best.coverage:.0%} of the question's terms (< {s.min_coverage:.0%})"
        ch = best.hit.chunk
        context = normalize(squash(f"{ch.title}{ch.section}{self.lead(best.hit, hits)}{ch.text}"))
        missing = [w for w in anchors if not mentions(context, normalize(squash(w)), s.anchor_min_share)]
        if missing:
            return False, f"the best passage does not mention {'、'.join(missing)}"
        return True, ""

    def _refusal(self, query: Query, hits: list[Hit], note: str, why: str, text: str = "") -> Answer:
        return Answer(query.question, text or REFUSAL[query.reply_lang], passages=hits, refused=True,
                      note=join_notes(note, why), search_query=query.text, lang=query.reply_lang)

    def ground(self, query: Query, c: Candidate, hits: list[Hit], article: ArticleContext) -> Grounding:
        """Check ``c``'s quote (its window, computed here once) against the question's details."""
        if not c.quote:
            c.quote = self._quote(c, query)
        if c.grounding is None:
            c.grounding = ground(query.constraints, evidence_for(c.hit, c.start, c.text, c.quote, article, hits),
                                 query.kind)
        return c.grounding

    def choose(self, query: Query, cands: list[Candidate], anchors: list[str], hits: list[Hit],
               article: ArticleContext, others: list[Candidate] = ()) -> tuple[Candidate | None, Candidate | None]:
        """Among the best candidates that support an answer (the first of them checked by the
        caller), the first whose quote matches every detail of the question, and, when none
        does, the one that could carry a caveat (what it misses, it says otherwise) nearest the
        question (:attr:`Grounding.weight`; ``others``, sentences of another role, count too).
        Either may be None."""
        if not query.constraints:
            return cands[0], None
        n_max = self.settings.detail_candidates
        caveats = []
        for n, c in enumerate(cands[:n_max]):
            if n and not self.supports(query, c, anchors, hits)[0]:
                continue
            g = self.ground(query, c, hits, article)
            if g.ok:
                return c, None
            if g.caveat_possible:
                caveats.append(c)
        for c in others[:n_max]:
            if self.supports(query, c, anchors, hits)[0] and self.ground(query, c, hits, article).caveat_possible:
                caveats.append(c)
        return None, min(caveats, key=lambda c: c.grounding.weight, default=None)

    def answer(self, query: Query, result: SearchResult, note: str = "") -> Answer:
        """Answer ``query`` from the passages of ``result``; ``note`` is said first (a fallback's reason)."""
        s = self.settings
        hits = result.hits
        reason = not_a_question(query.text)
        if reason:
            return self._refusal(query, hits, note, reason)
        usable = usable_hits(hits)
        if not usable or not result.found:
            return self._refusal(query, hits, note, "nothing relevant found in the index" if usable or not hits
                                 else "the passages found tell the reader what to answer: evidence of nothing")
        if query.asked.author:
            return self._byline(query, hits, usable, note)
        # the selector learned from hybrid shortlists: it reads the passages' cosines, which a lexical
        # search has not got, and it read Chinese questions only; the rules answer the rest
        if (self.model is not None and query.lang == language(usable[0].chunk.text)
                and result.mode != "lexical"):
            return self._answer_learned(query, hits, usable, note)
        hits_all, hits = hits, usable
        cands = self.candidates(query, hits)
        kind = query.kind
        others: list[Candidate] = []  # sentences of the same person kind naming another role: a caveat may quote them
        if kind in s.hard_types or (kind == "person" and query.asked.has_role):
            if kind == "person":
                others = [c for c in cands if not c.fit and type_fit(AskedFor("person"), c.text)]
            cands = [c for c in cands if c.fit]  # a number, a date, the 董事长 asked for: it must be there
        if not cands:
            return self._refusal(query, hits_all, note, f"no {kind} in the retrieved passages" if kind != "other"
                                 else "no sentences")
        # across languages the names an English question writes in pinyin are what can be checked:
        # the passage quoted must hold them all (a question about Haier's CEO is not answered by
        # another company's general manager)
        cross = query.lang != language(cands[0].text)
        anchors = pinyin_names(query.text) if cross else self.anchors(query)
        if anchors and cross:
            named = [c for c in cands if names_found(anchors, headed(c.hit)) == 1.0]
            cands = named or cands[:1]  # none: the best one, refused below for the names it lacks
        if self.judge is not None and not cross:  # trained on Chinese questions over Chinese sentences
            cands = self.judged(query, cands)
            if cands[0].probability < s.judge_min_probability:
                return self._refusal(query, hits_all, note, f"no sentence answers the question (judge: "
                                     f"{cands[0].probability:.2f} < {s.judge_min_probability})")
        ok, why = self.supports(query, cands[0], anchors, hits)
        if not ok:
            return self._refusal(query, hits_all, note, why)
        article = ArticleContext(self.articles, s.article_chars)
        best, caveat = self.choose(query, cands, anchors, hits, article, others)
        if best is None:
            if caveat is None:  # a detail of the question the passages say nothing of: name it
                misses = self.ground(query, cands[0], hits, article).misses
                return self._refusal(query, hits_all, note, describe(misses), refusal_text(misses, query.reply_lang))
            lead = caveat_text(caveat.grounding.misses, query.reply_lang, query.kind)
            text, citations = compose(query.lang, [(caveat, caveat.quote)])
            return Answer(query.question, lead + text, citations, hits_all, refused=False,
                          note=join_notes(note, describe(caveat.grounding.misses)), search_query=query.text,
                          lang=query.reply_lang, caveat=lead.rstrip("：: "))
        chosen = [best]
        covered = {t for t in query.terms if t in self._tokens(best.text)}
        total = sum(query.terms.values()) or 1.0
        for c in cands:
            if c is best:
                continue
            if len(chosen) >= s.max_sentences or c.score < s.second_sentence_ratio * best.score:
                break
            toks = self._tokens(c.text)
            gain = sum(w for t, w in query.terms.items() if t in toks and t not in covered)
            if gain > s.second_sentence_gain * total and self.supports(query, c, anchors, hits)[0] \
                    and c.text not in chosen[0].text and (c.grounding is None or c.grounding.ok):
                if query.constraints and not self.ground(query, c, hits, article).ok:
                    continue
                chosen.append(c)
                covered |= {t for t in query.terms if t in toks}
        chosen.sort(key=lambda c: (c.n_hit, c.start))  # reading order
        spans = [(c, c.quote or self._quote(c, query)) for c in chosen]
        text, citations = compose(query.lang, spans)
        return Answer(query.question, text, citations, hits_all, refused=False, note=note,
                      search_query=query.text, lang=query.reply_lang)

    def _quote(self, c: Candidate, query: Query) -> str:
        """The window of ``c`` quoted: the whole sentence across languages when short, else the
        clauses that carry the answer; never a one-word fragment."""
        cross = query.lang != language(c.text)
        w = c.text if cross and len(c.text) <= 150 else self._window(c, query)
        return w if len(squash(w)) >= self.settings.min_quote_chars else c.text

    def _byline(self, query: Query, hits: list[Hit], usable: list[Hit], note: str) -> Answer:
        """Who wrote it: the byline of the signed passage whose article the question names best
        (its title, section and text hold the most of the question's terms)."""
        signed = [h for h in usable if h.chunk.author]
        if not signed:
            return self._refusal(query, hits, note, "no byline in the retrieved passages")
        cross = query.lang != language(signed[0].chunk.text)
        names = pinyin_names(query.text) if cross else []
        terms = {t: w for t, w in (query.translated if cross else query.terms).items() if t not in _ABOUT_WRITING}

        def named(h: Hit) -> float:
            context = headed(h)
            return max(names_found(names, context), coverage(terms, self._tokens(context)))

        scores = [named(h) for h in signed]
        best = max(range(len(signed)), key=lambda i: (scores[i], -i))  # ties: the better-ranked passage
        if scores[best] < self.settings.min_coverage:
            return self._refusal(query, hits, note, f"no signed article holds {self.settings.min_coverage:.0%} "
                                 "of the question's terms")
        hit = signed[best]
        ch = hit.chunk
        heading = (ch.section.split(" > ")[-1] if ch.section else ch.title).strip()
        spans = split_sentences(ch.text)
        quote = ch.text[spans[0][0]:spans[0][1]] if spans else ch.text
        citation = Citation(1, ch.chunk_id, ch.doc_id, ch.title, ch.section, quote, round(hit.relevance, 4),
                            ch.author, ch.date, ch.kind)
        text = (f"《{heading}》的作者：{ch.author}[1]。" if query.reply_lang == "zh"
                else f"According to the bulletins: “{heading}” is by {ch.author} [1].")
        return Answer(query.question, text, [citation], hits, refused=False, note=note,
                      search_query=query.text, lang=query.reply_lang)

    def _answer_learned(self, query: Query, hits: list[Hit], usable: list[Hit], note: str) -> Answer:
        s = self.settings
        cands = self.candidates(query, usable, embed=False)
        if not cands:
            return self._refusal(query, hits, note, "no sentences")
        anchors = self.anchors(query)
        cands = self.select(query, cands, anchors)
        if query.kind in s.hard_types or (query.kind == "person" and query.asked.has_role):
            cands = [c for c in cands if c.fit]  # a number (多少钱: money), a date, the 董事长 asked for: it must be there
            if not cands:
                return self._refusal(query, hits, note, f"no {query.kind} in the retrieved passages")
        best, threshold = cands[0], self.threshold
        if best.probability < threshold:
            return self._refusal(query, hits, note, f"the best sentence answers with probability {best.probability:.2f} "
                                                    f"(< {threshold:.2f})")
        ok, why = self.supports(query, best, anchors, usable)  # the rules' floor: the question's terms and rare names
        if not ok:
            return self._refusal(query, hits, note, why)
        chosen = [best]
        covered = {t for t in query.terms if t in self._tokens(best.text)}
        total = sum(query.terms.values()) or 1.0
        for c in cands[1:]:
            if len(chosen) >= s.max_sentences or c.probability < max(threshold, s.second_sentence_ratio * best.probability):
                break
            toks = self._tokens(c.text)
            gain = sum(w for t, w in query.terms.items() if t in toks and t not in covered)
            if gain > s.second_sentence_gain * total and c.text not in best.text:
                chosen.append(c)
                covered |= {t for t in query.terms if t in toks}
        chosen.sort(key=lambda c: (c.n_hit, c.start))  # reading order
        spans = [(c, answer_window(c.text, query.asked, query.terms, self.scheme, s.max_answer_chars,
                                   s.short_sentence_chars)) for c in chosen]
        spans = [(c, w if len(squash(w)) >= s.min_quote_chars else c.text) for c, w in spans]
        text, citations = compose(query.lang, spans)
        return Answer(query.question, text, citations, hits, refused=False, note=note,
                      search_query=query.text, lang=query.reply_lang)

    def stream(self, query: Query, result: SearchResult, *, note: str = "",
               streaming: bool = True) -> Generator[str, None, Answer]:
        """The answer in small pieces (a typing effect); returns the :class:`Answer`."""
        ans = self.answer(query, result, note)
        yield from pieces(ans.text)
        return ans

    def _window(self, c: Candidate, query: Query) -> str:
        if query.lang == language(c.text):
            return self._best_window(c.text, query)
        # across languages terms cannot be matched: pick the clauses closest in meaning
        parts = clauses(c.text)
        windows = ["".join(parts[i:j]) for i in range(len(parts))
                   for j in range(i + 1, min(i + 3, len(parts)) + 1)]
        windows = [w for w in windows if len(w) <= self.settings.max_answer_chars
                   and type_fit(query.asked, w)] or [c.text]
        sims = self.embedder.embed_passages(windows, urgent=True) @ query.vector
        return windows[int(np.argmax(sims))]


def mentions(context: str, word: str, share: float = 1.0) -> bool:
    """Does ``context`` mention ``word``: the whole word (``share`` 1.0), or at least ``share`` of
    its characters (a name cut badly by the segmenter, 后康忠 for 康忠, is still found)?"""
    if share >= 1.0 or not word:
        return word in context
    return sum(ch in context for ch in word) >= share * len(word)


def widen(parts: list[str], i: int, j: int, n: int, max_chars: int) -> tuple[int, int]:
    """The clause run ``parts[i:j]`` grown by up to ``n`` clauses on each side (the one after
    first), while it stays within ``max_chars``."""
    size = sum(len(p) for p in parts[i:j])
    for _ in range(n):
        if j < len(parts) and size + len(parts[j]) <= max_chars:
            size += len(parts[j])
            j += 1
        if i > 0 and size + len(parts[i - 1]) <= max_chars:
            i -= 1
            size += len(parts[i])
    return i, j


def compose(lang: str, spans: list[tuple[Candidate, str]]) -> tuple[str, list[Citation]]:
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
    return text, citations
