"""The details a question pins down (rag.text.constraints): read once, checked against evidence."""
import pytest

from rag.text.constraints import Evidence, check, read_constraints, years_in


def kinds(question: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for c in read_constraints(question):
        out.setdefault(c.kind, set()).add(c.text)
    return out


@pytest.mark.parametrize("question, kind, text", [
    ("2022年青岛高新区新引进了多少个高质量项目？", "year", "2022年"),
    ("二〇二二年青岛高新区新引进了多少个项目？", "year", "2022年"),
    ("2021-2023年累计引进多少人才？", "year", "2021-2023年"),
    ("去年新增多少家企业？", "year", "去年"),
    ("上半年营收是多少？", "period", "上半年"),
    ("第一季度净利润增长了多少？", "period", "第一季度"),
    ("济南高新区新引进了多少个高质量项目？", "place", "济南高新区"),
    ("北京市生物医药产业协会聘任了多少位特聘专家？", "place", "北京市"),
    ("华源生物的总经理是谁？", "org", "华源生物"),
    ("盈康智能是高新区第几家上市公司？", "org", "盈康智能"),
    ("康立泰生物得到了多少国家财政扶持资金？", "qualifier", "国家"),
    ("青岛高新区新增国家级瞪羚企业多少家？", "qualifier", "国家级"),
    ("青岛高新区新增国家级瞪羚企业多少家？", "qualifier", "瞪羚企业"),
    ("高新贷为多少家文化企业授信？", "qualifier", "文化企业"),
    ("高新贷为多少家民营企业授信？", "qualifier", "民营企业"),
    ("青岛高新区累计引进博士人才多少人？", "qualifier", "博士"),
    ("青岛高新区累计引进博士人才多少人？", "qualifier", "累计"),
    ("华夏生物的董事长是谁？", "qualifier", "董事长"),
    ("2023年青岛高新区的GDP增长了多少？", "measure", "GDP"),
    ("青岛高新区2023年的财政收入是多少？", "measure", "财政收入"),
    ("青岛海盐博物馆的面积有多大？", "measure", "面积"),
    ("青岛高新区邀请了多少名专家担任营商环境观察员？", "measure", "专家"),
])
def test_reading_a_detail(question, kind, text):
    assert text.lower() in {x.lower() for x in kinds(question).get(kind, set())}, read_constraints(question)


def test_a_plain_question_pins_down_little():
    assert not read_constraints("从提交材料到贷款到账大概要多久？")
    assert str(read_constraints("")) == "-"
    # an English question: its years only (its names are checked in pinyin by the answerer)
    assert [c.text for c in read_constraints("How many projects did Qingdao attract in 2022?")] == ["2022"]
    # words jieba does not know are not names on their own (高新贷为 is a bad cut, not a company)
    assert not read_constraints("高新贷为多少家科技企业授信？").of("org", "place", "person")


def test_traditional_questions_read_alike():
    assert kinds("2022年濟南高新區新引進了多少個項目？")["place"] == {"济南高新区"}


def test_years_in_text():
    assert years_in("2023年以来，新引进项目311个") == {2023}
    assert years_in("2021-2023年") == {2021, 2022, 2023}
    assert years_in("二〇二四年一月") == {2024}
    assert years_in("新引进项目311个、总投资350亿元") == set()


def ev(quote, sentence=None, before="", headings="", date="", lead=""):
    return Evidence(quote, sentence or quote, before, headings, date, lead=lead)


def misses(question, evidence, kind="number"):
    return [(m.asked, m.found) for m in check(read_constraints(question), evidence, kind)]


def test_a_year_is_checked_on_the_sentence_then_its_article():
    q = "2022年青岛高新区新引进了多少个高质量项目？"
    s = "2023年以来，新引进高质量项目311个、总投资350亿元"
    assert misses(q, ev(s, headings="青岛高新区：动力激荡")) == [("2022年", "2023年以来")]
    assert misses(q.replace("2022", "2023"), ev(s, headings="青岛高新区：动力激荡")) == []
    # no year in the sentence: the nearest sentence before it that names one says which year
    plain = "新增省级瞪羚企业11家，累计34家"
    q2 = "2021年青岛高新区新增省级瞪羚企业多少家？"
    assert misses(q2, ev(plain, before="2023年，青岛高新区取得长足进步。全年入库企业884家。",
                         headings="青岛高新区")) == [("2021年", "2023年")]
    assert misses(q2.replace("2021", "2023"), ev(plain, before="2023年，青岛高新区取得长足进步。",
                                                  headings="青岛高新区")) == []
    # nothing says which year but the document's date: a January 2024 bulletin reports on 2023
    assert misses(q2.replace("2021", "2023"), ev(plain, headings="青岛高新区", date="2024-01")) == []
    assert misses(q2, ev(plain, headings="青岛高新区", date="2024-01")) == [("2021年", "2024年")]
    # nothing says anything: the passage may well be about the year asked
    assert misses(q2, ev(plain, headings="青岛高新区")) == []


def test_a_running_total_does_not_answer_one_year():
    q = "有几家企业获评2023年度国家级绿色工厂？"
    total = "截至目前，青岛高新区已累计培育6家国家级绿色工厂"
    assert misses(q, ev(total, lead="近日，工业和信息化部公布了2023年度绿色制造名单")) in ([("2023年度", "累计")],
                                                                                    [("2023年度", "截至")])
    assert misses("青岛高新区累计培育了几家国家级绿色工厂？", ev(total)) == []


def test_a_name_is_checked_with_the_sibling_it_is_confused_with():
    q = "济南高新区入库国家科技型中小企业多少家？"
    s = "全年入库国家科技型中小企业884家"
    assert misses(q, ev(s, headings="青岛高新区：动力激荡")) == [("济南高新区", "青岛高新区")]
    assert misses(q.replace("济南", "青岛"), ev(s, headings="青岛高新区：动力激荡")) == []
    # 康泰 is not 康立泰, 华源 is not 华夏
    assert misses("康泰生物获得了多少省财政扶持资金？",
                  ev("得到省财政扶持资金940余万元", before="康立泰生物与青岛大学合作。")) == [("康泰生物", "康立泰生物")]
    # a name said shortly before counts, unless another of its kind came in between (该公司)
    assert misses("康立泰生物的总投资是多少？", ev("总投资1亿元", before="康立泰生物获批临床试验。"), "number") == []
    assert misses("康立泰生物的董事长是谁？",
                  ev("该公司董事长黄宁表示", before="康立泰生物获批。山东立菲生物通过评估。"),
                  "person") == [("康立泰生物", "立菲生物")]
    # a long name written short is the same name
    assert misses("华夏生物的产品取得了国家药监局的几类医疗器械分类界定书？",
                  ev("产品已取得国家药品监督管理局Ⅲ类医疗器械分类界定书", before="华夏生物研发的产品")) == []


def test_levels_roles_and_sector_words():
    assert misses("康立泰生物得到了多少国家财政扶持资金？",
                  ev("得到省财政扶持资金940余万元", before="康立泰生物")) == [("国家", "省财政")]
    # the level is read where the thing it qualifies is (省级 before 瞪羚, not elsewhere in the list)
    assert misses("青岛高新区新增国家级瞪羚企业多少家？",
                  ev("新增省级瞪羚企业11家，累计34家", headings="青岛高新区")) == [("国家级", "省级")]
    assert misses("华夏生物的董事长是谁？", ev("华夏生物总经理张美荣介绍"), "person") == [("董事长", "总经理")]
    assert misses("高新贷为多少家文化企业授信？",
                  ev("“高新贷”为117家科技企业授信4.4亿元")) == [("文化企业", "科技企业")]
    assert misses("高新贷为多少家科技企业授信？", ev("“高新贷”为117家科技企业授信4.4亿元")) == []


def test_a_measure_must_be_in_the_quote():
    assert misses("2023年青岛高新区的GDP增长了多少？",
                  ev("户籍人口连续四年增长30%以上", before="2023年，", headings="青岛高新区")) == [("GDP", "")]
    assert misses("华夏生物2023年的营收是多少？", ev("华夏生物2023年营业收入3亿元")) == []


@pytest.mark.parametrize("question, expected", [
    # a preposition or locative glued to a name by the tokenizer's guess is not part of it
    ("哪一个事件于445-446年时于北魏发生?", {"person": {"北魏"}}),
    ("营造业在新北市中占了就业人口中的百分之多少？", {"place": {"新北"}}),
    # the noun after 哪 is what is asked for; a verb before 几个 is not the measure
    ("阿穆尔河指的是中国的哪一条河川?", {"place": {"阿穆尔河"}}),
    ("东罗马帝国共经历了几个皇帝?", {"place": {"罗马帝国"}, "measure": {"皇帝"}}),
    # a role written against a person's name is not a detail of its own; a quoted title is one
    ("《大公报》的总编辑张季鸾在何时去世?", {"title": {"《大公报》"}, "person": {"张季鸾"}}),
    ("《上市公司董事会秘书管理办法》将于哪一天起施行？", {"title": {"《上市公司董事会秘书管理办法》"}}),
    ("清朝在什么时候在台湾设省？", {"place": {"台湾"}}),
])
def test_what_is_not_a_detail(question, expected):
    assert kinds(question) == expected


def test_a_quoted_title_must_be_the_one_the_passage_names():
    q = read_constraints("《上市公司董事会秘书管理办法》将于哪一天起施行？")
    other = "中国证监会近日发布《上市公司独立董事管理办法》，自2023年9月4日起施行。"
    (miss,) = check(q, ev(other))
    assert miss.constraint.kind == "title" and miss.found == "《上市公司独立董事管理办法》"
    assert not check(q, ev("《上市公司董事会秘书管理办法》自2023年9月4日起施行。"))


def test_a_measure_without_its_counting_word_and_a_name_part():
    assert not check(read_constraints("2006年该地区的人口数量是多少？"), ev("2006年人口统计数据为1694人。"))
    assert check(read_constraints("2023年的GDP增长了多少？"), ev("2023年户籍人口连续四年增长30%。"))


def test_an_opposite_misses_only_where_the_sentence_says_it():
    q = read_constraints("哪个州的死刑执行数占总人口比率最低？")
    (miss,) = check(q, ev("阿拉巴马州是全国按人口比例死刑比例最高的州份。"))
    assert (miss.asked, miss.found) == ("最低", "最高")
    assert not check(q, ev("阿拉巴马州的死刑比例在全国排名靠前。"))  # neither: nothing to say
