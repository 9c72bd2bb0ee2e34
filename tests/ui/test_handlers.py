"""The app wiring with a stand-in assistant (no model): the chat API, corpus events, theme, login."""
import os
from types import SimpleNamespace
import socket

import pytest

from rag.types import Document


# ---------------------------------------------------------------- file names

from .test_render import make_answer


# ---------------------------------------------------------------- the app, with a stand-in assistant
class FakeBot:
    """Answers every question the same way, instantly; records what it was asked."""

    llm = None
    index = None  # it has one (the library asks)

    def __init__(self):
        self.asked = []

    def stream(self, question, history=None, **options):
        from rag.answering import AnswerStream

        self.asked.append((question, history, options))

        def pieces():
            yield from ("新引进高质量", "项目311个[", "1]。")
            return make_answer()

        return AnswerStream(pieces())

    def documents(self):
        return [Document("doc.txt", "…", title="青岛高新区", date="2024-01-05")]

    def passages_per_document(self):
        return {"doc.txt": 1}

    def info(self):
        return {"folder": "index", "documents": 1, "chunks": 1, "model": "m", "dim": 3, "index_type": "flat",
                "bytes": 1000, "answerer": "extractive", "llm": "none"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_chat_api_streams_linked_answer_and_sources(tmp_path):
    from gradio_client import Client

    from rag.config import load_settings
    from rag.ui.app import launch

    assert os.environ.get("GRADIO_ANALYTICS_ENABLED") == "False"
    settings = load_settings(env={}, port=free_port(), corpus_dir=tmp_path / "corpus", data_dir=tmp_path / "data")
    bot = FakeBot()
    demo = launch(bot, settings, block=False, quiet=True)
    try:
        assert demo.local_url.startswith("http://127.0.0.1:")
        client = Client(demo.local_url, verbose=False)
        reply, sources, *_ = client.predict("2023年引进了多少项目？", 3, "lexical", "extractive", ["doc.txt"],
                                        "2024/1/1", "", api_name="/chat")
        assert "311" in reply and 'href="#src-' in reply
        assert "<mark>" in sources and "青岛高新区" in sources
        question, history, options = bot.asked[-1]
        assert options["k"] == 3 and options["mode"] == "lexical"
        assert options["filters"].doc_ids == ("doc.txt",) and options["filters"].date_from == "2024-01-01"
        client.predict("那总投资呢？", api_name="/chat")  # the follow-up carries the conversation
        assert [m["role"] for m in bot.asked[-1][1]] == ["user", "assistant"]
        assert bot.asked[-1][1][1]["content"] == "新引进高质量项目311个[1]。"
    finally:
        demo.close()


def test_chat_never_waits_for_corpus_changes(tmp_path):
    from rag.config import load_settings
    from rag.ui.app import build_app

    demo = build_app(FakeBot(), load_settings(env={}, data_dir=tmp_path))
    fns = {fn.api_name: fn for fn in demo.fns.values()}
    assert fns["chat"].concurrency_limit is None and fns["_submit_fn"].concurrency_limit is None
    assert fns["ingest"].concurrency_limit == fns["remove"].concurrency_limit == 1
    assert fns["ingest"].concurrency_id == fns["remove"].concurrency_id == "corpus"
    assert fns["chat"].concurrency_id != "corpus"


def test_theme_loads_no_web_fonts():
    from rag.ui.app import theme

    t = theme()
    assert all(isinstance(f, str) or f.stylesheet()["url"] is None for f in [*t._font, *t._font_mono])


def test_login_from_settings_is_enforced(tmp_path):
    import httpx
    from gradio_client import Client

    from rag.config import load_settings
    from rag.ui.app import launch

    settings = load_settings(env={"RAG_AUTH": "alice:wonder:land"}, port=free_port(), corpus_dir=tmp_path / "c",
                             data_dir=tmp_path / "data")
    demo = launch(FakeBot(), settings, block=False, quiet=True)
    try:
        assert httpx.get(demo.local_url + "config").status_code == 401
        with pytest.raises(Exception):
            Client(demo.local_url, auth=("alice", "wrong"), verbose=False)
        client = Client(demo.local_url, auth=("alice", "wonder:land"), verbose=False)
        assert "311" in client.predict("问题", api_name="/chat")[0]
    finally:
        demo.close()


class LLMBot(FakeBot):
    """A stand-in with an LLM at an endpoint on the network."""

    llm = SimpleNamespace(model_name="qwen2.5:7b", openai_api_base="http://10.1.2.3:11434/v1")

    def info(self):
        return {**super().info(), "llm": "qwen2.5:7b @ http://10.1.2.3:11434/v1", "answerer": "extractive"}


def test_the_llm_is_named_without_its_address(tmp_path):
    """The answerer option and the summary name the model, never the endpoint; the summary does
    not say which answerer answers (the option does), so choosing the LLM leaves nothing stale."""
    import json

    from rag.config import load_settings
    from rag.ui.app import UI, build_app

    settings = load_settings(env={}, data_dir=tmp_path)
    demo = build_app(LLMBot(), settings)
    shown = json.dumps([demo.get_config_file(), demo.i18n_instance.translations_dict], ensure_ascii=False, default=str)
    assert "10.1.2.3" not in shown and "LLM: qwen2.5:7b" in shown and "大模型：qwen2.5:7b" in shown
    for lang in ("en", "zh"):
        info = UI(LLMBot(), settings).on_load("", None, SimpleNamespace(headers={"accept-language": lang}))[6]
        assert "qwen2.5:7b" in info and "10.1.2.3" not in info
        assert not any(w in info for w in ("extractive", "Answerer", "摘录", "回答方式"))
