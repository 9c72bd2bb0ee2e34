"""The second stage: the cross-encoder reorders the fused shortlist (hybrid), an unusable model file
turns it off with a message (search goes on), and the per-document cap."""
import numpy as np
import pytest

from rag.search.diversity import cap_per_document
from rag.search.second_stage import SecondStage
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


class Scores:
    """A stand-in reranker that scores passages by a table (the real one is tested slow, below)."""

    def __init__(self, by_text: dict[str, float]):
        self.by_text = by_text
        self.calls = []

    def score(self, query, passages):
        self.calls.append(passages)
        return np.array([self.by_text.get(p, 0.0) for p in passages], np.float32)


def test_the_cross_encoder_reorders_the_top_depth_and_reports_its_scores(index):
    q = query_of(index, QUESTION)
    texts = [c.embed_text() for c in PASSAGES]
    reranker = Scores({texts[3]: 2.0, texts[1]: 1.0, texts[0]: -1.0})
    stage = SecondStage(reranker, depth=3)
    ranked = [(0, 0.9), (1, 0.8), (3, 0.7), (2, 0.6)]
    out, scores = stage.apply(q, index, "hybrid", ranked)
    assert [r for r, _ in out] == [3, 1, 0, 2]  # the top 3 reordered, the 4th after them
    assert out[0] == (3, 0.7)  # the fused score stays with its row
    assert scores == {3: 2.0, 1: 1.0, 0: -1.0}
    assert reranker.calls == [[texts[0], texts[1], texts[3]]]  # one batch, as embedded (header + text)
    # other modes are not reranked
    assert stage.apply(q, index, "lexical", ranked) == (ranked, {})


@pytest.mark.parametrize("content", [None, b"not a safetensors file"])
def test_an_unusable_model_file_turns_reranking_off_and_says_why(tmp_path, content, caplog):
    from rag.config import Settings

    path = tmp_path / "ce.safetensors"
    if content is not None:
        path.write_bytes(content)
    stage = SecondStage.from_settings(Settings(rerank=True, reranker_model=str(path), cache_dir=tmp_path))
    assert stage.model is None
    assert ("no cross-encoder weights" if content is None else "is damaged") in stage.problem
    assert "searching without the reranker" in stage.problem and "rerank = false" in stage.problem
    assert stage.problem in caplog.text
    assert SecondStage.from_settings(Settings(rerank=False)).model is None


def test_settings_reach_the_second_stage():
    from rag.config import Settings

    stage = SecondStage.from_settings(Settings().replace(rerank="false", max_per_doc="2", rerank_depth="30"))
    assert stage.model is None and stage.max_per_doc == 2 and stage.depth == 30 and not stage.problem
    assert stage.needs_pool("dense") and not stage.needs_pool("hybrid")


# ------------------------------------------------------------------ the per-document cap
def test_cap_per_document_moves_the_excess_after():
    ranked = [("a", 1), ("a", 2), ("a", 3), ("b", 4), ("a", 5), ("c", 6)]
    doc = lambda item: item[0]  # noqa: E731
    assert cap_per_document(ranked, doc, 1) == [("a", 1), ("b", 4), ("c", 6), ("a", 2), ("a", 3), ("a", 5)]
    assert cap_per_document(ranked, doc, 2)[:4] == [("a", 1), ("a", 2), ("b", 4), ("c", 6)]
    assert cap_per_document(ranked, doc, 0) == ranked
    assert cap_per_document([], doc, 2) == []


def test_the_cap_applies_in_search(index):
    q = query_of(index, QUESTION)
    ranked = [(0, 1.0), (3, 0.9), (1, 0.8)]  # rows 0 and 3 are both of d0
    assert [r for r, _ in SecondStage(None, 40, 1).apply(q, index, "lexical", ranked)[0]] == [0, 1, 3]
    assert [r for r, _ in SecondStage().apply(q, index, "lexical", ranked)[0]] == [0, 3, 1]
