"""Tables in place, each row a sentence with its headers and caption: .docx, PDF, .xlsx, .csv;
bylines in .docx and PDFs; .doc through a converter, or refused saying what to install."""
import shutil

import pytest

from rag.config import ChunkerSettings
from rag.ingest import prepare_document, read_path
from rag.ingest.tables import row_sentences, table_lines
from rag.types import Skipped

ROWS = [["指标", "2023年", "增长"], ["技术合同成交额", "85亿元", "12%"], ["高新技术企业", "482家", "9%"]]


def _doc(path):
    out = list(read_path(path))
    assert len(out) == 1 and not isinstance(out[0], Skipped), out
    return out[0]


def _prepared(path):
    return prepare_document(_doc(path), ChunkerSettings(), len)


def test_each_row_is_a_sentence_with_its_headers_and_caption():
    assert row_sentences(ROWS, "2023年主要指标") == [
        "2023年主要指标 技术合同成交额：2023年85亿元，增长12%。",
        "2023年主要指标 高新技术企业：2023年482家，增长9%。"]
    # the example: caption 2023年, a row name and one column
    assert row_sentences([["项目", "增长"], ["技术合同成交额", "12%"]], "2023年") == ["2023年 技术合同成交额：增长12%。"]
    # a merged title row is the caption; a column of row numbers is left out
    rows = [["表1 经济指标"] * 3, ["序号", "指标", "数值"], ["1", "营业收入", "120亿元"], ["2", "利润", "8亿元"]]
    assert row_sentences(rows) == ["表1 经济指标 营业收入：数值120亿元。", "表1 经济指标 利润：数值8亿元。"]
    assert table_lines([["一段很长的正文" * 40]]) == ["一段很长的正文" * 40]  # a layout table: its text


def _docx(path):
    import docx

    d = docx.Document()
    d.core_properties.created = __import__("datetime").datetime(2024, 3, 8)
    d.add_heading("高新区科技统计快报", level=1)
    d.add_paragraph("本报记者 孙晓梅")
    d.add_paragraph("2023年，青岛高新区科技创新各项指标稳步增长，技术市场持续活跃。")
    d.add_paragraph("表1 2023年主要科技指标")
    t = d.add_table(rows=3, cols=3)
    for i, row in enumerate(ROWS):
        for j, v in enumerate(row):
            t.cell(i, j).text = v
    d.add_paragraph("下一步，高新区将继续加大科技投入，推动成果转化。")
    d.add_heading("海洋科技论坛举办", level=1)
    d.add_paragraph("青岛高新区举办首届海洋科技论坛，吸引200余名专家参加。")
    d.add_paragraph("王小明")
    d.save(path)
    return path


def test_a_docx_table_is_read_in_place_under_its_article(tmp_path):
    prep = _prepared(_docx(tmp_path / "快报.docx"))
    text = prep.document.text
    assert text.index("稳步增长") < text.index("技术合同成交额") < text.index("下一步")  # in document order
    tables = [c for c in prep.chunks if c.kind == "table"]
    assert tables and all(c.title == "高新区科技统计快报" for c in tables)
    assert "表1 2023年主要科技指标 技术合同成交额：2023年85亿元，增长12%。" in tables[0].text
    assert "12%技术合同成交额" not in text  # cells no longer run together
    # the byline under the heading signs its article; the closing one signs the next
    by_title = {c.title: c.author for c in prep.chunks}
    assert by_title["高新区科技统计快报"] == "本报记者 孙晓梅" and by_title["海洋科技论坛举办"] == "王小明"
    assert (prep.document.date, prep.document.date_source) == ("2024-03-08", "DOCX metadata")


