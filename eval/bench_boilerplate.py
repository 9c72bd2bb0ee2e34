"""How much of a web page's boilerplate reaches the index: passages that hold no article text.

    PYTHONPATH=. python eval/bench_boilerplate.py [--pages DIR] [--keep DIR]

Pages: every article of the seed bulletin (corpus/qingdao-hitech-bulletin-2024-01.txt) set into
each saved page of tests/fixtures/html/ (a government site's news column and a news portal:
navigation, breadcrumbs, metadata, share and print links, previous/next, link boxes, ads,
related news, comments, footers), so the article text of every page is known. ``--pages DIR``
adds the .html files of DIR whose article text is in the seed bulletin too.

Each page is read and cut into passages by the ``rag`` on the path (run it against an older
checkout for the "before" figure). A passage is *boilerplate* when none of its sentences (8
characters or more, whitespace ignored) is in the bulletin (as written or with its page breaks
repaired); *mixed* when it holds article text
and also a sentence that is not in the bulletin.
"""
from __future__ import annotations

import argparse
import html
import json
import re
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "qingdao-hitech-bulletin-2024-01.txt"
TEMPLATES = ROOT / "tests" / "fixtures" / "html"
# where each template's article title and body are
SLOTS = {"gov-green-factories.html": (r'<h1 class="title">.*?</h1>', r'<div class="content" id="zoom">.*?</div>\s*<div class="share">'),
         "news-cloud-review.html": (r"<h1>.*?</h1>", r'<div class="article-body">.*?</div>\s*<div class="statement">')}


def articles(text: str) -> list[tuple[str, list[str]]]:
    """(title, paragraphs) of every article and section of the bulletin."""
    out: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        line = line.strip()
        m = re.match(r"^#+\s+(.*)", line)
        if m:
            out.append((m.group(1), []))
        elif line and out:
            out[-1][1].append(line)
    return [(t, ps) for t, ps in out if sum(len(p) for p in ps) > 100]


def body_html(paragraphs: list[str]) -> str:
    parts = []
    for p in paragraphs:
        if p.startswith("■"):
            parts.append(f"<figure><img src='photo.jpg'><figcaption>{html.escape(p[1:])}</figcaption></figure>")
        else:
            parts.append(f"<p>{html.escape(p)}</p>")
    return "\n".join(parts)


def make_pages(folder: Path) -> list[Path]:
    pages = []
    for name, (title_re, body_re) in SLOTS.items():
        template = (TEMPLATES / name).read_text(encoding="utf-8")
        for i, (title, paragraphs) in enumerate(articles(SEED.read_text(encoding="utf-8"))):
            page = re.sub(title_re, lambda m: re.sub(r">.*?<", f">{html.escape(title)}<", m.group(), count=1),
                          template, count=1, flags=re.S)
            page = re.sub(body_re, lambda m: m.group().split(">", 1)[0] + ">" + body_html(paragraphs) + "</div>"
                          + m.group()[m.group().rindex("<div"):], page, count=1, flags=re.S)
            page = page.replace("<title>", f"<title>{html.escape(title)}_", 1)
            path = folder / f"{Path(name).stem}-{i:02d}.html"
            path.write_text(page, encoding="utf-8")
            pages.append(path)
    return pages


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def sentences(text: str) -> list[str]:
    return [s for s in (squash(x) for x in re.split(r"(?<=[。！？；])|\n", text)) if s]


def classify(chunks, seed_flat: str) -> tuple[int, int, int, int]:
    """(passages, boilerplate passages, mixed passages, boilerplate characters)."""
    boiler = mixed = chars = 0
    for c in chunks:
        sents = sentences(c.text)
        inside = [s for s in sents if len(s) >= 8 and s in seed_flat]
        outside = [s for s in sents if s not in seed_flat and not s.lstrip("■") in seed_flat]
        chars += sum(len(s) for s in outside)
        if not inside:
            boiler += 1
        elif outside:
            mixed += 1
    return len(chunks), boiler, mixed, chars


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", help="more saved pages (their article text must be in the seed bulletin)")
    ap.add_argument("--keep", help="write the generated pages here (default: a temporary folder)")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()

    from rag.config import load_settings
    from rag.ingest import counter, prepare_document
    from rag.ingest.layout import parse_layout
    from rag.ingest.readers import read_path

    s = load_settings()
    count = counter(s.token_encoding, s.cache_dir)
    seed = SEED.read_text(encoding="utf-8")
    seed_flat = squash(seed) + "\n" + squash(parse_layout(seed).text)  # sentences joined across page breaks too
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        pages = make_pages(folder) + (sorted(Path(args.pages).glob("*.html")) if args.pages else [])
        totals = [0, 0, 0, 0]
        examples: list[str] = []
        read_seconds = 0.0
        for page in pages:
            t0 = time.perf_counter()
            (raw,) = list(read_path(page))
            read_seconds += time.perf_counter() - t0
            prep = prepare_document(raw, s.chunker, count)
            n, b, m, ch = classify(prep.chunks, seed_flat)
            totals = [t + x for t, x in zip(totals, (n, b, m, ch))]
            examples += [c.text[:60] for c in prep.chunks
                         if not any(len(x) >= 8 and x in seed_flat for x in sentences(c.text))][:1]
    n, b, m, ch = totals
    result = {"pages": len(pages), "passages": n, "boilerplate_passages": b, "mixed_passages": m,
              "boilerplate_chars": ch, "read_ms_per_page": round(1000 * read_seconds / max(len(pages), 1), 1)}
    print(json.dumps(result, ensure_ascii=False))
    for e in examples[:5]:
        print("  e.g.", e.replace("\n", " / "))
    if args.json:
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
