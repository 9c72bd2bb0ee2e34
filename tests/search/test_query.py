"""A question is understood once per ``ask``: language, asked-for kind, segmentation, vector."""
import sys
from collections import Counter

import pytest

import rag.text.detect
import rag.text.terms

QUESTION = "2023年青岛高新区新引进了多少个高质量项目？"


@pytest.fixture
def calls(monkeypatch):
    """Count calls of the question-analysing functions, wherever a module imported them."""
    seen: Counter = Counter()

    def counting(name, func):
        def wrapper(*args, **kwargs):
            seen[(name, args[0] if args else None)] += 1
            return func(*args, **kwargs)
        return wrapper

    for name, owner in (("language", rag.text.detect), ("answer_type", rag.text.detect)):
        original = getattr(owner, name)
        wrapped = counting(name, original)
        for mod in list(sys.modules.values()):
            if (getattr(mod, "__name__", "") or "").startswith("rag") and getattr(mod, name, None) is original:
                monkeypatch.setattr(mod, name, wrapped)
    jieba = rag.text.terms.jieba()
    for name in ("lcut", "lcut_for_search"):
        monkeypatch.setattr(jieba, name, counting("segment", getattr(jieba, name)))
    return seen


def _vectors(monkeypatch, embedder):
    asked: list[str] = []
    original = embedder.embed_queries

    def embed_queries(texts):
        asked.extend(texts)
        return original(texts)
    monkeypatch.setattr(embedder, "embed_queries", embed_queries)
    return asked


@pytest.mark.slow
def test_question_is_analysed_once_per_ask(seed_assistant, calls, monkeypatch):
    vectors = _vectors(monkeypatch, seed_assistant.embedder)
    ans = seed_assistant.ask(QUESTION)
    assert not ans.refused and "311" in ans.text
    assert calls[("language", QUESTION)] == 1
    assert calls[("answer_type", QUESTION)] == 1
    assert sum(n for (name, _), n in calls.items() if name == "segment") == 1
    assert vectors == [QUESTION]


@pytest.mark.slow
def test_follow_up_is_analysed_once_after_rewriting(seed_assistant, calls, monkeypatch):
    history = [(QUESTION, "新引进高质量项目311个[1]。")]
    vectors = _vectors(monkeypatch, seed_assistant.embedder)
    ans = seed_assistant.ask("那总投资呢？", history)
    assert "350" in ans.text and ans.search_query != ans.question
    assert calls[("language", "那总投资呢？")] == 1
    assert calls[("language", ans.search_query)] == 1
    assert vectors == [ans.search_query]
    # the previous question and the rewritten one are each segmented once
    assert sum(n for (name, _), n in calls.items() if name == "segment") == 2


@pytest.mark.slow
def test_query_prints_what_was_understood(seed_assistant):
    q = seed_assistant.understand(QUESTION)
    assert q.kind == "number" and q.asked.units == ("个",) and q.lang == "zh"
    assert "高新区" in q.words and q.terms and q.tokens
    text = str(q)
    assert "asks for:  number, units 个" in text and "not yet embedded" in text
    assert q.vector is q.vector  # embedded once
