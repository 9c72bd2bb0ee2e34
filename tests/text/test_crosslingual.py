"""English question words as Chinese terms (CC-CEDICT read backwards)."""
import pytest

import rag.text.crosslingual as X

TABLE = {"general manager": ("总经理",), "manager": ("经理", "管理者"), "enterprise": ("企业", "事业"),
         "high tech": ("高科技", "高新技术"), "qingdao": ("青岛",), "zone": ("地带", "区域")}


@pytest.fixture
def table(monkeypatch):
    monkeypatch.setattr(X, "reverse_dictionary", lambda: TABLE)


def test_glosses_read_a_cedict_definition():
    assert X._glosses("company; firm; enterprise; corporation/CL:家[jia1]/") == [
        "company", "firm", "enterprise", "corporation"]
    assert X._glosses("Qingdao, subprovincial city in Shandong/") == ["qingdao"]
    assert X._glosses("to recommend/to introduce (from outside)/") == ["recommend", "introduce"]
    assert X._glosses("variant of 歐|欧/surname Ou/") == []


def test_longest_phrase_first_and_only_known_words(table):
    q = "Who is the general manager of the high-tech enterprises in Qingdao zone?"
    assert X.chinese_terms(q) == ["总经理", "高科技", "高新技术", "企业", "事业", "青岛", "地带", "区域"]
    corpus = "青岛高新区高新技术企业的总经理"
    assert X.chinese_terms(q, lambda w: w in corpus) == ["总经理", "高新技术", "企业", "青岛"]
    assert X.chinese_terms(q, lambda w: w in corpus, per_phrase=1) == ["总经理", "高新技术", "企业", "青岛"]
    assert X.chinese_terms("What is it?") == []


def test_translated_tokens_keep_what_the_index_holds(table):
    from rag.index.local.bm25 import LexicalIndex

    lexical = LexicalIndex.build(["青岛高新区高新技术企业482家", "总经理张美荣"], "bigram")
    toks = X.translated_tokens("How many high-tech enterprises does Qingdao have?", lexical, "bigram")
    assert {"高新", "新技", "技术", "企业", "青岛"} <= set(toks)
    assert "高科" not in toks and all(len(t) > 1 for t in toks)


@pytest.mark.slow
def test_the_real_dictionary_translates_bulletin_words():
    X.reverse_dictionary.cache_clear()
    terms = X.chinese_terms("Who is the general manager of the company in Qingdao?")
    assert "总经理" in terms and "青岛" in terms and "公司" in terms
