"""Feedback on answers, and the question set it becomes (the eval format, read back by the
question-set reader that `rag eval` uses)."""
import json

from rag.evals.questions import read_question_set
from rag.workspace import FeedbackStore, History, feedback_questions

CITED = {"n": 1, "chunk_id": "corpus/a.txt#3", "doc_id": "corpus/a.txt", "quote": "新引进高质量项目311个。"}


def kept(h: History, conv, turn_id: str, question: str, answer: dict):
    return h.add(conv.id, turn_id, question, {"lang": "zh", **answer}, {"k": 5, "mode": "hybrid"}, "3")


def test_feedback_becomes_a_question_set(tmp_path):
    h, fb = History(tmp_path), FeedbackStore(tmp_path)
    conv = h.start("default", "q")
    good = kept(h, conv, "t-good", "新引进了多少个项目？", {"text": "新引进高质量项目311个[1]。", "citations": [CITED]})
    wrong = kept(h, conv, "t-wrong", "总投资是多少？", {"text": "311个[1]。", "citations": [CITED]})
    unfounded = kept(h, conv, "t-unfounded", "火星上有企鹅吗？", {"text": "有[1]。", "citations": [CITED]})
    shrug = kept(h, conv, "t-shrug", "还有什么？", {"text": "别的[1]。", "citations": [CITED]})
    refusal = kept(h, conv, "t-refusal", "月球上有几家企业？", {"text": "抱歉……", "refused": True, "citations": []})
    nodocs = kept(h, conv, "t-nodocs", "高新贷授信多少？", {"text": "抱歉……", "refused": True, "citations": []})
    settings = {"model": "m", "relevance_floor": 0.8}
    for turn, rating in ((good, 1), (wrong, -1), (unfounded, -1), (shrug, -1), (refusal, 1), (nodocs, -1)):
        fb.rate(turn, "default", rating, settings)
    assert fb.correct("t-wrong", "总投资350亿元", gold_doc_ids=["corpus/a.txt"]).correction == "总投资350亿元"
    assert fb.correct("t-unfounded", should_refuse=True).should_refuse
    assert fb.correct("t-nodocs", "26875万元").gold_doc_ids == []
    assert fb.correct("t-good", "不该有") is None  # a 👍 takes no correction
    rec = fb.get("t-wrong")
    assert rec.settings == {"k": 5, "mode": "hybrid", "model": "m", "relevance_floor": 0.8}
    assert rec.generation == "3" and rec.answer["citations"][0]["doc_id"] == "corpus/a.txt"

    questions, silent = feedback_questions(fb.all())
    assert silent == 1  # the 👎 with nothing said
    by_id = {q["id"]: q for q in questions}
    assert by_id["feedback-t-good"] == {"id": "feedback-t-good", "question": "新引进了多少个项目？", "lang": "zh",
                                        "answer": "新引进高质量项目311个。", "evidence": ["新引进高质量项目311个。"],
                                        "gold_doc_ids": ["corpus/a.txt"], "kind": "confirmed"}
    assert by_id["feedback-t-wrong"]["answer"] == "总投资350亿元" and by_id["feedback-t-wrong"]["gold_doc_ids"] == [
        "corpus/a.txt"] and by_id["feedback-t-wrong"]["kind"] == "corrected"
    assert by_id["feedback-t-nodocs"]["evidence"] == ["26875万元"]
    for refusal_id in ("feedback-t-unfounded", "feedback-t-refusal"):
        q = by_id[refusal_id]
        assert q["answer"] is None and q["evidence"] == [] and q["gold_doc_ids"] == []

    # the eval's reader takes it: refusal cases are unanswerable, the rest answerable
    path = tmp_path / "feedback.jsonl"
    path.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions), encoding="utf-8")
    read, problems = read_question_set(path)
    assert not problems
    assert {q.id: q.answerable for q in read} == {"feedback-t-good": True, "feedback-t-wrong": True,
                                                  "feedback-t-unfounded": False, "feedback-t-refusal": False,
                                                  "feedback-t-nodocs": True}

    # a 👍 after a 👎 clears the correction; the conversation can go, the feedback stays
    fb.rate(wrong, "default", 1, settings)
    assert fb.get("t-wrong").correction == "" and fb.get("t-wrong").rating == 1
    h.delete(conv.id)
    assert len(fb.all()) == 6 and fb.all("kb-other") == []
