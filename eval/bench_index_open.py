"""What the checksums cost when an index opens: ``Index.load`` with and without verifying every
file, on a synthetic index of N passages written the way ingest writes one.

    .venv/bin/python eval/bench_index_open.py --passages 100000 --out eval/reports/index-open

The passages are random Chinese text of ~150 characters (the size of a 128-token passage), ten
to a document (whose text is stored too), with random 384-dimensional vectors (the bundled
model's size): what matters here is bytes on disk, not meaning. Runs alternate (verify, no
verify) so the page cache treats both alike; the median of each is reported.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build(folder: Path, n: int, dim: int, seed: int = 0) -> float:
    from rag.config import load_settings
    from rag.index import Manifest, write_generation
    from rag.types import Chunk, Document

    rng = np.random.default_rng(seed)
    chars = np.array([chr(c) for c in range(0x4E00, 0x4E00 + 3000)])
    chunks, documents = [], []
    for d in range(n // 10):
        doc_id = f"corpus/bulletin-{d:06d}.txt"
        texts = ["".join(rng.choice(chars, 150)) for _ in range(10)]
        documents.append(Document(doc_id, "\n".join(texts), f"简报{d}", "", "2024-01-05", doc_id, "txt", f"fp{d}"))
        chunks += [Chunk(f"{doc_id}#{i}", doc_id, t, f"简报{d}", f"简报{d} > 第{i}节") for i, t in enumerate(texts)]
    vectors = rng.normal(size=(len(chunks), dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    s = load_settings(env={})
    manifest = Manifest(model={"id": "bench/random", "dim": dim, "query_prompt": "", "passage_prompt": ""},
                        chunker=s.chunker.to_dict(), lexical="bigram", index_type="flat")
    t0 = time.perf_counter()
    write_generation(folder, manifest, documents, chunks, vectors, "bigram")
    return time.perf_counter() - t0


def measure(folder: Path, runs: int) -> dict:
    from rag.index import Index
    from rag.index.local.integrity import verify_files

    times: dict[str, list[float]] = {"verify": [], "no_verify": [], "hash_only": []}
    for _ in range(runs):
        for verify in (True, False):
            t0 = time.perf_counter()
            idx = Index.load(folder, verify=verify)
            times["verify" if verify else "no_verify"].append(time.perf_counter() - t0)
            del idx
    idx = Index.load(folder, verify=False)  # hashing alone, apart from the loads above
    for _ in range(runs):
        t0 = time.perf_counter()
        assert not verify_files(idx.folder, idx.manifest.files)  # paths from the index folder (format 5)
        times["hash_only"].append(time.perf_counter() - t0)
    size = sum(v["bytes"] for v in idx.manifest.files.values())
    med = {k: statistics.median(v) for k, v in times.items()}
    return {"bytes": size, "files": len(idx.manifest.files), "runs": runs,
            "seconds": {k: [round(x, 3) for x in v] for k, v in times.items()},
            "median": {k: round(v, 3) for k, v in med.items()},
            "overhead": round(med["verify"] / med["no_verify"] - 1, 3),
            "hash_share_of_open": round(med["hash_only"] / med["verify"], 3),
            "hash_gb_per_s": round(size / med["hash_only"] / 1e9, 2)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--passages", type=int, default=100_000)
    p.add_argument("--dim", type=int, default=384)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--index", help="reuse (or build here) instead of a temporary folder")
    p.add_argument("--out", help="write OUT.json and OUT.md")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.index or Path(tmp) / "index")
        built = None
        if not (folder / "CURRENT").exists():
            built = build(folder, args.passages, args.dim)
        result = {"passages": args.passages, "dim": args.dim, "build_seconds": built and round(built, 1),
                  **measure(folder, args.runs)}
    print(json.dumps(result, indent=1))
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.with_suffix(".json").write_text(json.dumps(result, indent=1), encoding="utf-8")
        m = result["median"]
        out.with_suffix(".md").write_text(
            f"# Index open time with and without checksums\n\n"
            f"{result['passages']:,} synthetic passages, {result['dim']}-dim vectors, "
            f"{result['bytes'] / 1e6:.0f} MB in {result['files']} files; median of {result['runs']} runs.\n\n"
            f"| | seconds |\n|---|---|\n| open, checksums verified | {m['verify']} |\n"
            f"| open, not verified | {m['no_verify']} |\n| hashing alone | {m['hash_only']} |\n\n"
            f"Overhead {result['overhead']:.1%} of open time (hashing alone: {result['hash_share_of_open']:.1%} "
            f"of a verified open, {result['hash_gb_per_s']} GB/s).\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
