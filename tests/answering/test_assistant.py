"""Answers end to end on the real model and the seed bulletin: the extractive answerer, the
LLM code path against a scripted OpenAI-compatible server on loopback, fallbacks, follow-ups,
streaming, the LangChain retriever and `rag ask`."""
import json
import re
import subprocess
import sys
import time

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_openai import ChatOpenAI

from rag.answering import Assistant
from rag.evals.questions import load_questions

from ..conftest import ROOT
from ..openai_stub import Reply, StubServer

pytestmark = pytest.mark.slow

Q_PROJECTS = "2023年青岛高新区新引进了多少个高质量项目？"
GOOD = "2023年以来，青岛高新区新引进高质量项目311个[{n}]，总投资350亿元[{n}]。"


@pytest.fixture
def stub():
    server = StubServer().start()
    yield server
    server.stop()


def _llm_bot(seed_assistant, llm, timeout=5.0):
    """An LLM-answering Assistant sharing the seed index and model."""
    return Assistant(seed_assistant.settings.replace(answerer="llm", llm_timeout=timeout),
                     seed_assistant.embedder, llm, index=seed_assistant.index)


def _openai(stub, timeout=5.0):
    return ChatOpenAI(base_url=stub.base_url, model="stub", api_key="k", timeout=timeout, max_retries=0)


def _passage_number(body: dict, needle: str) -> int:
    """Which numbered passage of the prompt holds ``needle``."""
    prompt = body["messages"][-1]["content"]
    for block in re.split(r"\n\n(?=\[\d+\] )", prompt):
        m = re.search(r"\[(\d+)\] ", block)
        if m and needle in block:
            return int(m.group(1))
    raise AssertionError(f"{needle} not in the prompt")


# ------------------------------------------------------------ extractive answerer
def test_extractive_answer_cites_the_passage(seed_assistant):
    ans = seed_assistant.ask(Q_PROJECTS)
    assert not ans.refused and "311" in ans.text and "[1]" in ans.text
    assert ans.citations[0].n == 1 and "311" in ans.citations[0].quote
    assert ans.passages and ans.backend == "extractive"


def test_extractive_meets_the_dev_set_bar(seed_assistant):
    """eval/datasets/bulletin_dev.jsonl: >= 80% contain every answer key, citing the evidence; all
    unanswerable questions refused."""
    qs = load_questions(ROOT / "eval" / "datasets" / "bulletin_dev.jsonl")
    good = total = 0
    for q in qs:
        ans = seed_assistant.ask(q.question)
        if not q.answerable:
            assert ans.refused, q.question
            continue
        total += 1
        keys = q.answer_keys or [q.answer]
        text = "".join(ans.text.split())
        cited = "".join(c.quote for c in ans.citations) + "".join(
            h.chunk.text for h in ans.passages if any(h.chunk.chunk_id == c.chunk_id for c in ans.citations))
        if all("".join(k.split()) in text for k in keys) and any("".join(e.split()) in "".join(cited.split())
                                                                 for e in q.evidence):
            good += 1
    assert good / total >= 0.8, f"{good}/{total}"


def test_unanswerable_questions_are_refused(seed_assistant):
    for q in ["青岛高新区管委会主任是谁？", "2023年青岛高新区的GDP是多少？", "阿斯利康青岛工厂有多少名员工？"]:
        ans = seed_assistant.ask(q)
        assert ans.refused and "没有找到" in ans.text and not ans.citations, (q, ans.text)
    # across languages refusals are weaker (eval/README.md); one that holds
    ans = seed_assistant.ask("How many employees does the AstraZeneca factory in Qingdao have?")
    assert ans.refused and "do not contain" in ans.text


def test_cross_lingual_question_cites_the_chinese_passage(seed_assistant):
    ans = seed_assistant.ask("How many business environment monitoring points were set up?")
    assert not ans.refused and "68" in ans.text and ans.lang == "en" and ans.text.startswith("According to")
    assert "营商环境监测点" in ans.citations[0].quote


def test_stream_yields_pieces_then_the_answer(seed_assistant):
    st = seed_assistant.stream(Q_PROJECTS)
    pieces = list(st)
    assert len(pieces) > 1 and "".join(pieces) == st.answer.text


def test_follow_up_uses_the_conversation(seed_assistant):
    history = [{"role": "user", "content": Q_PROJECTS}, {"role": "assistant", "content": "311个[1]。"}]
    ans = seed_assistant.ask("那总投资是多少？", history=history)
    assert "350" in ans.text and "高新区" in ans.search_query
    alone = seed_assistant.ask("那总投资是多少？")
    assert "高新区" not in alone.search_query


