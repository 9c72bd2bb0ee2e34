"""What every answerer is: a protocol, the stream a caller iterates, and two small helpers.

An answerer streams the answer text in pieces and *returns* the finished :class:`Answer` (the
generator's return value), built once and never patched afterwards::

    answer = yield from answerer.stream(query, result)
"""
from __future__ import annotations

from typing import Generator, Iterator, Protocol

from ..search import Query
from ..types import Answer, SearchResult

AnswerPieces = Generator[str, None, Answer]


class Answerer(Protocol):
    """Answers a :class:`Query` from the passages of its :class:`SearchResult`."""

    name: str

    def stream(self, query: Query, result: SearchResult, *, note: str = "",
               streaming: bool = True) -> AnswerPieces:
        """Yield the answer text in pieces, return the :class:`Answer`. ``note`` is said first in
        the answer's note (why a fallback answered); ``streaming=False`` may take the whole reply
        at once from a backend."""
        ...


class AnswerStream:
    """Iterate to get the answer text in pieces; ``answer`` holds the full :class:`Answer` after."""

    def __init__(self, pieces: AnswerPieces):
        self._pieces = pieces
        self.answer: Answer | None = None

    def __iter__(self) -> Iterator[str]:
        self.answer = yield from self._pieces

    def text(self) -> str:
        """Consume the stream and return the final answer text."""
        for _ in self:
            pass
        return self.answer.text if self.answer else ""


def pieces(text: str, size: int = 12) -> Iterator[str]:
    """Split a finished answer into small pieces, for a typing effect in the UI."""
    for i in range(0, len(text), size):
        yield text[i:i + size]


def join_notes(*notes: str) -> str:
    """Notes for the user, in order, the empty ones left out."""
    return "; ".join(n for n in notes if n)
