"""Knowledge bases under one data folder: the default one is the configured index; others are
created, renamed, found by name or id, and deleted with their files."""
from pathlib import Path

import pytest

from rag.config import load_settings
from rag.workspace import DEFAULT_KB, History, KBError, KnowledgeBases, kb_settings


@pytest.fixture
def kbs(tmp_path):
    return KnowledgeBases(load_settings(env={}, data_dir=tmp_path / "data", index_dir=tmp_path / "index",
                                        corpus_dir=tmp_path / "corpus"))


def test_the_default_one_is_the_configured_index(kbs, tmp_path):
    (default,) = kbs.list()
    assert default.id == DEFAULT_KB and default.is_default and default.name == ""
    assert default.index_dir == tmp_path / "index" and default.corpus_dir == tmp_path / "corpus"
    assert kbs.get(None) == kbs.get("") == kbs.get("default") == default


def test_create_rename_find_delete(kbs, tmp_path):
    projects = kbs.create("  项目 资料 ")
    assert projects.name == "项目 资料" and projects.id.startswith("kb-")
    assert projects.index_dir == tmp_path / "data" / "kb" / projects.id / "index"
    assert (projects.corpus_dir / "uploads").is_dir()
    b = kbs.create("2023 bulletins")
    assert [kb.label for kb in kbs.list()] == ["default", "2023 bulletins", "项目 资料"]
    assert kbs.get("2023 BULLETINS") == b and kbs.get(b.id) == b
    with pytest.raises(KBError) as err:
        kbs.create("项目 资料")
    assert err.value.code == "name_taken"
    for bad, code in (("", "empty_name"), ("   ", "empty_name"), ("x" * 61, "long_name"), ("a\x00b", "empty_name")):
        with pytest.raises(KBError) as err:
            kbs.create(bad)
        assert err.value.code == code
    renamed = kbs.rename("项目 资料", "项目")
    assert renamed.id == projects.id and renamed.index_dir == projects.index_dir and kbs.get("项目") == renamed
    assert kbs.rename("default", "简报").name == "简报" and kbs.get("简报").is_default  # the default one too
    with pytest.raises(KBError) as err:
        kbs.rename(b.id, "简报")
    assert err.value.code == "name_taken"
    (projects.corpus_dir / "uploads" / "a.txt").write_text("x", encoding="utf-8")
    history = History(kbs.data_dir)
    conv = history.start(projects.id, "问题")
    history.add(conv.id, "t1", "问题", {"text": "回答"}, {}, "1")
    kbs.delete("项目")
    assert history.conversations(projects.id) == [] and history.turn("t1") is None  # its conversations go too
    assert not kbs.folder(projects.id).exists() and [kb.label for kb in kbs.list()] == ["简报", "2023 bulletins"]
    with pytest.raises(KBError) as err:
        kbs.get("项目")
    assert err.value.code == "not_found" and "简报, 2023 bulletins" in str(err.value)
    with pytest.raises(KBError) as err:
        kbs.delete("default")
    assert err.value.code == "default_kept"


def test_settings_for_a_knowledge_base(kbs):
    kb = kbs.create("项目")
    s = kb_settings(kbs.settings, "项目")
    assert (s.index_dir, s.corpus_dir) == (kb.index_dir, kb.corpus_dir)
    assert kb_settings(kbs.settings, "default").index_dir == Path(kbs.settings.index_dir)
