"""A question as understood, once: the one object the retriever and the answerers read.

Built by :meth:`rag.search.Retriever.query` after follow-up rewriting; every part of it is
computed once per question and passed on, never recomputed downstream. ``print(query)`` shows
what was understood.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..text import AskedFor
from ..text.constraints import Constraints


@dataclass
class Query:
    """What a question asks, for search and for answers.

    ``question`` is what the user typed; ``text`` the standalone question searched and answered
    (the same unless a follow-up was rewritten, ``rewritten`` says how: ``rule`` or ``llm``).
    ``lang`` is the language of ``text``; ``reply_lang`` the one to answer in (the question's).
    ``asked`` the kind of thing asked for; ``words`` its content words; ``terms`` the terms an
    answer should hold, weighted by IDF; ``tokens`` its BM25 query tokens; ``constraints`` the details an answer must match (its year,
    place, company, qualifiers and the measure asked for). The ``vector`` and its
    ``baseline`` (mean and spread of its cosine to a sample of the corpus) are computed on first
    use, once.
    """

    question: str
    text: str
    lang: str
    reply_lang: str
    asked: AskedFor
    words: tuple[str, ...]
    terms: dict[str, float]
    tokens: tuple[str, ...]
    rewritten: str = "none"
    _embed: Callable[[str], np.ndarray] | None = field(default=None, repr=False, compare=False)
    _sample: np.ndarray | None = field(default=None, repr=False, compare=False)
    _vector: np.ndarray | None = field(default=None, repr=False, compare=False)
    _baseline: tuple[float, float] | None = field(default=None, repr=False, compare=False)
    # an English question over a Chinese corpus: the Chinese terms its words translate to (CC-CEDICT),
    # with their IDF; they are in ``tokens`` too (BM25), and let the answerer read a Chinese sentence
    translated: dict[str, float] = field(default_factory=dict)
    # the details the question pins down (a year, a place, a company, a level, the measure asked
    # for): an answer must match them, or say what the bulletins hold instead (rag.text.constraints)
    constraints: Constraints = field(default_factory=Constraints)

    @property
    def kind(self) -> str:
        return self.asked.kind

    @property
    def has_vector(self) -> bool:
        return self._vector is not None or self._embed is not None

    @property
    def vector(self) -> np.ndarray:
        """The embedded question (embedded on first use, once)."""
        if self._vector is None:
            if self._embed is None:
                raise ValueError("this query has no embedding model: dense search and answers need one")
            self._vector = self._embed(self.text)
        return self._vector

    @property
    def baseline(self) -> tuple[float, float] | None:
        """Mean and spread of the question's cosine to a fixed sample of the corpus.

        Cosines shift with the language pair (an English question scores lower against every
        Chinese passage); answers are judged against this baseline, not absolute cosines.
        """
        if self._baseline is None:
            if self._sample is None or not len(self._sample):
                return 0.0, 1.0
            sims = self._sample @ self.vector
            self._baseline = (float(sims.mean()), float(max(sims.std(), 1e-3)))
        return self._baseline

    def __str__(self) -> str:
        a = self.asked
        lines = [f"question:  {self.question}"]
        if self.text != self.question:
            lines.append(f"searched:  {self.text}  (rewritten by {self.rewritten})")
        asked = a.kind + "".join(f", {x}" for x, on in (("money", a.money), ("rate", a.rate)) if on)
        asked += f", units {'/'.join(a.units)}" if a.units else ""
        asked += f", role {'/'.join(a.roles)}" if a.roles else ""
        asked += ", the author (a byline answers)" if a.author else ""
        top = sorted(self.terms.items(), key=lambda kv: -kv[1])[:8]
        lines += [f"language:  {self.lang}" + (f" (reply in {self.reply_lang})" if self.reply_lang != self.lang else ""),
                  f"asks for:  {asked}",
                  f"details:   {self.constraints}",
                  f"words:     {' '.join(self.words) or '-'}",
                  f"terms:     {' '.join(f'{t}:{w:.1f}' for t, w in top) or '-'}",
                  f"tokens:    {len(self.tokens)} for BM25",
                  f"vector:    {'embedded' if self._vector is not None else 'not yet embedded'}"]
        return "\n".join(lines)
