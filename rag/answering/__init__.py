"""Answering: the assistant, the answerers (extractive, LLM), citation checks, follow-ups, prompts.

What the UI, the CLI and the evals use: :class:`Assistant` (``ask`` / ``stream``), :func:`answer`,
:class:`AnswerStream`, ``REFUSAL``; the answerer protocol is :class:`Answerer`.
"""
from .assistant import ANSWERERS, Assistant, answer
from .base import Answerer, AnswerStream
from .citations import CitationChecker, best_quote, best_sentence, char_overlap, numbers_found, split_answer, verify
from .conversation import condense, condense_by_rule, is_follow_up, normalize_history
from .extractive import ExtractiveAnswerer
from .llm import LLMError
from .llm_answerer import LLMAnswerer
from .prompts import REFUSAL

__all__ = ["ANSWERERS", "Assistant", "answer", "Answerer", "AnswerStream", "CitationChecker", "best_quote",
           "best_sentence", "char_overlap", "numbers_found", "split_answer", "verify", "condense",
           "condense_by_rule", "is_follow_up", "normalize_history", "ExtractiveAnswerer", "LLMError",
           "LLMAnswerer", "REFUSAL"]
