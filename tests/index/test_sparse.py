"""BM25 as sparse vectors (what the Milvus store searches) scores as LexicalIndex does, and the
Milvus date expression means what rag.text.dates.in_range means."""
import itertools
from collections import Counter

import numpy as np
import pytest

from rag.config import SettingsError, load_settings
from rag.index import LexicalIndex
from rag.index.milvus.store import date_expression, milvus_uri
from rag.index.milvus.sparse import passage_weights, query_weights
from rag.text import tokenize, tokenize_query
from rag.text.dates import in_range

TEXTS = ["阿斯利康吸入气雾剂工厂项目总投资7亿元", "青岛高新区新增瞪羚企业11家，瞪羚企业总数达到86家",
         "天气晴朗", "青岛高新区举办首届海洋科技论坛，吸引200余名专家参加。", "项目 project AI 投资"]


def _sparse_scores(texts, query):
    docs = [tokenize(t) or [""] for t in texts]
    ids = {t: i + 1 for i, t in enumerate(sorted({t for d in docs for t in d}))}
    df = Counter(t for d in docs for t in set(d))
    avg = sum(len(d) for d in docs) / len(docs)
    q = query_weights(query, {t: (ids[t], df[t]) for t in ids}, len(docs))
    return np.array([sum(w * q.get(i, 0.0) for i, w in passage_weights(d, ids, avg).items()) for d in docs])


@pytest.mark.parametrize("question", ["阿斯利康项目投资多少？", "瞪羚企业有多少家", "海洋科技论坛 AI project", "晴朗的天气"])
def test_sparse_bm25_equals_the_lexical_index(question):
    tokens = tokenize_query(question)
    expected = LexicalIndex.build(TEXTS).scores(tokens)
    got = _sparse_scores(TEXTS, tokens)
    assert expected.max() > 0
    assert np.allclose(got, expected, rtol=1e-4, atol=1e-5)


def test_query_weights_leave_out_unknown_tokens():
    assert query_weights(["无人知晓"], {}, 10) == {}
    assert query_weights(["a", "a"], {"a": (3, 1)}, 10)[3] == pytest.approx(2 * np.log(1 + 9.5 / 1.5))


DATES = ["", "2023", "2023-07", "2023-07-24", "2023-07-31", "2023-08-01", "2024-01-05", "2022-12-31"]
BOUNDS = ["", "2023", "2023-07", "2023-07-24", "2023-08-01", "2024-01"]


def test_the_date_expression_means_in_range():
    """date_end = date + "~": the two comparisons Milvus runs agree with in_range everywhere."""
    for date, lo, hi in itertools.product(DATES, BOUNDS, BOUNDS):
        milvus = date != "" and (not lo or lo <= date + "~") and (not hi or date <= hi + "~")
        assert milvus == in_range(date, lo, hi), (date, lo, hi)
    assert date_expression("2023-07", "2023-07") == 'date != "" and date_end >= "2023-07" and date <= "2023-07~"'
    assert date_expression("", "2024") == 'date != "" and date <= "2024~"'


def test_store_settings(tmp_path):
    s = load_settings(env={"RAG_STORE": "milvus", "RAG_MILVUS_URI": "http://milvus.local:19530",
                           "RAG_MILVUS_COLLECTION": "news"}, index_dir=tmp_path / "idx")
    assert (s.store, s.milvus_uri, s.milvus_collection, s.milvus_token) == (
        "milvus", "http://milvus.local:19530", "news", None)
    assert milvus_uri(s) == "http://milvus.local:19530"
    assert milvus_uri(s.replace(milvus_uri="")) == str((tmp_path / "idx" / "milvus.db").absolute())
    with pytest.raises(SettingsError, match="ending in .db"):
        milvus_uri(s.replace(milvus_uri=str(tmp_path / "lite")))
    from rag.index import check_store

    with pytest.raises(SettingsError, match="'store' must be one of faiss, milvus"):
        check_store(s.replace(store="qdrant"))
