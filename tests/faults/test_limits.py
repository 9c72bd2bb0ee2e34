"""What one file may cost to read (Settings.limits): a zip bomb, a huge text, too many pages, too
many characters, too many seconds. Each is skipped by name with the limit it broke, in bounded
memory, and the rest of the batch is ingested."""
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from rag.config import ReadLimits, SettingsError, load_settings
from rag.index import Index, ingest
from rag.ingest import read_path
from rag.types import Skipped

from ..conftest import ROOT


def zip_bomb(path: Path, mib: int = 1024) -> Path:
    """A .docx whose document.xml inflates to ``mib`` MiB of real paragraphs (~10 MB on disk)."""
    import docx

    buf = io.BytesIO()
    docx.Document().save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    para = b"<w:p><w:r><w:t>" + "青岛高新区".encode() * 60 + b"</w:t></w:r></w:p>"
    block = para * (1024 * 1024 // len(para))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for item in src.infolist():
            data = src.read(item)
            if item.filename != "word/document.xml":
                z.writestr(item, data)
                continue
            head, tail = data.split(b"<w:body>", 1)
            with z.open("word/document.xml", "w", force_zip64=True) as f:
                f.write(head + b"<w:body>")
                for _ in range(mib):
                    f.write(block)
                f.write(tail)
    return path


def reasons(path: Path, limits: ReadLimits | None = None) -> list[str]:
    return [r.reason for r in read_path(path, limits) if isinstance(r, Skipped)]


PEAK = """
import re, sys
from pathlib import Path
from rag.index import ingest
from rag.config import load_settings
from tests.faults.conftest import fake_embedder
s = load_settings(env={}, index_dir=Path(sys.argv[2]), cache_dir=Path(sys.argv[3]))
report = ingest([Path(p) for p in sys.argv[1].split(",")], s, fake_embedder())
# this process's own peak (VmHWM starts afresh at exec; ru_maxrss would carry the parent's over)
print(int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1)) // 1024)
print([(Path(x.path).name, x.reason) for x in report.skipped])
"""


def test_a_zip_bomb_is_refused_before_it_inflates_in_bounded_memory(tmp_path):
    """A .docx of ~10 MB that inflates to 1 GiB took 2 GB (and 20 s) before it was refused."""
    bomb = zip_bomb(tmp_path / "bomb.docx")
    assert bomb.stat().st_size < 20 * 1024 * 1024  # the UI's upload limit admits it
    good = tmp_path / "good.txt"
    good.write_text("海鸥湾示范区新建智能灯塔27座。", encoding="utf-8")
    out = subprocess.run([sys.executable, "-c", PEAK, f"{bomb},{good}", str(tmp_path / "index"),
                          str(tmp_path / "cache")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    peak_mb, skipped = out.stdout.splitlines()[-2:]
    assert int(peak_mb) < 400, f"peak {peak_mb} MB"
    assert "bomb.docx" in skipped and "limits.max_unzipped_mb" in skipped and "1,024 MB > 100 MB" in skipped
    assert len(Index.load(tmp_path / "index").documents) == 1  # the good file is in


def test_a_huge_text_is_refused_by_its_size_before_it_is_read(tmp_path):
    """A 50 MB text file (under the 200 MB file limit) peaked at 7 GB."""
    big = tmp_path / "big.txt"
    with open(big, "wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # sparse: no disk used, never read
    [why] = reasons(big)
    assert "limits.max_chars" in why and "50.0 MB" in why
    small = tmp_path / "small.txt"
    small.write_text("a" * 5000, encoding="utf-8")
    [why] = reasons(small, ReadLimits(max_chars=2000))
    assert why == "too long: 5,000 characters > 2,000 (limits.max_chars)"
    [why] = reasons(small, ReadLimits(max_chars=1000))
    assert why == "too long: 4.9 KB of text holds more than 1,000 characters (limits.max_chars)"


def _pdf(path: Path, pages: int) -> Path:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path))
    for i in range(pages):
        c.setFont("STSong-Light", 12)
        c.drawString(72, 750, f"第{i + 1}页：青岛高新区新引进高质量项目311个。")
        c.showPage()
    c.save()
    return path


def test_pdf_pages_size_characters_and_seconds(tmp_path):
    pdf = _pdf(tmp_path / "a.pdf", 3)
    assert reasons(pdf) == []
    assert reasons(pdf, ReadLimits(max_pdf_pages=2)) == ["too many pages: 3 > 2 (limits.max_pdf_pages)"]
    [why] = reasons(pdf, ReadLimits(max_pdf_mb=0.001))
    assert why.startswith("too large for a PDF") and "limits.max_pdf_mb" in why
    [why] = reasons(pdf, ReadLimits(max_chars=30))
    assert "limits.max_chars" in why
    [why] = reasons(pdf, ReadLimits(max_seconds=1e-9))
    assert why.startswith("took over") and "limits.max_seconds" in why


def test_docx_characters_and_file_size(tmp_path):
    import docx

    d = docx.Document()
    for i in range(600):
        d.add_paragraph(f"第{i}段：青岛高新区新引进高质量项目311个。")
    path = tmp_path / "long.docx"
    d.save(path)
    assert reasons(path) == []
    [why] = reasons(path, ReadLimits(max_chars=2000))
    assert "limits.max_chars" in why
    [why] = reasons(path, ReadLimits(max_file_mb=0.001))
    assert why.startswith("too large") and "limits.max_file_mb" in why
    [why] = reasons(path, ReadLimits(max_unzipped_mb=0.001))
    assert why.startswith("unzips to") and "limits.max_unzipped_mb" in why


def test_a_long_jsonl_record_is_skipped_by_its_line(tmp_path):
    p = tmp_path / "r.jsonl"
    p.write_text("\n".join(json.dumps({"id": f"r{i}", "text": "字" * n}) for i, n in enumerate((10, 5000, 20))),
                 encoding="utf-8")
    out = list(read_path(p, ReadLimits(max_chars=100)))
    assert [r.doc_id for r in out if not isinstance(r, Skipped)] == ["r0", "r2"]
    [skip] = [r for r in out if isinstance(r, Skipped)]
    assert skip.path.endswith(":2") and "limits.max_chars" in skip.reason


def test_limits_are_settings(tmp_path, fake):
    toml = tmp_path / "rag.toml"
    toml.write_text("[limits]\nmax_chars = 100\nmax_pdf_pages = 5\n")
    s = load_settings(toml, env={"RAG_LIMITS_MAX_UNZIPPED_MB": "50"}, index_dir=tmp_path / "index",
                      cache_dir=tmp_path / "cache")
    assert (s.limits.max_chars, s.limits.max_pdf_pages, s.limits.max_unzipped_mb) == (100, 5, 50.0)
    for bad in ({"max_chars": 0}, {"max_seconds": -1}, {"max_pdf_pages": "many"}, {"max_pages": 3}):
        with pytest.raises(SettingsError):
            s.replace(limits=bad)
    (tmp_path / "long.txt").write_text("字" * 500, encoding="utf-8")
    (tmp_path / "short.txt").write_text("海鸥湾示范区新建智能灯塔27座。", encoding="utf-8")
    report = ingest([tmp_path / "long.txt", tmp_path / "short.txt"], s, fake)
    assert report.documents == 1 and "limits.max_chars" in report.skipped[0].reason
