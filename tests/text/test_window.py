"""The answer window: the shortest run of clauses that keeps the subject and the asked-for item."""
from rag.text import asked_for, question_terms, question_words
from rag.text.overlap import longest_common_substring, numbers_of, question_core
from rag.text.window import announces_list, answer_window, starts_with_predicate


def window(question: str, sentence: str, **kw) -> str:
    terms = {t: 1.0 for t in question_terms(question_words(question))}
    return answer_window(sentence, asked_for(question), terms, short_chars=kw.pop("short_chars", 20), **kw)


def test_the_subject_before_the_verb_is_kept():
    s = ("在全区上下的共同努力下，青岛高新区坚持招商引资一号工程不动摇，2023年新引进高质量项目56个，"
         "总投资超过300亿元，其中世界500强项目3个。")
    w = window("2023年青岛高新区新引进了多少个高质量项目？", s)
    assert "青岛高新区" in w and "56个" in w
    assert "共同努力" not in w and "500强" not in w  # still a window, not the sentence


def test_a_clause_starting_with_a_verb_takes_its_subject_along():
    s = "华夏生物科技有限公司，位于青岛高新区蓝色生物医药产业园，主要从事海洋生物药物研发，2023年营业收入达到8.6亿元。"
    w = window("华夏生物科技有限公司2023年营业收入是多少？", s)
    assert w.startswith("华夏生物科技有限公司") and "8.6亿元" in w


def test_the_list_after_fen_wei_is_kept():
    s = "根据功能定位不同，青岛高新区的产业园区分为：生物医药园、智能制造园、海洋科技园三类，各园区配套专项政策。"
    w = window("青岛高新区的产业园区分为哪几类？", s)
    assert "生物医药园、智能制造园、海洋科技园" in w


def test_the_list_after_bao_kuo_is_kept_when_the_sentence_goes_on():
    s = "本次论坛的主要议题包括，海洋药物研发，蓝色粮仓建设，海洋装备制造，共有200余名专家参加。"
    w = window("本次论坛的主要议题包括什么？", s)
    assert "海洋药物研发" in w and "海洋装备制造" in w


def test_the_asked_for_number_is_kept():
    s = "青岛高新区持续优化营商环境，截至2023年底，区内高新技术企业达到482家，同比增长12%。"
    w = window("青岛高新区有多少家高新技术企业？", s)
    assert "482家" in w


def test_short_sentences_and_single_clauses_are_whole():
    assert window("多少？", "共56个项目。", short_chars=60) == "共56个项目。"
    long_one = "青岛高新区" * 20
    assert window("青岛高新区？", long_one) == long_one


def test_predicates_and_lists():
    assert starts_with_predicate("坚持招商引资一号工程不动摇，")
    assert not starts_with_predicate("青岛高新区，")
    assert not starts_with_predicate("2023年新引进项目56个")
    assert announces_list("产业园区分为：") and announces_list("主要议题包括，")
    assert not announces_list("总投资超过300亿元，")


def test_overlap_helpers():
    assert longest_common_substring("青岛高新区新引进", "2023年青岛高新区共引进") == 5
    assert longest_common_substring("", "abc") == 0
    assert numbers_of("增长1,234.5元，共56个") == {"1234.5", "56"}
    assert question_core("青岛高新区有多少家企业？") == "青岛高新区有家企业"


def test_clauses_are_not_cut_inside_brackets_or_numbers():
    from rag.text import clauses

    s = "生长于海拔200米至2,400米的地区，多生于山地林内。"
    assert clauses(s) == ["生长于海拔200米至2,400米的地区，", "多生于山地林内。"]
    s = "《赌城谍血》（\"Casino Royale\"，1954年，黑白电视电影），主角巴里·尼尔逊。"
    assert clauses(s)[0] == "《赌城谍血》（\"Casino Royale\"，1954年，黑白电视电影），"
    for text in (s, "（未闭合，后文，继续", "a，，b；c：d", "“引号，内”，外"):
        assert "".join(clauses(text)) == text  # the clauses join back into the text
    assert clauses("（未闭合，后文") == ["（未闭合，", "后文"]  # a bracket that never closes protects nothing
