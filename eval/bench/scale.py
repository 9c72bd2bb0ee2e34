"""How the index scales: 100k, 300k and 1M passages on one machine.

    PYTHONPATH=. .venv/bin/python eval/bench/scale.py \\
        --sample-index ~/.cache/bulletin-rag/eval-indexes/crud-news-corpus-s0-2000-... \\
        --corpus ../shared/benchmarks/crud-news/corpus.jsonl \\
        --questions ../shared/benchmarks/crud-news/questions_dev.jsonl \\
        --sizes 100000 300000 1000000 --work /tmp/scale --out eval/reports/scale

The corpus of each size is:

- every passage of ``--sample-index`` (the crud-news 2,000-document sample: 16,838 passages,
  their real model vectors, read from that index), so the questions have their answers in it;
- then made-up documents of five passages each, every passage real crud-news sentences drawn at
  random (seeded) from the whole crud-news corpus and joined until it holds 150-250 characters,
  with a random date (2019-2024) and one of eight sources. Their vectors are random: drawn from
  a normal distribution with the mean and per-dimension spread of the real vectors, then
  normalised (so they score like real passages against a question, but mean nothing). This
  keeps the benchmark to minutes instead of hours of embedding.

Each index is written directly through :func:`rag.index.write_generation` (settings as
default: ``index_type = auto``), then measured in a fresh process: seconds to open it and make
it searchable; RSS after opening (the whole process: libraries, model and index), the RSS the
model alone added, and the RSS the index added; search latency per mode over ``--queries``
real questions (the questions are embedded beforehand in one batch: ``embed_p50_ms`` is that
batch's time per question),
after 10 warm-up searches; hybrid MRR@10 against the gold documents; disk size; and seconds to
add one document of five passages (``rag ingest`` of one file, through the real model: a new
segment), to remove it again, to remove a document of the large first segment (its rows marked
deleted), and, up to ``--compact-max`` passages, to compact the index into one segment. Writes ``scale.json``, ``scale.md`` and ``scale.png`` under ``--out``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SOURCES = ["新华社", "人民网", "中新网", "央视新闻", "澎湃新闻", "经济日报", "光明网", "地方政府网站"]


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "")
    mem = next((int(line.split()[1]) // 1024 for line in open("/proc/meminfo") if line.startswith("MemTotal")), 0)
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_mb": mem, "python": platform.python_version(),
            "load_at_start": [round(x, 2) for x in os.getloadavg()]}


# ------------------------------------------------------------------ building
def sentence_pool(corpus: Path, limit: int = 400_000) -> list[str]:
    from rag.text import split_sentences

    pool: list[str] = []
    with open(corpus, encoding="utf-8") as fh:
        for line in fh:
            text = json.loads(line).get("text", "")
            pool.extend(s for a, b in split_sentences(text) if 8 <= len(s := text[a:b].strip()) <= 120)
            if len(pool) >= limit:
                break
    return list(dict.fromkeys(pool))


def read_sample(folder: Path):
    """(manifest, documents, passages, vectors) of the sample index: read through
    :class:`rag.index.Index`, or, for an index of format 4 (one generation holding every file,
    before segments), from its files directly, so the sample need not be embedded again."""
    from rag.index import Index, IndexMismatch

    try:
        real = Index.load(folder)
        return (real.manifest, list(real.documents.values()), list(real.chunks),
                real.vectors_of(np.arange(len(real))))
    except IndexMismatch:
        pass
    from rag.index import Manifest
    from rag.index.local.meta import MetaStore
    from rag.index.local.vectors import exact_vectors, load_vector_index

    gen = folder / (folder / "CURRENT").read_text().strip()
    data = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
    manifest = Manifest(model=data["model"], chunker=data["chunker"], lexical=data["lexical"],
                        index_type=data["index_type"])
    meta = MetaStore(gen / "meta.sqlite")
    documents = [d for _, d in meta.iter_documents()]
    chunks = [c for _, c in meta.iter_chunks()]
    vindex = load_vector_index(gen / "vectors.faiss")
    vectors = np.array(exact_vectors(vindex), dtype=np.float32)  # a copy, made while the index lives
    del vindex
    return manifest, documents, chunks, vectors


def build(size: int, folder: Path, sample_index: Path, corpus: Path, seed: int = 0) -> dict:
    from rag.config import load_settings
    from rag.index import Manifest, write_generation
    from rag.types import Chunk, Document

    t0 = time.perf_counter()
    real_manifest, documents, chunks, real_vecs = read_sample(sample_index)
    n_real = len(chunks)
    dim = real_vecs.shape[1]
    rng = np.random.default_rng(seed)
    pool = sentence_pool(corpus)
    d = 0
    while len(chunks) < size:
        doc_id = f"synthetic/{d:07d}"
        passages = []
        for _ in range(min(5, size - len(chunks))):
            parts: list[str] = []
            while sum(map(len, parts)) < 150:
                parts.append(pool[rng.integers(len(pool))])
            passages.append("".join(parts)[:250])
        text = "\n".join(passages)
        date = f"{rng.integers(2019, 2025)}-{rng.integers(1, 13):02d}-{rng.integers(1, 29):02d}"
        source = SOURCES[rng.integers(len(SOURCES))]
        title = passages[0][:20]
        documents.append(Document(doc_id, text, title, source, date, "", "jsonl", f"synthetic-{d}"))
        start = 0
        for i, p in enumerate(passages):
            chunks.append(Chunk(f"{doc_id}#{i}", doc_id, p, title, "", "", date, source, "body", start, start + len(p)))
            start += len(p) + 1
        d += 1
    folder.mkdir(parents=True, exist_ok=True)
    vec_path = folder.parent / f"{folder.name}.vectors.f32"
    vectors = np.memmap(vec_path, dtype=np.float32, mode="w+", shape=(size, dim))
    vectors[:n_real] = real_vecs[:size]
    mean, spread = real_vecs.mean(axis=0), real_vecs.std(axis=0)
    for i in range(n_real, size, 100_000):
        j = min(size, i + 100_000)
        v = mean + spread * rng.standard_normal((j - i, dim)).astype(np.float32)
        vectors[i:j] = v / np.linalg.norm(v, axis=1, keepdims=True)
    vectors.flush()
    made = time.perf_counter() - t0
    s = load_settings(env={})
    manifest = Manifest(model=real_manifest.model, chunker=real_manifest.chunker, lexical=real_manifest.lexical,
                        index_type=s.index_type)
    t1 = time.perf_counter()
    write_generation(folder, manifest, documents, chunks, vectors, real_manifest.lexical, None, s.flat_max_passages)
    written = time.perf_counter() - t1
    del vectors
    vec_path.unlink()
    return {"passages": size, "documents": len(documents), "real_passages": min(n_real, size),
            "make_s": round(made, 1), "write_s": round(written, 1), "index_type": manifest.index_type}


# ------------------------------------------------------------------ measuring
def _pct(xs: list[float], p: float) -> float:
    return round(float(np.percentile(xs, p)), 2)


def measure(folder: Path, questions: Path, n_questions: int, update: bool, work: Path, compact: bool = False) -> dict:
    import faiss  # noqa: F401  (libraries first: their RSS is not the index's)
    import torch  # noqa: F401

    from rag.config import load_settings
    from rag.embed import load_embedder
    from rag.evals.questions import load_questions, sample_questions
    from rag.index import Index, ingest, remove_documents
    from rag.search import Retriever

    settings = load_settings(env={}).replace(index_dir=folder)
    base = rss_mb()
    embedder = load_embedder(settings)
    embedder.embed_queries(["预热"])
    with_model = rss_mb()
    t0 = time.perf_counter()
    index = Index.load(folder)
    retriever = Retriever(index, embedder, settings)
    open_s = time.perf_counter() - t0
    opened = rss_mb()
    qs = [q for q in load_questions(questions) if q.gold_doc_ids]
    qs = sample_questions(qs, n_questions, seed=0)
    queries = [retriever.query(q.question) for q in qs]
    t = time.perf_counter()
    vectors = embedder.embed_queries([q.text for q in queries])  # in one batch: the model is not measured here
    embed_ms = [(time.perf_counter() - t) * 1000 / len(queries)]
    for query, vec in zip(queries, vectors):
        query._vector = vec
    out = {"passages": len(index), "index_type": index.manifest.index_type, "open_s": round(open_s, 3),
           "rss_mb": round(opened, 1), "model_rss_mb": round(with_model - base, 1),
           "index_rss_mb": round(opened - with_model, 1), "embed_p50_ms": _pct(embed_ms, 50),
           "disk_mb": round(index.size_on_disk() / 1e6, 1)}
    mrr = []
    for mode in ("hybrid", "dense", "lexical"):
        for q in queries[:10]:
            retriever.search(q, k=10, mode=mode)
        times = []
        for q, question in zip(queries, qs):
            t = time.perf_counter()
            res = retriever.search(q, k=10, mode=mode)
            times.append((time.perf_counter() - t) * 1000)
            if mode == "hybrid":
                gold = set(question.gold_doc_ids)
                rank = next((i + 1 for i, h in enumerate(res.hits) if h.chunk.doc_id in gold), None)
                mrr.append(1 / rank if rank else 0.0)
        out[f"{mode}_p50_ms"], out[f"{mode}_p95_ms"] = _pct(times, 50), _pct(times, 95)
    out["hybrid_mrr10"] = round(statistics.mean(mrr), 4)
    out["rss_after_queries_mb"] = round(rss_mb(), 1)
    out["add_doc_s"] = out["remove_doc_s"] = out["remove_old_doc_s"] = out["compact_s"] = None
    if update:
        doc = work / "added" / "新增简报.txt"
        doc.parent.mkdir(parents=True, exist_ok=True)
        paras = [f"第{i + 1}部分。" + "".join(q.question.replace("？", "。") for q in qs[i * 4:(i + 1) * 4])
                 for i in range(5)]  # about one passage each
        doc.write_text("2024年5月6日 测试简报\n\n" + "\n\n".join(paras), encoding="utf-8")
        t = time.perf_counter()
        report = ingest([doc.parent], settings, embedder, index_dir=folder, use_cache=False)
        out["add_doc_s"] = round(time.perf_counter() - t, 2)
        out["added_passages"] = report.chunks - len(index)
        added = Index.load(folder)
        texts = [c.embed_text() for c in added.chunks_at(added.rows_of_document(report.added[0]))]
        t = time.perf_counter()
        embedder.embed_passages(texts)  # the same passages again: the model's share of add_doc_s
        out["add_embed_s"] = round(time.perf_counter() - t, 2)
        del added
        t = time.perf_counter()
        remove_documents(report.added, settings, index_dir=folder)
        out["remove_doc_s"] = round(time.perf_counter() - t, 2)
        # a document of the first (large) segment: its rows are marked deleted, nothing rewritten
        t = time.perf_counter()
        remove_documents(["synthetic/0000000"], settings, index_dir=folder)
        out["remove_old_doc_s"] = round(time.perf_counter() - t, 2)
        if compact:  # every live passage copied into one new segment (nothing embedded)
            from rag.index import compact_index

            t = time.perf_counter()
            compact_index(settings, index_dir=folder)
            out["compact_s"] = round(time.perf_counter() - t, 2)
    return out


# ------------------------------------------------------------------ reports
COLUMNS = ["passages", "open_s", "rss_mb", "model_rss_mb", "hybrid_p50_ms", "hybrid_p95_ms", "dense_p50_ms",
           "lexical_p50_ms", "disk_mb", "add_doc_s", "remove_doc_s"]
EXTRA = ["add_embed_s", "added_passages", "remove_old_doc_s", "compact_s", "index_type", "index_rss_mb", "rss_after_queries_mb", "dense_p95_ms", "lexical_p95_ms", "embed_p50_ms",
         "hybrid_mrr10", "write_s"]


def table(rows: list[dict]) -> str:
    cols = COLUMNS + EXTRA
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        lines.append("| " + " | ".join("-" if r.get(c) is None else f"{r[c]:,}" if isinstance(r.get(c), int)
                                       else str(r[c]) for c in cols) + " |")
    return "\n".join(lines)


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = [r["passages"] for r in rows]
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    for key, label in (("hybrid_p50_ms", "hybrid p50"), ("hybrid_p95_ms", "hybrid p95"),
                       ("dense_p50_ms", "dense p50"), ("lexical_p50_ms", "lexical p50")):
        a.plot(xs, [r[key] for r in rows], marker="o", label=label)
    a.axhline(50, ls=":", c="grey")
    a.axhline(100, ls="--", c="grey")
    a.set(xscale="log", xlabel="passages", ylabel="ms per search", title="search latency (2 cores)")
    a.legend()
    b.plot(xs, [r["rss_mb"] for r in rows], marker="o", label="RSS after open (all)")
    b.plot(xs, [r["index_rss_mb"] for r in rows], marker="o", label="index alone")
    b.plot(xs, [r["model_rss_mb"] for r in rows], marker="o", label="model alone")
    b.axhline(1500, ls="--", c="grey")
    b.set(xscale="log", xlabel="passages", ylabel="MB", title="memory")
    b.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def _child(args: list[str]) -> dict:
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, cwd=ROOT)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"{args[0]} failed:\n{proc.stderr[-3000:]}")
    return json.loads(line[7:])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--step", choices=["all", "build", "measure"], default="all", help=argparse.SUPPRESS)
    p.add_argument("--sample-index", type=Path, required=True, help="index of the crud-news sample (real vectors)")
    p.add_argument("--corpus", type=Path, required=True, help="crud-news corpus.jsonl (the sentences)")
    p.add_argument("--questions", type=Path, required=True, help="crud-news questions_dev.jsonl")
    p.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    p.add_argument("--queries", type=int, default=200)
    p.add_argument("--update-max", type=int, default=300_000,
                   help="measure adding and removing a document only up to this many passages")
    p.add_argument("--compact-max", type=int, default=100_000,
                   help="measure `rag compact` (after removing a document) only up to this many passages")
    p.add_argument("--work", type=Path, default=Path("/tmp/bench-scale"))
    p.add_argument("--out", type=Path, default=ROOT / "eval" / "reports" / "scale")
    p.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--size", type=int, help=argparse.SUPPRESS)
    p.add_argument("--keep", action="store_true", help="keep the indexes built under --work")
    a = p.parse_args()
    if a.step == "build":
        print("RESULT " + json.dumps(build(a.size, a.folder, a.sample_index.expanduser(), a.corpus)))
        return 0
    if a.step == "measure":
        print("RESULT " + json.dumps(measure(a.folder, a.questions, a.queries, a.size <= a.update_max, a.work,
                                             a.size <= a.compact_max)))
        return 0
    common = ["--sample-index", str(a.sample_index), "--corpus", str(a.corpus), "--questions", str(a.questions),
              "--queries", str(a.queries), "--update-max", str(a.update_max), "--compact-max", str(a.compact_max),
              "--work", str(a.work)]
    info = machine()
    rows = []
    a.out.mkdir(parents=True, exist_ok=True)
    for size in a.sizes:
        folder = a.work / f"index-{size}"
        if folder.exists():
            import shutil

            shutil.rmtree(folder)
        built = _child(["--step", "build", "--size", str(size), "--folder", str(folder), *common])
        print(f"built {size}: {built}", file=sys.stderr)
        row = {**built, **_child(["--step", "measure", "--size", str(size), "--folder", str(folder), *common])}
        row["load"] = [round(x, 2) for x in os.getloadavg()]
        print(f"measured {size}: {row}", file=sys.stderr)
        rows.append(row)
        info["load_at_end"] = row["load"]
        (a.out / "scale.json").write_text(json.dumps({"machine": info, "rows": rows}, indent=1), encoding="utf-8")
        if not a.keep:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)
    (a.out / "scale.md").write_text(
        f"# Scale benchmark\n\nMachine: {info['cpu']}, {info['cores']} cores, {info['memory_mb']} MB; "
        f"load {info['load_at_start']} at the start, {info.get('load_at_end')} at the end.\n\n"
        + table(rows) + "\n", encoding="utf-8")
    plot(rows, a.out / "scale.png")
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
