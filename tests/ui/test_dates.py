"""The UI's date boxes: any accepted spelling works; anything else, or an end before the start,
is a problem said in the page's language that names the box and the forms that work."""
import re

import pytest

from rag.ui.app import Problem, make_filters


def test_date_boxes_accept_the_usual_spellings():
    f = make_filters(["doc.txt"], "2024/1/1", "2024年1月31日")
    assert f.doc_ids == ("doc.txt",) and (f.date_from, f.date_to) == ("2024-01-01", "2024-01-31")
    assert not make_filters(None, "", "  ")


@pytest.mark.parametrize("start,end,lang,match", [
    ("garbage", "", "en", "From date: “garbage” is not a date"), ("2024年13月", "", "zh", "起始日期“2024年13月”无法识别"),
    ("", "昨天", "en", "To date: “昨天” is a relative date"), ("", "昨天", "zh", "截止日期“昨天”是相对日期"),
    ("2024-02-01", "2024-01-01", "en", "before the start date"), ("2024-02-01", "2024-01-01", "zh", "早于起始日期")])
def test_date_boxes_refuse_what_cannot_be_read(start, end, lang, match):
    with pytest.raises(Problem, match=re.escape(match)) as info:
        make_filters(None, start, end, lang)
    if lang == "zh":  # the accepted forms in Chinese too, and no English sentence
        assert "2024-01" in str(info.value) or "早于" in str(info.value)
        assert not re.search(r"[A-Za-z]{3,}", str(info.value))
