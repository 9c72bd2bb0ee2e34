"""The rules answerer's window and anchors: an open question's answer is next to its terms, and a
common word of the question said otherwise by the passage is no reason to refuse."""
from dataclasses import replace

from rag.answering.extractive import mentions, widen
from rag.text import word_tags


def test_mentions_whole_word_or_a_share_of_its_characters():
    assert mentions("已经隐居的康忠收家康的七男", "康忠")
    assert not mentions("已经隐居的康忠收家康的七男", "后康忠")  # the whole word, as before
    assert mentions("已经隐居的康忠收家康的七男", "后康忠", 0.5)  # the segmenter's 后康忠 is 康忠
    assert not mentions("青岛高新区的企业", "盈古", 0.5)
    assert mentions("abc", "") and mentions("abc", "", 0.5)  # nothing to find: found


def test_widen_takes_the_clause_after_then_before_within_the_limit():
    parts = ["甲甲，", "乙乙，", "丙丙，", "丁丁。"]
    assert widen(parts, 1, 2, 1, 100) == (0, 3)
    assert widen(parts, 1, 2, 0, 100) == (1, 2)
    assert widen(parts, 1, 2, 2, 100) == (0, 4)
    assert widen(parts, 1, 2, 1, 6) == (1, 3)  # only the next clause fits


def test_word_tags_name_proper_nouns():
    tags = word_tags("罗保铭本科毕业于哪所大学？")
    assert tags["罗保铭"].startswith("nr") and not tags["大学"].startswith(("nr", "ns", "nt", "nz"))


def test_open_question_window_takes_the_answer_after_its_terms(seed_assistant):
    from rag.answering import ExtractiveAnswerer

    loaded = seed_assistant._current()
    s = seed_assistant.settings.extractive
    sentence = ("6月26日上午，这架飞机正在起飞助跑过程中，一个轮胎突然爆胎并解体，残块飞溅进了起落架舱中，"
                "触发了起落架非安全状态的警告，提示飞行员中止起飞。")
    query = loaded.retriever.query("飞机在什么状况下提示飞行员中止起飞？")
    narrow = ExtractiveAnswerer(seed_assistant.embedder, loaded.index, replace(s, window_context=0, short_sentence_chars=30))
    wide = ExtractiveAnswerer(seed_assistant.embedder, loaded.index, replace(s, window_context=1, short_sentence_chars=30))
    assert "警告" not in narrow._best_window(sentence, query)
    assert "警告" in wide._best_window(sentence, query)


def test_names_are_anchors_and_common_words_are_not(seed_assistant):
    from rag.answering import ExtractiveAnswerer

    loaded = seed_assistant._current()
    s = seed_assistant.settings.extractive
    names_only = ExtractiveAnswerer(seed_assistant.embedder, loaded.index, s)
    any_word = ExtractiveAnswerer(seed_assistant.embedder, loaded.index, replace(s, anchor_pos=()))
    query = loaded.retriever.query("软控股份的董事长是谁？")
    assert "软控" in names_only.anchors(query)  # an abbreviation (j) of a company's name
    generic = [w for w in any_word.anchors(query) if w not in names_only.anchors(query)]
    assert all(not w.isascii() for w in generic)  # what is dropped are dictionary words only


def test_registered_capital_asks_for_money():
    from rag.text import asked_for, type_fit

    asked = asked_for("康立泰生物的注册资本是多少？")
    assert asked.kind == "number" and asked.money
    assert type_fit(asked, "注册资本5000万元") and not type_fit(asked, "获批一项国家一类新药临床试验批件")
