"""The LLM answerer: an answer streamed sentence by sentence, each sentence's citations checked.

Sentences are held back until one of them is supported by a passage, so a reply that is all
unsupported (or fails early) shows nothing of its own: the fallback answerer (the extractive one)
answers instead, with the reason in the note. A failure after sentences were shown ends the
answer with the reason.
"""
from __future__ import annotations

from ..config import CitationSettings
from ..search import Query
from ..text import not_a_question, sentence_ends
from ..types import Answer, SearchResult
from . import llm as backend
from .base import AnswerPieces, Answerer
from .citations import CitationChecker, split_answer
from .details import ArticleContext, caveat_text, describe, ground_reply
from .extractive import usable_hits
from .prompts import NO_ANSWER, REFUSAL, answer_messages

NOT_CONFIGURED = "no LLM is configured (set RAG_LLM_BASE_URL and RAG_LLM_MODEL); extractive answer shown"


class LLMAnswerer:
    """Answers with a LangChain chat model, falling back to ``fallback`` when it cannot."""

    name = "llm"

    def __init__(self, llm, fallback: Answerer, embedder=None, timeout: float = 30.0,
                 citations: CitationSettings = CitationSettings()):
        self.llm = llm
        self.fallback = fallback
        self.embedder = embedder
        self.timeout = timeout
        self.citations = citations

    def stream(self, query: Query, result: SearchResult, *, note: str = "",
               streaming: bool = True) -> AnswerPieces:
        if self.llm is None:
            return (yield from self.fallback.stream(query, result, note=NOT_CONFIGURED))
        hits = usable_hits(result.hits)  # a passage telling the reader what to answer is never shown to the LLM
        if not (result.found and hits) or not_a_question(query.text):
            return (yield from self.fallback.stream(query, result, note=note))
        lang = query.reply_lang
        checker = CitationChecker(hits, lang, self.embedder, self.citations)
        messages = answer_messages(query.text, hits, lang)
        joiner = "" if lang == "zh" else " "
        buffer, out, pending, shown = "", [], [], False
        # a question with details (a year, a place...) is checked whole before it is shown
        hold = bool(query.constraints)
        said_no_answer = False

        def answer(text: str, **kw) -> Answer:
            return Answer(query.question, text, passages=hits, lang=lang, backend="llm",
                          search_query=query.text, **kw)

        def take(sentences) -> None:
            nonlocal said_no_answer
            for sent, marks in sentences:
                if _is_no_answer(sent, lang):
                    said_no_answer = True
                    continue
                checked = checker.check(sent, marks)
                pending.append((joiner if out else "") + checked)
                out.append(checked)

        try:
            tokens = (backend.stream(self.llm, messages, self.timeout) if streaming
                      else iter([backend.generate(self.llm, messages, self.timeout)]))
            for token in tokens:
                buffer += token
                n = _complete(buffer)
                if n:
                    take(split_answer(buffer)[:n])
                    buffer = _rest(buffer, n)
                if checker.citations and pending and not hold:
                    shown = True
                    yield "".join(pending)
                    pending.clear()
            take(split_answer(buffer))
        except backend.LLMError as exc:
            if not shown:
                return (yield from self.fallback.stream(query, result, note=f"{exc}; extractive answer shown"))
            tail = {"zh": "（回答中断：", "en": " (answer cut short: "}[lang] + str(exc) + ("）" if lang == "zh" else ")")
            yield tail
            return answer(joiner.join(out) + tail, citations=checker.citations, note=str(exc),
                          unsupported=checker.unsupported)
        if not out and said_no_answer:  # the model says the passages hold no answer
            ans = answer(REFUSAL[lang], refused=True, note="the LLM found no answer in the passages")
            yield ans.text
            return ans
        if not checker.citations:
            reason = "the LLM reply is not supported by the passages" if out else "the LLM returned no answer"
            return (yield from self.fallback.stream(query, result, note=f"{reason}; extractive answer shown"))
        text = joiner.join(out)
        note = "some statements are not supported by the passages" if checker.unsupported else ""
        caveat = ""
        if hold:
            by_chunk = {h.chunk.chunk_id: h for h in hits}
            quotes = [(by_chunk[c.chunk_id], c.quote) for c in checker.citations if c.chunk_id in by_chunk]
            g = ground_reply(query.constraints, query.kind, text, quotes,
                             ArticleContext(getattr(self.fallback, "articles", None)), hits)
            if not g.ok and not g.caveat_possible:  # a detail nothing cited says: the rules answer (or refuse)
                return (yield from self.fallback.stream(query, result, note=f"the LLM's answer does not match the "
                                                        f"question ({describe(g.misses)}); extractive answer shown"))
            if not g.ok:
                caveat = caveat_text(g.misses, lang, query.kind).rstrip("：: ")
                text = caveat + ("：" if lang == "zh" else ": ") + text
                note = describe(g.misses) + ("; " + note if note else "")
            yield text
        elif pending:
            yield "".join(pending)
        return answer(text, citations=checker.citations, unsupported=checker.unsupported, note=note, caveat=caveat)


def _is_no_answer(sentence: str, lang: str) -> bool:
    s = sentence.strip().rstrip("。.!！")
    return any(p.lower() in s.lower() for p in NO_ANSWER.values()) and len(s) <= len(NO_ANSWER[lang]) + 12


def _complete(buffer: str) -> int:
    """How many sentences of ``buffer`` are finished: all but the last, which may still grow
    (or take markers after its full stop)."""
    return max(len(sentence_ends(buffer)) - 1, 0)


def _rest(buffer: str, complete: int) -> str:
    """``buffer`` without its first ``complete`` sentences (markers included)."""
    return buffer[sentence_ends(buffer)[complete - 1]:] if complete else buffer
