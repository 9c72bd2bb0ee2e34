"""Refusals end to end on the real model and the seed bulletin: input that is not a question,
questions the bulletin cannot answer, in Chinese and English, each refused in its own language;
questions it answers still answered, by the rules (the default) and by the learned selector."""
import pytest

from rag.answering import REFUSAL

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("question", ["🙂🙂", "DROP TABLE chunks; --", "给我写一篇关于秋天的散文", "zxcvbnm asdf"])
def test_input_that_is_not_a_question_is_refused_with_the_reason(seed_assistant, question):
    ans = seed_assistant.ask(question)
    assert ans.refused and not ans.citations
    assert ans.note  # says why


@pytest.mark.parametrize("question,lang", [
    ("埃菲尔铁塔有多高？", "zh"), ("月球上有多少座环形山？", "zh"), ("What is the population of Paris?", "en"),
    # the bulletin names these companies but not what is asked: a name the passage lacks (软控), an
    # amount of money (注册资本) or a date it does not hold
    ("软控股份的董事长是谁？", "zh"), ("康立泰生物的注册资本是多少？", "zh"), ("华夏生物是哪一年成立的？", "zh"),
    # an English question without a pinyin name: once judged by its meaning score alone, which these
    # cleared; now the passage must also hold a Chinese term its words translate to
    ("How tall is the Eiffel Tower?", "en"), ("How do I cook dumplings?", "en"),
])
def test_off_topic_questions_are_refused_in_their_language(seed_assistant, question, lang):
    ans = seed_assistant.ask(question)
    assert ans.refused and not ans.citations
    assert ans.text == REFUSAL[lang]


@pytest.mark.parametrize("selector", ["rules", "learned"])
@pytest.mark.parametrize("question,key", [("青岛高新区有多少家高新技术企业？", "482家"),
                                          ("华夏生物的总经理是谁？", "张美荣")])
def test_answerable_questions_are_answered_by_either_selector(seed_assistant, question, key, selector):
    from dataclasses import replace

    from rag.answering import ExtractiveAnswerer
    from rag.answering.base import AnswerStream

    loaded = seed_assistant._current()
    answerer = ExtractiveAnswerer(seed_assistant.embedder, loaded.index,
                                  replace(seed_assistant.settings.extractive, selector=selector))
    assert (answerer.model is not None) == (selector == "learned")
    query = loaded.retriever.query(question)
    stream = AnswerStream(answerer.stream(query, loaded.retriever.search(query)))
    stream.text()
    ans = stream.answer
    assert not ans.refused and key in ans.text and ans.citations
