"""bulletin-rag: semantic search and cited answers over Chinese-language news bulletins.

    from rag import Assistant
    bot = Assistant.open("index/")
    ans = bot.ask("2023年青岛高新区新引进了多少个高质量项目？")

``rag.answer(question)`` answers with the default index. Heavy modules load on first use.
"""
from __future__ import annotations

__all__ = ["Assistant", "AnswerStream", "answer", "Answer", "Citation", "Hit", "Chunk", "Document",
           "SearchResult", "Filters", "Query", "Settings", "load_settings"]
__version__ = "0.1.0"


def __getattr__(name: str):
    if name in ("Assistant", "AnswerStream", "answer"):
        from . import answering
        return getattr(answering, name)
    if name in ("Answer", "Citation", "Hit", "Chunk", "Document", "SearchResult"):
        from . import types
        return getattr(types, name)
    if name in ("Filters", "Query"):
        from . import search
        return getattr(search, name)
    if name in ("Settings", "load_settings"):
        from . import config
        return getattr(config, name)
    raise AttributeError(f"module 'rag' has no attribute {name!r}")
