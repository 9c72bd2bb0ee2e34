"""The same answers with Milvus as the store (Milvus Lite, embedded, in a folder of its own):
the assistant tests of test_assistant.py rerun on a Milvus-backed seed index, plus the Python
API's ingest and removal, and the CLI unchanged but for ``RAG_STORE=milvus``."""
import json
import os
import shutil
import subprocess
import sys

import pytest

from rag.answering import Assistant
from rag.search import Filters

from ..conftest import ROOT, SEED
from .test_assistant import (Q_PROJECTS, test_cross_lingual_question_cites_the_chinese_passage,  # noqa: F401
                             test_extractive_answer_cites_the_passage, test_extractive_meets_the_dev_set_bar,
                             test_follow_up_uses_the_conversation, test_langchain_retriever,
                             test_retrieval_options_and_filters, test_stream_yields_pieces_then_the_answer,
                             test_unanswerable_questions_are_refused)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def seed_assistant(seed_settings, embedder, tmp_path_factory):
    """The seed bulletin in Milvus Lite; the tests imported above run against it."""
    s = seed_settings.replace(store="milvus", index_dir=tmp_path_factory.mktemp("milvus") / "index")
    bot = Assistant.build(seed_settings.corpus_dir, settings=s, embedder=embedder)
    assert bot.info()["store"] == "milvus"
    yield bot
    from rag.index.milvus.store import disconnect

    disconnect(s)


def test_ingest_filter_and_remove_through_the_assistant(settings, embedder, tmp_path):
    s = settings.replace(store="milvus")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / "seed.txt")
    bot = Assistant.build(corpus, settings=s, embedder=embedder)
    extra = tmp_path / "forum.txt"
    extra.write_text("青岛高新区举办首届海洋科技论坛，吸引200余名专家参加。", encoding="utf-8")
    report = bot.ingest([extra])
    forum = report.added[0]
    assert report.documents == 2 and forum in bot.passages_per_document()
    ans = bot.ask("海洋科技论坛吸引了多少名专家参加？")
    assert "200" in ans.text and ans.citations[0].chunk_id.startswith(forum)
    assert bot.ask(Q_PROJECTS, filters=Filters(doc_ids=(forum,))).refused  # the answer is in the other one
    seed = next(d for d in bot.passages_per_document() if d != forum)
    assert "311" in bot.ask(Q_PROJECTS, filters=Filters(doc_ids=(forum, seed))).text
    bot.remove([forum])
    assert forum not in {d.doc_id for d in bot.documents()}
    assert all(h.chunk.doc_id != forum for h in bot.search("海洋科技论坛", k=10).hits)
    from rag.index.milvus.store import disconnect

    disconnect(s)


def test_the_cli_with_rag_store_milvus(tmp_path, model_cache_dir):
    """`rag ingest`, `search`, `ask`, `remove` and `info`, each its own process on one Lite database."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / "seed.txt")
    (corpus / "forum.txt").write_text("青岛高新区举办首届海洋科技论坛，吸引200余名专家参加。", encoding="utf-8")
    env = {**os.environ, "RAG_STORE": "milvus", "RAG_INDEX_DIR": str(tmp_path / "index"),
           "RAG_CACHE_DIR": str(model_cache_dir), "HF_HUB_OFFLINE": "1"}

    def rag(*args):
        out = subprocess.run([sys.executable, "-m", "rag", *args], env=env, cwd=ROOT, capture_output=True,
                             text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        return out.stdout

    rag("ingest", str(corpus), "--quiet")
    assert json.loads(rag("info"))["store"] == "milvus"
    assert (tmp_path / "index" / "milvus.db").is_dir()
    data = json.loads(rag("ask", Q_PROJECTS, "--json"))
    assert "311" in data["text"] and data["refused"] is False
    forum = json.loads(rag("search", "海洋科技论坛有多少专家参加？", "--json"))["hits"][0]["doc_id"]
    assert forum.endswith("forum.txt")
    hits = json.loads(rag("search", "专家", "--json", "--doc", forum))["hits"]
    assert hits and all(h["doc_id"] == forum for h in hits)
    rag("remove", forum)
    assert json.loads(rag("search", "专家", "--json", "--doc", forum))["hits"] == []
