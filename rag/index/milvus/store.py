"""A Milvus collection as the index: connecting, the collection's schema, and reading and
searching it (:class:`MilvusIndex`, the same interface as the FAISS :class:`~rag.index.Index`).

``milvus_uri`` left empty opens Milvus Lite (embedded) at ``<index_dir>/milvus.db``; a path
ending ``.db`` opens Lite there; ``http://host:19530`` a Milvus standalone or cluster. Milvus
Lite serves one process per database: a second fails (say so, with the way out: serve it).

Rows are numbered 0..n-1 in primary-key order, from the local file's list of passages taken at
open (:mod:`rag.index.milvus.companion`); a hit whose key that list lacks (written after the open,
or left by a writer that was killed) is dropped. Filters (documents, sources, dates) run in
Milvus as expressions; BM25 runs in Milvus as sparse vectors (:mod:`rag.index.sparse`).
"""
from __future__ import annotations

import functools
import json
import threading
from pathlib import Path

import numpy as np

from ...config import Settings, SettingsError
from ...text.dates import in_range
from ...types import Chunk, Document
from ..manifest import IndexCorrupt, IndexNotFound, Manifest
from ..records import date_summary
from .companion import Companion, path_in
from .sparse import idf as bm25_idf
from .sparse import query_weights

CHUNK_FIELDS = ("chunk_id", "doc_id", "text", "title", "section", "author", "date", "source", "kind",
                "start", "end", "planted", "page")
_LONG = 65535  # bytes: passage text
_SHORT = 8192  # bytes: ids, titles, sections, authors, sources
VECTOR_INDEX = {"flat": ("FLAT", {}), "hnsw": ("HNSW", {"M": 32, "efConstruction": 200}),
                "ivfpq": ("IVF_PQ", {"nlist": 1024, "m": 16, "nbits": 8})}

_CLIENTS: dict[tuple[str, str], object] = {}
_CLIENTS_LOCK = threading.Lock()


class MilvusUnavailable(RuntimeError):
    """Milvus cannot be reached or opened; the message says what to do."""


def milvus_uri(settings: Settings, folder: Path | None = None) -> str:
    """The URI to connect to: the setting, or Milvus Lite inside the index folder."""
    uri = (settings.milvus_uri or "").strip()
    if not uri:
        return str((Path(folder or settings.index_dir) / "milvus.db").absolute())
    if uri.split("://", 1)[0] in ("http", "https", "tcp", "unix") and "://" in uri:
        return uri
    if not uri.endswith(".db"):
        raise SettingsError(f"'milvus_uri' must be http://host:port (a Milvus server) or a local path ending "
                            f"in .db (Milvus Lite), not {uri!r}")
    return str(Path(uri).expanduser().absolute())


def is_lite(uri: str) -> bool:
    return "://" not in uri


def connect(settings: Settings, folder: Path | None = None):
    """A client for the configured Milvus (one per URI in this process: Lite allows one)."""
    uri = milvus_uri(settings, folder)
    key = (uri, settings.milvus_token or "")
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(key)
        if client is None:
            try:
                from pymilvus import MilvusClient
            except ImportError as exc:  # pragma: no cover - a dependency of the project
                raise MilvusUnavailable("the Milvus store needs pymilvus and milvus-lite: "
                                        "pip install 'pymilvus==3.0.2' 'milvus-lite==3.2.2'") from exc
            if is_lite(uri):
                Path(uri).parent.mkdir(parents=True, exist_ok=True)
            try:
                client = MilvusClient(uri=uri, token=settings.milvus_token or "", timeout=60)
            except Exception as exc:
                raise MilvusUnavailable(_unavailable(uri, exc)) from exc
            _CLIENTS[key] = client
    return client


def disconnect(settings: Settings | None = None, folder: Path | None = None) -> None:
    """Close the client of ``settings``'s Milvus (every client when None); for tests and tools."""
    with _CLIENTS_LOCK:
        keys = list(_CLIENTS) if settings is None else [
            (milvus_uri(settings, folder), settings.milvus_token or "")]
        for key in keys:
            client = _CLIENTS.pop(key, None)
            if client is not None:
                try:
                    client.close()
                except Exception:  # closing what is already gone
                    pass


