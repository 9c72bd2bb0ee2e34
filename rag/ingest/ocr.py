"""Text from images: scanned PDF pages and photos of bulletins, by RapidOCR's bundled models.

``rapidocr-onnxruntime`` 1.4.4 carries PP-OCRv4's Chinese detection and recognition models inside
its wheel (later ``rapidocr`` releases download theirs at run time, which cannot work here). It
finds each line's box and reads it; the boxes come row by row across columns, so the page's
reading order is rebuilt from them (:mod:`.pagelayout`).

Speed: the direction classifier is off (bulletin pages are upright); each engine runs ONNX
Runtime with one thread, and recognises lines one at a time: on 2 cores that beat two threads,
and batches of lines (measured: docs/decisions.md, "OCR: pages read in the ingesting process"). The scanned
pages of a PDF can be read side by side by a pool of processes (``RAG_OCR_WORKERS=N``); by default
they are read in this process, since the pool did not pay where it was measured.
"""
from __future__ import annotations

import os
import threading
import unicodedata
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from .budget import Clock, ReadError
from .pagelayout import Line, merge_pieces, page_text

REC_BATCH = 1  # lines per recognition call: larger batches measured slower on 2 cores (docs/decisions.md)
MIN_SCORE = 0.5  # a line read with less confidence than this is left out

_ENGINES: dict[int, object] = {}
_LOCK = threading.Lock()


def cores() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def engine(threads: int = 1):
    """The OCR engine (one per process and thread count; loading it takes about a second). One
    thread by default: on 2 cores two pages read side by side, one thread each, beat one page
    read with two threads (docs/decisions.md)."""
    threads = threads or 1
    with _LOCK:
        if threads not in _ENGINES:
            try:
                from rapidocr_onnxruntime import RapidOCR
            except ImportError as exc:  # pragma: no cover - a dependency of the project
                raise ReadError(f"OCR is not installed ({exc}): pip install rapidocr-onnxruntime==1.4.4") from exc
            ocr = RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1, use_cls=False,
                           rec_batch_num=REC_BATCH, print_verbose=False)
            ocr.text_rec.rec_batch_num = REC_BATCH
            _ENGINES[threads] = ocr
        return _ENGINES[threads]


@dataclass
class OcrPage:
    """What OCR read on one page: its lines with their boxes (pixels), and the page's text."""

    lines: list[Line]
    text: str
    width: int
    height: int


def ocr_lines(image: np.ndarray, threads: int | None = None) -> list[Line]:
    """The lines of text on an image (an RGB or grey array), each with its box, straightened: a
    tilted scan's boxes are turned back by the page's skew (the median slant of its long lines),
    so columns stand upright; a line's size is its height across its slant."""
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    result, _ = engine(threads)(np.ascontiguousarray(image[..., :3][..., ::-1]))  # RapidOCR wants BGR
    found = [(np.asarray(box, np.float64), str(text).strip()) for box, text, score in result or []
             if float(score) >= MIN_SCORE and str(text).strip()]
    slants = [np.arctan2(b[1, 1] - b[0, 1], b[1, 0] - b[0, 0]) for b, _ in found
              if np.hypot(*(b[1] - b[0])) > 5 * np.hypot(*(b[3] - b[0]))]
    angle = float(np.median(slants)) if slants else 0.0
    turn = np.array([[np.cos(-angle), -np.sin(-angle)], [np.sin(-angle), np.cos(-angle)]])
    out = []
    for box, text in found:
        pts = box @ turn.T
        size = _letter_size(box, text)
        out.append(Line(float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()),
                        float(pts[:, 1].max()), text, float(size)))
    return out


def _letter_size(box: np.ndarray, text: str) -> float:
    """How large a line's letters are: its width per character (a Chinese character is one em
    wide, others half), which tells a caption's smaller letters from the body's where the boxes'
    heights (padded by the detector) do not; a line of a few characters, by its height across."""
    height = (np.hypot(*(box[3] - box[0])) + np.hypot(*(box[2] - box[1]))) / 2
    units = sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.5 for ch in text)
    if units < 6:
        return float(height)
    return float((np.hypot(*(box[1] - box[0])) + np.hypot(*(box[2] - box[3]))) / 2 / units)


def ocr_page(image, threads: int | None = None) -> OcrPage:
    """One page image (a PIL image or an array) read: its lines and its text in reading order."""
    arr = np.asarray(image.convert("RGB")) if hasattr(image, "convert") else np.asarray(image)
    lines = merge_pieces(ocr_lines(arr, threads))
    return OcrPage(lines, page_text(lines), arr.shape[1], arr.shape[0])


def _ocr_png(png: bytes, threads: int = 1) -> str:
    """A page (PNG bytes) read with ``threads`` threads (in this process or a pool's)."""
    import io

    from PIL import Image

    return ocr_page(Image.open(io.BytesIO(png)), threads=threads).text


def ocr_workers(pages: int) -> int:
    """Processes to read ``pages`` scanned pages with: ``RAG_OCR_WORKERS`` (at most one per page);
    by default 1, this process: on the shared 2-core machines measured, a pool of two did not pay
    (docs/decisions.md), its workers' start and model loading outweighing the second core."""
    want = os.environ.get("RAG_OCR_WORKERS", "").strip()
    n = int(want) if want.isdigit() and int(want) > 0 else 1
    return max(1, min(n, pages, 4 * cores()))


def ocr_pages(scans: dict[int, bytes], limits, progress=None) -> Iterator[tuple[int, str]]:
    """(page index, text) of each scanned page (PNG bytes by index), read side by side by a pool
    of processes when there are several pages and cores; each page within ``limits.max_seconds``
    of the moment its result is awaited (a page over it stops the file)."""
    if not scans:
        return
    done = 0
    workers = ocr_workers(len(scans))
    if workers == 1:  # one page at a time, with the cores there are (2 threads: 15.6 pages a minute on
        # a quiet 2-core EPYC against 8.2 with one; docs/decisions.md)
        for i, png in scans.items():
            clock = Clock(limits.max_seconds)
            text = _ocr_png(png, min(2, cores()))
            clock.check(f"OCR of page {i + 1}")
            done += 1
            if progress is not None:
                progress(done, len(scans))
            yield i, text
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, TimeoutError as Timeout

    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {i: pool.submit(_ocr_png, png) for i, png in scans.items()}
        try:
            for i, future in futures.items():
                try:
                    text = future.result(timeout=limits.max_seconds)
                except Timeout:
                    raise ReadError(f"took over {limits.max_seconds:g} s to read (OCR of page {i + 1}) "
                                    f"(limits.max_seconds = {limits.max_seconds:g})") from None
                done += 1
                if progress is not None:
                    progress(done, len(scans))
                yield i, text
        finally:
            for f in futures.values():
                f.cancel()


def read_image(path, limits=None) -> str:
    """The text of an image file (a photo or scan of a page)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            frames = []
            for i in range(getattr(img, "n_frames", 1)):  # a multi-page TIFF
                img.seek(i)
                frames.append(img.convert("RGB"))
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ReadError(f"unreadable image ({exc.__class__.__name__}: {exc})") from exc
    texts = []
    for i, frame in enumerate(frames):
        clock = Clock(limits.max_seconds) if limits is not None else None
        texts.append(ocr_page(frame).text)
        if clock is not None:
            clock.check(f"OCR of page {i + 1}")
    text = "\f".join(texts)
    if not text.strip():
        raise ReadError("no text found in the image (OCR read nothing)")
    return text
