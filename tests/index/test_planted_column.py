"""The planted flag is a column of meta.sqlite: written with the passage, read back on demand."""
from rag.index.local.meta import MetaStore, write_metadata
from rag.types import Chunk, Document


def test_the_flag_is_stored_with_the_passage(tmp_path):
    doc = Document("d", "甲。乙。")
    chunks = [Chunk("d#0", "d", "甲。", planted=True), Chunk("d#1", "d", "乙。")]
    write_metadata(tmp_path / "meta.sqlite", [doc], chunks)
    meta = MetaStore(tmp_path / "meta.sqlite")
    try:
        back = meta.chunks_at([0, 1])
        assert [c.planted for c in back] == [True, False]
        assert back == chunks
        assert [c for _, c in meta.iter_chunks()] == chunks
    finally:
        meta.close()
