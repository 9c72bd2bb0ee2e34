"""The details a question pins down, and whether a piece of evidence matches them.

"2022年济南高新区新引进了多少个高质量项目？" asks about one year (2022), one place (济南高新区) and
one measure (高质量项目). A passage about 2023 in 青岛高新区 does not answer it, however many of
its words it shares. :func:`read_constraints` reads those details from a question once (the
:class:`~rag.search.Query` keeps them); :func:`check` tells which of them a quoted sentence, read
with its passage, its headings and its document's date, does not match, and what it says instead
(2023年, 青岛高新区), so that an answer can say what the bulletins lack and what they do hold.

The kinds of detail:

- ``year``: 2022年, 2023年度, 二〇二二年, a range (2021-2023年), or relative (去年, 今年, 前年);
- ``period``: a part of a year (上半年, 第一季度, 前三季度, 1至11月) or a day (8月10日);
- ``place``, ``org``, ``person``: names (jieba's name tags, words its dictionary lacks) with the
  generic word that follows them (高新区, 生物, 集团...), which is how a sibling is recognised:
  a passage about 青岛高新区 answers nothing about 济南高新区;
- ``qualifier``: a level (国家级, 省级, 市级), a degree (本科, 硕士, 博士), a role (董事长,
  总经理), a tally (累计 against 新增) or the word before a head noun (文化企业, 外资项目);
- ``measure``: what a number is asked of (GDP, 营收, 利率, 产值) where the question names it.

Everything here is pure: strings in, strings out. Both Chinese scripts are read alike.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field, replace

from .chars import CJK, has_cjk, normalize
from .terms import QUESTION_WORDS, word_frequency, word_tags

CONSTRAINT_KINDS = ("year", "period", "place", "org", "person", "qualifier", "measure")

# ----------------------------------------------------------------------------- years
_CN_DIGITS = {"〇": "0", "零": "0", "○": "0", "一": "1", "二": "2", "三": "3", "四": "4", "五": "5",
              "六": "6", "七": "7", "八": "8", "九": "9"}
_CN_YEAR = re.compile(r"([〇零○一二三四五六七八九]{4})\s*年")
_YEAR = re.compile(r"(?<![\d.])((?:19|20)\d{2})(?=\s*(?:年|/|-|－|—|\.\d|至|到|~))")
_YEAR_RANGE = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*(?:年)?\s*(?:-|－|—|～|~|至|到)\s*((?:19|20)\d{2})(?=\s*年)")
_ASKED_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年(度|以来|底|初|末)?")
_RELATIVE_YEAR = {"前年": -2, "去年": -1, "上年": -1, "上一年": -1, "今年": 0, "本年": 0, "当年": 0, "明年": 1}
_RELATIVE = re.compile("|".join(sorted(_RELATIVE_YEAR, key=len, reverse=True)))

# ----------------------------------------------------------------------------- periods
_PERIODS = {  # a period, and how a passage may write it
    "上半年": r"上半年|前两季度|1\s*[-—至到~]\s*6\s*月|一至六月|前6个月|h1",
    "下半年": r"下半年|后两季度|7\s*[-—至到~]\s*12\s*月|h2",
    "第一季度": r"第一季度|一季度|1季度|q1|1\s*[-—至到~]\s*3\s*月",
    "第二季度": r"第二季度|二季度|2季度|q2|4\s*[-—至到~]\s*6\s*月",
    "第三季度": r"第三季度|三季度|3季度|q3|7\s*[-—至到~]\s*9\s*月",
    "第四季度": r"第四季度|四季度|4季度|q4|10\s*[-—至到~]\s*12\s*月",
    "前三季度": r"前三季度|前3季度|1\s*[-—至到~]\s*9\s*月",
    "全年": r"全年|全年度|年度",
}
_PERIOD_ASKED = re.compile(r"上半年|下半年|前三季度|前3季度|第?[一二三四1-4]季度|全年")
_MONTH_SPAN = re.compile(r"(\d{1,2})\s*月?\s*(?:-|—|至|到|~)\s*(\d{1,2})\s*月")
_DAY = re.compile(r"(?<!\d)(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]")

# ----------------------------------------------------------------------------- qualifiers
# (group, the qualifier as asked, the pattern a matching text holds)
_LEVELS = [
    ("国家级", r"国家级|国家|全国|国字号|国务院|工信部|工业和信息化部|部级"),
    ("省级", r"省级|全省|省(?:财政|政府|委|属|重点|科技厅|工信厅)"),
    ("市级", r"市级|全市|市(?:财政|政府|委|属|重点)"),
    ("区级", r"区级|全区|区(?:财政|政府|委|属|重点)"),
    ("县级", r"县级|全县|县(?:财政|政府|委|属|重点)"),
]
_LEVEL_ASKED = re.compile(r"国家级|省级|市级|区级|县级|国家(?=财政|资金|补贴|扶持|重点|项目)|"
                          r"省(?=财政|重点|政府)|市(?=财政|重点|政府)")
_DEGREES = [("博士", r"博士"), ("硕士", r"硕士|研究生"), ("本科", r"本科|学士"), ("专科", r"专科|大专")]
_ROLES = ("副总经理", "总经理", "董事长", "副董事长", "总裁", "首席执行官", "ceo", "创始人", "主任", "书记", "局长",
          "院长", "校长", "主席", "会长", "秘书长", "行长", "厂长", "所长", "部长", "市长", "区长", "省长", "总监",
          "主编", "总编辑", "负责人", "董事", "监事", "总统", "总理", "首相", "外长", "国务卿", "大使")
_ROLE = re.compile("|".join(_ROLES))
_CUMULATIVE = r"累计|总计|合计|共计|累积|迄今|截至|截止|总数"
_NEW = r"新增|新引进|新获|新设|新入选|新认定|新培育|新注册|新增加|净增"
# heads a sector word qualifies (文化企业, 外资项目, 科技型中小企业); the word before it is a qualifier
_HEADS = ("企业", "公司", "项目", "人才", "工厂", "基金", "资金", "园区", "产业园", "机构", "医院", "学校", "银行",
          "平台", "中心", "监测点", "产品")
_NOT_QUALIFIERS = set("多少 几 哪些 哪个 哪家 什么 这 那 该 其 新 各 每 全部 所有 重点 主要 相关 上述 其他 有关 有 "
                      "有限 股份 股份有限 责任 有限责任".split())

# ----------------------------------------------------------------------------- names
# the generic word after a name: it makes a sibling recognisable (青岛高新区 vs 济南高新区)
_SUFFIXES = ("高新区", "新区", "开发区", "自贸区", "经开区", "示范区", "保税区", "产业园", "科技园", "园区", "省", "市", "区",
             "县", "镇", "村", "街道", "有限公司", "股份有限公司", "公司", "集团", "股份", "生物", "医药", "科技", "智能", "产业",
             "大学", "学院", "研究院", "医院", "银行", "协会", "商会", "基金", "中心", "实验室", "部", "委", "局", "厅",
             "署", "队", "俱乐部", "电视台", "报社")
_SUFFIX = re.compile("|".join(sorted(_SUFFIXES, key=len, reverse=True)))
_NAME_TAGS = ("nr", "ns", "nt", "nz", "nrt", "nrfg")
# words jieba tags as names that are not names in this field's questions
_NOT_NAMES = set("高新区 小微 特聘 康复 高新 新区 中小学 管委会 研发 规上 中小企业 上市公司 全市 全省 全国 中国 国家 上市 "
                 "城市 东西 大国 时候 境内 境外 地区 世界 全球 国际 海外 国内 各地 当地 本地 外地 内地 沿海 南方 北方 东方 "
                 "西方 大大的 海战 附近 周边 首都 省会 家乡 故乡 本国 外国 两国 各国 全世界 人类 "
                 "企业 公司 集团 我国 国内 国外 海外 境内 境外 东部 西部 南部 北部 中部 本市 本区 全区 当地".split())
_PLACE_SUFFIX = ("高新区", "新区", "开发区", "自贸区", "经开区", "示范区", "保税区", "省", "市", "区", "县", "镇",
                 "村", "街道")

# ----------------------------------------------------------------------------- measures
# what a number is asked of: the noun phrase right before 是多少/增长了多少/有多大, or after 多少个
_PREDICATE = (r"(?:分别)?(?:是|为|有|约|达|达到|大约|共|一共|总共|增长|增加|下降|减少|提高|提升|上涨|下跌|同比增长|"
              r"同比下降|占比|占)?了?(?:多少|几|多大|多高|多长|多久|多远|多重|多深)")
_MEASURE_BEFORE = re.compile(r"([A-Za-z0-9\-" + CJK + r"]{1,16}?)" + _PREDICATE)
_MEASURE_AFTER = re.compile(r"(?:多少|几)\s*(个|家|位|名|项|条|所|种|次|支|只|台|套|件|款|座|人)"
                            r"([A-Za-z" + CJK + r"]{1,10})")
# verbs that name a measure when asked about (研发投入是多少)
_MEASURE_VERBS = set("投入 投资 收入 支出 占地 产能 消费 出口 进口 融资 营收 盈利 亏损 销售 销量 产量".split())
_SYNONYMS = {  # a measure as a passage may write it
    "营收": ("营收", "营业收入", "营业额", "收入"), "营业收入": ("营收", "营业收入", "营业额", "收入"),
    "gdp": ("gdp", "生产总值", "经济总量"), "生产总值": ("gdp", "生产总值", "经济总量"),
    "净利润": ("净利润", "净利", "盈利", "利润"), "利润": ("利润", "净利润", "净利", "盈利"),
    "投资额": ("投资", "投资额", "总投资"), "总投资": ("投资", "投资额", "总投资"),
    "人口": ("人口", "居民"), "面积": ("面积", "平方米", "平方公里", "亩", "公顷"),
    "产能": ("产能", "生产能力"), "产值": ("产值",), "税收": ("税收", "税收收入", "纳税"),
}
# words that say nothing about which measure: 数量 (how many), 金额 (how much)
_GENERIC_MEASURE = set("时候 种类 类型 数量 数目 总数 金额 规模 情况 数据 数字 比例 水平 程度 时间 日期 次数 人数 个数 家数 名称 名字 "
                       "方面 内容 方式 原因 目的 作用 意义 措施 结果 问题 工作 一共 总共 分别 其中 目前 现在 当前 今年 "
                       "去年 前年 全年 同比 环比 累计 新增 增长 增加 提高 下降 减少 共 约 达 达到 有 是 为".split())


@dataclass(frozen=True)
class Constraint:
    """One detail a question pins down.

    ``text`` is how the question says it (济南高新区, 2022年, 国家级); ``keys`` the forms any of
    which a matching text holds, ``pattern`` (qualifiers, periods) a regular expression instead;
    ``group`` what recognises a sibling: the generic word after a name (高新区), a qualifier's
    group (level, degree, role, tally, or the head noun a sector word qualifies); ``year`` a
    year's value, ``offset`` a relative year's (去年: -1).
    """

    kind: str
    text: str
    keys: tuple[str, ...] = ()
    group: str = ""
    pattern: str = ""
    year: int | None = None
    years: tuple[int, ...] = ()
    offset: int | None = None

    def __str__(self) -> str:
        return f"{self.kind} {self.text}"


@dataclass(frozen=True)
class Constraints:
    """The details of one question (:func:`read_constraints`), in the order it names them."""

    items: tuple[Constraint, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.items)

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def of(self, *kinds: str) -> list[Constraint]:
        return [c for c in self.items if c.kind in kinds]

    def __str__(self) -> str:
        return "; ".join(str(c) for c in self.items) or "-"


@dataclass(frozen=True)
class Miss:
    """A detail the evidence does not match: ``found`` is what it says instead (2023年,
    青岛高新区, 省级), empty when it says nothing of the kind."""

    constraint: Constraint
    found: str = ""

    @property
    def asked(self) -> str:
        return self.constraint.text


@dataclass(frozen=True)
class Evidence:
    """What backs a quoted answer: the quote, its whole sentence, the text before it in its
    article (its passage's earlier sentences and earlier retrieved passages of its section), its
    headings (document title, section path) and its document's date (ISO, may be empty)."""

    quote: str
    sentence: str
    before: str = ""
    headings: str = ""
    date: str = ""
    after: str = ""  # the rest of its passage: a name said later does not make this sentence about it
    lead: str = ""  # the first lines of its article (where a report states its year once)

    @functools.cached_property
    def norm(self) -> dict[str, str]:
        return {k: _plain(getattr(self, k)) for k in ("quote", "sentence", "before", "headings", "after", "lead")}


# ============================================================================= reading
def _cn_year(m: re.Match) -> str:
    return "".join(_CN_DIGITS[c] for c in m.group(1)) + "年"


def _plain(text: str) -> str:
    """Normalised (NFKC, lower case, Simplified) with Chinese-numeral years as digits."""
    return _CN_YEAR.sub(_cn_year, normalize(text or ""))


def read_constraints(question: str) -> Constraints:
    """The details ``question`` pins down (see the module's docstring), read once."""
    q = _plain(question)
    if not q.strip():
        return Constraints()
    if not has_cjk(q):  # an English question: its years (names are checked in pinyin by the answerer)
        return Constraints(tuple(_dedupe([Constraint("year", y, year=int(y), years=(int(y),))
                                          for y in re.findall(r"\b(?:19|20)\d{2}\b", q)])))
    out: list[Constraint] = []
    taken: list[tuple[int, int]] = []  # spans of the question already read as a year or period

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    # years: a range, then single years, then relative ones
    for m in _YEAR_RANGE.finditer(q):
        lo, hi = sorted((int(m.group(1)), int(m.group(2))))
        if hi - lo <= 50:
            out.append(Constraint("year", m.group(0) + ("年" if not m.group(0).endswith("年") else ""),
                                  years=tuple(range(lo, hi + 1))))
            taken.append(m.span())
    for m in _ASKED_YEAR.finditer(q):
        if free(*m.span()):
            y = int(m.group(1))
            out.append(Constraint("year", m.group(0), year=y, years=(y,)))
            taken.append(m.span())
    for m in _RELATIVE.finditer(q):
        if free(*m.span()):
            out.append(Constraint("year", m.group(0), keys=(m.group(0),), offset=_RELATIVE_YEAR[m.group(0)]))
            taken.append(m.span())
    # periods of a year and days
    for m in _PERIOD_ASKED.finditer(q):
        name = _period_name(m.group(0))
        if name and free(*m.span()):
            out.append(Constraint("period", m.group(0), group="period", pattern=_PERIODS[name]))
            taken.append(m.span())
    for m in _MONTH_SPAN.finditer(q):
        if free(*m.span()):
            a, b = int(m.group(1)), int(m.group(2))
            out.append(Constraint("period", m.group(0), group="period",
                                  pattern=rf"(?<!\d){a}\s*月?\s*(?:-|—|至|到|~)\s*{b}\s*月"))
            taken.append(m.span())
    for m in _DAY.finditer(q):
        if free(*m.span()):
            mo, d = int(m.group(1)), int(m.group(2))
            out.append(Constraint("period", m.group(0), group="day",
                                  pattern=rf"(?<!\d)0?{mo}\s*月\s*0?{d}\s*[日号]|(?<!\d)0?{mo}[-/.]0?{d}(?!\d)"))
            taken.append(m.span())
    titles = [Constraint("title", m.group(0), keys=(m.group(1),)) for m in _TITLE.finditer(q)]
    out += titles
    q = _TITLE.sub(lambda m: "，" * len(m.group(0)), q)  # a title's words are the title's, not details
    names = _names(q)
    out += [c for c in _qualifiers(q) if not _role_of_named(c, q, names)]
    out += names
    out += _measures(q, names, out)
    return Constraints(tuple(_as_written(c, question) for c in _dedupe(out)))


# a title the question quotes: a law, a plan, a book (《上市公司独立董事管理办法》)
_TITLE = re.compile(r"《([^《》]{2,60})》")


def _role_of_named(c: Constraint, q: str, names: list[Constraint]) -> bool:
    """A role written against a person's name (总编辑张季鸾): the name says who; a passage may name
    them without the role."""
    return c.group == "role" and any(n.kind == "person" and (c.text + n.text in q or n.text + c.text in q)
                                     for n in names)


def _as_written(c: Constraint, question: str) -> Constraint:
    """``c`` with its text as the question writes it (GDP, not the gdp it was matched as)."""
    if not re.search(r"[a-z]", c.text):
        return c
    m = re.search(re.escape(c.text), unicodedata.normalize("NFKC", question), re.I)
    return replace(c, text=m.group(0)) if m else c


def _dedupe(items: list[Constraint]) -> list[Constraint]:
    seen, out = set(), []
    for c in items:
        key = (c.kind, c.text, c.keys, c.pattern)
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


def _period_name(text: str) -> str:
    t = text.replace("3", "三").replace("1", "一").replace("2", "二").replace("4", "四")
    if t in _PERIODS:
        return t
    if t.endswith("季度") and not t.startswith(("第", "前")):
        return "第" + t
    return t if t in _PERIODS else ""


def _qualifiers(q: str) -> list[Constraint]:
    out = []
    for m in _LEVEL_ASKED.finditer(q):
        word = m.group(0)
        level = {"国家": "国家级", "省": "省级", "市": "市级"}.get(word, word)
        pattern = dict(_LEVELS)[level]
        if re.search(r"(?:以上|及以上)", q[m.end():m.end() + 3]):  # 市级以上: 省级 and 国家级 count too
            ranks = [n for n, _ in _LEVELS]
            pattern = "|".join(dict(_LEVELS)[n] for n in ranks[:ranks.index(level) + 1]) + rf"|{level[0]}级以上"
        out.append(Constraint("qualifier", word, group="level", pattern=pattern, keys=_next_word(q, m.end())))
    for name, pattern in _DEGREES:
        if re.search(name, q):
            out.append(Constraint("qualifier", name, group="degree", pattern=pattern))
    for m in _ROLE.finditer(q):
        role = m.group(0)
        if not any(role != r and role in r for r in _ROLE.findall(q)):
            out.append(Constraint("qualifier", role, group="role", pattern=re.escape(role)))
    if re.search(_CUMULATIVE, q):
        out.append(Constraint("qualifier", re.search(_CUMULATIVE, q).group(0), group="tally",
                              pattern=_CUMULATIVE + r"|总共|一共|共有|已有|已达|已突破"))
    elif re.search(_NEW, q):
        out.append(Constraint("qualifier", re.search(_NEW, q).group(0), group="tally", pattern=_NEW + r"|新"))
    out += _sector_words(q)
    for word, opposite in _OPPOSITES:
        if word in q and opposite not in q:
            out.append(Constraint("qualifier", word, keys=(opposite,), group="opposite"))
    return out


# a detail whose opposite a sentence may say instead (the question asks 最高; the sentence says 最低)
_OPPOSITES = [(a, b) for x, y in [("最高", "最低"), ("最大", "最小"), ("最早", "最晚"), ("最多", "最少"), ("最长", "最短"),
                                 ("最快", "最慢"), ("增加", "减少"), ("增长", "下降"),
                                 ("上升", "下降"), ("北部", "南部"), ("东部", "西部"), ("长子", "次子"),
                                 ("父亲", "母亲"), ("冬季", "夏季"), ("春季", "秋季"), ("首次", "最后一次")]
              for a, b in ((x, y), (y, x))]


def _next_word(q: str, at: int) -> tuple[str, ...]:
    """The content word right after position ``at`` (what a level qualifies: 省级|瞪羚企业): the
    characters before a head noun when one follows closely (瞪羚, which jieba cuts in two), else
    the next word."""
    rest = re.sub(r"^(?:以上|及以上|的)", "", q[at:at + 12])
    m = re.match(rf"([{CJK}]{{2,6}}?)(?:{'|'.join(_HEADS)})", rest)
    if m:
        return (m.group(1),)
    for w, t in _cut(rest):
        if len(w) >= 2 and re.fullmatch(rf"[{CJK}]+", w) and t not in ("m", "q", "uj", "ul", "v", "d", "p", "r"):
            return (w,)
        if t not in ("x", "uj"):
            break
    return ()


def _sector_words(q: str) -> list[Constraint]:
    """The word before a head noun (文化企业, 外资项目, 民营企业): the kind of thing counted."""
    out = []
    words = _cut(q)
    for i, (w, tag) in enumerate(words):
        head = next((h for h in _HEADS if w.endswith(h)), "")
        if not head:
            continue
        if len(w) > len(head):  # one word: 民营企业, 上市公司, 重点项目
            mod = w[: -len(head)]
        elif i and words[i - 1][0] in "”\"」』":  # a quoted name before the head: 专精特新“小巨人”企业
            j = max((k for k in range(i - 1) if words[k][0] in "“\"「『"), default=-1)
            mod = "".join(x for x, _ in words[j + 1:i - 1]) if j >= 0 else ""
        elif i and len(words[i - 1][0]) == 1 and re.fullmatch(rf"[{CJK}]", words[i - 1][0]):
            j = i - 1  # single characters jieba cut apart (瞪/羚): joined back
            while j > 0 and len(words[j - 1][0]) == 1 and re.fullmatch(rf"[{CJK}]", words[j - 1][0]) \
                    and words[j - 1][1] not in ("m", "q", "uj", "ul", "p", "x", "c", "r") and i - j < 3:
                j -= 1
            mod = "".join(x for x, _ in words[j:i])
        elif i and words[i - 1][1] not in ("m", "q", "r", "uj", "ul", "p", "v", "x", "c", "d", "f"):
            mod = words[i - 1][0]
        else:
            continue
        mod = re.sub(r"^(?:新|的)", "", mod)
        if "的" in mod or "、" in mod:
            continue  # 短、小的产品: a description, not a kind
        if len(mod) < 2 or mod in _NOT_QUALIFIERS or not re.search(rf"[{CJK}]", mod) or _ROLE.fullmatch(mod):
            continue
        if any(re.fullmatch(p, mod) for _, p in _LEVELS + _DEGREES) or mod in ("国家级", "省级", "市级", "区级"):
            continue
        if word_tags(q).get(mod, "") in _NAME_TAGS:
            continue  # a name before its company is a name, read as such
        out.append(Constraint("qualifier", mod + head, keys=(mod,), group=head))
    return out


@functools.lru_cache(maxsize=2048)
def _cut(q: str) -> tuple[tuple[str, str], ...]:
    from .terms import pos_tokenizer

    return tuple((p.word, p.flag) for p in pos_tokenizer().lcut(q))


def _names(q: str) -> list[Constraint]:
    """Names of the question: a word jieba tags as a name (or that its dictionary lacks), with
    the generic word after it (高新区, 生物, 有限公司) that makes a sibling recognisable."""
    raw = _cut(q)
    words = [(_clean_name(w, t), t) for w, t in raw]
    starts = [0]
    for w, _ in raw:
        starts.append(starts[-1] + len(w))
    out: list[Constraint] = []
    i = 0
    while i < len(words):
        w, tag = words[i]
        nxt = words[i + 1][0] if i + 1 < len(words) else ""
        if QUESTION_WORDS.fullmatch(w) or _ASKED_CATEGORY.search(q[:starts[i]]):
            i += 1  # 哪一条河川, 哪个塔楼: what is asked for, not a detail of the question
            continue
        name = (_is_name(w, tag) and (tag in _NAME_TAGS or tag == "eng" or bool(_SUFFIX.match(nxt)))
                or nxt in _PLACE_SUFFIX and tag.startswith("n") and len(w) >= 2 and w not in _NOT_NAMES
                and re.fullmatch(rf"[{CJK}]+", w) is not None)
        if not name:  # a word jieba's dictionary lacks is a name before 生物/公司/高新区 (盈康智能), not alone (贷为)
            i += 1
            continue
        # a name may run over several words: 山东/立华/生物, 青岛/西海岸/新区 -> each name word, the last suffix
        j = i + 1
        while j < len(words) and (_is_name(*words[j]) and (words[j][1] in _NAME_TAGS + ("eng",) or _suffixed(words, j))
                                  or words[j][1] == "s" and len(words[j][0]) >= 2 and _suffixed(words, j)):
            j += 1  # 山东/立华/生物; not 台湾/设省 (a word the dictionary lacks, not a name, after it)
        parts = [x for x, _ in words[i:j]]
        suffix = ""
        k = j
        while k < len(words) and _SUFFIX.fullmatch(words[k][0]) and len(suffix) < 12:
            suffix += words[k][0]
            k += 1
        if not suffix:  # the suffix glued to the name: 北京市, 青岛市
            m = _SUFFIX.search(parts[-1])
            if m and m.end() == len(parts[-1]) and m.start() >= 2:
                parts[-1], suffix = parts[-1][:m.start()], m.group(0)
        kind = _name_kind(tag, suffix)
        text = _trim_key("".join(x for x, _ in words[i:k]))
        for p in map(_trim_key, parts):
            if len(p) >= 2:
                out.append(Constraint(kind, text, keys=(p,), group=_group(suffix)))
        i = k
    return out


def _suffixed(words: list[tuple[str, str]], j: int) -> bool:
    return j + 1 < len(words) and _SUFFIX.fullmatch(words[j + 1][0]) is not None


# what is asked for comes right after 哪 (哪一条河川, 哪个塔楼, 哪所大学)
_ASKED_CATEGORY = re.compile(r"哪\s*一?\s*[个条座家位所种国只部本项支名间]?$")
# a preposition or locative jieba's guess glued to a name (于北魏, 新北市中, 下西罗马)
_KEY_HEAD, _KEY_TAIL = "于在对从向和与及下被把将", "中内里时"


def _trim_key(p: str) -> str:
    while len(p) > 2 and p[0] in _KEY_HEAD or len(p) == 2 and p[0] in "下在对从被把将":
        p = p[1:]  # 于 and 和 begin two-character names too (于谦, 和珅)
    while len(p) > 2 and p[-1] in _KEY_TAIL:  # not 台中, 河内
        p = p[:-1]
    return p


# what jieba's guesses glue to a name it does not know (征服了佩琴加 -> 了佩琴; 布里亚特人共)
_EDGE = "了的是在于和与及共也都把被对从向由为而并之其"
_TITLES = re.compile(r"(?:天皇|皇帝|皇后|国王|女王|王子|公主|总统|总理|首相|主席|教授|博士|先生|女士|将军|大帝|法师|大师)$")


def _clean_name(word: str, tag: str) -> str:
    """A word jieba's dictionary lacks, without the particles its guess glued to it and without a
    title (仁天皇 -> 仁): what a passage would write."""
    if word_frequency(word) or not re.fullmatch(rf"[{CJK}]+", word):
        return word
    word = word.strip(_EDGE)
    return _TITLES.sub("", word)


def _group(suffix: str) -> str:
    """The generic word a sibling shares (有限公司 -> 公司)."""
    for s in ("高新区", "公司", "集团", "大学", "生物", "医药", "智能", "科技", "银行", "医院", "协会"):
        if s in suffix:
            return s
    return suffix


_MEASURE_ACRONYMS = set("gdp gnp cpi ppi pmi gmv roe roa eps arpu pe pb".split())  # asked about, not names


def _is_name(word: str, tag: str) -> bool:
    if len(word) < 2 or word in _NOT_NAMES or word in _MEASURE_ACRONYMS or not re.search(rf"[{CJK}a-z]", word):
        return False
    if tag == "eng":
        return len(word) >= 2 and not word.isdigit()
    if not re.fullmatch(rf"[{CJK}]+", word):
        return False
    freq = word_frequency(word)
    if 0 < freq < 10 and tag not in ("nr", "nrt", "nrfg", "nt"):
        return False  # a dictionary's rare entry (环海, 十九世纪): as often a turn of phrase as a name
    if tag in _NAME_TAGS:
        return freq <= 5000 or tag in ("ns", "nt")
    return word_frequency(word) == 0 and tag not in ("m", "q", "v", "vn", "d", "a", "ad", "r", "p", "c", "u")


def _name_kind(tag: str, suffix: str) -> str:
    if suffix.endswith(_PLACE_SUFFIX) or (tag == "ns" and not suffix):
        return "place"
    if tag in ("nr", "nrfg", "nrt") and not suffix:
        return "person"
    return "org"


def _measures(q: str, names: list[Constraint], others: list[Constraint]) -> list[Constraint]:
    """What a number (or a thing) is asked of, where the question names it: GDP, 营收, 产值."""
    skip = {k for c in names + others for k in c.keys} | {c.text for c in names + others}
    found: list[tuple[str, str]] = []  # (measure, the measure word after 多少 that counts it, if so)
    counted = {m.start() + (1 if q[m.start()] == "几" else 2): m for m in _MEASURE_AFTER.finditer(q)}
    for m in _MEASURE_BEFORE.finditer(q):
        if m.end() not in counted:  # 共经历了几个皇帝: what is counted comes after 几个, not the verb before
            found.append((_noun_phrase(m.group(1), tail=True), ""))
    for m in counted.values():
        found.append((_noun_phrase(m.group(2), tail=False), m.group(1)))
    out = []
    for w, unit in found:
        if not w or w in skip or any(w in s or s in w for s in skip if len(s) >= 2) or w in _GENERIC_MEASURE:
            continue
        if any(w.endswith(h) for h in _HEADS) or _SUFFIX.fullmatch(w):
            continue  # 企业, 项目: what the sector word before them qualifies, read as a qualifier
        if w not in _MEASURE_VERBS and word_tags(q).get(w, "") == "v":
            continue  # 共经历了几个: a verb of the question, not what is measured
        out.append(Constraint("measure", w, keys=_SYNONYMS.get(w, (w,)), group=unit and f"count:{unit}"))
    return out


def _noun_phrase(span: str, tail: bool) -> str:
    """The run of nouns of ``span`` next to the question word: its last words before 是多少, its
    first after 多少个 (when nothing but the end of the question follows them); generic words
    (数量, 金额) left out."""
    words = list(_cut(span))
    if tail:
        words.reverse()
    nouns = []
    for w, t in words:
        if t.startswith("n") or t in ("vn", "eng", "j") or w in _MEASURE_VERBS:
            nouns.append(w)
        elif nouns or not tail:
            break
        else:
            return ""  # a verb or number right before 多少: no measure named there
        if len(nouns) == 2:
            break
    if not tail and len(nouns) == len(words) == 0:
        return ""
    if tail:
        nouns.reverse()
    nouns = [w for w in nouns if w not in _GENERIC_MEASURE]
    phrase = "".join(nouns)
    return phrase if len(phrase) >= 2 or phrase.isascii() and phrase else ""


# ============================================================================= checking
def years_in(text: str) -> set[int]:
    """The years ``text`` names (2023年, 2023-2025年, 2023/1/5, 二〇二三年)."""
    t = _plain(text)
    out = {int(y) for y in _YEAR.findall(t)}
    for m in _YEAR_RANGE.finditer(t):
        lo, hi = sorted((int(m.group(1)), int(m.group(2))))
        if hi - lo <= 50:
            out |= set(range(lo, hi + 1))
    return out


def _year_words(text: str) -> str:
    """How ``text`` names its years, for a caveat: 2023年以来, 2023年."""
    t = _plain(text)
    m = re.search(r"(?:19|20)\d{2}\s*年(?:以来|度|底|初|末)?", t)
    return m.group(0) if m else ""


def check(constraints: Constraints, ev: Evidence, kind: str = "other") -> list[Miss]:
    """The details of ``constraints`` that ``ev`` does not match (empty: it matches them all).

    ``kind`` is the kind of thing asked for: a date question's sentence may name another year
    (the answer), so only its context must hold the asked year.
    """
    misses = []
    for c in constraints:
        miss = _check_one(c, ev, kind)
        if miss is not None:
            misses.append(miss)
    return misses


_NAME_LEAD = 200  # characters before a sentence where the name it speaks of may stand (康立泰生物…；企业…)


def _check_one(c: Constraint, ev: Evidence, kind: str) -> Miss | None:
    n = ev.norm
    if c.kind == "year":
        return _check_year(c, ev, kind)
    if c.kind == "period":
        where = n["quote"] + n["sentence"] + n["before"][-300:] + n["headings"]
        if re.search(c.pattern, where):
            return None
        if c.group == "day" and ev.date and re.search(c.pattern, _date_words(ev.date)):
            return None
        other = _sibling_period(n["quote"] + n["sentence"], c)
        return Miss(c, other)
    if c.kind in ("place", "org", "person"):
        keys = [_plain(k) for k in c.keys]
        keys += [k[1:] for k in keys if len(k) > 2 and k[0] == "古"]  # 古希腊: 希腊
        if any(_named(k, n["sentence"]) for k in keys):
            return None
        lead = n["before"][-_NAME_LEAD:]
        at = max(lead.rfind(k) for k in keys)
        if at >= 0:  # named shortly before: unless another company of its kind came in between (该公司 is that one)
            other = _sibling_name(c, lead[at + 2:], last=True) if c.kind == "org" else ""
            return Miss(c, other) if other else None
        if any(_named(k, lead + " " + n["headings"] + " " + n["lead"][:120]) for k in keys):
            return None  # or the article's first lines (a news report names its subject once, at the top)
        if c.kind != "org" and any(_named(k, n["after"][:_NAME_LEAD]) for k in keys) \
                and not _sibling_name(c, n["sentence"]):
            return None  # a place or person of the passage, named just after (北亚…其中一个定义…东北亚)
        return Miss(c, _sibling_name(c, n["sentence"]) or _sibling_name(c, lead, last=True)
                    or _sibling_name(c, n["headings"]))
    if c.kind == "title":  # the title as written, near the quote: another title there is what the text holds
        key = _plain(c.keys[0])
        if key in n["sentence"] or key in n["before"][-_NAME_LEAD:] + n["headings"] + n["lead"][:120]:
            return None
        other = _TITLE.search(n["sentence"])
        return Miss(c, other.group(0) if other else "")
    if c.kind == "qualifier" and c.group == "opposite":  # only a sentence saying the opposite misses it
        where = n["quote"] + n["sentence"]
        if c.text in where:
            return None
        other = next((k for k in c.keys if k in where), "")
        return Miss(c, other) if other else None
    if c.kind == "qualifier":
        return _check_qualifier(c, n)
    if c.kind == "measure":
        where = n["quote"] + n["sentence"]
        if any(_plain(k) in where for k in c.keys) or _fuzzy_in(c.text, where):
            return None
        if c.group.startswith("count:"):  # 多少名专家: only a count of something else (20多名企业家) misses it
            unit = c.group[6:]
            m = re.search(rf"(?:\d+|[一二两三四五六七八九十百千]+)\s*(?:余|多)?\s*{unit}([{CJK}]{{2,6}})", n["quote"])
            return Miss(c, m.group(1)) if m else None
        return Miss(c, "")
    return None


# what a measure word may add to the noun it counts (人口数量: 人口; 广告语: 广告)
_MEASURE_TAIL = re.compile(r"(?<=..)(?:数量|总数|数目|数|语|词)$")


def _fuzzy_in(word: str, text: str) -> bool:
    """A two-word measure whose words both occur (研发投入: 研发…投入), a measure without the
    counting word it adds (人口数量: 人口), or without a name part the dictionary lacks (紫鱼体长: 体长)."""
    from .terms import jieba

    core = _MEASURE_TAIL.sub("", word)
    if core != word and core in text:
        return True
    parts = [w for w in jieba().lcut(word) if len(w) >= 2]
    if len(parts) == 2 and not word_frequency(parts[0]) and parts[1] in text:
        return True
    if len(parts) == 1 and re.search(r"(?:总值|总额|值|额)$", word):  # 出口总值: 出口额, 出口总额
        parts = [re.sub(r"(?:总值|总额|值|额)$", "", word), "额|值"]
    return len(parts) >= 2 and all(re.search(p, text) if "|" in p else p in text for p in parts)


def _date_words(iso: str) -> str:
    m = re.match(r"(\d{4})-(\d{2})(?:-(\d{2}))?", iso)
    if not m:
        return ""
    y, mo, d = m.group(1), int(m.group(2)), m.group(3)
    return f"{y}年{mo}月{int(d)}日" if d else f"{y}年{mo}月"


def _check_year(c: Constraint, ev: Evidence, kind: str) -> Miss | None:
    n = ev.norm
    if c.offset is not None:  # 去年: the word itself, or the year it means from the document's date
        if any(k in n["sentence"] + n["before"][-300:] for k in c.keys):
            return None
        doc_year = int(ev.date[:4]) if ev.date[:4].isdigit() else None
        if doc_year is None:
            return None
        wanted = {doc_year + c.offset}
        if c.offset == 0:
            wanted.add(doc_year - 1)  # a January bulletin's 今年 may still be last year's report
    else:
        wanted = set(c.years)
    sent = years_in(n["quote"] + n["sentence"]) if kind != "date" else set()
    if sent & wanted:
        return None
    if sent:
        return Miss(c, _year_words(n["quote"]) or _year_words(n["sentence"]))
    if c.offset is None and len(c.years) == 1 and not re.search(r"以来|累计|截至", c.text):
        tally = re.search(_CUMULATIVE, n["quote"])
        if tally and not re.search(_NEW, n["quote"]):  # one year's figure asked, a running total quoted (累计6家 is not 2023's)
            return Miss(c, tally.group(0))
    # the sentence names no year: the nearest sentence before it that does, the article's first
    # lines and its headings say which year it speaks of
    nearest = _nearest_year_sentence(n["before"])
    scope = years_in(nearest) | years_in(n["lead"] + " " + n["headings"])
    if kind == "date":
        scope |= years_in(n["sentence"] + n["quote"])
    if scope & wanted:
        return None
    if scope:
        return Miss(c, _year_words(nearest) or _year_words(n["lead"]) or _year_words(n["headings"])
                    or _year_words(n["sentence"]))
    doc_year = int(ev.date[:4]) if ev.date[:4].isdigit() else None
    if doc_year is None or doc_year in wanted or doc_year - 1 in wanted:
        return None  # nothing says which year: the passage may well be about the one asked
    return Miss(c, f"{doc_year}年")


_SENTENCE = re.compile(r"[^。！？；!?;\n]*(?:[。！？；!?;\n]|$)")


def _nearest_year_sentence(text: str) -> str:
    """The last sentence of ``text`` that names a year."""
    for sent in reversed(_SENTENCE.findall(text)):
        if years_in(sent):
            return sent
    return ""


def _sibling_period(text: str, c: Constraint) -> str:
    for name, pattern in _PERIODS.items():
        m = re.search(pattern, text)
        if m and name != c.text:
            return m.group(0)
    return _year_words(text)


_ALIASES = {"二战": "第二次世界大战", "一战": "第一次世界大战", "联合国": "联合国", "欧盟": "欧洲联盟"}


def _named(key: str, text: str) -> bool:
    """Does ``text`` name ``key``: as it is, by its usual long form (二战), as a long name written
    short (国家药监局), or a country by its first character in a list (英、德两国; 中、俄、蒙三国)?"""
    if key in text or (_ALIASES.get(key) or "\0") in text or _abbreviation_in(key, text):
        return True
    if 2 <= len(key) <= 4:  # a list of countries by one character each: 中、俄、蒙三国; 英、德两国
        for m in _COUNTRY_LIST.finditer(text):
            if key[0] in m.group(1).split("、"):
                return True
    return False


_COUNTRY_LIST = re.compile(rf"((?:[{CJK}]、)+[{CJK}])(?:两|三|四|五|六|七|八|等|等多|多)?国")


def _abbreviation_in(key: str, text: str) -> bool:
    """A long name written short (国家药监局 for 国家药品监督管理局): its characters in order
    within a span of at most 2.5 times its length. Names under 4 characters must match whole
    (康泰 is not 康立泰)."""
    if len(key) < 4 or not text:
        return False
    pattern = ".{0,4}?".join(map(re.escape, key))
    m = re.search(pattern, text)
    return bool(m) and len(m.group(0)) <= 2.5 * len(key)


def _sibling_name(c: Constraint, text: str, last: bool = False) -> str:
    """Another name with the same generic word (青岛高新区 for 济南高新区), if ``text`` holds one:
    the first, or with ``last`` the last."""
    if not c.group:
        return ""
    found = ""
    for m in re.finditer(re.escape(c.group), text):
        words = _cut(text[max(0, m.start() - 10):m.start()])
        name, tag = words[-1] if words else ("", "")
        if len(name) >= 2 and re.fullmatch(rf"[{CJK}]+", name) and not any(_plain(k) in name for k in c.keys) \
                and name not in _NOT_NAMES and name not in _plain(c.text) \
                and (_is_name(name, tag) or not word_frequency(name)):  # 青岛高新区, 立菲生物; not 年度智能
            found = name + c.group
            if not last:
                break
    return found


def _level_near(c: Constraint, text: str) -> Miss | None | bool:
    """A level read where the question's next word is (省级 before 瞪羚企业): a Miss with the
    level written there instead, None when it is the one asked, False when the text does not
    place a level before that word."""
    target = _plain(c.keys[0])
    seen_other = ""
    for m in re.finditer(re.escape(target), text):
        head = text[max(0, m.start() - 8):m.start()]
        if re.search(c.pattern, head):
            return None
        for name, pattern in _LEVELS:
            hits = list(re.finditer(rf"{name}|{pattern}", head))
            if hits and not seen_other:
                seen_other = hits[-1].group(0)
    return Miss(c, seen_other) if seen_other else False


def _check_qualifier(c: Constraint, n: dict[str, str]) -> Miss | None:
    quote, sentence = n["quote"], n["sentence"]
    if c.group == "level" and c.keys:
        for text in (quote, sentence):
            near = _level_near(c, text)
            if near is not False:
                return near
    pattern = c.pattern or "|".join(re.escape(_plain(k)) for k in c.keys)
    for text in (quote, sentence):
        if re.search(pattern, text):
            return None
        sib = _sibling_qualifier(c, text)
        if sib:
            return Miss(c, sib)
    if c.group == "tally":
        if c.text in _CUMULATIVE.split("|") and years_in(quote) and not re.search(r"以来|至今", quote):
            return Miss(c, _year_words(quote))  # the running total asked, one year's figure quoted
        return None  # neither 累计 nor 新增 said: a passage need not say it
    if c.group == "role":
        return Miss(c, "")
    if c.group == "level":
        return None if not _sibling_qualifier(c, n["before"][-200:]) else Miss(c, _sibling_qualifier(c, n["before"][-200:]))
    # a degree or the word before a head noun: said in the passage before the quote will do
    if re.search(pattern, n["before"][-200:] + n["headings"]):
        return None
    return Miss(c, "")


def _sibling_qualifier(c: Constraint, text: str) -> str:
    if c.group == "level":
        for name, pattern in _LEVELS:
            if name != c.text and not re.fullmatch(pattern, c.text) and re.search(rf"{name}|{pattern}", text):
                if c.text == "国家级" and name != "国家级" or c.text != "国家级":
                    m = re.search(rf"{name}|{pattern}", text)
                    return m.group(0)
        return ""
    if c.group == "degree":
        for name, pattern in _DEGREES:
            if name != c.text and re.search(pattern, text):
                return name
        return ""
    if c.group == "role":
        m = _ROLE.search(text)
        return m.group(0) if m and m.group(0) != c.text else ""
    if c.group == "tally":
        if c.text in ("累计", "总计", "合计", "共计", "累积", "迄今", "截至", "截止", "总数"):
            m = re.search(_NEW, text)
        else:
            m = re.search(_CUMULATIVE, text)
        return m.group(0) if m else ""
    # a head noun: the same noun qualified otherwise (科技企业 for 文化企业)
    head = c.group
    for m in re.finditer(rf"([{CJK}]{{2,6}}?){re.escape(head)}", text):
        mod = re.sub(r"^(?:为|向|对|家|个|的|了|和|与|及|等)+", "", m.group(1))
        mod = re.sub(r"^\d+(?:余|多)?(?:家|个|名|位|项)?", "", mod)
        if len(mod) >= 2 and not any(k in mod for k in c.keys):
            return mod + head
    return ""


@dataclass
class Outcome:
    """How an answer stands to the question's details: every detail matched (``ok``), or the
    misses, with what the evidence says instead."""

    misses: list[Miss] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.misses

    @property
    def answerable_with_caveat(self) -> bool:
        """Every miss has something the evidence says instead (a year, a sibling name, another
        level): the bulletins hold the neighbouring fact, which a caveat may give as such."""
        return bool(self.misses) and all(m.found for m in self.misses)
