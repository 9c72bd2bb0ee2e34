"""Tokenisers and question terms."""
from rag.text import tokenize, tokenize_query


def test_bigram_tokens_and_question_words():
    assert tokenize("高新技术企业482家") == ["高", "新", "技", "术", "企", "业", "高新", "新技", "技术", "术企",
                                        "企业", "482", "家"]
    assert "多少" not in tokenize_query("有多少家企业？") and "企业" in tokenize_query("有多少家企业？")
    assert tokenize("The AstraZeneca plant") == ["astrazeneca", "plant"]


def test_jieba_tokens():
    toks = tokenize("青岛高新区的高新技术企业", "jieba")
    assert "企业" in toks and "的" not in toks
