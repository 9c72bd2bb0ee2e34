"""What an analyst keeps between visits, beside the indexes in one data folder (``data_dir``):
knowledge bases (named collections, one index each), conversations, and feedback on answers.

It imports nothing of ``rag`` but the settings and the records that flow (a side package any
stage may use: ``Assistant.open(kb=...)``, the CLI, the UI).
"""
from .db import WORKSPACE_FILE, browser_secret, connect
from .feedback import FeedbackStore, feedback_questions
from .history import History
from .kbs import DEFAULT_KB, KBError, KnowledgeBase, KnowledgeBases, kb_settings

__all__ = ["DEFAULT_KB", "WORKSPACE_FILE", "FeedbackStore", "History", "KBError", "KnowledgeBase",
           "KnowledgeBases", "browser_secret", "connect", "feedback_questions", "kb_settings"]