def test_retrieval_options_and_filters(seed_assistant):
    from rag.search import Filters

    assert seed_assistant.ask(Q_PROJECTS, filters=Filters(doc_ids=("no-such-doc",))).refused
    assert len(seed_assistant.ask(Q_PROJECTS, k=2, mode="lexical").passages) == 2


# ------------------------------------------------------------ the LLM path, over HTTP
def test_llm_answer_with_verified_citations(seed_assistant, stub):
    stub.script = lambda body: Reply(GOOD.format(n=_passage_number(body, "311")) + "另外还有一些我编造的内容[9]。")
    ans = _llm_bot(seed_assistant, _openai(stub)).ask(Q_PROJECTS)
    assert ans.backend == "llm" and not ans.refused
    assert "311" in ans.text and "[1]" in ans.text and "[9]" not in ans.text
    assert ans.unsupported and "未在资料中找到依据" in ans.text  # the made-up sentence is flagged
    assert len(ans.citations) == 1 and "311" in ans.citations[0].quote
    prompt = stub.requests[0]["messages"]
    assert "只根据下面编号的资料回答" in prompt[0]["content"] and "[1]" in prompt[1]["content"]


def test_llm_wrong_marker_is_moved_to_the_supporting_passage(seed_assistant, stub):
    def script(body):
        right = _passage_number(body, "311")
        wrong = 1 if right != 1 else 2
        return Reply(f"青岛高新区新引进高质量项目311个[{wrong}]。")
    stub.script = script
    ans = _llm_bot(seed_assistant, _openai(stub)).ask(Q_PROJECTS)
    assert ans.text == "青岛高新区新引进高质量项目311个[1]。" and not ans.unsupported
    assert "311" in ans.citations[0].quote


def test_llm_streaming_over_sse(seed_assistant, stub):
    stub.script = lambda body: Reply(GOOD.format(n=_passage_number(body, "311")) + "这些项目覆盖多个产业[1]。",
                                     pieces=12)
    st = _llm_bot(seed_assistant, _openai(stub)).stream(Q_PROJECTS)
    pieces = list(st)
    assert stub.requests[-1]["stream"] is True
    assert "".join(pieces) == st.answer.text and "311" in st.answer.text and st.answer.backend == "llm"
    assert all("[9]" not in p for p in pieces)


def test_llm_says_no_answer_is_a_refusal(seed_assistant, stub):
    stub.script = lambda body: Reply("资料中没有找到答案。")
    ans = _llm_bot(seed_assistant, _openai(stub)).ask("青岛高新区2023年引进了哪些项目，投资多少？")
    assert ans.refused and ans.backend == "llm"


@pytest.mark.parametrize("reply, reason", [
    (Reply(kind="malformed"), "failed"),
    (Reply(kind="error"), "failed"),
    (Reply("今天天气很好，适合出游。"), "not supported"),
    (Reply(""), "empty"),
])
def test_llm_garbage_falls_back_to_extractive(seed_assistant, stub, reply, reason):
    stub.script = lambda body: reply
    for ask in ("ask", "stream"):
        bot = _llm_bot(seed_assistant, _openai(stub))
        ans = bot.ask(Q_PROJECTS) if ask == "ask" else (lambda s: (s.text(), s.answer)[1])(bot.stream(Q_PROJECTS))
        assert ans.backend == "extractive" and "311" in ans.text, (ask, ans)
        assert reason in ans.note and "extractive answer shown" in ans.note


def test_llm_slow_endpoint_times_out_and_falls_back(seed_assistant, stub):
    stub.script = lambda body: Reply(GOOD.format(n=1), delay=30)
    bot = _llm_bot(seed_assistant, _openai(stub, timeout=1.0), timeout=1.0)
    t0 = time.monotonic()
    ans = bot.ask(Q_PROJECTS)
    assert time.monotonic() - t0 < 20  # the 30 s reply was not waited for (margin for a busy machine)
    assert ans.backend == "extractive" and "in time" in ans.note and "311" in ans.text


def test_llm_endpoint_down_falls_back(seed_assistant):
    down = StubServer().start()
    url = down.base_url
    down.stop()  # nothing listens there now
    llm = ChatOpenAI(base_url=url, model="stub", api_key="k", timeout=2, max_retries=0)
    for ans in (_llm_bot(seed_assistant, llm).ask(Q_PROJECTS),
                (lambda s: (s.text(), s.answer)[1])(_llm_bot(seed_assistant, llm).stream(Q_PROJECTS))):
        assert ans.backend == "extractive" and "cannot be reached" in ans.note and "311" in ans.text


