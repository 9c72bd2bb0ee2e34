"""OCR speed and character accuracy on bulletin pages rendered here (writes OUT/ocr.json and ocr.md).

    .venv/bin/python eval/bench/ocr.py [--out eval/reports/ocr] [--text corpus/qingdao-hitech-bulletin-2024-01.txt]

The seed bulletin is laid out as two-column A4 pages (rag.evals.scans), degraded, and read back
the way `rag ingest` reads a scanned PDF page (rag.ingest.ocr); every figure is against the text
that was drawn on the page, in reading order.

* speed: the 150-dpi pages (slight tilt, blur, JPEG 60), read (a) one page at a time with one
  thread, (b) one page at a time with two threads, (c) two processes of one thread side by side
  (what ingest does on 2 cores); pages per minute of wall time, and CPU seconds per page.
* accuracy: several fonts (fc-list :lang=zh), 100-300 dpi, clean / scanned / poor (tilt, blur,
  JPEG grain), one page each: 1 - edit distance / characters drawn (whitespace ignored).

The machine is shared: the load average before and after is recorded beside the figures, and
the CPU's instruction sets.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from rag.embed.cpu import cpu_flags, cpu_model, describe  # noqa: E402
from rag.evals.scans import char_accuracy, cjk_fonts, degrade, render_bulletin  # noqa: E402
from rag.ingest.ocr import engine, ocr_page, ocr_pages  # noqa: E402

CONDITIONS = {"clean": dict(tilt=0.0, blur=0.0, jpeg=0), "scanned": dict(tilt=0.4, blur=0.6, jpeg=60),
              "poor": dict(tilt=1.2, blur=1.0, jpeg=35)}


def png(image) -> bytes:
    buf = io.BytesIO()
    image.convert("L").save(buf, "PNG")
    return buf.getvalue()


def truth_of(page) -> str:
    return "".join(page.text)


def read_text(text: str) -> str:
    return "".join(ch for ch in text if ch not in "#■")


class Limits:
    max_seconds = 3600.0


def speed(pages, out: dict) -> None:
    imgs = [degrade(p.image, **CONDITIONS["scanned"], seed=i) for i, p in enumerate(pages)]
    truth = [truth_of(p) for p in pages]
    runs = {}
    for name, threads, workers in (("1 process, 1 thread", 1, 1), ("1 process, 2 threads", 2, 1),
                                   ("2 processes, 1 thread each", 1, 2)):
        load0 = os.getloadavg()[0]
        engine(threads)  # loaded before the clock starts (a pool's workers load theirs inside it)
        cpu0, t0 = time.process_time(), time.perf_counter()
        if workers == 1:
            texts = [ocr_page(im, threads).text for im in imgs]
        else:
            os.environ["RAG_OCR_WORKERS"] = str(workers)
            got = dict(ocr_pages({i: png(im) for i, im in enumerate(imgs)}, Limits()))
            texts = [got[i] for i in range(len(imgs))]
            os.environ.pop("RAG_OCR_WORKERS")
        wall = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
        runs[name] = {"pages": len(imgs), "seconds": round(wall, 1), "pages_per_minute": round(60 * len(imgs) / wall, 2),
                      "cpu_seconds_per_page_this_process": round(cpu / len(imgs), 1) if workers == 1 else None,
                      "char_accuracy": round(sum(char_accuracy(t, read_text(x)) for t, x in zip(truth, texts)) / len(imgs), 4),
                      "load_before": round(load0, 2), "load_after": round(os.getloadavg()[0], 2)}
        print(name, runs[name], flush=True)
    out["speed"] = runs


def accuracy(text: str, fonts: list[str], out: dict) -> None:
    rows = []
    cases = [(f, 150, "scanned") for f in fonts]
    cases += [(fonts[0], dpi, "scanned") for dpi in (100, 200, 300)]
    cases += [(fonts[0], 150, c) for c in ("clean", "poor")]
    for font, dpi, cond in cases:
        page = render_bulletin(text, font, dpi=dpi)[0]
        t0 = time.perf_counter()
        got = ocr_page(degrade(page.image, **CONDITIONS[cond]), 1)
        acc = char_accuracy(truth_of(page), read_text(got.text))
        rows.append({"font": Path(font).name, "dpi": dpi, "condition": cond, "chars": len(truth_of(page)),
                     "char_accuracy": round(acc, 4), "seconds": round(time.perf_counter() - t0, 1)})
        print(rows[-1], flush=True)
    out["accuracy"] = rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="eval/reports/ocr")
    ap.add_argument("--text", default="corpus/qingdao-hitech-bulletin-2024-01.txt")
    ap.add_argument("--pages", type=int, default=4, help="pages read for the speed figures")
    ap.add_argument("--speed-only", action="store_true", help="only the speed runs (ocr-speed.json)")
    ap.add_argument("--write-scan", metavar="PDF", help="only write the whole text as a scanned (image-only, "
                    "two-column, 150 dpi) PDF, for `rag eval ... --corpus` on a scan")
    args = ap.parse_args()
    fonts = cjk_fonts()
    if not fonts:
        print("no Chinese font: apt-get install fonts-wqy-microhei (make browser)", file=sys.stderr)
        return 2
    text = Path(args.text).read_text(encoding="utf-8")
    if args.write_scan:
        from rag.evals.scans import save_pdf

        pages = render_bulletin(text, fonts[0], dpi=150)
        Path(args.write_scan).parent.mkdir(parents=True, exist_ok=True)
        save_pdf([degrade(p.image, **CONDITIONS["scanned"], seed=i) for i, p in enumerate(pages)],
                 Path(args.write_scan), 150)
        print(f"{args.write_scan}: {len(pages)} pages")
        return 0
    out = {"when": time.strftime("%Y-%m-%d %H:%M"), "cpu": f"{cpu_model()}; {describe(cpu_flags())}", "cores": os.cpu_count(),
           "text": args.text, "conditions": CONDITIONS}
    pages = render_bulletin(text, fonts[0], dpi=150)[: args.pages]
    speed(pages, out)
    folder = Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    if args.speed_only:
        (folder / "ocr-speed.json").write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
        return 0
    accuracy(text, fonts, out)
    (folder / "ocr.json").write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    lines = [f"# OCR on rendered bulletin pages ({out['when']})", "", f"CPU: {out['cpu']}, {out['cores']} cores "
             "(shared: load averages beside each run)", "", "| run | pages | s | pages/min | char accuracy | load before/after |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {k} | {v['pages']} | {v['seconds']} | {v['pages_per_minute']} | {v['char_accuracy']} | "
              f"{v['load_before']}/{v['load_after']} |" for k, v in out["speed"].items()]
    lines += ["", "| font | dpi | condition | characters | char accuracy | s |", "|---|---|---|---|---|---|"]
    lines += [f"| {r['font']} | {r['dpi']} | {r['condition']} | {r['chars']} | {r['char_accuracy']} | {r['seconds']} |"
              for r in out["accuracy"]]
    (folder / "ocr.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
