"""Every document gets a date when anything gives one, and says where it came from."""
import pytest

from rag.config import ChunkerSettings
from rag.ingest import RawDocument, prepare_document
from rag.ingest.dating import document_date, name_date, text_date


@pytest.mark.parametrize("name,date", [
    ("corpus/qingdao-hitech-bulletin-2024-01.txt", "2024-01"), ("简报20240105.pdf", "2024-01-05"),
    ("bulletin_2024.03.15.docx", "2024-03-15"), ("2024年3月简报.pdf", "2024-03"), ("bulletin202401.txt", "2024-01"),
    ("annual-report-2023.pdf", "2023"), ("2024年第1期.pdf", "2024"),
])
def test_dates_in_file_names(name, date):
    assert name_date(name).date == date and name_date(name).source == "file name"


@pytest.mark.parametrize("name", ["notes.txt", "v12345.txt", "item-123456789.txt", "room1201.txt"])
def test_names_without_a_date(name):
    assert name_date(name) is None


@pytest.mark.parametrize("text,precise,year", [
    ("青岛高新区简报\n2024年第1期（总第125期）\n\n## 标题\n\n正文。", None, "2024"),
    ("青岛高新区简报\n2024年第1期  2024年1月15日\n\n## 标题\n\n正文。", "2024-01-15", "2024"),
    ("## 2024年3月\n\n正文。", "2024-03", None),
    ("高新区工作简报\n二〇二四年三月五日\n\n正文。", "2024-03-05", None),
    ("## 标题\n\n发布日期：2024-03-05\n\n正文。", "2024-03-05", None),
    ("## 标题\n\n新华社北京2024年1月5日电 " + "青岛高新区的项目建设进展顺利，" * 10, "2024-01-05", None),
    # a year or a date inside prose is what the bulletin reports on, not its date
    ("## 标题\n\n2023年，青岛高新区在项目建设方面取得长足进步，" + "内容，" * 40, None, None),
])
def test_dates_the_text_states(text, precise, year):
    p, y = text_date(text)
    assert (p.date if p else None) == precise and (y.date if y else None) == year


def test_which_source_wins():
    # the text's own month beats the file name's; the file name beats the metadata
    assert document_date("## 2024年3月\n\n正文。", "b-2024-02.pdf", metadata="2024-05-01").__getitem__(0).date == "2024-03"
    got, _ = document_date("正文。", "b-2024-02.pdf", metadata="2024-05-01", metadata_source="PDF metadata")
    assert (got.date, got.source) == ("2024-02", "file name")
    got, _ = document_date("正文。", "b.pdf", metadata="2024-05-01", metadata_source="PDF metadata")
    assert (got.date, got.source) == ("2024-05-01", "PDF metadata")
    # metadata that contradicts the year (a file made years later) gives way to that year
    got, _ = document_date("简报\n2019年第2期\n\n正文。", "b.pdf", metadata="2024-05-01")
    assert (got.date, got.source) == ("2019", "text")
    # a date a record states as a field comes first; an unreadable one is a warning, and others fill in
    got, _ = document_date("## 2024年3月\n\n正文。", "x.jsonl", stated="2023/1/5")
    assert (got.date, got.source) == ("2023-01-05", "record")
    got, warning = document_date("## 2024年3月\n\n正文。", "", stated="sometime")
    assert got.date == "2024-03" and "accepted forms" in warning
    assert document_date("正文。", "notes.txt") == (None, "")


def test_the_seed_bulletin_is_dated_by_its_file_name(seed_text):
    from ..conftest import SEED

    raw = RawDocument(str(SEED), seed_text, str(SEED), "txt")
    prep = prepare_document(raw, ChunkerSettings(), len)
    assert (prep.document.date, prep.document.date_source) == ("2024-01", "file name")
    assert {c.date for c in prep.chunks} == {"2024-01"}


def test_a_jsonl_record_is_not_dated_by_its_file_name():
    raw = RawDocument("r1", "青岛高新区新引进高质量项目311个。", "data/news-2024-01.jsonl", "jsonl")
    assert prepare_document(raw, ChunkerSettings(), len).document.date == ""