def test_llm_condenses_the_follow_up(seed_assistant, stub):
    def script(body):
        if "独立问题" in body["messages"][-1]["content"]:
            return Reply("2023年青岛高新区新引进高质量项目的总投资是多少？")
        return Reply(f"总投资350亿元[{_passage_number(body, '350')}]。")
    stub.script = script
    history = [("2023年青岛高新区新引进了多少个高质量项目？", "311个[1]。")]
    ans = _llm_bot(seed_assistant, _openai(stub)).ask("那它们的总投资呢？", history=history)
    assert ans.search_query == "2023年青岛高新区新引进高质量项目的总投资是多少？"
    assert "350" in ans.text and ans.citations and ans.backend == "llm"
    assert "那它们的总投资呢" in stub.requests[0]["messages"][-1]["content"]  # the condense call saw it


def test_any_langchain_chat_model_can_be_passed(seed_assistant):
    llm = FakeListChatModel(responses=["青岛高新区新引进高质量项目311个[1]。"] * 2)
    ans = _llm_bot(seed_assistant, llm).ask(Q_PROJECTS)
    assert ans.backend == "llm" and "311" in ans.text and ans.citations


def test_english_prompt_for_english_question(seed_assistant, stub):
    stub.script = lambda body: Reply(
        f"The zone set up 68 business environment monitoring points [{_passage_number(body, '监测点')}].")
    ans = _llm_bot(seed_assistant, _openai(stub)).ask("How many business environment monitoring points were set up?")
    assert "Answer only from the numbered passages" in stub.requests[0]["messages"][0]["content"]
    assert ans.backend == "llm" and "68" in ans.text and "[1]" in ans.text, ans
    assert "监测点" in ans.citations[0].quote  # supported by meaning and the number, across languages


# ------------------------------------------------------------ interop and CLI
def test_langchain_retriever(seed_assistant):
    docs = seed_assistant.as_retriever(k=3).invoke(Q_PROJECTS)
    assert len(docs) == 3 and any("311" in d.page_content for d in docs)
    assert {"doc_id", "chunk_id", "title", "section", "score"} <= set(docs[0].metadata)


def test_rag_ask_cli(seed_settings, seed_assistant):
    env = {"RAG_INDEX_DIR": str(seed_settings.index_dir), "RAG_CACHE_DIR": str(seed_settings.cache_dir),
           "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-m", "rag", "ask", Q_PROJECTS, "--json"], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert "311" in data["text"] and data["citations"][0]["n"] == 1 and data["refused"] is False
    out = subprocess.run([sys.executable, "-m", "rag", "ask", Q_PROJECTS], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and "311" in out.stdout and "[1]" in out.stdout


# ------------------------------------------------------------ the LLM and the question's details (issue 20)
def test_an_llm_answer_with_another_year_gets_a_caveat(seed_assistant, stub):
    stub.script = lambda body: Reply(GOOD.format(n=_passage_number(body, "311")))
    ans = _llm_bot(seed_assistant, _openai(stub)).ask("2022年青岛高新区新引进了多少个高质量项目？")
    assert ans.backend == "llm" and ans.outcome == "caveat" and "2022" in ans.caveat
    assert ans.text.startswith(ans.caveat) and "311" in ans.text


def test_an_llm_answer_that_says_the_year_is_missing_stands(seed_assistant, stub):
    reply = "简报中没有2022年的数据；2023年以来新引进高质量项目311个[{n}]。"
    stub.script = lambda body: Reply(reply.format(n=_passage_number(body, "311")))
    ans = _llm_bot(seed_assistant, _openai(stub)).ask("2022年青岛高新区新引进了多少个高质量项目？")
    assert ans.backend == "llm" and ans.outcome == "answer" and ans.text.startswith("简报中没有2022年")


def test_an_llm_answer_about_a_measure_no_passage_holds_falls_back(seed_assistant, stub):
    stub.script = lambda body: Reply("户籍人口连续四年增长30%以上[{n}]。".format(n=_passage_number(body, "户籍人口")))
    ans = _llm_bot(seed_assistant, _openai(stub)).ask("2023年青岛高新区的GDP增长了多少？")
    assert ans.backend == "extractive" and ans.refused and "GDP" in ans.text
