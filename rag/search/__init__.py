"""Search: a question understood once (:class:`Query`), filters, fusion and the retriever.

What the later stages use: :class:`Retriever` (``query()`` then ``search()``), :class:`Query`,
:class:`Filters`, ``MODES``.
"""
from .filters import Filters, undated_note
from .fusion import convex, rrf
from .query import Query
from .retriever import MODES, Retriever

__all__ = ["Filters", "undated_note", "convex", "rrf", "Query", "MODES", "Retriever"]
