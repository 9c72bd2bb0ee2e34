"""BM25 over passages, saved and loaded as arrays."""
import pytest

from rag.index import LexicalIndex
from rag.text import coverage, tokenize, tokenize_query


def test_bm25_ranks_and_roundtrips(tmp_path):
    texts = ["阿斯利康吸入气雾剂工厂项目总投资7亿元", "青岛高新区新增瞪羚企业11家", "天气晴朗"]
    idx = LexicalIndex.build(texts)
    s = idx.scores(tokenize_query("阿斯利康项目投资多少？"))
    assert s.argmax() == 0 and s[2] == 0
    idx.save(tmp_path / "lex")
    again = LexicalIndex.load(tmp_path / "lex")
    assert (again.scores(tokenize_query("阿斯利康项目投资多少？")) == s).all()
    weights = idx.idf(set(tokenize_query("瞪羚企业")))
    assert coverage(weights, set(tokenize(texts[1]))) == pytest.approx(1.0)
    assert coverage(weights, set(tokenize(texts[2]))) == 0.0
