"""The reranker's features, its model file and its place after fusion; the per-document cap."""
import json

import numpy as np
import pytest

from rag.search.features import (FEATURES, Candidate, longest_common_substring, ordered_words,
                                 shortlist_features)
from rag.search.rerank import (FORMAT, VERSION, RerankerError, RerankModel, load_reranker, rerank,
                               rerank_ranked)
from tests.search.fakes import FakeIndex, chunk, query_of

PASSAGES = [
    chunk(0, "2023年，青岛高新区新引进高质量项目56个，总投资超过300亿元。", title="青岛高新区年度回顾"),
    chunk(1, "青岛高新区举办了人才招聘会，来自全国的200家企业参加。", title="人才工作"),
    chunk(2, "天气晴朗，市民纷纷外出踏青。", kind="caption"),
    chunk(3, "据介绍，2022年高新区引进项目41个。", doc="d0", start=80),
]
QUESTION = "2023年青岛高新区新引进了多少个高质量项目？"


@pytest.fixture(scope="module")
def index():
    return FakeIndex(PASSAGES)


def _cands(n=4):
    return [Candidate(i, 0.8 - 0.01 * i, 5.0 - i, 1.0 - 0.1 * i, i + 1) for i in range(n)]


def _col(X, name):
    return X[:, FEATURES.index(name)]


def test_longest_common_substring_and_ordered_words():
    assert longest_common_substring("青岛高新区引进", "今年青岛高新区新引进项目") == 5
    assert longest_common_substring("", "abc") == 0
    assert longest_common_substring("xyz", "abc") == 0
    assert ordered_words(["青岛", "高新区", "项目"], "青岛高新区引进项目") == 3
    assert ordered_words(["项目", "青岛"], "青岛高新区引进项目") == 1  # out of the question's order
    assert ordered_words(["上海"], "青岛") == 0


def test_features_read_what_the_passage_holds(index):
    q = query_of(index, QUESTION)
    X = shortlist_features(q, index, _cands())
    assert X.shape == (4, len(FEATURES)) and np.isfinite(X).all()
    # the answering passage holds the question's number (2023), its words in order, a count of 个
    assert _col(X, "numbers_shared")[0] == 1.0 and _col(X, "numbers_shared")[3] == 0.0
    assert _col(X, "numbers_in_question")[0] == 1
    assert _col(X, "type_fit")[0] == 1.0 and _col(X, "type_fit")[2] == 0.0
    assert _col(X, "lcs_chars")[0] >= 5 > _col(X, "lcs_chars")[2]
    assert _col(X, "term_coverage")[0] > _col(X, "term_coverage")[1] > _col(X, "term_coverage")[2]
    assert _col(X, "word_coverage")[0] > _col(X, "word_coverage")[2] == 0.0
    assert _col(X, "ordered_words")[0] > _col(X, "ordered_words")[2]
    assert _col(X, "caption")[2] == 1.0 and _col(X, "caption")[0] == 0.0
    assert _col(X, "first_passage")[0] == 1.0 and _col(X, "first_passage")[3] == 0.0
    # two passages of d0 on the list
    assert _col(X, "doc_passages")[0] == 2 and _col(X, "doc_passages")[1] == 1
    assert list(_col(X, "fused_rank")) == [1, 2, 3, 4]
    assert _col(X, "dense_gap")[0] == 0.0 and _col(X, "dense_gap")[3] < 0


def test_features_fill_missing_scores(index):
    q = query_of(index, QUESTION)
    cands = [Candidate(0, None, 3.0, 0.9, 1), Candidate(1, 0.7, None, 0.5, 2)]
    X = shortlist_features(q, index, cands)
    assert np.isfinite(X).all()
    assert _col(X, "dense")[0] == pytest.approx(0.7)  # the shortlist's floor
    assert _col(X, "lexical")[1] == 0.0 and _col(X, "lexical_rank")[1] == 3  # after every listed one
    assert _col(X, "in_both").tolist() == [0.0, 0.0]


def test_title_in_question(index):
    q = query_of(index, "人才工作有哪些新举措？")
    X = shortlist_features(q, index, _cands(2))
    assert _col(X, "title_in_question").tolist() == [0.0, 1.0]
    assert shortlist_features(q, index, []).shape == (0, len(FEATURES))


