"""Near-miss questions (one detail of an answerable question changed) over the real bulletin:
refused or caveated, never answered with the neighbouring fact; the caveat names the detail. The
questions are the dev set the rules were written on (eval/datasets/nearmiss_dev.jsonl); the
measurement sets (nearmiss_bulletin, nearmiss_crud) are run by `rag eval`, not here."""
import json
import subprocess
import sys

import pytest

from ..conftest import ROOT

pytestmark = pytest.mark.slow

DEV = [json.loads(line) for line in (ROOT / "eval" / "datasets" / "nearmiss_dev.jsonl").read_text("utf-8").splitlines()
       if line.strip()]


@pytest.mark.parametrize("row", DEV, ids=[r["id"] for r in DEV])
def test_a_near_miss_is_refused_or_caveated(seed_assistant, row):
    ans = seed_assistant.ask(row["question"])
    assert ans.outcome in ("refusal", "caveat"), ans.text
    if ans.caveat:
        assert row["missing"].lower() in ans.caveat.lower()
        assert ans.text.startswith(ans.caveat) and ans.citations  # what the bulletins hold, cited as such


@pytest.mark.parametrize("question, key", [
    ("2023年青岛高新区新引进了多少个高质量项目？", "311"),
    ("青岛高新区有多少家高新技术企业？", "482"),
    ("康立泰生物得到了多少省财政扶持资金？", "940"),
    ("华夏生物的总经理是谁？", "张美荣"),
    ("青岛高新区拥有的市级以上技术创新中心有多少家？", "100"),
])
def test_the_original_questions_are_still_answered(seed_assistant, question, key):
    ans = seed_assistant.ask(question)
    assert ans.outcome == "answer" and key in ans.text


def test_print_query_shows_the_details(seed_assistant):
    text = str(seed_assistant.understand("2022年济南高新区新引进了多少个高质量项目？"))
    assert "details:" in text and "year 2022年" in text and "place 济南高新区" in text


def test_the_cli_shows_the_caveat_and_how_a_question_was_read(seed_settings, seed_assistant):
    env = {"RAG_INDEX_DIR": str(seed_settings.index_dir), "RAG_CACHE_DIR": str(seed_settings.cache_dir),
           "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-m", "rag", "ask", "--json", "2022年青岛高新区新引进了多少个高质量项目？"],
                         capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    ans = json.loads(out.stdout)
    assert ans["outcome"] == "caveat" and "2022" in ans["caveat"] and ans["text"].startswith(ans["caveat"])
    out = subprocess.run([sys.executable, "-m", "rag", "ask", "2022年青岛高新区新引进了多少个高质量项目？"],
                         capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert "简报中没有2022年的" in out.stdout and "(caveat:" in out.stdout
    out = subprocess.run([sys.executable, "-m", "rag", "ask", "青岛高新区" * 1000], capture_output=True, text=True,
                         cwd=ROOT, env=env, timeout=300)
    assert "问题太长" in out.stdout
