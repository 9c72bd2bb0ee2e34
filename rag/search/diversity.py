"""Per-document diversity: at most N passages of one document among the results.

For questions whose answer is a document (which bulletin reported X?), five passages of one
document fill the top five with one candidate; capping each document lets others in. The
passages over the cap are not dropped: they follow the capped list in their order, so a short
list (few documents) still fills ``k``.
"""
from __future__ import annotations

from typing import Callable, Sequence, TypeVar

T = TypeVar("T")


def cap_per_document(ranked: Sequence[T], doc_of: Callable[[T], str], max_per_doc: int) -> list[T]:
    """``ranked`` with at most ``max_per_doc`` items of each document first (in their order), the
    rest after; ``max_per_doc`` 0 (or less) leaves the order as it is."""
    if max_per_doc <= 0:
        return list(ranked)
    seen: dict[str, int] = {}
    kept: list[T] = []
    over: list[T] = []
    for item in ranked:
        doc = doc_of(item)
        seen[doc] = seen.get(doc, 0) + 1
        (kept if seen[doc] <= max_per_doc else over).append(item)
    return kept + over
