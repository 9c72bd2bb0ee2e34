"""The original of a cited passage: found in the document's text despite spacing and line breaks,
marked there; in a PDF, the page that holds the quote rendered with the quote boxed where the
text layer places it (a real PDF, written with reportlab, read with pypdfium2)."""
import re

import pytest

from rag.types import Document
from rag.ui.original import find_span, original_html, page_of, render_page, text_view

from .pdfs import write_pdf

PASSAGE = "2023年以来，新引进高质量项目311个、总投资350亿元。其余略。"
QUOTE = "新引进高质量项目311个、总投资350亿元。"


def test_a_quote_is_found_across_spaces_widths_and_line_breaks():
    text = "前言。\n2023年以来，新引进高质量\n项目 311 个、总投资３５０亿元。其余略。"
    lo, hi = find_span(text, QUOTE)
    assert text[lo:hi].startswith("新引进") and text[lo:hi].endswith("亿元。")
    assert find_span(text, "完全没有的一句话，不在文中。") == (-1, -1)
    # cut by a page break: the longest beginning (or end) of at least half of it
    lo, hi = find_span("上一页的末尾：新引进高质量项目311个", QUOTE)
    assert lo > 0 and hi == len("上一页的末尾：新引进高质量项目311个")
    assert find_span("新引进", QUOTE) == (-1, -1)  # less than half of it is not the quote


def test_text_documents_open_at_the_passage_with_the_quote_marked():
    body = "开头的一段。\n" + "填充文字。" * 900 + "\n" + PASSAGE + "\n结尾。"
    doc = Document("corpus/a.txt", body, title="简讯")
    start = body.index(PASSAGE)
    for offsets in ((start, start + len(PASSAGE)), (0, 10)):  # recorded offsets, or stale ones (found again)
        out = text_view(doc, PASSAGE, QUOTE, *offsets, "zh")
        marked = re.search(r'<mark class="orig-passage">(.*?)</mark>(?!</mark>)', out, re.S).group(0)
        assert '<mark class="orig-quote">新引进高质量项目311个、总投资350亿元。</mark>' in marked
        assert out.startswith('<div class="orig-text">…') and "结尾" in out  # a window of the text around it
    assert "找不到所引的段落" in text_view(doc, "另一个段落，文档里没有。", "", 0, 0, "zh")
    gone = original_html(None, {"title": "简讯", "doc_id": "corpus/a.txt"}, "en")
    assert "no longer in the index" in gone and "简讯" in gone


@pytest.fixture
def pdf(tmp_path):
    return write_pdf(tmp_path / "bulletin.pdf", [
        ["第一页：青岛高新区简报", "2023年以来，新引进高质量项目311个"],
        ["第二页：海蓝星量子科技完成B轮融资", "2024年3月，青岛海蓝星量子科技有限公司宣布完成B轮融",
         "资，融资金额为7788万元，将用于量子传感器研发。"]])


def test_a_pdf_opens_at_the_page_with_the_quote_boxed(pdf):
    quote = "青岛海蓝星量子科技有限公司宣布完成B轮融资，融资金额为7788万元"
    page, lo, hi = page_of(pdf, [quote])
    assert page == 2 and hi > lo
    assert page_of(pdf, [quote], hint=1)[0] == 2  # a wrong recorded page is not believed
    view = render_page(pdf, page, lo, hi)
    assert view.png[:8] == b"\x89PNG\r\n\x1a\n" and (view.page, view.pages) == (2, 2)
    assert len(view.boxes) == 2  # the quote runs over two lines: one box each
    (x1, y1, w1, h1), (x2, y2, w2, h2) = view.boxes
    assert 0 < y1 < y2 < 0.2 and 0.005 < h1 < 0.05 and x2 < x1  # near the top; the second line starts further left
    html = original_html(Document("b.pdf", "…", title="海蓝星", path=str(pdf), format="pdf"),
                         {"title": "海蓝星", "quote": quote, "passage": quote, "page": 0}, "zh")
    assert "第 2 页，共 2 页" in html and html.count('class="orig-box"') == 2 and "data:image/png;base64," in html
    nowhere = original_html(Document("b.pdf", "…", path=str(pdf), format="pdf"),
                            {"quote": "一句不在这份文档里的话，无论哪一页。", "page": 1}, "en")
    assert "Page 1 of 2" in nowhere and "could not be placed" in nowhere and "orig-box" not in nowhere
