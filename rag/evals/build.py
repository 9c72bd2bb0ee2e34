"""Getting each configuration of ``rag eval`` ready to search.

- the corpus, or a seeded sample of it that keeps every gold document (:func:`sample_corpus`);
- identical documents, so a reprint of a gold document counts as gold (:func:`twin_map`);
- one index per distinct index setting, kept between runs under ``<cache>/eval-indexes``
  (:func:`eval_index_dir`); passages are embedded through the embedding cache
  (:class:`rag.embeddings.EmbeddingCache`), so a rerun or a new configuration only embeds
  passages no earlier run has seen;
- the LangChain baseline, built once per run, by default embedding through the same cache.
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..config import Settings
from ..embed import Embedder, EmbeddingCache, embed_passages_cached, load_embedder, resolve_model
from ..ingest import RawDocument, fingerprint, read_all
from ..text import squash
from ..types import Skipped
from .baseline import LangChainBaseline, huggingface_embeddings
from .configs import EvalConfig
from .questions import Question

Log = Callable[[str], None]
Progress = Callable[[str, int, int], None]


# ------------------------------------------------------------------ the corpus
def twin_map(raws: list[RawDocument]) -> dict[str, str]:
    """Document id -> id of the first document with the same text (itself when unique)."""
    first: dict[str, str] = {}
    out: dict[str, str] = {}
    for r in raws:
        out[r.doc_id] = first.setdefault(fingerprint(squash(r.text)), r.doc_id)
    return out


@dataclass
class Sample:
    """A sub-corpus: the documents kept, and how many were required by the questions."""

    documents: list[RawDocument]
    required: int
    missing_gold: list[str] = field(default_factory=list)


def sample_corpus(raws: list[RawDocument], questions: list[Question], n: int, seed: int = 0) -> Sample:
    """``n`` documents: every gold document of the questions (and, for questions without gold
    ids, every document holding their evidence; for a near-miss, those of the question it changes),
    then a seeded random fill; original order."""
    gold = {g for q in questions for g in q.gold_doc_ids + q.source_doc_ids}
    evidence = [squash(e) for q in questions if not q.gold_doc_ids for e in q.evidence]
    required = set()
    for i, r in enumerate(raws):
        if r.doc_id in gold:
            required.add(i)
        elif evidence:
            text = squash(r.text)
            if any(e in text for e in evidence):
                required.add(i)
    rest = [i for i in range(len(raws)) if i not in required]
    fill = random.Random(seed).sample(rest, max(0, min(len(rest), n - len(required))))
    keep = required | set(fill)
    missing = sorted(gold - {r.doc_id for r in raws})
    return Sample([r for i, r in enumerate(raws) if i in keep], len(required), missing)


def write_corpus_jsonl(docs: list[RawDocument], folder: Path, label: str) -> Path:
    """Write documents as a JSONL corpus named by its content (so its index is reused)."""
    lines = [json.dumps({"id": d.doc_id, "title": d.title, "date": d.date, "source": d.source,
                         "text": d.text}, ensure_ascii=False) for d in docs]
    body = "\n".join(lines) + "\n"
    digest = hashlib.sha1(body.encode("utf-8")).hexdigest()[:10]
    path = Path(folder) / f"{label}-{len(docs)}-{digest}.jsonl"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(body, encoding="utf-8")
        tmp.replace(path)
    return path


def prepare_corpus(paths: list[Path], questions: list[Question], sample_docs: int | None, seed: int,
                   cache_dir: Path, log: Log = lambda s: None,
                   limits=None) -> tuple[list[Path], list[RawDocument], list[Skipped], str]:
    """Read the corpus, or write a sample of it (:func:`sample_corpus`) under ``cache_dir``;
    ``limits`` are the settings' :class:`~rag.config.ReadLimits` (the ingest reads with them too).

    Returns the paths to index, their documents, the files skipped, and a note on the sample.
    """
    raws, skipped = read_all(paths, limits)
    if not raws:
        raise ValueError(f"no readable documents in {', '.join(map(str, paths))}"
                         + (f" ({skipped[0].path}: {skipped[0].reason})" if skipped else ""))
    if not sample_docs:
        return paths, raws, skipped, ""
    smp = sample_corpus(raws, questions, sample_docs, seed)
    if smp.missing_gold:
        log(f"rag: {len(smp.missing_gold)} gold documents are not in the corpus, e.g. {smp.missing_gold[0]}")
    label = f"{paths[0].resolve().parent.name}-{paths[0].stem}-s{seed}"
    path = write_corpus_jsonl(smp.documents, Path(cache_dir) / "eval-corpora", label)
    note = (f"a sample of {len(smp.documents)} documents: the {smp.required} the questions need, "
            f"then a random fill, seed {seed}; written to {path}")
    log(f"corpus: {note}")
    return [path], smp.documents, skipped, note


def eval_index_dir(cache_dir: Path, corpus: list[Path], settings_key: dict) -> Path:
    """Where ``rag eval`` keeps the index of a corpus (reused while corpus and settings match)."""
    key = json.dumps({"corpus": sorted(str(p.resolve()) for p in corpus), **settings_key}, sort_keys=True)
    name = "-".join(p.resolve().name for p in corpus)[:40] or "corpus"
    return Path(cache_dir) / "eval-indexes" / f"{name}-{hashlib.sha1(key.encode()).hexdigest()[:10]}"


# ------------------------------------------------------------------ the baseline
def cached_lc_embeddings(embedder: Embedder, cache: EmbeddingCache | None,
                         progress: Callable[[int, int], None] | None = None):
    """Our embedder as a LangChain ``Embeddings``: same model and prompts, cached passages."""
    from langchain_core.embeddings import Embeddings

    class _Cached(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            texts = list(texts)
            done = [0]

            def tick(n: int) -> None:
                done[0] += n
                if progress:
                    progress(done[0], len(texts))

            return embed_passages_cached(embedder, texts, cache, tick).tolist()

        def embed_query(self, text: str) -> list[float]:
            return embedder.embed_queries([text])[0].tolist()

    return _Cached()


# ------------------------------------------------------------------ targets
@dataclass
class Target:
    """A configuration ready to search: ``searcher.search(query, k=, mode=)``."""

    config: EvalConfig
    searcher: object
    mode: str | None  # the mode passed to search (None for the baseline)
    settings: Settings
    embedder: Embedder
    info: dict


class Builder:
    """Builds the target of each configuration, sharing models, indexes and baselines."""

    def __init__(self, base: Settings, corpus: list[Path], raws: list[RawDocument],
                 index_dir: Path | None = None, log: Log = lambda s: None,
                 progress: Callable[[], Progress] | None = None):
        self.base, self.corpus, self.raws = base, corpus, raws
        self.index_dir = index_dir
        self.log = log
        self.progress = progress or (lambda: (lambda stage, done, total: None))
        self._embedders: dict[tuple, Embedder] = {}
        self._indexes: dict[Path, tuple] = {}
        self._baselines: dict[tuple, tuple] = {}

    def embedder(self, s: Settings) -> Embedder:
        key = (s.model, s.query_prompt, s.passage_prompt, s.embed_precision, s.embed_batch_size)
        if key not in self._embedders:
            self._embedders[key] = load_embedder(s, self.log)
        return self._embedders[key]

    def target(self, config: EvalConfig) -> Target:
        s = config.settings(self.base)
        return self._langchain(config, s) if config.baseline else self._ours(config, s)

    def _ours(self, config: EvalConfig, s: Settings) -> Target:
        from ..index import Index, ingest
        from ..search import Retriever

        emb = self.embedder(s)
        folder = Path(self.index_dir) if self.index_dir else eval_index_dir(
            s.cache_dir, self.corpus, {"model": emb.fingerprint, "chunker": s.chunker.to_dict(),
                                       "lexical": s.lexical_tokenizer, "index_type": s.index_type})
        if folder not in self._indexes:
            bar = self.progress()
            try:
                report = ingest(self.corpus, s, emb, index_dir=folder, progress=bar, rebuild_on_mismatch=True)
            finally:
                getattr(bar, "close", lambda: None)()
            self.log(f"index {folder}: {report.documents} documents, {report.chunks} chunks "
                     f"({report.embedded} embedded now, the rest from the cache or the index; "
                     f"{report.seconds:.1f}s)")
            self._indexes[folder] = (Index.load(folder), report, config.name)
        index, report, built_by = self._indexes[folder]
        info = {"index": str(folder), "chunks": report.chunks, "documents": report.documents,
                "embedded": report.embedded, "build_seconds": round(report.seconds, 2), "built_by": built_by}
        return Target(config, Retriever(index, emb, s), s.mode, s, emb, info)

    def _langchain(self, config: EvalConfig, s: Settings) -> Target:
        emb = self.embedder(s)
        key = (s.model, s.query_prompt, s.passage_prompt, config.chunk_size, config.chunk_overlap,
               config.embeddings)
        if key not in self._baselines:
            try:
                import langchain_community  # noqa: F401
                import langchain_text_splitters  # noqa: F401
            except ImportError as exc:
                raise RuntimeError("the LangChain baseline needs the dev extras "
                                   "(pip install -e '.[dev]'); or leave it out with --no-baseline") from exc
            t0 = time.perf_counter()
            if config.embeddings == "huggingface":
                b = LangChainBaseline(huggingface_embeddings(resolve_model(s, self.log), emb.query_prompt,
                                                             emb.passage_prompt, s.embed_batch_size),
                                      config.chunk_size, config.chunk_overlap)
                cache = None
            else:
                cache = EmbeddingCache(s.cache_dir, emb.fingerprint)
                bar = self.progress()
                b = LangChainBaseline(
                    cached_lc_embeddings(emb, cache, lambda d, t: bar("embed", d, t)),
                    config.chunk_size, config.chunk_overlap)
            before = emb.calls
            try:
                b.build(self.raws)
            finally:
                if cache is not None:
                    cache.close()
                    getattr(bar, "close", lambda: None)()
            seconds = time.perf_counter() - t0
            self.log(f"langchain baseline: {len(self.raws)} documents, {b.n_chunks} chunks "
                     f"({emb.calls - before} embedded now; {seconds:.1f}s)")
            self._baselines[key] = (b, {"index": "(in memory)", "chunks": b.n_chunks,
                                        "documents": len(self.raws), "embedded": emb.calls - before,
                                        "build_seconds": round(seconds, 2), "built_by": config.name})
        b, info = self._baselines[key]
        return Target(config, b, None, s, emb, dict(info))
