"""Scripted conversations: each follow-up form made standalone by rule (no model), then answered
over the real bulletin with the real model (slow)."""
import pytest

from rag.answering.conversation import condense, rewrite_follow_up, standalone_questions

# (the conversation's user turns, what the last one must be read as)
CONVERSATIONS = [
    # another time, relative to the previous turn
    (["2023年青岛高新区新引进了多少个高质量项目？", "那去年呢？"], "2022年青岛高新区新引进了多少个高质量项目？"),
    (["2023年青岛高新区新引进了多少个高质量项目？", "那2021年呢？", "前年呢？"],
     "2019年青岛高新区新引进了多少个高质量项目？"),
    (["2023年以来青岛高新区新引进了多少个高质量项目？", "明年呢"], "2024年青岛高新区新引进了多少个高质量项目？"),
    (["2023年中国移动的营收是多少？", "那上半年呢？"], "2023年上半年中国移动的营收是多少？"),
    # a newly named entity replaces the carried one
    (["2023年青岛高新区新引进了多少个高质量项目？", "那烟台高新区呢？"], "2023年烟台高新区新引进了多少个高质量项目？"),
    (["华夏生物的总经理是谁？", "那康立泰生物呢？"], "康立泰生物的总经理是谁？"),
    # another qualifier
    (["有几家企业获评2023年度国家级绿色工厂？", "那累计呢？"], "累计有几家企业获评国家级绿色工厂？"),
    (["青岛高新区新增省级瞪羚企业多少家？", "那国家级呢？"], "青岛高新区新增国家级瞪羚企业多少家？"),
    (["华夏生物的总经理是谁？", "那董事长呢？"], "华夏生物的董事长是谁？"),
    (["高新贷为多少家科技企业授信？", "那文化企业呢？"], "高新贷为多少家文化企业授信？"),
    # a pronoun for the previous subject
    (["康立泰生物获得了什么新药临床试验批件？", "它的这款药目前处于哪个临床阶段？"],
     "康立泰生物的这款药目前处于哪个临床阶段？"),
    (["山东立菲生物产业有限公司获得了多少火炬创新积分贷？", "该公司的董事长是谁？"],
     "山东立菲生物产业有限公司的董事长是谁？"),
    # the list behind a count
    (["有几家企业获评2023年度国家级绿色工厂？", "是哪几家？"], "有哪几家企业获评2023年度国家级绿色工厂？"),
    (["青岛高新区有几家企业包揽了揭榜挂帅项目？", "分别是哪些？"], "青岛高新区有哪几家企业包揽了揭榜挂帅项目？"),
    # English
    (["How many projects did Qingdao attract in 2023?", "What about 2022?"],
     "How many projects did Qingdao attract in 2022?"),
]


@pytest.mark.parametrize("turns, expected", CONVERSATIONS, ids=[c[0][-1] for c in CONVERSATIONS])
def test_a_follow_up_is_read_as_a_new_question(turns, expected):
    history = []
    for q in turns[:-1]:
        history += [("user", q), ("assistant", "…")]
    lang = "en" if turns[-1].isascii() else "zh"
    text, kind, how = condense(turns[-1], lang, "other", history)
    assert (text, how) == (expected, "rule")


def test_each_turn_is_read_against_the_previous_one_made_standalone():
    hist = [("user", "2023年青岛高新区新引进了多少个高质量项目？"), ("assistant", "311个"),
            ("user", "那烟台高新区呢？"), ("assistant", "…")]
    assert standalone_questions(hist)[-1] == "2023年烟台高新区新引进了多少个高质量项目？"
    assert rewrite_follow_up("那去年呢？", "2023年烟台高新区新引进了多少个高质量项目？") == \
        "2022年烟台高新区新引进了多少个高质量项目？"


def test_the_list_behind_a_count_asks_for_names():
    hist = [("user", "有几家企业获评2023年度国家级绿色工厂？"), ("assistant", "两家")]
    text, kind, _ = condense("是哪几家？", "zh", "other", hist)
    assert kind == "org" and "哪几家" in text


def test_a_standalone_question_is_left_alone():
    hist = [("user", "2023年青岛高新区新引进了多少个高质量项目？"), ("assistant", "311个")]
    q = "青岛高新区设立了多少个营商环境监测点？"
    assert condense(q, "zh", "number", hist) == (q, "number", "none")


# ---------------------------------------------------------------- answered on the real bulletin
def ask_all(bot, turns):
    history, answers = [], []
    for q in turns:
        a = bot.ask(q, history)
        answers.append(a)
        history += [("user", q), ("assistant", a.text)]
    return answers


@pytest.mark.slow
def test_last_year_is_a_new_question_with_a_caveat(seed_assistant):
    first, second = ask_all(seed_assistant, ["2023年青岛高新区新引进了多少个高质量项目？", "那去年呢？"])
    assert first.outcome == "answer" and "311" in first.text
    assert second.search_query.startswith("2022年") and second.outcome in ("caveat", "refusal")
    assert second.text != first.text
    if second.caveat:
        assert "2022" in second.caveat


@pytest.mark.slow
def test_another_zone_is_not_answered_with_qingdao(seed_assistant):
    _, second = ask_all(seed_assistant, ["2023年青岛高新区新引进了多少个高质量项目？", "那烟台高新区呢？"])
    assert second.outcome in ("caveat", "refusal") and "烟台" in second.text


@pytest.mark.slow
def test_which_ones_lists_the_two_factories(seed_assistant):
    first, second = ask_all(seed_assistant, ["有几家企业获评2023年度国家级绿色工厂？", "是哪几家？"])
    assert "两家" in first.text and "6家" not in first.text  # the 2023 figure, not the running total
    assert "海克斯康" in second.text and "华芯晶电" in second.text


@pytest.mark.slow
def test_the_running_total_follows_the_years_figure(seed_assistant):
    _, second = ask_all(seed_assistant, ["有几家企业获评2023年度国家级绿色工厂？", "那累计呢？"])
    assert second.outcome == "answer" and "6家" in second.text


@pytest.mark.slow
def test_another_role_of_the_same_company(seed_assistant):
    first, second = ask_all(seed_assistant, ["华夏生物的总经理是谁？", "那董事长呢？"])
    assert "张美荣" in first.text
    assert second.outcome in ("caveat", "refusal") and "黄宁" not in second.text  # 黄宁 chairs 立菲, not 华夏
