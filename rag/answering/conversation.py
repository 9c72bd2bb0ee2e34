"""Follow-up questions: normalise a chat history and make a follow-up standalone without an LLM.

The rule: a question that points back (它, 该, 他们, 那…呢, it, they, what about…) or is too short
to stand alone borrows the content words of the previous user question it follows, and, when it
asks for no kind of thing of its own (那2022年呢?), that question's kind too.
"""
from __future__ import annotations

import re
from typing import Iterable

from ..text import answer_type, count_cjk, language, question_words
from . import llm as backend
from .prompts import condense_messages

# pronouns and elliptical openers that make a question depend on the one before
_FOLLOW_ZH = re.compile(r"^(?:那|那么|还有|另外|以及|并且|而)|它|其(?![他它中实余])|[该此这那](?=[个些家项位年])|"
                        r"他们|她们|上述|呢[？?]?$")
_FOLLOW_EN = re.compile(r"\b(?:it|its|they|their|them|this|that|these|those|he|she|his|her)\b|^(?:and|what about|how about)\b",
                        re.I)


def normalize_history(history: Iterable | None) -> list[tuple[str, str]]:
    """``(role, text)`` pairs from the shapes people pass: Gradio/OpenAI message dicts,
    ``(user, assistant)`` pairs, or ``(role, text)`` tuples. Roles are ``user``/``assistant``."""
    out: list[tuple[str, str]] = []
    for turn in history or []:
        if isinstance(turn, dict):
            role, content = turn.get("role", "user"), turn.get("content", "")
            if isinstance(content, list):  # multimodal content parts
                content = " ".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
            out.append(("assistant" if role in ("assistant", "ai", "bot") else "user", str(content or "")))
        elif isinstance(turn, (list, tuple)) and len(turn) == 2:
            a, b = turn
            if a in ("user", "assistant", "human", "ai", "system"):
                out.append(("assistant" if a in ("assistant", "ai") else "user", str(b or "")))
            else:  # (user message, assistant reply)
                if a:
                    out.append(("user", str(a)))
                if b:
                    out.append(("assistant", str(b)))
        else:
            raise TypeError(f"unsupported history turn {turn!r}: use {{'role','content'}} dicts or (user, reply) pairs")
    return [(r, t) for r, t in out if t.strip()]


def last_user_question(history: list[tuple[str, str]]) -> str:
    for role, text in reversed(history):
        if role == "user":
            return text
    return ""


def is_follow_up(question: str, lang: str) -> bool:
    """Does ``question`` (in ``lang``) point back to the conversation, or is it too short to stand alone?"""
    q = question.strip()
    if lang == "zh":
        return bool(_FOLLOW_ZH.search(q)) or count_cjk(q) <= 6
    return bool(_FOLLOW_EN.search(q)) or len(q.split()) <= 3


def condense_by_rule(question: str, kind: str, history: list[tuple[str, str]]) -> tuple[str, str]:
    """A follow-up made standalone with the previous user question's content words, and the kind
    of answer it asks for (``kind``, the question's own, else the previous question's)."""
    previous = last_user_question(history)
    if not previous:
        return question, kind
    context = " ".join(question_words(previous)) if language(previous) == "zh" else previous.rstrip("?？ ")
    if kind == "other":
        kind = answer_type(previous)
    return f"{context} {question}".strip(), kind


def condense(question: str, lang: str, kind: str, history, llm=None,
             timeout: float = 30.0) -> tuple[str, str, str]:
    """The standalone question for retrieval, the kind of answer asked for, and how it was made
    (``none``, ``rule`` or ``llm``). ``lang`` and ``kind`` are the question's own; with ``llm``,
    the model rewrites a follow-up, else (or when it fails) a rule does."""
    hist = normalize_history(history)
    if not hist or not is_follow_up(question, lang):
        return question, kind, "none"
    rule_q, rule_kind = condense_by_rule(question, kind, hist)
    if llm is not None:
        try:
            text = backend.generate(llm, condense_messages(question, hist, lang),
                                    timeout).strip().splitlines()[0].strip()
            if 2 <= len(text) <= 300:
                own = answer_type(text)
                return text, rule_kind if own == "other" else own, "llm"
        except (backend.LLMError, IndexError):
            pass
    return rule_q, rule_kind, "rule"
