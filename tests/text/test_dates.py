"""The one date parser: every accepted form, relative forms only against a document's date,
errors that list the accepted forms, ranges."""
import pytest

from rag.text.dates import FORMS, DateError, date_range, in_range, parse_date


@pytest.mark.parametrize("text", ["2024-01-05", "2024/1/5", "2024.1.5", "2024年1月5日", "二〇二四年一月五日",
                                  "２０２４年１月５日", "2024年01月05日 10:30", "2024-01-05T10:30:00+08:00",
                                  "20240105", "2024 年 1 月 5 日", "2024年1月5号", "2024年1月5日（星期五）",
                                  "5 January 2024", "Jan 5, 2024"])
def test_every_form_of_one_day(text):
    assert parse_date(text) == "2024-01-05"


def test_chinese_numerals_with_tens():
    assert parse_date("二〇二三年十二月三十一日") == "2023-12-31"
    assert parse_date("二〇二四年十月二十日") == "2024-10-20"


def test_precision_as_written():
    assert parse_date("2024年1月") == "2024-01" and parse_date("2024-1") == "2024-01"
    assert parse_date("2024") == "2024" and parse_date("2024年") == "2024"


@pytest.mark.parametrize("text", ["garbage", "2024-02-30", "2024-13-01", "", "  ", "明年春天"])
def test_unreadable_dates_name_the_accepted_forms(text):
    with pytest.raises(DateError) as err:
        parse_date(text)
    assert FORMS in str(err.value)


@pytest.mark.parametrize("text,anchor,want", [
    ("昨天", "2024-01-05", "2024-01-04"), ("今天", "2024-01-05", "2024-01-05"), ("前天", "2024-03-01", "2024-02-28"),
    ("3天前", "2024-01-05", "2024-01-02"), ("去年", "2024-01-05", "2023"), ("上个月", "2024-01-05", "2023-12"),
    ("去年3月", "2024-01-05", "2023-03"), ("1月5日", "2023-06-01", "2023-01-05"), ("07-24 12:43", "2023-08-01", "2023-07-24"),
    ("yesterday", "2024-01-05", "2024-01-04"),
])
def test_relative_forms_against_the_documents_date(text, anchor, want):
    assert parse_date(text, anchor) == want


@pytest.mark.parametrize("text", ["昨天", "3天前", "去年", "1月5日", "07-24 12:43"])
def test_relative_forms_without_an_anchor_are_errors(text):
    with pytest.raises(DateError, match="relative"):
        parse_date(text)


def test_absolute_dates_ignore_the_anchor():
    assert parse_date("2022/3/4", anchor="2024-01-05") == "2022-03-04"


def test_ranges():
    assert date_range("2024/1/1", "2024年1月") == ("2024-01-01", "2024-01")
    assert date_range("", "2024.1.31") == ("", "2024-01-31")
    assert date_range("2024-01-05", "2024-01") == ("2024-01-05", "2024-01")  # January includes the 5th
    with pytest.raises(DateError, match="before the start"):
        date_range("2024-02-01", "2024-01-31")
    with pytest.raises(DateError, match="before the start"):
        date_range("2024-02", "2024-01-15")
    with pytest.raises(DateError, match="accepted forms"):
        date_range("garbage", "")


def test_in_range_mixed_precision():
    assert in_range("2024-01-05", "2024-01", "2024-01")
    assert in_range("2024-01-05", "2024-01-05", "2024-01-05")
    assert not in_range("2024-02-01", "", "2024-01")
    assert not in_range("2023-12-31", "2024", "")
    assert in_range("2024-01", "2024-01-10", "2024-01-20")  # a passage dated by month overlaps the range
    assert not in_range("", "", "")  # undated passages are in no range
