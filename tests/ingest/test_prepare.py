"""The prepare stage reads a document's date with the one date parser."""
from rag.config import ChunkerSettings
from rag.ingest import RawDocument, prepare_document


def _prep(date: str):
    raw = RawDocument("d", "## 标题\n\n青岛高新区新引进高质量项目311个。", "d.jsonl", "jsonl", date=date)
    return prepare_document(raw, ChunkerSettings(), len)


def test_document_dates_are_stored_in_iso_form_on_every_chunk():
    for written in ("2024年1月5日", "2024/1/5", "二〇二四年一月五日"):
        prep = _prep(written)
        assert prep.document.date == "2024-01-05" and not prep.warnings
        assert {c.date for c in prep.chunks} == {"2024-01-05"}


def test_an_unreadable_date_is_left_out_with_a_warning():
    prep = _prep("sometime")
    assert prep.document.date == "" and prep.chunks
    assert len(prep.warnings) == 1 and "accepted forms" in prep.warnings[0]
    assert _prep("").warnings == []
