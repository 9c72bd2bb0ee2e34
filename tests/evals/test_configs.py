"""Configurations of rag eval: the TOML format, its errors, and the shipped files."""
from pathlib import Path

import pytest

from rag.config import Settings
from rag.evals.configs import (EvalConfigError, default_configs, load_configs, settings_record, with_answers)

from ..conftest import ROOT  # noqa: E402


def _toml(tmp_path, text: str) -> Path:
    p = tmp_path / "c.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_configs_with_defaults_and_baseline(tmp_path):
    p = _toml(tmp_path, """
[defaults]
mode = "hybrid"
k = 4

[[config]]
name = "small"
chunk_tokens = 64
answers = true

[[config]]
name = "dense"
mode = "dense"
relevance_floor = 1

[[config]]
name = "lc"
baseline = "langchain"
chunk_size = 500
chunk_overlap = 50
""")
    small, dense, lc = load_configs(p)
    assert small.mode == "hybrid" and small.answers and small.overrides == {"mode": "hybrid", "k": 4, "chunk_tokens": 64}
    s = small.settings(Settings())
    assert s.chunk_tokens == 64 and s.k == 4 and s.chunker.max_tokens == 64
    assert dense.mode == "dense" and dense.overrides["relevance_floor"] == 1.0
    assert lc.mode == "langchain" and lc.baseline == "langchain" and "mode" not in lc.overrides
    assert (lc.chunk_size, lc.chunk_overlap, lc.embeddings) == (500, 50, "cached")
    assert lc.to_dict()["baseline"] == "langchain" and "chunk_size" not in small.to_dict()


@pytest.mark.parametrize("body, message", [
    ('[[config]]\nname = "a"\nmode = "fuzzy"', "unknown mode 'fuzzy'"),
    ('[[config]]\nname = "a"\nchunk_tokns = 3', "unknown keys ['chunk_tokns']"),
    ('[[config]]\nname = "a"\nchunk_tokens = "big"', "'chunk_tokens' must be int"),
    ('[[config]]\nname = "a"\n[[config]]\nname = "a"', "repeated: ['a']"),
    ('[[config]]\nmode = "dense"', "needs a name"),
    ('[[config]]\nname = "a"\nbaseline = "llamaindex"', "unknown baseline"),
    ('[[config]]\nname = "a"\nbaseline = "langchain"\nchunk_overlap = 2000', "chunk_overlap must be smaller"),
    ('[[config]]\nname = "a"\nindex_dir = "x"', "cannot differ between configurations"),
    ('[[config]]\nname = "a"\nanswers = "yes"', "answers must be true or false"),
    ('[configs]\nname = "a"', "unknown tables ['configs']"),
    ('name = ', "not valid TOML"),
    ('[defaults]\nk = 3', "no [[config]] tables"),
])
def test_config_errors_say_what_is_wrong(tmp_path, body, message):
    with pytest.raises(EvalConfigError) as exc:
        load_configs(_toml(tmp_path, body))
    assert message in str(exc.value)


def test_missing_file(tmp_path):
    with pytest.raises(EvalConfigError, match="not found"):
        load_configs(tmp_path / "nope.toml")


def test_default_configs_and_answers_switch():
    cs = default_configs(["hybrid", "dense"])
    assert [c.name for c in cs] == ["hybrid", "dense", "langchain"] and cs[-1].baseline
    assert [c.name for c in default_configs(["lexical"], baseline=False)] == ["lexical"]
    on = with_answers(cs, True)
    assert [c.answers for c in on] == [True, True, False]
    assert not any(c.answers for c in with_answers(on, False))
    assert with_answers(cs, None) == cs


@pytest.mark.parametrize("name", ["default", "chunks", "fusion"])
def test_shipped_configs_load(name):
    configs = load_configs(ROOT / "eval" / "configs" / f"{name}.toml")
    assert configs and all(c.settings(Settings()) for c in configs)


def test_settings_record_leaves_secrets_out():
    rec = settings_record(Settings(llm_api_key="sk-secret", auth="u:p"))
    assert "llm_api_key" not in rec and "auth" not in rec and rec["mode"] == "hybrid"
    assert "sk-secret" not in str(rec)
