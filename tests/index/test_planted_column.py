"""The planted flag in meta.sqlite: written, read back, and read as unflagged from a generation
written before the column existed."""
import sqlite3

from rag.index.format import read_metadata, write_metadata
from rag.types import Chunk, Document


def test_the_flag_is_stored_with_the_passage(tmp_path):
    doc = Document("d", "甲。乙。")
    chunks = [Chunk("d#0", "d", "甲。", planted=True), Chunk("d#1", "d", "乙。")]
    write_metadata(tmp_path / "meta.sqlite", [doc], chunks)
    _, back = read_metadata(tmp_path / "meta.sqlite")
    assert [c.planted for c in back] == [True, False]
    assert back == chunks


def test_a_generation_without_the_column_reads_as_unflagged(tmp_path):
    path = tmp_path / "meta.sqlite"
    write_metadata(path, [Document("d", "甲。")], [Chunk("d#0", "d", "甲。", planted=True)])
    db = sqlite3.connect(path)
    db.execute("ALTER TABLE chunks DROP COLUMN planted")
    db.commit()
    db.close()
    _, back = read_metadata(path)
    assert back[0].text == "甲。" and back[0].planted is False
