"""Follow-up questions: normalise a chat history and make a follow-up standalone without an LLM.

A question that points back (它, 该, 那…呢, 是哪几家, it, what about…) or is too short to stand
alone is rewritten against the previous question, itself made standalone first, by the first
rule that applies (:func:`rewrite_follow_up`):

- another time: 那去年呢 after a 2023 question asks about 2022 (前年, 明年, 那2021年呢, 那上半年呢);
- another name: 那烟台高新区呢 after a 青岛高新区 question asks the same of 烟台高新区;
- another qualifier: 那累计呢 (for 新增 or a year's figure), 那省级呢, 那总经理呢, 那文化企业呢;
- a pronoun: 它/该公司/这家企业 stand for the previous question's subject (康立泰生物);
- the list behind a count: 是哪几家 / 分别是哪些 after 有几家… asks 有哪几家…;

else it borrows the previous question's content words (and its kind, when it asks for none).
"""
from __future__ import annotations

import re
from typing import Iterable

from ..text import answer_type, count_cjk, language, question_words
from ..text.constraints import Constraint, read_constraints
from . import llm as backend
from .prompts import condense_messages

# pronouns and elliptical openers that make a question depend on the one before
_FOLLOW_ZH = re.compile(r"^(?:那|那么|还有|另外|以及|并且|而)|它|其(?![他它中实余])|[该此这那](?=[个些家项位年])|"
                       r"[该此这](?=公司|企业|单位|机构|园区|款|种|项)|^(?:是|都是|分别是|具体是)?哪(?:几|些)|"
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


_LIST_ASK = re.compile(r"^(?:那|那么)?(?:它们|这些|这几(?:家|个|位|项))?(?:都|分别|具体|各自)?(?:是|有)?"
                       r"(?:哪几(?:家|个|位|项|所|名|种|条|支)|哪些|什么|谁)(?:企业|公司|单位|项目|人|机构)?[？?呢吗。]*$|"
                       r"^(?:那|那么)?(?:都|分别|具体|各自)(?:是|有)?(?:哪些|什么|谁)?[？?呢。]*$|"
                       r"^(?:which|what|who)\s+(?:are|were)\s+they\??$|^(?:name|list)\s+them\.?$", re.I)
_COUNT = re.compile(r"(?:多少|几)\s*(家|个|位|项|所|名|种|条|支|人)?")
_PRONOUN = re.compile(r"它们|它|该公司|该企业|该单位|该机构|该区|该园区|这家公司|这家企业|这家单位|这家|"
                      r"该(?=[\u4e00-\u9fff])|其(?![他它中实余])|他们|她们|他|她")
_NAME_KINDS = ("org", "person", "place")


def _subject(c) -> Constraint | None:
    """The previous question's subject: its first company, else person, else place."""
    for kind in _NAME_KINDS:
        names = c.of(kind)
        if names:
            return names[0]
    return None


def _replace(text: str, old: str, new: str) -> str:
    return text.replace(old, new, 1) if old and old in text else text


def rewrite_follow_up(question: str, previous: str) -> str | None:
    """``question``, a follow-up of the standalone ``previous``, rewritten to stand alone by the
    first rule that applies (the module's docstring); None when none does."""
    q = question.strip()
    if not previous:
        return None
    body = re.sub(r"^(?:那么|那|还有|另外|而|and|what about|how about)\s*|(?:呢|吗)?[？?。!！\s]*$", "", q, flags=re.I)
    prev = previous.strip()
    before = read_constraints(prev)
    # the list behind a count: 是哪几家 after 有几家企业…
    if _LIST_ASK.match(q):
        m = _COUNT.search(prev)
        if m:
            unit = m.group(1) or "个"
            return prev[:m.start()] + ("哪几" + unit if unit not in ("人",) else "哪些人") + prev[m.end():]
        return None
    subject = _subject(before)
    if subject is not None and _PRONOUN.search(q):  # 它的这款药… / 该公司的董事长 after a question about it
        return _PRONOUN.sub(subject.text, q, count=1)
    now = read_constraints(question)
    years = now.of("year")
    if years and len(body) <= 12:  # 那去年呢 / 那2022年呢 / 前年呢
        y = years[0]
        old = before.of("year")
        if y.offset is not None:
            base = old[0].year if old and old[0].year is not None else None
            if base is None:
                return f"{y.text}{prev}"
            return _replace(prev, old[0].text, f"{base + y.offset}年")
        if old:
            return _replace(prev, old[0].text, y.text)
        return f"{y.text}{prev}"
    periods = now.of("period")
    if periods and len(body) <= 12:
        old = before.of("period")
        if old:
            return _replace(prev, old[0].text, periods[0].text)
        year = before.of("year")
        return _replace(prev, year[0].text, year[0].text + periods[0].text) if year else f"{periods[0].text}{prev}"
    names = [c for c in now if c.kind in _NAME_KINDS]
    if names and len(body) <= 16 and not _PRONOUN.search(body):  # 那烟台高新区呢
        new = names[0]
        same = [c for c in before if c.kind in _NAME_KINDS and (c.group and c.group == new.group)] or \
               [c for c in before if c.kind == new.kind] or [c for c in before if c.kind in _NAME_KINDS]
        if same:
            return _replace(prev, same[0].text, new.text)
        return f"{new.text}{prev}"
    quals = now.of("qualifier")
    if quals and len(body) <= 12:  # 那累计呢 / 那省级呢 / 那总经理呢 / 那文化企业呢
        new = quals[0]
        old = [c for c in before.of("qualifier") if c.group == new.group]
        if old:
            return _replace(prev, old[0].text, new.text)
        if new.group == "tally":  # a year's figure asked, the running total wanted: the year goes
            year = before.of("year")
            base = _replace(prev, year[0].text, "") if year else prev
            return f"{new.text}{base.lstrip('，, ')}"
        return f"{new.text}{prev}"
    return None


def standalone_questions(history: list[tuple[str, str]]) -> list[str]:
    """The user's questions of ``history``, each made standalone against the one before."""
    out: list[str] = []
    for role, text in history:
        if role != "user":
            continue
        lang = language(text)
        if out and is_follow_up(text, lang):
            text = rewrite_follow_up(text, out[-1]) or text
        out.append(text)
    return out


def condense_by_rule(question: str, kind: str, history: list[tuple[str, str]]) -> tuple[str, str]:
    """A follow-up made standalone by rule, and the kind of answer it asks for: the rewritten
    question's own, else the previous question's."""
    asked = standalone_questions(history)
    previous = asked[-1] if asked else ""
    if not previous:
        return question, kind
    rewritten = rewrite_follow_up(question, previous)
    if rewritten:
        own = answer_type(rewritten)
        return rewritten, own if own != "other" else (kind if kind != "other" else answer_type(previous))
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
