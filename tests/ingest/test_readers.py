"""Every input format and encoding, and every kind of bad input."""
import json

import pytest

from rag.ingest.readers import decode_bytes, iter_files, read_path, ReadError
from rag.types import Skipped

ZH = "## 青岛高新区简讯\n\n青岛高新区新引进高质量项目311个、总投资350亿元。\n"


def _read(path):
    out = list(read_path(path))
    docs = [d for d in out if not isinstance(d, Skipped)]
    skipped = [s for s in out if isinstance(s, Skipped)]
    return docs, skipped


@pytest.mark.parametrize("encoding,bom", [
    ("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("gbk", b""), ("gb18030", b""),
    ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"),
])
def test_text_encodings(tmp_path, encoding, bom):
    p = tmp_path / "bulletin.txt"
    text = ZH + "繁體字與𠮷（GB18030 四字节）\n" if encoding in ("gb18030", "utf-8") else ZH
    p.write_bytes(bom + text.encode(encoding))
    docs, skipped = _read(p)
    assert not skipped
    assert docs[0].text.lstrip("\ufeff") == text
    assert docs[0].format == "txt"


def test_markdown(tmp_path):
    p = tmp_path / "a.md"
    p.write_text(ZH, encoding="utf-8")
    docs, _ = _read(p)
    assert docs[0].text == ZH and docs[0].format == "md"


def test_html_headings_captions_and_gbk_meta(tmp_path):
    html = ("<html><head><meta charset='gbk'><title>简讯</title><style>p{}</style></head><body>"
            "<h2>青岛高新区简讯</h2><p>新引进高质量项目311个。</p>"
            "<figure><img src=x><figcaption>青岛高新区政务服务中心。</figcaption></figure>"
            "<script>var a='不要';</script></body></html>")
    p = tmp_path / "a.html"
    p.write_bytes(html.encode("gbk"))
    docs, _ = _read(p)
    d = docs[0]
    assert d.title == "简讯"
    assert "青岛高新区简讯" in d.text and "新引进高质量项目311个。" in d.text
    assert "■青岛高新区政务服务中心。" in d.text
    assert "不要" not in d.text and "p{}" not in d.text


def _pdf(path, pages):
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path))
    for lines in pages:
        c.setFont("STSong-Light", 12)
        for i, line in enumerate(lines):
            c.drawString(72, 750 - 20 * i, line)
        c.showPage()
    c.save()


def test_pdf_with_a_sentence_cut_by_the_page_break(tmp_path):
    p = tmp_path / "a.pdf"
    _pdf(p, [["## 青岛高新区简讯", "青岛高新区新引进高质量项目311个、总投资350亿元，全省金融系统首"],
             ["笔“火炬创新积分贷”1000万元。"]])
    docs, skipped = _read(p)
    assert not skipped and docs[0].format == "pdf"
    from rag.ingest.layout import parse_layout

    assert "全省金融系统首笔“火炬创新积分贷”1000万元。" in parse_layout(docs[0].text).text


def test_docx_headings_and_captions(tmp_path):
    import docx

    d = docx.Document()
    d.add_heading("青岛高新区简讯", level=1)
    d.add_heading("开放引领", level=2)
    d.add_paragraph("新引进高质量项目311个、总投资350亿元。")
    d.add_paragraph("青岛高新区政务服务中心。", style="Caption")
    p = tmp_path / "a.docx"
    d.save(p)
    docs, _ = _read(p)
    text = docs[0].text
    assert "## 青岛高新区简讯" in text and "### 开放引领" in text
    assert "■青岛高新区政务服务中心。" in text


def test_jsonl_records_and_bad_lines(tmp_path):
    p = tmp_path / "news.jsonl"
    lines = [
        json.dumps({"id": "n1", "title": "标题", "date": "2023-07-24", "source": "新华社", "text": "正文一。"}, ensure_ascii=False),
        "{not json",
        json.dumps({"id": "n2"}),
        json.dumps({"id": "n3", "text": "   "}),
        json.dumps({"text": "没有编号的正文。"}, ensure_ascii=False),
    ]
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    docs, skipped = _read(p)
    assert [(d.doc_id, d.title, d.date, d.source) for d in docs[:1]] == [("n1", "标题", "2023-07-24", "新华社")]
    assert docs[1].doc_id.endswith(":5")  # a record without id is named by file and line
    reasons = {s.path.rsplit(":", 1)[1]: s.reason for s in skipped}
    assert reasons["2"].startswith("invalid JSON")
    assert reasons["3"] == 'record needs a "text" string'
    assert reasons["4"] == "empty text"


@pytest.mark.parametrize("name,content,reason", [
    ("empty.txt", b"", "empty file"),
    ("blank.txt", b"  \n\n ", "empty file"),
    ("binary.txt", b"\x00\x01\x02\x03PK\x00\x00garbage", "binary file"),
    ("image.png", b"\x89PNG\r\n\x1a\n", "unreadable image"),
    ("program.exe", b"MZ\x90\x00", "unsupported format '.exe'"),
    ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "unreadable PDF"),
    ("broken.docx", b"PK\x03\x04 not a zip really", "unreadable DOCX"),
    ("latin.txt", bytes(range(128, 256)) * 4, "unreadable"),
    ("records.jsonl", b"{bad}\n[1,2]\n", "no usable records"),
])
def test_bad_inputs_are_reported_by_name_with_a_reason(tmp_path, name, content, reason):
    p = tmp_path / name
    p.write_bytes(content)
    docs, skipped = _read(p)
    assert not docs
    assert any(s.path.startswith(str(p)) and reason in s.reason for s in skipped), skipped


def test_a_blank_pdf_is_read_by_ocr_and_refused_when_it_finds_nothing(tmp_path):
    p = tmp_path / "scan.pdf"
    _pdf(p, [[]])
    docs, skipped = _read(p)
    assert not docs and "no text layer, and OCR found none" in skipped[0].reason


def test_unreadable_paths_and_missing_path(tmp_path):
    dangling = tmp_path / "gone.txt"
    dangling.symlink_to(tmp_path / "nowhere.txt")
    _, skipped = _read(dangling)
    assert skipped[0].path == str(dangling) and skipped[0].reason.startswith("cannot read")
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    _, skipped = _read(folder)
    assert skipped[0].reason.startswith("cannot read")
    missing = list(iter_files([tmp_path / "nope"]))
    assert isinstance(missing[0], Skipped) and missing[0].reason == "no such file or folder"


def test_folders_are_walked_sorted_and_hidden_files_skipped(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.txt").write_text("x")
    (tmp_path / "1.txt").write_text("x")
    (tmp_path / ".hidden.txt").write_text("x")
    assert [p.name for p in iter_files([tmp_path])] == ["1.txt", "2.txt"]


def test_decode_rejects_nul_and_empty():
    with pytest.raises(ReadError):
        decode_bytes(b"")
    with pytest.raises(ReadError):
        decode_bytes(b"abc\x00def")
