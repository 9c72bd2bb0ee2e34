"""Scanned bulletins made on purpose: a text laid out as two-column A4 pages, printed to images,
then degraded as a scanner or a phone does (tilt, blur, JPEG), and saved as an image-only PDF.

The OCR benchmark (``eval/bench/ocr.py``) and the tests read them back and compare with the text
that was drawn, page by page (:func:`char_accuracy`). Layout: an article's heading (``##``) spans
both columns; its body, section headings (``###``) and photos with their captions (``■``, a grey
box above a smaller caption) flow down the two columns, balanced; the lines before the first
heading are the masthead.
"""
from __future__ import annotations

import io
import math
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

A4 = (8.27, 11.69)  # inches
MARGIN = 0.6
GUTTER = 0.3


def cjk_fonts() -> list[str]:
    """Files of the fonts installed with Chinese glyphs (fontconfig), regular faces first."""
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    files = sorted({line.split(":")[0].strip() for line in out.splitlines() if line.strip()})
    return sorted(files, key=lambda f: ("Mono" in f or "Sharp" in f, f))


@dataclass
class _Item:
    kind: str  # line | photo
    text: str = ""
    indent: float = 0.0
    height: float = 0.0
    font: object = None


@dataclass
class Page:
    """A rendered page and the text drawn on it, in reading order."""

    image: object  # PIL.Image
    text: list[str] = field(default_factory=list)


def _blocks(text: str) -> list[tuple[str, str]]:
    out = []
    for para in (p.strip() for p in text.replace("\r", "").split("\n")):
        if not para:
            continue
        if para.startswith("## "):
            out.append(("h2", para[3:].strip()))
        elif para.startswith("### "):
            out.append(("h3", para[4:].strip()))
        elif para[0] == "■":
            out.append(("caption", para[1:].strip()))
        else:
            out.append(("p", para))
    return out


def _wrap(text: str, font, width: float, indent: float = 0.0) -> list[str]:
    lines, cur, w = [], "", indent
    for ch in text:
        cw = font.getlength(ch)
        if cur and w + cw > width:
            lines.append(cur)
            cur, w = "", 0.0
        cur += ch
        w += cw
    if cur:
        lines.append(cur)
    return lines


