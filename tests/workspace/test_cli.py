"""Knowledge bases and feedback from the command line (`rag kb`, `--kb NAME`, `rag feedback
export`) and from Python (`Assistant.open(kb=...)`), on the fault suite's stand-in embedder."""
import contextlib
import io
import json

import pytest

from rag.workspace import FeedbackStore, History, KnowledgeBases

from ..conftest import SEED
from ..faults.conftest import fake_embedder

PORT = "江帆港口通报\n\n## 江帆港口集团年度运营情况\n\n2024年，江帆港口集团完成集装箱吞吐量5511万标准箱，同比增长6%。\n"
QUESTION = "江帆港口集团2024年的集装箱吞吐量是多少？"


@pytest.fixture
def cli(monkeypatch, tmp_path):
    """``rag ...`` in-process, in ``tmp_path``, with the stand-in embedder: (exit code, stdout, stderr)."""
    import rag.embed
    from rag.cli import main

    fake = fake_embedder()
    monkeypatch.setattr(rag.embed, "load_embedder", lambda settings, log=None, **kw: fake)
    monkeypatch.chdir(tmp_path)
    for var in ("RAG_INDEX_DIR", "RAG_CONFIG", "RAG_DATA_DIR", "RAG_CORPUS_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("RAG_CACHE_DIR", str(tmp_path / "cache"))

    def run(*args):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main([str(a) for a in args])
            except SystemExit as exc:
                code = exc.code
        return code, out.getvalue(), err.getvalue()

    run.fake = fake
    return run


def test_knowledge_bases_from_the_command_line(cli, tmp_path):
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / SEED.name).write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "port").mkdir()
    (tmp_path / "port" / "port.txt").write_text(PORT, encoding="utf-8")
    assert cli("ingest", "corpus", "--quiet")[0] == 0  # the default one: index/, as `make run` builds it
    code, _, err = cli("ingest", "port", "--kb", "港口资料", "--quiet")  # a new name starts a knowledge base
    assert code == 0 and "created knowledge base '港口资料'" in err
    code, out, _ = cli("kb", "list")
    kbs = [line.split("\t") for line in out.splitlines()]
    assert [k[1] for k in kbs] == ["default", "港口资料"] and kbs[0][2] == "index"
    assert kbs[1][2] == f"data/kb/{kbs[1][0]}/index"

    code, out, _ = cli("ask", QUESTION, "--kb", "港口资料", "--mode", "lexical")
    assert code == 0 and "5511" in out
    code, out, _ = cli("ask", QUESTION, "--mode", "lexical")  # the default one does not hold it
    assert code == 0 and "5511" not in out
    code, out, _ = cli("ask", "2023年青岛高新区新引进了多少个高质量项目？", "--index", "index", "--mode", "lexical")
    assert code == 0 and "311" in out  # --index DIR as before
    code, _, err = cli("ask", QUESTION, "--kb", "港口资料", "--index", "index")
    assert code == 2 and "not both" in err

    assert cli("kb", "rename", "港口资料", "港口")[0] == 0
    assert "5511" in cli("search", QUESTION, "--kb", "港口", "--mode", "lexical")[1]
    code, _, err = cli("kb", "delete", "default")
    assert code == 2 and "not deleted" in err
    code, _, err = cli("kb", "create", "港口")
    assert code == 2 and "already a knowledge base named" in err
    assert cli("kb", "delete", "港口")[0] == 0
    assert not (tmp_path / "data" / "kb" / kbs[1][0]).exists()
    code, _, err = cli("ask", QUESTION, "--kb", "港口")
    assert code == 2 and "no knowledge base named '港口'" in err and "rag kb create" in err
    code, _, err = cli("kb", "rename", "default")
    assert code == 2 and "takes 2 name(s)" in err


def test_assistant_opens_a_knowledge_base(cli, tmp_path):
    from rag.answering import Assistant
    from rag.config import load_settings

    (tmp_path / "port").mkdir()
    (tmp_path / "port" / "port.txt").write_text(PORT, encoding="utf-8")
    assert cli("ingest", "port", "--kb", "港口", "--quiet")[0] == 0
    settings = load_settings(env={}, cache_dir=tmp_path / "cache")
    bot = Assistant.open(kb="港口", settings=settings, embedder=cli.fake)
    assert bot.settings.index_dir == KnowledgeBases(settings).get("港口").index_dir
    assert "5511" in bot.ask(QUESTION, mode="lexical").text


def test_feedback_export_from_the_command_line(cli, tmp_path):
    data = tmp_path / "data"
    h, fb = History(data), FeedbackStore(data)
    conv = h.start("default", "q")
    turn = h.add(conv.id, "t1", "吞吐量是多少？", {"text": "4321万[1]。", "citations": [
        {"n": 1, "doc_id": "port.txt", "quote": "4321万标准箱"}]}, {"k": 5}, "1")
    fb.rate(turn, "default", -1, {})
    fb.correct("t1", "5511万标准箱", gold_doc_ids=["port.txt"])
    silent = h.add(conv.id, "t2", "还有呢？", {"text": "没有。"}, {}, "1")
    fb.rate(silent, "default", -1, {})
    code, _, err = cli("feedback", "export", "-o", "fb.jsonl")
    assert code == 0 and "1 questions (1 corrected); 1 👎 without a correction left out" in err
    assert "rag eval fb.jsonl --corpus corpus" in err
    [q] = [json.loads(line) for line in (tmp_path / "fb.jsonl").read_text(encoding="utf-8").splitlines()]
    assert (q["question"], q["answer"], q["gold_doc_ids"]) == ("吞吐量是多少？", "5511万标准箱", ["port.txt"])
    code, out, _ = cli("feedback", "export", "--kb", "default")
    assert code == 0 and json.loads(out)["id"] == "feedback-t1"
