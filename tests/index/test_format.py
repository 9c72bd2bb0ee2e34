"""An index written by an older format says how to rebuild it instead of misreading it."""
import pytest

from rag.index import Index, IndexMismatch
from rag.index.manifest import FORMAT_VERSION, Manifest


def test_an_index_of_an_older_format_says_how_to_rebuild(tmp_path):
    gen = tmp_path / "index" / "gen-old"
    gen.mkdir(parents=True)
    (tmp_path / "index" / "CURRENT").write_text("gen-old")
    old = Manifest(model={"id": "m", "dim": 4}, chunker={}, lexical="bigram", index_type="flat", format_version=1)
    (gen / "manifest.json").write_text(old.to_json(), encoding="utf-8")
    assert FORMAT_VERSION > 1  # 2: ISO dates and Traditional Chinese folded into the lexical tokens
    with pytest.raises(IndexMismatch, match=r"index format 1.*rag ingest PATH\.\.\. --index .* --rebuild"):
        Index.load(tmp_path / "index")