def test_xlsx_and_csv_are_tables(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "2023年主要指标"
    for row in ROWS:
        ws.append(row)
    wb.save(tmp_path / "指标-2024-02.xlsx")
    prep = _prepared(tmp_path / "指标-2024-02.xlsx")
    assert [c.kind for c in prep.chunks] == ["table"] and prep.document.date == "2024-02"
    assert "2023年主要指标 技术合同成交额：2023年85亿元，增长12%。" in prep.chunks[0].text
    (tmp_path / "指标.csv").write_text("\n".join(",".join(r) for r in ROWS), encoding="gbk")
    prep = _prepared(tmp_path / "指标.csv")
    assert "技术合同成交额：2023年85亿元，增长12%。" in prep.chunks[0].text and prep.chunks[0].kind == "table"


def _table_pdf(path):
    from reportlab.lib import colors
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle, PageBreak
    from reportlab.lib.styles import ParagraphStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    body = ParagraphStyle("b", fontName="STSong-Light", fontSize=11, leading=16)
    head = ParagraphStyle("h", fontName="STSong-Light", fontSize=18, leading=24)
    table = Table(ROWS)
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), "STSong-Light"),
                               ("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))
    SimpleDocTemplate(str(path)).build([
        Paragraph("高新区科技统计快报", head), Paragraph("2023年，青岛高新区科技创新各项指标稳步增长。", body),
        PageBreak(), Paragraph("表1 2023年主要科技指标", body), table,
        Paragraph("下一步，高新区将继续加大科技投入。", body), Paragraph("本报记者 孙晓梅", body)])
    return path


def test_a_pdf_table_heading_byline_and_pages(tmp_path):
    prep = _prepared(_table_pdf(tmp_path / "快报.pdf"))
    table = next(c for c in prep.chunks if c.kind == "table")
    assert "表1 2023年主要科技指标 技术合同成交额：2023年85亿元，增长12%。" in table.text
    assert table.page == 2 and {c.page for c in prep.chunks} == {1, 2}
    assert prep.document.title == "高新区科技统计快报"  # a heading by its size
    assert {c.author.replace(" ", "") for c in prep.chunks} == {"本报记者孙晓梅"}


def _legacy_doc(tmp_path):
    """A real .doc, made from a .docx by LibreOffice (the converter the reader uses)."""
    src = _docx(tmp_path / "src.docx")
    out = tmp_path / "out"
    import subprocess

    subprocess.run([shutil.which("soffice"), "--headless", f"-env:UserInstallation=file://{tmp_path}/p",
                    "--convert-to", "doc", "--outdir", str(out), str(src)], capture_output=True, timeout=120)
    return out / "src.doc"


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice is not installed (make legacy installs it)")
def test_a_doc_and_a_wps_are_converted(tmp_path):
    doc = _legacy_doc(tmp_path)
    prep = _prepared(doc)
    assert "技术合同成交额：2023年85亿元，增长12%。" in prep.document.text
    assert prep.chunks[0].author == "本报记者 孙晓梅"  # LibreOffice keeps the heading styles
    wps = doc.with_suffix(".wps")  # WPS Office's .wps files are Word's binary format
    shutil.copy(doc, wps)
    assert "技术合同成交额" in _prepared(wps).document.text


def test_a_doc_is_read_by_antiword(tmp_path, monkeypatch):
    """kuaibao.doc: the .docx above saved as Word 97-2003 by LibreOffice; antiword (installed by
    `make test`) reads it when LibreOffice is not there."""
    from ..conftest import FIXTURES

    assert shutil.which("antiword"), "antiword is installed by `make test` (Debian package antiword)"
    monkeypatch.setenv("PATH", str(tmp_path) + ":" + str(__import__("pathlib").Path(shutil.which("antiword")).parent))
    (tmp_path / "soffice").write_text("#!/bin/sh\nexit 1\n")  # a LibreOffice that fails: antiword takes over
    (tmp_path / "soffice").chmod(0o755)
    for name in ("kuaibao.doc", "kuaibao.wps"):
        shutil.copy(FIXTURES / "office" / "kuaibao.doc", tmp_path / name)
        prep = _prepared(tmp_path / name)
        table = next(c for c in prep.chunks if c.kind == "table")
        assert "表1 2023年主要科技指标 技术合同成交额：2023年85亿元，增长12%。" in table.text
        assert "青岛高新区举办首届海洋科技论坛" in prep.document.text  # (antiword keeps no heading styles)


def test_without_a_converter_a_doc_is_refused_saying_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no soffice, no antiword
    p = tmp_path / "旧简报.doc"
    p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)
    out = list(read_path(p))
    assert isinstance(out[0], Skipped) and out[0].path == str(p)
    assert "needs a converter" in out[0].reason and "libreoffice" in out[0].reason and "antiword" in out[0].reason
