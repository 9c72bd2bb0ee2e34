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


def test_a_file_name_titles_a_file_but_not_the_records_of_a_jsonl_file():
    text = "青岛高新区新引进高质量项目311个。"
    record = prepare_document(RawDocument("r1", text, "data/corpus.jsonl", "jsonl"), ChunkerSettings(), len)
    assert record.document.title == "" and all(c.title == "" for c in record.chunks)
    assert all(c.embed_text() == c.text for c in record.chunks)  # no "corpus" header on its passages
    titled = prepare_document(RawDocument("r2", text, "data/corpus.jsonl", "jsonl", title="高新区简报"),
                              ChunkerSettings(), len)
    assert titled.document.title == "高新区简报"
    plain = prepare_document(RawDocument("f", text, "bulletins/高新区简报.txt", "txt"), ChunkerSettings(), len)
    assert plain.document.title == "高新区简报"
