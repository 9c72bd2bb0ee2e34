"""LLM backends through LangChain chat models, with deadlines and clear failures.

Any LangChain ``BaseChatModel`` works. From settings, an OpenAI-compatible endpoint is built
with ``langchain-openai`` (OpenAI, DeepSeek, Qwen/DashScope, Ollama, vLLM, llama.cpp servers):
``llm_base_url``, ``llm_model``, ``llm_api_key``, ``llm_timeout``, ``llm_temperature``.
Every failure (down, slow, malformed reply) surfaces as :class:`LLMError` with a reason the
user can read; the assistant then falls back to the extractive answer.
"""
from __future__ import annotations

import concurrent.futures as cf
import time
from typing import Iterator

from ..config import Settings


class LLMError(RuntimeError):
    """The LLM could not give a usable reply; the message says why."""


def chat_model_from_settings(settings: Settings):
    """A ``ChatOpenAI`` for the configured endpoint, or None when no LLM is configured."""
    if not (settings.llm_base_url or settings.llm_model):
        return None
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        base_url=settings.llm_base_url or None,
        model=settings.llm_model or "default",
        api_key=settings.llm_api_key or "not-needed",  # local servers ignore it; the client wants one
        timeout=settings.llm_timeout,
        max_retries=0,  # a retry doubles the wait before the fallback
        temperature=settings.llm_temperature,
    )


def describe(model) -> str:
    """A short name for a chat model (its model name and endpoint, if it has them)."""
    if model is None:
        return "none"
    name = getattr(model, "model_name", None) or getattr(model, "model", None) or type(model).__name__
    base = getattr(model, "openai_api_base", None)
    return f"{name} @ {base}" if base else str(name)


def _reason(exc: BaseException) -> str:
    name = type(exc).__name__
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if "Timeout" in name or isinstance(exc, (TimeoutError, cf.TimeoutError)):
        return "the LLM did not answer in time"
    if "Connection" in name:
        return "the LLM endpoint cannot be reached"
    return f"the LLM call failed ({name}{': ' + text[:160] if text else ''})"


def _text_of(message) -> str:
    content = getattr(message, "content", message)
    if isinstance(content, list):  # content parts
        content = "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    if not isinstance(content, str):
        raise LLMError(f"the LLM returned no text ({type(content).__name__})")
    return content


_POOL = cf.ThreadPoolExecutor(max_workers=8, thread_name_prefix="llm")


def generate(model, messages: list[tuple[str, str]], timeout: float) -> str:
    """The model's full reply. Raises :class:`LLMError` on any failure or after ``timeout`` s."""
    future = _POOL.submit(model.invoke, messages)
    try:
        text = _text_of(future.result(timeout=timeout + 1.0))
    except LLMError:
        raise
    except cf.TimeoutError as exc:
        future.cancel()
        raise LLMError("the LLM did not answer in time") from exc
    except Exception as exc:  # noqa: BLE001 - any client error becomes a fallback reason
        raise LLMError(_reason(exc)) from exc
    if not text.strip():
        raise LLMError("the LLM returned an empty reply")
    return text


def stream(model, messages: list[tuple[str, str]], timeout: float) -> Iterator[str]:
    """The model's reply in pieces. Raises :class:`LLMError` on failure, on a gap between pieces
    longer than ``timeout`` s, or when the whole reply takes longer than four times that."""
    try:
        it = iter(model.stream(messages))
    except Exception as exc:  # noqa: BLE001
        raise LLMError(_reason(exc)) from exc
    start = time.monotonic()
    got_text = False
    while True:
        future = _POOL.submit(next, it, None)
        try:
            chunk = future.result(timeout=timeout + 1.0)
        except cf.TimeoutError as exc:
            raise LLMError("the LLM stopped answering (timed out)") from exc
        except LLMError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise LLMError(_reason(exc)) from exc
        if chunk is None:
            break
        piece = _text_of(chunk)
        if piece:
            got_text = True
            yield piece
        if time.monotonic() - start > 4 * timeout:
            raise LLMError("the LLM reply took too long")
    if not got_text:
        raise LLMError("the LLM returned an empty reply")
