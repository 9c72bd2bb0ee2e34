"""Scans and photos read by OCR (RapidOCR's bundled models): the reading order of two columns,
page numbers on every passage of a PDF, a text layer kept where there is one."""
import pytest

from rag.config import ChunkerSettings
from rag.evals.scans import char_accuracy, cjk_fonts, degrade, render_bulletin, save_pdf
from rag.ingest import prepare_document, read_path
from rag.types import Skipped

LEFT = ["青岛高新区举办首届海洋", "科技论坛，吸引两百余名", "专家参加。"]
RIGHT = ["康复大学加快去筹，全国", "海洋科技大学全面启动，", "进展顺利。"]


@pytest.fixture(scope="module")
def font():
    fonts = cjk_fonts()
    assert fonts, "a Chinese font is needed (make test installs fonts-wqy-microhei)"
    return fonts[0]


def _prepared(path):
    out = list(read_path(path))
    assert len(out) == 1 and not isinstance(out[0], Skipped), out
    return prepare_document(out[0], ChunkerSettings(), len)


def test_a_photographed_two_column_page_is_read_column_by_column(tmp_path, font):
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("L", (900, 420), 255)
    draw = ImageDraw.Draw(img)
    draw.text((40, 30), "高新区简讯", font=ImageFont.truetype(font, 44), fill=0)
    body = ImageFont.truetype(font, 28)
    for i, (a, b) in enumerate(zip(LEFT, RIGHT)):
        draw.text((40, 120 + i * 46), a, font=body, fill=0)
        draw.text((480, 120 + i * 46), b, font=body, fill=0)
    degrade(img, tilt=0.5, blur=0.5, jpeg=70).save(tmp_path / "简讯-2024-02.jpg")
    prep = _prepared(tmp_path / "简讯-2024-02.jpg")
    text = prep.document.text
    assert char_accuracy("".join(LEFT), text[text.index("青岛"):text.index("专家参加") + 5]) > 0.9
    assert text.index("专家参加") < text.index("康复大学")  # the left column first, whole
    assert prep.document.title == "高新区简讯" and {c.page for c in prep.chunks} == {1}
    assert prep.document.date == "2024-02"


@pytest.mark.slow
def test_a_scanned_pdf_is_read_by_ocr_and_keeps_its_pages(tmp_path, font, seed_text, monkeypatch):
    monkeypatch.setenv("RAG_OCR_WORKERS", "2")  # its two pages read side by side, by a pool
    text = seed_text[:seed_text.index("### 产业升级")]
    pages = render_bulletin(text, font, dpi=150)
    save_pdf([degrade(p.image, tilt=0.3, blur=0.5, jpeg=60) for p in pages], tmp_path / "scan.pdf", 150)
    prep = _prepared(tmp_path / "scan.pdf")
    assert len(pages) == 2 and {c.page for c in prep.chunks} == {1, 2}
    doc = prep.document.text
    # the sentence cut by the column and page breaks, with a photo caption in between, is whole again
    assert "全省金融系统首笔“火炬创新积分贷”1000万元" in doc
    assert any(c.kind == "caption" and "阿斯利康" in c.text for c in prep.chunks)
    truth = "".join("".join(p.text) for p in pages)
    assert char_accuracy(truth, "".join(c for c in doc if c not in "#■")) > 0.95


def test_a_page_with_a_text_layer_keeps_its_text(tmp_path):
    from .test_readers import _pdf

    p = tmp_path / "a.pdf"
    _pdf(p, [["## 青岛高新区简讯", "青岛高新区新引进高质量项目311个。"], ["## 第二篇", "第二页：总投资350亿元。"]])
    prep = _prepared(p)
    assert "新引进高质量项目311个" in prep.document.text
    assert [c.page for c in prep.chunks] == [1, 2]
