"""Conversations kept in SQLite: started, listed per knowledge base (latest first), reopened,
renamed and deleted; from another process too."""
import subprocess
import sys

from rag.workspace import History


def test_conversations_are_kept(tmp_path):
    h = History(tmp_path)
    first = h.start("default", "2023年青岛高新区新引进了多少个高质量项目？这个问题很长很长很长很长很长很长很长很长")
    assert first.title.endswith("…") and len(first.title) == 40
    h.add(first.id, "t1", "问题一", {"text": "回答一[1]。", "citations": [{"n": 1, "doc_id": "a.txt"}]},
          {"k": 5}, "7")
    h.add(first.id, "t2", "问题二", {"text": "回答二。"}, {"k": 3}, "8")
    other = h.start("kb-x", "别的")
    second = h.start("default", "第二个对话")
    assert [c.id for c in h.conversations("default")] == [second.id, first.id]
    assert [c.id for c in h.conversations("kb-x")] == [other.id]
    turns = h.turns(first.id)
    assert [(t.id, t.question, t.answer["text"], t.options["k"], t.generation) for t in turns] == [
        ("t1", "问题一", "回答一[1]。", 5, "7"), ("t2", "问题二", "回答二。", 3, "8")]
    assert h.turn("t2").conversation == first.id
    assert h.rename(first.id, "  高质量 项目 ") and h.get(first.id).title == "高质量 项目"
    assert not h.rename(first.id, "   ") and not h.rename("nope", "x")
    # another process sees it (the file, not a cache)
    code = (f"from rag.workspace import History; h = History({str(tmp_path)!r}); "
            f"print(h.get({first.id!r}).title, len(h.turns({first.id!r})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "高质量 项目 2"
    assert h.delete(first.id) and h.get(first.id) is None and h.turns(first.id) == [] and h.turn("t1") is None
    assert not h.delete(first.id)


def test_the_browser_secret_is_made_once_per_data_folder(tmp_path):
    import os

    from rag.workspace import browser_secret

    key = browser_secret(tmp_path / "data")
    assert len(key) >= 24 and browser_secret(tmp_path / "data") == key != browser_secret(tmp_path / "other")
    assert os.stat(tmp_path / "data" / ".browser-secret").st_mode & 0o077 == 0