# ------------------------------------------------------------------ the model
def _model(trees):
    return {"format": FORMAT, "version": VERSION, "features": list(FEATURES), "trees": trees}


def _split_on(name, threshold, low, high):
    """One tree: ``low`` when feature ``name`` <= threshold, else ``high``."""
    return {"feature": [FEATURES.index(name)], "threshold": [threshold], "left": [~0], "right": [~1],
            "leaf": [low, high]}


def test_model_scores_rows_by_its_trees():
    deep = {"feature": [FEATURES.index("type_fit"), FEATURES.index("lcs_chars")], "threshold": [0.5, 3.0],
            "left": [~0, ~1], "right": [1, ~2], "leaf": [-1.0, 0.5, 2.0]}
    m = RerankModel.from_dict(_model([_split_on("numbers_shared", 0.5, 0.0, 1.0), deep,
                                      {"feature": [], "threshold": [], "left": [], "right": [], "leaf": [0.25]}]))
    X = np.zeros((3, len(FEATURES)))
    X[0, FEATURES.index("numbers_shared")] = 1.0
    X[0, FEATURES.index("type_fit")] = 1.0
    X[0, FEATURES.index("lcs_chars")] = 5
    X[1, FEATURES.index("type_fit")] = 1.0
    X[1, FEATURES.index("lcs_chars")] = 3  # <= 3 goes left
    assert m.score(X).tolist() == [1.0 + 2.0 + 0.25, 0.5 + 0.25, -1.0 + 0.25]
    assert m.score(np.zeros((0, len(FEATURES)))).shape == (0,)


def test_rerank_puts_the_model_s_choice_first(index):
    q = query_of(index, QUESTION)
    m = RerankModel.from_dict(_model([_split_on("numbers_shared", 0.5, 0.0, 1.0)]))
    cands = [Candidate(1, 0.9, 9.0, 1.0, 1), Candidate(0, 0.8, 8.0, 0.9, 2), Candidate(2, 0.1, 1.0, 0.1, 3)]
    assert [r for r, _ in rerank(q, index, cands, m)] == [0, 1, 2]  # ties keep the first stage's order
    ranked = [(1, 1.0), (0, 0.9), (2, 0.1), (3, 0.05)]
    dense = {1: 0.9, 2: 0.1, 3: 0.0}
    out = rerank_ranked(q, index, ranked, dense, {1: 9.0, 0: 8.0}, m, depth=3)
    assert [r for r, _ in out] == [0, 1, 2, 3]  # past the depth: the first stage's order, scored lower
    assert out[3][1] < out[2][1]


def _write(tmp_path, data) -> str:
    p = tmp_path / "m.json"
    p.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(p)


@pytest.mark.parametrize("data, says", [
    ("{not json", "not valid JSON"),
    ({"format": "something else"}, "not a bulletin-rag reranker"),
    ({**_model([_split_on("dense", 0.5, 0, 1)]), "version": 99}, "format version 99"),
    ({**_model([_split_on("dense", 0.5, 0, 1)]), "features": ["dense"]}, "other features"),
    (_model([]), "no trees"),
    (_model([{"feature": [0], "threshold": [0.5], "left": [~0], "right": [~1]}]), "damaged"),
    (_model([{"feature": [0], "threshold": [0.5], "left": [5], "right": [~1], "leaf": [0, 1]}]), "damaged"),
    (_model([{"feature": [999], "threshold": [0.5], "left": [~0], "right": [~1], "leaf": [0, 1]}]), "damaged"),
])
def test_a_bad_model_file_says_what_to_do(tmp_path, data, says):
    with pytest.raises(RerankerError) as err:
        load_reranker(_write(tmp_path, data))
    assert says in str(err.value) and "rerank = false" in str(err.value)


def test_a_missing_model_file_says_how_to_make_one(tmp_path):
    with pytest.raises(RerankerError, match="rag train reranker"):
        load_reranker(tmp_path / "none.json")


def test_the_bundled_model_loads_and_fits_the_size_budget():
    from rag.search.rerank import BUNDLED

    assert BUNDLED.stat().st_size <= 5 * 1024 * 1024
    m = load_reranker()
    assert m.feature.shape[0] > 0 and m.score(np.zeros((2, len(FEATURES)))).shape == (2,)
