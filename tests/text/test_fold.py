"""Traditional and Simplified Chinese fold to one script for matching, and only for matching."""
from rag.text import asked_for, fold, normalize, question_words, tokenize, tokenize_query, type_fit

ZHS = "青岛高新区新引进高质量项目311个，总投资350亿元。"
ZHT = "青島高新區新引進高質量項目311個，總投資350億元。"


def test_fold_maps_traditional_to_simplified_and_leaves_the_rest():
    assert fold(ZHT) == ZHS
    assert fold(ZHS) == ZHS  # Simplified text passes unchanged
    assert fold("Qingdao hi-tech zone, 2024") == "Qingdao hi-tech zone, 2024"
    assert fold("") == "" and fold(None) == ""
    assert len(fold(ZHT)) == len(ZHT)


def test_tokens_and_question_words_are_the_same_in_both_scripts():
    for scheme in ("bigram", "jieba"):
        assert tokenize(ZHT, scheme) == tokenize(ZHS, scheme)
    assert tokenize_query("青島高新區新引進了多少個項目？") == tokenize_query("青岛高新区新引进了多少个项目？")
    assert question_words("華夏生物的總經理是誰？") == question_words("华夏生物的总经理是谁？")
    assert normalize("ＡＢＣ總投資") == "abc总投资"


def test_what_a_traditional_question_asks_for():
    a = asked_for("2023年新引進了多少個項目？")
    assert a.kind == "number" and a.units == ("个",)
    assert asked_for("華夏生物的總經理是誰？").kind == "person"
    assert asked_for("華夏生物的總經理是誰？").roles == ("总经理",)
    assert type_fit(asked_for("總投資多少錢？"), "總投資350億元") == 1.0
    assert type_fit(a, "新引進項目311個") == 1.0 and type_fit(a, "新引進項目若干") == 0.0
