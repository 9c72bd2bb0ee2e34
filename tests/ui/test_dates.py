"""The UI's date boxes: any accepted spelling works; anything else, or an end before the start,
is an error that says which forms work."""
import gradio as gr
import pytest

from rag.ui.app import make_filters


def test_date_boxes_accept_the_usual_spellings():
    f = make_filters(["doc.txt"], "2024/1/1", "2024年1月31日")
    assert f.doc_ids == ("doc.txt",) and (f.date_from, f.date_to) == ("2024-01-01", "2024-01-31")
    assert not make_filters(None, "", "  ")


@pytest.mark.parametrize("start,end,match", [("garbage", "", "2024年1月5日"), ("", "昨天", "relative"),
                                             ("2024-02-01", "2024-01-01", "before the start")])
def test_date_boxes_refuse_what_cannot_be_read(start, end, match):
    with pytest.raises(gr.Error, match=match):
        make_filters(None, start, end)