def render_bulletin(text: str, font_path: str, dpi: int = 150, body_pt: float = 10.5,
                    columns: int = 2) -> list[Page]:
    """``text`` (light markdown) laid out on A4 pages at ``dpi``; each page with what it shows."""
    from PIL import Image, ImageDraw, ImageFont

    px = lambda inches: int(round(inches * dpi))  # noqa: E731
    pt = lambda points: points / 72 * dpi  # noqa: E731
    W, H = px(A4[0]), px(A4[1])
    left, top, bottom = px(MARGIN), px(MARGIN), H - px(MARGIN)
    col_w = (W - 2 * px(MARGIN) - (columns - 1) * px(GUTTER)) / columns
    fonts = {k: ImageFont.truetype(font_path, max(8, int(round(pt(s)))))
             for k, s in (("p", body_pt), ("h2", body_pt * 1.7), ("h3", body_pt * 1.3),
                          ("caption", body_pt * 0.82), ("mast", body_pt * 2.0))}
    pages: list[Page] = []
    state = {"img": None, "draw": None, "y": top}

    def new_page():
        img = Image.new("L", (W, H), 255)
        pages.append(Page(img))
        state.update(img=img, draw=ImageDraw.Draw(img), y=top)

    def spanning(line: str, font, gap_after: float):
        h = font.size * 1.4
        if state["img"] is None or state["y"] + h > bottom:
            new_page()
        state["draw"].text((left, state["y"]), line, font=font, fill=0)
        pages[-1].text.append(line)
        state["y"] += h + gap_after

    def flow(items: list[_Item]):
        while items:
            if state["img"] is None or state["y"] + items[0].height > bottom:
                new_page()
            avail = bottom - state["y"]
            total = sum(i.height for i in items)
            target = min(avail, math.ceil(total / columns) + fonts["p"].size) if total <= columns * avail else avail
            placed_y = state["y"]
            for c in range(columns):
                y = placed_y
                x = left + c * (col_w + px(GUTTER))
                while items and y + items[0].height <= placed_y + target + 0.5:
                    it = items.pop(0)
                    if it.kind == "photo":
                        state["draw"].rectangle([x, y + 2, x + col_w, y + it.height - 4], fill=200)
                    elif it.kind == "line":
                        state["draw"].text((x + it.indent, y), it.text, font=it.font, fill=0)
                        pages[-1].text.append(it.text)
                    y += it.height
            state["y"] = placed_y + target
            if items:
                new_page()
        state["y"] += fonts["p"].size

    blocks = _blocks(text)
    first = next((i for i, (k, _) in enumerate(blocks) if k == "h2"), len(blocks))
    for kind, para in blocks[:first]:
        spanning(para, fonts["mast"] if kind != "caption" else fonts["caption"], fonts["p"].size * 0.5)
    article: list[_Item] = []

    def line_items(para: str, key: str, indent: bool) -> list[_Item]:
        font = fonts[key]
        out = []
        for i, ln in enumerate(_wrap(para, font, col_w, 2 * font.size if indent else 0)):
            out.append(_Item("line", ln, 2 * font.size if indent and i == 0 else 0, font.size * 1.5, font))
        if out:
            out[-1].height += font.size * 0.6
        return out

    for kind, para in blocks[first:]:
        if kind == "h2":
            flow(article)
            article = []
            spanning(para, fonts["h2"], fonts["p"].size * 0.6)
        elif kind == "h3":
            article += line_items(para, "h3", False)
        elif kind == "caption":
            article.append(_Item("photo", height=px(1.3)))
            article += line_items(para, "caption", False)
        else:
            article += line_items(para, "p", True)
    flow(article)
    return pages


def degrade(image, tilt: float = 0.0, blur: float = 0.0, jpeg: int = 0, seed: int = 0):
    """A page as a scanner gives it back: turned by ``tilt`` degrees, blurred, grainy, JPEG-compressed."""
    from PIL import Image, ImageFilter

    img = image.convert("L")
    if tilt:
        img = img.rotate(tilt, resample=Image.BICUBIC, expand=False, fillcolor=255)
    if blur:
        img = img.filter(ImageFilter.GaussianBlur(blur))
    if jpeg:
        arr = np.asarray(img, np.float32) + np.random.default_rng(seed).normal(0, 6, (img.height, img.width))
        img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=jpeg)
        img = Image.open(io.BytesIO(buf.getvalue()))
    return img


def save_pdf(images: list, path: Path, dpi: int) -> Path:
    """An image-only PDF, one image a page (no text layer)."""
    first, *rest = [im.convert("RGB") for im in images]
    first.save(path, "PDF", resolution=dpi, save_all=True, append_images=rest)
    return Path(path)


def levenshtein(a: str, b: str) -> int:
    """Edit distance (numpy, a row at a time)."""
    if not a or not b:
        return len(a) + len(b)
    bv = np.frombuffer(b.encode("utf-32-le"), np.uint32)
    prev = np.arange(len(b) + 1, dtype=np.int32)
    j = np.arange(len(b) + 1, dtype=np.int32)
    for i, ch in enumerate(a, 1):
        sub = prev[:-1] + (bv != ord(ch))
        cur = np.empty_like(prev)
        cur[0] = i
        cur[1:] = np.minimum(sub, prev[1:] + 1)
        cur = np.minimum.accumulate(cur - j) + j
        prev = cur
    return int(prev[-1])


def char_accuracy(truth: str, read: str) -> float:
    """1 - edit distance / length, whitespace ignored (1.0: every character read, in order)."""
    t, r = "".join(truth.split()), "".join(read.split())
    return 1.0 - levenshtein(t, r) / max(1, len(t))
