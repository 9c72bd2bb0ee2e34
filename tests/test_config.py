"""Settings: one coercion for TOML, the environment, code and eval configurations; sections."""
import pytest

from rag.config import ExtractiveSettings, Settings, SettingsError, coerce, load_settings


def test_environment_and_code_values_are_coerced_alike(tmp_path):
    s = load_settings(env={"RAG_K": "7", "RAG_DENSE_WEIGHT": "0.4", "RAG_INDEX_DIR": str(tmp_path)})
    assert s.k == 7 and s.dense_weight == 0.4 and s.index_dir == tmp_path
    assert Settings().replace(k="5").k == 5 and Settings().replace(relevance_floor=1).relevance_floor == 1.0
    with pytest.raises(SettingsError, match="'k' must be int, not 'five'"):
        load_settings(env={"RAG_K": "five"})
    with pytest.raises(SettingsError, match="'k' must be int"):
        Settings().replace(k=2.5)


def test_sections_from_toml_environment_and_code(tmp_path):
    toml = tmp_path / "rag.toml"
    toml.write_text('k = "4"\n[extractive]\nmin_z = 1.5\nhard_types = ["number"]\n[citations]\nmin_overlap = 0.6\n')
    s = load_settings(toml, env={"RAG_EXTRACTIVE_MAX_SENTENCES": "3"})
    assert s.k == 4 and s.extractive.min_z == 1.5 and s.extractive.hard_types == ("number",)
    assert s.extractive.max_sentences == 3 and s.extractive.min_coverage == ExtractiveSettings().min_coverage
    assert s.citations.min_overlap == 0.6
    assert Settings().replace(extractive={"min_z": "2.5"}).extractive.min_z == 2.5
    with pytest.raises(SettingsError, match="unknown settings \\['min_zz'\\]"):
        Settings().replace(extractive={"min_zz": 1})
    toml.write_text("kk = 3\n")
    with pytest.raises(SettingsError, match="unknown settings \\['kk'\\]"):
        load_settings(toml, env={})


def test_blank_unsets_an_optional_setting_only_from_files_and_environment():
    assert load_settings(env={"RAG_QUERY_PROMPT": ""}).query_prompt is None
    assert Settings().replace(query_prompt="").query_prompt == ""  # in code, "" means no prompt
    assert coerce("auth", None, None) is None
    assert coerce("on", "yes", False) is True and coerce("on", "off", True) is False
