"""PDFs with a text layer for the tests of the original (reportlab's built-in Chinese CID font)."""
from pathlib import Path


def write_pdf(path: Path, pages: list[list[str]]) -> Path:
    """A PDF at ``path`` with one page per list of lines, each line drawn from the top left."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path))
    for lines in pages:
        c.setFont("STSong-Light", 14)
        y = 780
        for line in lines:
            c.drawString(60, y, line)
            y -= 24
        c.showPage()
    c.save()
    return path
