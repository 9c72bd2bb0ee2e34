"""Question sets: the format, validation errors with line numbers, the shipped sets; and the
corpus helpers of rag eval (sampling a sub-corpus, identical documents)."""
import json
from pathlib import Path

import pytest

from rag.evals.questions import (Question, QuestionSetError, load_questions, read_question_set, read_question_sets,
                           sample_questions)

from ..conftest import ROOT  # noqa: E402
DATASETS = ROOT / "eval" / "datasets"


def _write(tmp_path, lines, name="q.jsonl") -> Path:
    p = tmp_path / name
    p.write_text("\n".join(l if isinstance(l, str) else json.dumps(l, ensure_ascii=False) for l in lines) + "\n",
                 encoding="utf-8")
    return p


GOOD = {"id": "a", "question": "多少家？", "answer": "482家", "answer_keys": ["482家"], "evidence": ["企业482家"],
        "gold_doc_ids": [], "lang": "zh", "kind": "fact"}


def test_valid_set_loads(tmp_path):
    p = _write(tmp_path, [GOOD, "", {"id": 7, "question": " 谁？ ", "answers": ["甲", "乙"], "gold_doc_ids": ["d1"]},
                          {"id": "u", "question": "GDP？", "answer": None, "extra": "ignored"}])
    qs = load_questions(p)
    assert [q.id for q in qs] == ["a", "7", "u"]
    assert qs[0].answerable and qs[0].answer_keys == ["482家"] and qs[0].lang == "zh" and qs[0].kind == "fact"
    assert qs[1].question == "谁？" and qs[1].references == ["甲", "乙"] and qs[1].answerable
    assert qs[0].references == ["482家"]
    assert not qs[2].answerable and qs[2].references == [] and qs[2].lang == ""


@pytest.mark.parametrize("line, message", [
    ('{"id": "x", "question": "q"', "invalid JSON"),
    ('["not", "an", "object"]', "expected a JSON object"),
    ('{"question": "q"}', "missing required field 'id'"),
    ('{"id": "x", "question": "  "}', "'question' must be a non-empty string"),
    ('{"id": "x", "question": "q", "evidence": "企业482家"}', "'evidence' must be a list of strings"),
    ('{"id": "x", "question": "q", "answers": [1, 2]}', "'answers' must be a list of strings"),
    ('{"id": "x", "question": "q", "answer_keys": [""]}', "'answer_keys' holds an empty string"),
    ('{"id": "x", "question": "q", "evidence": ["a", " "]}', "'evidence' holds an empty string"),
    ('{"id": "x", "question": "q", "answer": {"a": 1}}', "'answer' must be a string or null"),
    ('{"id": "x", "question": "q", "kind": 3}', "'kind' must be a string"),
    ('{"id": "a", "question": "again"}', "duplicate id 'a'"),
])
def test_malformed_line_is_reported_with_its_number(tmp_path, line, message):
    p = _write(tmp_path, [GOOD, "", line])  # the bad line is line 3 (blank lines count)
    with pytest.raises(QuestionSetError) as exc:
        load_questions(p)
    assert f"{p}:3:" in str(exc.value) and message in str(exc.value)
    qs, problems = read_question_set(p)  # lenient: the good lines stay
    assert [q.id for q in qs] == ["a"] and len(problems) == 1 and problems[0].startswith(f"{p}:3:")


def test_several_problems_and_no_valid_line(tmp_path):
    p = _write(tmp_path, [GOOD, "{oops", '{"id": "b"}'])
    with pytest.raises(QuestionSetError, match=r":2: invalid JSON .*\(and 1 more\)"):
        load_questions(p)
    with pytest.raises(QuestionSetError, match="no valid questions"):
        load_questions(_write(tmp_path, ["{oops"], "bad.jsonl"))
    with pytest.raises(QuestionSetError, match="not found"):
        load_questions(tmp_path / "missing.jsonl")


def test_several_sets_keep_ids_unique(tmp_path):
    a = _write(tmp_path, [GOOD], "a.jsonl")
    b = _write(tmp_path, [GOOD, {**GOOD, "id": "b"}], "b.jsonl")
    qs, problems = read_question_sets([a, b])
    assert [q.id for q in qs] == ["a", "b"]
    assert len(problems) == 1 and "'a' is also in" in problems[0]


def test_sample_questions_is_seeded_and_keeps_order():
    qs = [Question(str(i), "q") for i in range(50)]
    s1 = sample_questions(qs, 10, seed=3)
    assert s1 == sample_questions(qs, 10, seed=3) and len(s1) == 10
    assert [int(q.id) for q in s1] == sorted(int(q.id) for q in s1)
    assert sample_questions(qs, None) == qs and sample_questions(qs, 80) == qs


@pytest.mark.parametrize("path", sorted(p for p in DATASETS.rglob("*.jsonl") if p.name != "corpus.jsonl"))
def test_shipped_sets_are_valid(path):
    qs = load_questions(path)  # strict: any malformed line fails
    assert qs and all(q.lang for q in qs) and all(q.kind for q in qs)
    assert path.stat().st_size < 5_000_000


def test_each_set_is_shipped_once():
    """Question sets live in eval/datasets only: no copy elsewhere under eval/."""
    assert not [p.name for p in (ROOT / "eval").glob("*.jsonl")]
    assert (DATASETS / "bulletin_dev.jsonl").is_file()


def test_cmrc_set_is_shipped_with_its_licence():
    cmrc = DATASETS / "cmrc2018"
    assert (cmrc / "corpus.jsonl").stat().st_size < 5_000_000
    assert "Attribution-ShareAlike 4.0" in (cmrc / "LICENSE").read_text(encoding="utf-8")
    assert "CC BY-SA 4.0" in (cmrc / "ATTRIBUTION.md").read_text(encoding="utf-8")
    ids = {json.loads(l)["id"] for l in (cmrc / "corpus.jsonl").read_text(encoding="utf-8").splitlines()}
    qs = load_questions(cmrc / "questions_dev.jsonl")
    assert len(qs) == 1000 and all(set(q.gold_doc_ids) <= ids and q.answers for q in qs)


# ------------------------------------------------------------------ sub-corpus and twins
