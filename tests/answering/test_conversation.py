"""Follow-ups: history shapes, detection, the rule that makes them standalone (no model)."""
from rag.answering.conversation import condense, is_follow_up, normalize_history


def test_normalize_history_shapes():
    msgs = [{"role": "user", "content": "问题一"}, {"role": "assistant", "content": "回答一"}]
    assert normalize_history(msgs) == [("user", "问题一"), ("assistant", "回答一")]
    assert normalize_history([("问题一", "回答一")]) == [("user", "问题一"), ("assistant", "回答一")]
    assert normalize_history([("user", "q"), ("assistant", "a")]) == [("user", "q"), ("assistant", "a")]
    assert normalize_history(None) == []


def test_follow_up_detection():
    assert is_follow_up("那2022年呢？", "zh") and is_follow_up("它的总投资是多少？", "zh")
    assert is_follow_up("What about 2022?", "en")
    assert not is_follow_up("2023年青岛高新区新引进了多少个高质量项目？", "zh")
    assert not is_follow_up("How many high-quality projects did Qingdao High-tech Zone attract in 2023?", "en")


def test_condense_by_rule_borrows_the_previous_question():
    hist = [("user", "2023年青岛高新区新引进了多少个高质量项目？"), ("assistant", "311个[1]。")]
    q, kind, how = condense("那总投资呢？", "zh", "other", hist)
    assert "高新区" in q and "总投资" in q and kind == "number" and how == "rule"  # kind inherited
    standalone = "青岛高新区设立了多少个营商环境监测点？"
    assert condense(standalone, "zh", "number", hist) == (standalone, "number", "none")
    assert condense("那总投资呢？", "zh", "other", []) == ("那总投资呢？", "other", "none")
