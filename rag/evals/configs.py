"""Configurations that ``rag eval`` compares: what each one is, and how to read them from TOML.

A configuration is a name plus overrides of :class:`rag.config.Settings` (``mode``, ``k``,
``chunk_tokens``, ``fusion``, ``model``... any settings field), or the LangChain baseline::

    # eval/configs/default.toml
    [defaults]              # optional: every configuration starts from these
    k = 5

    [[config]]
    name = "hybrid"
    mode = "hybrid"
    answers = true          # also score answers with this configuration

    [[config]]
    name = "hybrid-256"
    mode = "hybrid"
    chunk_tokens = 256

    [[config]]
    name = "langchain"
    baseline = "langchain"  # RecursiveCharacterTextSplitter(1000, 200) + LangChain FAISS, same model

Baseline keys: ``chunk_size`` and ``chunk_overlap`` (characters, default 1000 and 200) and
``embeddings``: ``cached`` (default: our embedder through the embedding cache) or
``huggingface`` (LangChain's own ``HuggingFaceEmbeddings``, no cache).
"""
from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from pathlib import Path

from ..config import Settings, SettingsError, coerce

BASELINES = ("langchain",)
BASELINE_EMBEDDINGS = ("cached", "huggingface")
_OWN_KEYS = ("name", "baseline", "answers", "chunk_size", "chunk_overlap", "embeddings")
_NOT_PER_CONFIG = ("index_dir", "corpus_dir", "cache_dir", "host", "port", "auth", "max_upload_mb")


class EvalConfigError(ValueError):
    """A configuration file or entry that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class EvalConfig:
    """One configuration of a comparison."""

    name: str
    overrides: dict = field(default_factory=dict)  # Settings field -> value
    baseline: str = ""  # "" (bulletin-rag) or "langchain"
    answers: bool = False  # score answers too
    chunk_size: int = 1000  # baseline splitter, characters
    chunk_overlap: int = 200
    embeddings: str = "cached"  # baseline: cached | huggingface

    @property
    def mode(self) -> str:
        """The search mode: ``langchain`` for the baseline, else the configured mode."""
        return self.baseline or str(self.overrides.get("mode") or "")

    def settings(self, base: Settings) -> Settings:
        """``base`` with this configuration's overrides."""
        return base.replace(**self.overrides)

    def to_dict(self) -> dict:
        out = {"name": self.name, **{k: _plain(v) for k, v in self.overrides.items()}}
        if self.baseline:
            out.update(baseline=self.baseline, chunk_size=self.chunk_size,
                       chunk_overlap=self.chunk_overlap, embeddings=self.embeddings)
        out["answers"] = self.answers
        return out


def _plain(v):
    """A settings value as JSON: paths as strings, sections as tables."""
    if isinstance(v, Path):
        return str(v)
    if is_dataclass(v):
        return {k: _plain(x) for k, x in asdict(v).items()}
    return list(v) if isinstance(v, tuple) else v


def _settings_fields() -> dict[str, object]:
    base = Settings()
    return {f.name: getattr(base, f.name) for f in fields(Settings)}


def _coerce(name: str, key: str, value, default):
    """A TOML value as the type of the settings default it overrides (:func:`rag.config.coerce`)."""
    try:
        return coerce(key, value, default)
    except SettingsError as exc:
        raise EvalConfigError(f"config {name!r}: {exc}") from None


def parse_config(entry: dict, defaults: dict | None = None, where: str = "") -> EvalConfig:
    """One ``[[config]]`` table (merged over ``defaults``) as an :class:`EvalConfig`."""
    from ..search import MODES

    data = {**(defaults or {}), **entry}
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise EvalConfigError(f"{where}every [[config]] needs a name")
    known = _settings_fields()
    unknown = sorted(set(data) - set(known) - set(_OWN_KEYS))
    if unknown:
        raise EvalConfigError(f"{where}config {name!r}: unknown keys {unknown}; use settings fields "
                              f"({', '.join(sorted(known))}) or {', '.join(_OWN_KEYS)}")
    bad = sorted(set(data) & set(_NOT_PER_CONFIG))
    if bad:
        raise EvalConfigError(f"{where}config {name!r}: {bad} cannot differ between configurations")
    baseline = data.get("baseline") or ""
    if baseline and baseline not in BASELINES:
        raise EvalConfigError(f"{where}config {name!r}: unknown baseline {baseline!r}; known: {BASELINES}")
    overrides = {k: _coerce(name, k, v, known[k]) for k, v in data.items() if k in known}
    if baseline:
        overrides.pop("mode", None)
    elif overrides.setdefault("mode", "hybrid") not in MODES:
        raise EvalConfigError(f"{where}config {name!r}: unknown mode {overrides['mode']!r}; "
                              f"choose one of {', '.join(MODES)} (or baseline = \"langchain\")")
    embeddings = data.get("embeddings", "cached")
    if embeddings not in BASELINE_EMBEDDINGS:
        raise EvalConfigError(f"{where}config {name!r}: embeddings must be one of {BASELINE_EMBEDDINGS}")
    ints = {k: data.get(k, d) for k, d in (("chunk_size", 1000), ("chunk_overlap", 200))}
    for k, v in ints.items():
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise EvalConfigError(f"{where}config {name!r}: {k} must be a non-negative integer")
    if ints["chunk_overlap"] >= max(ints["chunk_size"], 1):
        raise EvalConfigError(f"{where}config {name!r}: chunk_overlap must be smaller than chunk_size")
    answers = data.get("answers", False)
    if not isinstance(answers, bool):
        raise EvalConfigError(f"{where}config {name!r}: answers must be true or false")
    return EvalConfig(name.strip(), overrides, baseline, answers, ints["chunk_size"],
                      ints["chunk_overlap"], embeddings)


def load_configs(path: str | Path) -> list[EvalConfig]:
    """Read a TOML file of ``[[config]]`` tables (and an optional ``[defaults]`` table)."""
    p = Path(path)
    if not p.is_file():
        raise EvalConfigError(f"configuration file not found: {p}")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise EvalConfigError(f"{p}: not valid TOML ({exc})") from exc
    extra = sorted(set(data) - {"config", "defaults"})
    if extra:
        raise EvalConfigError(f"{p}: unknown tables {extra}; expected [[config]] and [defaults]")
    entries = data.get("config")
    if not isinstance(entries, list) or not entries:
        raise EvalConfigError(f"{p}: no [[config]] tables")
    defaults = data.get("defaults") or {}
    configs = [parse_config(e, defaults, f"{p}: ") for e in entries]
    names = [c.name for c in configs]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise EvalConfigError(f"{p}: configuration names must be unique; repeated: {dup}")
    return configs


def default_configs(modes: list[str], baseline: bool = True) -> list[EvalConfig]:
    """One configuration per search mode (current settings otherwise), plus the baseline."""
    out = [EvalConfig(m, {"mode": m}) for m in modes]
    if baseline:
        out.append(EvalConfig("langchain", {}, baseline="langchain"))
    return out


def with_answers(configs: list[EvalConfig], answers: bool | None) -> list[EvalConfig]:
    """Force answer scoring on (every non-baseline configuration) or off; None keeps each one's."""
    if answers is None:
        return configs
    from dataclasses import replace

    return [replace(c, answers=(c.answers or not c.baseline) if answers else False) for c in configs]


_SECRET = ("llm_api_key", "auth")


def settings_record(s: Settings) -> dict:
    """The settings a result was produced with, for the report (secrets left out)."""
    return {f.name: _plain(getattr(s, f.name)) for f in fields(Settings) if f.name not in _SECRET}
