"""What a question asks for: its language and the kind of answer it expects.

:func:`asked_for` reads a question once into an :class:`AskedFor` (the kind of thing asked for,
and, for a number, whether money, a rate or a measure word such as 个 is wanted; for a person,
which role); :func:`type_fit` then checks any number of sentences against it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .chars import CJK, fold, has_cjk

KINDS = ("date", "number", "person", "org", "place", "other")


def language(text: str) -> str:
    """``zh`` when the text holds Chinese characters, else ``en``."""
    return "zh" if has_cjk(text) else "en"


# (answer type, question pattern), first match wins
_QUESTION_TYPES = [
    ("date", re.compile(r"何时|什么时候|哪一?年|哪一?天|几月|几号|哪个月|\bwhen\b|\bwhat (?:year|date|month|day)\b", re.I)),
    ("person", re.compile(r"哪几位|哪几名|哪几个人")),
    ("org", re.compile(r"哪几家|哪几所")),
    ("number", re.compile(r"多少|(?<!哪)几[个家位名条项所种次年倍成]|多大|多高|多长|多久|多远|比例|占比|百分之|"
                          r"\bhow (?:many|much|long|big|large|far|old)\b|\bwhat (?:percentage|share|number|amount)\b", re.I)),
    ("person", re.compile(r"谁|哪位|哪些人|什么人|\bwho(?:m|se)?\b", re.I)),
    ("org", re.compile(r"哪家|哪些(?:企业|公司|单位|机构)|哪个(?:企业|公司|单位|机构)|什么(?:企业|公司|机构)|"
                       r"\bwhich (?:company|companies|firm|enterprise|organi[sz]ation)\b", re.I)),
    ("place", re.compile(r"哪里|哪儿|在哪|什么地方|何地|\bwhere\b", re.I)),
]


def answer_type(question: str) -> str:
    """One of date, number, person, org, place, other (in either Chinese script)."""
    question = fold(question)
    for kind, pat in _QUESTION_TYPES:
        if pat.search(question):
            return kind
    return "other"


_NUM = r"(?:\d[\d,，.]*|[零一二两三四五六七八九十百千万亿]+)"
_UNIT = r"(?:%|％|个|家|位|名|条|项|所|种|次|倍|元|万元|亿元|万|亿|千|百|人|户|年|月|天|小时|分钟|平方米|公里|米|吨|台|套|件|份|款|成)"
_TYPE_PATTERNS = {
    # a count or amount: a number with a measure word, a percentage, or a bare number (not a year)
    "number": re.compile(rf"{_NUM}\s*(?!年|月|日){_UNIT}|\d+(?:\.\d+)?\s*(?:%|％)|\d+(?:\.\d+)?(?![\d年月日号])"),
    "date": re.compile(r"\d{4}\s*年(?:\s*\d{1,2}\s*月)?|\d{1,2}\s*月\s*\d{1,2}\s*日|\d{4}-\d{1,2}(?:-\d{1,2})?|年底|年初|上半年|下半年"),
    "person": re.compile(r"(?:总经理|董事长|副总经理|主任|书记|局长|院长|总裁|负责人|经理|教授|专家|记者|市长|区长|部长|所长|校长|主席)"
                         rf"[{CJK}]{{2,3}}|[{CJK}]{{2,3}}(?:表示|介绍|说|指出|认为)"),
    "org": re.compile(rf"[{CJK}（）()]{{2,}}(?:公司|集团|企业|大学|学院|研究院|医院|银行|协会|中心|股份|智能|科技|生物)"),
    "place": re.compile(rf"[{CJK}]{{2,}}(?:省|市|区|县|镇|村|路|街|园|中心|基地|港|岛)"),
}

_ROLE = re.compile(r"副?(?:总经理|董事长|主任|书记|局长|院长|总裁|负责人|经理|教授|市长|区长|部长|所长|校长|主席|"
                   r"创始人|总监|行长|厂长|主编|总编辑|秘书长)")
# roles asked for in English, as the Chinese words a sentence naming their holder would use
_ROLE_EN = [
    (re.compile(r"\bgeneral manager\b|\bmanaging director\b", re.I), ("总经理",)),
    (re.compile(r"\bchair(?:man|woman|person)?\b", re.I), ("董事长", "主席", "会长")),
    (re.compile(r"\bmayor\b", re.I), ("市长",)),
    (re.compile(r"\bgovernor\b", re.I), ("省长",)),
    (re.compile(r"\b(?:ceo|chief executive)\b", re.I), ("总裁", "首席执行官", "总经理")),
    (re.compile(r"\bpresident\b", re.I), ("总裁", "校长", "主席", "院长", "会长")),
    (re.compile(r"\bfounder\b", re.I), ("创始人", "创办人")),
    (re.compile(r"\b(?:party )?secretary\b", re.I), ("书记", "秘书长")),
    (re.compile(r"\bdean\b", re.I), ("院长",)),
    (re.compile(r"\bprincipal\b", re.I), ("校长",)),
    (re.compile(r"\beditor[- ]in[- ]chief\b", re.I), ("主编", "总编辑")),
]
_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9&]{1,9}\b")
_MONEY_Q = re.compile(r"多少钱|价格|票价|费用|收费|售价|注册资本|注册资金|资本金|\bcost\b|\bprice\b", re.I)
_RATE_Q = re.compile(r"利率|比率|比例|百分之|增长率|\brate\b|\bpercent", re.I)
_MONEY = re.compile(rf"{_NUM}\s*(?:元|万元|亿元|美元)")
_RATE = re.compile(r"\d+(?:\.\d+)?\s*(?:%|％)|百分之[零一二两三四五六七八九十百]+")
_ASKED_UNIT = re.compile(rf"(?:多少|几)\s*({_UNIT})")
# who wrote it: a byline answers, not a sentence of the article
_AUTHOR_Q = re.compile(r"作者|撰稿|撰文|撰写|采写|执笔|署名|谁写|哪位记者|记者是谁|\bauthors?\b|\bwho wrote\b|\bwritten by\b|"
                       r"\bbyline\b|\bwho (?:is|was) the (?:reporter|writer)\b(?!['’])", re.I)


@dataclass(frozen=True)
class AskedFor:
    """The kind of thing a question asks for, with what makes a sentence hold it.

    ``money``/``rate``/``units`` narrow a number (多少钱 wants 元, 利率 a percentage, 多少个项目 a
    count of 个); ``roles`` narrow a person (董事长是谁 wants the 董事长, not another role);
    ``author``: who wrote an article (作者, who wrote), which its byline answers.
    """

    kind: str = "other"
    money: bool = False
    rate: bool = False
    units: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    author: bool = False

    def with_kind(self, kind: str) -> "AskedFor":
        return replace(self, kind=kind)

    @property
    def has_role(self) -> bool:
        """Does the question ask for the holder of a role (董事长, 校长...)?"""
        return bool(self.roles)


def asked_for(question: str, kind: str | None = None) -> AskedFor:
    """Read ``question`` once; ``kind`` overrides the kind read from it (a follow-up's).
    Traditional Chinese is read as Simplified (多少個 asks for 个)."""
    question = fold(question)
    return AskedFor(
        kind=kind or answer_type(question),
        money=bool(_MONEY_Q.search(question)),
        rate=bool(_RATE_Q.search(question)),
        units=tuple(_ASKED_UNIT.findall(question)),
        roles=tuple(_ROLE.findall(question)) + tuple(r for pat, zh in _ROLE_EN if pat.search(question) for r in zh),
        author=bool(_AUTHOR_Q.search(question)),
    )


def acronyms(question: str) -> list[str]:
    """Upper-case abbreviations of an English question (GDP, CEO, 5G are written so in Chinese
    text too): a passage that answers it holds them as they are."""
    return [a for a in _ACRONYM.findall(question or "") if a not in ("I", "OK") and not _ROLE_EN[4][0].fullmatch(a)]


def type_fit(asked: AskedFor, text: str, specific: bool = True) -> float:
    """1.0 when ``text`` holds something of the asked-for kind, else 0 (``other`` always fits).

    With ``specific`` (the default), a price asks for an amount of money, a rate for a
    percentage, 多少个 for a count of 个, and 董事长是谁 for a sentence naming the 董事长.
    ``text`` may be in either Chinese script.
    """
    text = fold(text)
    kind = asked.kind
    if specific and kind == "number":
        if asked.money:
            return 1.0 if _MONEY.search(text) else 0.0
        if asked.rate:
            return 1.0 if _RATE.search(text) else 0.0
        if asked.units:
            return 1.0 if any(re.search(rf"{_NUM}\s*(?:余|多|近)?\s*{re.escape(u)}", text)
                              for u in asked.units) else 0.0
    if specific and kind == "person" and asked.roles:
        return 1.0 if any(r in text for r in asked.roles) else 0.0
    pat = _TYPE_PATTERNS.get(kind)
    if pat is None:
        return 1.0
    return 1.0 if pat.search(text) else 0.0
