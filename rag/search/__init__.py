"""Search: a question understood once (:class:`Query`), filters, fusion and the retriever.

What the later stages use: :class:`Retriever` (``query()`` then ``search()``), :class:`Query`,
:class:`Filters`, :func:`iso_date`, ``MODES``.
"""
from .filters import Filters, iso_date
from .fusion import convex, rrf
from .query import Query
from .retriever import MODES, Retriever

__all__ = ["Filters", "iso_date", "convex", "rrf", "Query", "MODES", "Retriever"]
