"""Names of an English question found in Chinese text through pinyin."""
from rag.text.pinyin import names_found, pinyin_names, romanized


def test_names_of_an_english_question():
    assert pinyin_names("Who is the general manager of Huaxia Biotech?") == ["huaxia"]
    assert pinyin_names("What does the report say about this?") == []


def test_a_pinyin_name_is_found_in_chinese_text_and_only_there():
    names = pinyin_names("Who is the general manager of Huaxia Biotech?")
    assert names_found(names, "华夏生物总经理张美荣介绍") == 1.0
    assert names_found(names, "康立泰生物总经理王建刚表示") == 0.0
    assert names_found([], "华夏") == 0.0
    assert romanized("盈古智能 IPO") == "yingguzhineng ipo"


def test_only_words_that_read_as_pinyin_are_names():
    from rag.text.pinyin import is_pinyin

    assert all(is_pinyin(w) for w in ("Qingdao", "Huaxia", "Yinggu", "Shenzhen"))
    assert not any(is_pinyin(w) for w in ("Zone", "Biotech", "Intelligence", "Paris", "AstraZeneca"))
    assert pinyin_names("What is the stock ticker of Yinggu Intelligence in China?") == ["yinggu"]