def _unavailable(uri: str, exc: Exception) -> str:
    text = f"{exc.__class__.__name__}: {exc}"
    if is_lite(uri):
        return (f"cannot open the Milvus Lite database {uri} ({text}). Milvus Lite serves one process at a "
                f"time: if another `rag` or Python process has it open, stop it, or serve the database to "
                f"several processes with `milvus-lite server --data-dir {uri} --port 19530` and set "
                f"milvus_uri = \"http://127.0.0.1:19530\"")
    return (f"cannot reach Milvus at {uri} ({text}). Start it (README: \"Milvus as the store\"), or check "
            f"milvus_uri and milvus_token")


def guarded(method):
    """Milvus's own errors (a server gone, a timeout) as :class:`MilvusUnavailable`, which says
    where and what to do; ours pass through."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        from pymilvus.exceptions import MilvusException

        try:
            return method(self, *args, **kwargs)
        except MilvusException as exc:
            raise MilvusUnavailable(f"Milvus at {self.uri} failed ({exc}); check that it is running and "
                                    f"that the collection {self.collection!r} exists") from exc
    return wrapper


def create_collection(client, name: str, dim: int, index_type: str) -> None:
    """The collection: one row per passage, its fields, its dense vector and its BM25 sparse vector."""
    from pymilvus import DataType

    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("pk", DataType.INT64, is_primary=True)
    for f in CHUNK_FIELDS:
        if f in ("start", "end", "page"):
            schema.add_field(f, DataType.INT64)
        elif f == "planted":
            schema.add_field(f, DataType.BOOL)
        else:
            schema.add_field(f, DataType.VARCHAR, max_length=_LONG if f == "text" else _SHORT)
    schema.add_field("date_end", DataType.VARCHAR, max_length=64)  # date + "~": see date_expression
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    params = client.prepare_index_params()
    kind, build = VECTOR_INDEX.get(index_type, VECTOR_INDEX["flat"])
    params.add_index("vector", index_type=kind, metric_type="IP", params=build)
    params.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
    client.create_collection(name, schema=schema, index_params=params, consistency_level="Strong")


def _fit(value: str, limit: int) -> str:
    data = (value or "").encode("utf-8")
    return value or "" if len(data) <= limit else data[:limit].decode("utf-8", "ignore")


def chunk_entity(pk: int, chunk: Chunk, vector: np.ndarray, sparse: dict[int, float]) -> dict:
    row = {f: getattr(chunk, f) for f in CHUNK_FIELDS}
    for f in CHUNK_FIELDS:
        if isinstance(row[f], str):
            row[f] = _fit(row[f], _LONG if f == "text" else _SHORT)
    row.update(pk=int(pk), date_end=chunk.date + "~" if chunk.date else "",
               vector=np.asarray(vector, np.float32).tolist(), sparse=sparse or {0: 1e-6})
    return row


def quote(value: str) -> str:
    """A string literal for a Milvus expression."""
    return json.dumps(value, ensure_ascii=False)


def date_expression(lo: str, hi: str) -> str:
    """The expression for :func:`rag.text.dates.in_range`: an undated passage is in no range; a
    partial date (a year, a month) is in it when its period overlaps the range. With ``date_end``
    = date + "~" ("~" sorts after digits and "-"): ``lo[:len(date)] <= date`` is
    ``lo <= date_end``, and ``date[:len(hi)] <= hi`` is ``date <= hi + "~"``."""
    parts = ['date != ""']
    if lo:
        parts.append(f"date_end >= {quote(lo)}")
    if hi:
        parts.append(f"date <= {quote(hi + '~')}")
    return " and ".join(parts)


class TermStats:
    """BM25 statistics of the index for the answerers (what :class:`LexicalIndex` offers them)."""

    def __init__(self, companion: Companion, scheme: str, n: int):
        self.companion = companion
        self.scheme = scheme
        self.n = n

    def doc_freq(self, tokens: list[str]) -> list[int]:
        stats = self.companion.term_stats(tokens)
        return [stats[t][1] if t in stats else 0 for t in tokens]

    def idf(self, tokens) -> dict[str, float]:
        toks = list(tokens)
        return {t: bm25_idf(d, self.n) for t, d in zip(toks, self.doc_freq(toks))}


class MilvusIndex:
    """A Milvus collection as a read-only index, as of when it was opened."""

    native_filters = True  # dense() and lexical() take Filters, run as Milvus expressions
    recovered = ""

    def __init__(self, folder: Path, client, collection: str, uri: str, companion: Companion,
                 manifest: Manifest, documents: dict[str, Document]):
        self.folder = folder
        self.client = client
        self.collection = collection
        self.uri = uri
        self.companion = companion
        self.manifest = manifest
        self.documents = documents
        self.pks, self.doc_of_row, self._dates, self._sources = companion.rows()
        self.lexical_index = TermStats(companion, manifest.lexical, len(self.pks))
        self._alias_of = {a: d.doc_id for d in documents.values() for a in d.aliases}

    @classmethod
    def open(cls, settings: Settings, folder: str | Path | None = None) -> "MilvusIndex":
        folder = Path(folder or settings.index_dir)
        if not path_in(folder).is_file():
            raise IndexNotFound(f"no index at {folder}: build one with `rag ingest corpus/ --index {folder}` "
                                f"(store = milvus)")
        companion = Companion(folder)
        try:
            meta = companion.meta()
            manifest = Manifest.from_json(meta["manifest"])
            documents = companion.documents()
        except Exception as exc:
            companion.close()
            raise IndexCorrupt(f"the index at {folder} cannot be read ({exc.__class__.__name__}: {exc}); "
                               f"rebuild it: `rag ingest PATH... --index {folder} --rebuild`") from exc
        collection = meta.get("collection", settings.milvus_collection)
        if collection != settings.milvus_collection:
            companion.close()
            raise IndexCorrupt(f"the index at {folder} belongs to the Milvus collection {collection!r}, not "
                               f"{settings.milvus_collection!r}: set milvus_collection = {collection!r}, or "
                               f"use another index_dir for this collection")
        uri = milvus_uri(settings, folder)
        client = connect(settings, folder)
        from pymilvus.exceptions import MilvusException

        try:
            present = client.has_collection(collection)
            if present:
                client.load_collection(collection)
                if is_lite(uri):  # this process owns an embedded database: seal rows a writer left
                    client.flush(collection)  # unsealed (a no-op when none; see rag.index.milvus.write.commit)
        except MilvusException as exc:
            companion.close()
            raise MilvusUnavailable(_unavailable(uri, exc)) from exc
        if not present:
            companion.close()
            raise IndexCorrupt(f"the Milvus collection {collection!r} is missing at {uri}, though {folder} "
                               f"records it; rebuild it: `rag ingest PATH... --index {folder} --rebuild`")
        manifest.documents = {d.doc_id: {"fingerprint": d.fingerprint, "path": d.path, "aliases": d.aliases}
                              for d in documents.values()}
        return cls(folder, client, collection, uri, companion, manifest, documents)

    # ------------------------------------------------------------ rows and passages
    @property
    def n(self) -> int:
        return len(self.pks)

    def __len__(self) -> int:
        return len(self.pks)

    def _rows_of(self, pks) -> list[int | None]:
        pos = np.searchsorted(self.pks, np.asarray(pks, dtype=np.int64))
        return [int(p) if p < len(self.pks) and self.pks[p] == k else None for p, k in zip(pos, pks)]

    @guarded
    def _query(self, rows, fields: list[str]) -> list[dict]:
        rows = [int(r) for r in rows]
        if not rows:
            return []
        found: dict[int, dict] = {}
        for i in range(0, len(rows), 1000):
            pks = self.pks[rows[i:i + 1000]].tolist()
            for e in self.client.query(self.collection, filter=f"pk in {pks}", output_fields=fields):
                found[int(e["pk"])] = e
        missing = [r for r in rows if int(self.pks[r]) not in found]
        if missing:
            raise IndexCorrupt(f"{len(missing)} passages listed in {self.folder} are missing from the Milvus "
                               f"collection {self.collection!r}; rebuild: "
                               f"`rag ingest PATH... --index {self.folder} --rebuild`")
        return [found[int(self.pks[r])] for r in rows]

    def chunks_at(self, rows) -> list[Chunk]:
        return [Chunk(**{f: e[f] for f in CHUNK_FIELDS}) for e in self._query(rows, list(CHUNK_FIELDS))]

    def chunk(self, row: int) -> Chunk:
        return self.chunks_at([row])[0]

    def vectors_of(self, rows) -> np.ndarray:
        found = self._query(rows, ["vector"])
        if not found:
            return np.zeros((0, int(self.manifest.model.get("dim") or 0)), np.float32)
        return np.asarray([e["vector"] for e in found], dtype=np.float32)

    def rows_of_document(self, doc_id: str) -> np.ndarray:
        return np.nonzero(self.doc_of_row == doc_id)[0]

    def passages_per_document(self) -> dict[str, int]:
        """How many passages each document has."""
        ids, counts = np.unique(self.doc_of_row.astype(str), return_counts=True) if self.n else ([], [])
        return {str(i): int(c) for i, c in zip(ids, counts)}

    @property
    def scheme(self) -> str:
        """The lexical tokenizer the passages' sparse vectors were built with."""
        return self.lexical_index.scheme

    def doc_freq(self, tokens) -> list[int]:
        return self.lexical_index.doc_freq(list(tokens))

    # ------------------------------------------------------------ filters
    def _wanted_docs(self, doc_ids) -> list[str]:
        """The stored documents ``doc_ids`` name (an alias selects the document stored for it)."""
        return sorted({self._alias_of.get(d, d) for d in doc_ids} | set(doc_ids))

    def rows_matching(self, filters) -> np.ndarray | None:
        """Rows that pass ``filters`` (from the local list; the searches filter in Milvus)."""
        if not filters:
            return None
        mask = np.ones(self.n, dtype=bool)
        if filters.doc_ids:
            mask &= np.isin(self.doc_of_row, self._wanted_docs(filters.doc_ids))
        if filters.sources:
            mask &= np.isin(self._sources, list(filters.sources))
        if filters.date_from or filters.date_to:
            mask &= np.array([in_range(d, filters.date_from, filters.date_to) for d in self._dates], dtype=bool)
        return np.nonzero(mask)[0]

    def undated_documents(self, filters) -> int:
        """Live documents without a date among those ``filters`` (documents, sources) allow."""
        mask = np.array([not d for d in self._dates], dtype=bool)
        if filters.doc_ids:
            mask &= np.isin(self.doc_of_row, self._wanted_docs(filters.doc_ids))
        if filters.sources:
            mask &= np.isin(self._sources, list(filters.sources))
        return len(np.unique(self.doc_of_row[mask].astype(str))) if mask.any() else 0

    def expression(self, filters) -> str:
        """``filters`` as a Milvus boolean expression ("" for none)."""
        parts = []
        if filters.doc_ids:
            parts.append(f"doc_id in [{', '.join(quote(d) for d in self._wanted_docs(filters.doc_ids))}]")
        if filters.sources:
            parts.append(f"source in [{', '.join(quote(s) for s in filters.sources)}]")
        if filters.date_from or filters.date_to:
            parts.append(date_expression(filters.date_from, filters.date_to))
        return " and ".join(f"({p})" for p in parts)

    def _where(self, allowed) -> str:
        if allowed is None:
            return ""
        if isinstance(allowed, np.ndarray) or isinstance(allowed, (list, tuple)):
            return f"pk in {self.pks[np.asarray(allowed, dtype=np.int64)].tolist()}"
        return self.expression(allowed)  # Filters

    # ------------------------------------------------------------ searches
    @guarded
    def _search(self, data, field: str, n: int, allowed, params: dict) -> list[tuple[int, float]]:
        if not self.n or n <= 0:
            return []
        found = self.client.search(self.collection, data=[data], anns_field=field, limit=min(n, 16384),
                                   filter=self._where(allowed), output_fields=[], search_params=params)
        hits = found[0] if found else []
        rows = self._rows_of([int(h["pk"]) for h in hits])
        return [(r, float(h["distance"])) for r, h in zip(rows, hits) if r is not None]

    def _dense_params(self, n: int) -> dict:
        return {"metric_type": "IP", "params": {"ef": max(64, n), "nprobe": 64}}

    def dense(self, qvec: np.ndarray, n: int, allowed=None) -> list[tuple[int, float]]:
        """Top ``n`` rows by inner product; ``allowed``: rows, :class:`Filters`, or None."""
        return self._search(np.asarray(qvec, np.float32).tolist(), "vector", n, allowed, self._dense_params(n))

    def sparse_query(self, tokens) -> dict[int, float]:
        return query_weights(list(tokens), self.companion.term_stats(tokens), self.n)

    def lexical(self, tokens, n: int, allowed=None) -> list[tuple[int, float]]:
        """Top ``n`` rows by BM25 (only rows sharing a token with the query)."""
        q = self.sparse_query(tokens)
        if not q:
            return []
        hits = self._search(q, "sparse", n, allowed, {"metric_type": "IP", "params": {}})
        return [(r, s) for r, s in hits if s > 0]

    @guarded
    def fused_rrf(self, qvec: np.ndarray, tokens, n: int, allowed=None, k: int = 60) -> list[tuple[int, float]]:
        """Dense and BM25 fused by reciprocal rank inside Milvus (``hybrid_search``, RRFRanker)."""
        from pymilvus import AnnSearchRequest, RRFRanker

        q = self.sparse_query(tokens)
        if not q:
            return self.dense(qvec, n, allowed)
        where = self._where(allowed)
        reqs = [AnnSearchRequest([np.asarray(qvec, np.float32).tolist()], "vector", self._dense_params(n), n,
                                 expr=where or None),
                AnnSearchRequest([q], "sparse", {"metric_type": "IP", "params": {}}, n, expr=where or None)]
        found = self.client.hybrid_search(self.collection, reqs, RRFRanker(k), limit=n, output_fields=[])
        hits = found[0] if found else []
        rows = self._rows_of([int(h["pk"]) for h in hits])
        return [(r, float(h["distance"])) for r, h in zip(rows, hits) if r is not None]

    def idf(self, terms) -> dict[str, float]:
        if not self.n:
            return {t: 1.0 for t in terms}
        return self.lexical_index.idf(terms)

    # ------------------------------------------------------------ about it
    @guarded
    def verify(self) -> list[str]:
        """What ``rag check`` reports for this store: passages the local file lists that the
        collection lacks, and rows of the collection the local file does not list (left by a
        killed writer; the next write deletes them, and no search returns them)."""
        found = 0
        missing = 0
        for i in range(0, self.n, 1000):
            pks = self.pks[i:i + 1000].tolist()
            got = self.client.query(self.collection, filter=f"pk in {pks}", output_fields=["pk"])
            found += len(got)
            missing += len(pks) - len(got)
        total = self.client.query(self.collection, filter="", output_fields=["count(*)"])[0]["count(*)"]
        problems = []
        if missing:
            problems.append(f"{missing} passages listed in {self.folder} are missing from the collection "
                            f"{self.collection!r}: rebuild (`rag ingest PATH... --index {self.folder} --rebuild`)")
        if total > found:
            problems.append(f"{total - found} rows of the collection are not listed in {self.folder} (a writer "
                            f"was stopped; never returned by a search; the next ingest or removal deletes them)")
        return problems

    def describe(self) -> dict:
        m = self.manifest
        return {"folder": str(self.folder), "documents": len(self.documents), "chunks": self.n,
                "model": m.model.get("id"), "dim": m.model.get("dim"), "index_type": m.index_type,
                "lexical": m.lexical, "chunker": m.chunker, "created": m.created, "store": "milvus",
                "milvus_uri": self.uri, "milvus_collection": self.collection,
                "dates": date_summary(self.documents.values()), "bytes": self.companion.path.stat().st_size}
