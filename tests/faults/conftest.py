"""The fault suite: every hostile probe of the reliability issue, replayed so none can come back.

Most of it runs fast on a stand-in embedder (character bigrams hashed into 64 dimensions): the
faults are in files, paths, options and processes, not in the model. Probes that need the real
model or a real process killed mid-write are marked slow.
"""
import json
import zlib
from pathlib import Path

import numpy as np
import pytest

from ..conftest import SEED

BRIEF = "## 青岛高新区简讯\n\n青岛高新区举办首届海洋科技论坛，吸引200余名专家参加。\n\n王小明\n"


def _encode(texts: list[str]) -> np.ndarray:
    out = np.zeros((len(texts), 64), np.float32)
    for i, t in enumerate(texts):
        for a, b in zip(t, t[1:]):
            out[i, zlib.crc32((a + b).encode()) % 64] += 1.0
        out[i, 0] += 0.01
    return out


def fake_embedder():
    from rag.embed import Embedder

    return Embedder("test/bigram-hash", _encode, 64, "query: ", "passage: ")


@pytest.fixture
def fake():
    return fake_embedder()


@pytest.fixture
def fast_settings(tmp_path):
    """Settings with a private index, cache (tiktoken files only) and corpus folder."""
    from rag.config import load_settings

    return load_settings(env={}, index_dir=tmp_path / "index", cache_dir=tmp_path / "cache",
                         corpus_dir=tmp_path / "corpus")


@pytest.fixture
def corpus(tmp_path):
    d = tmp_path / "corpus"
    d.mkdir()
    (d / "seed.txt").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    (d / "brief.md").write_text(BRIEF, encoding="utf-8")
    return d


@pytest.fixture
def built(fast_settings, fake, corpus):
    """An index of the corpus, built with the stand-in embedder; returns its settings."""
    from rag.index import ingest

    ingest([corpus], fast_settings, fake)
    return fast_settings


@pytest.fixture
def cli(monkeypatch, tmp_path, fake):
    """``rag ...`` run in-process with the stand-in embedder: returns (exit code, stdout, stderr)."""
    import rag.embed
    from rag.cli import main

    monkeypatch.setattr(rag.embed, "load_embedder", lambda settings, log=None, **kw: fake)
    monkeypatch.setenv("RAG_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("RAG_INDEX_DIR", raising=False)
    monkeypatch.delenv("RAG_CONFIG", raising=False)

    def run(*args, capsys=None):
        import contextlib
        import io

        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main([str(a) for a in args])
            except SystemExit as exc:  # argparse refusing an option
                code = exc.code
        return code, out.getvalue(), err.getvalue()

    return run


def live_generation_of(settings) -> Path:
    from rag.index import current_generation

    return current_generation(settings.index_dir)


def manifest_of(gen: Path) -> dict:
    return json.loads((gen / "manifest.json").read_text(encoding="utf-8"))


def synthetic_index(folder: Path, n: int = 6000, index_type: str = "flat", seed: int = 0) -> Path:
    """An index of ``n`` made-up passages (random Chinese characters, random vectors), written
    the way ingest writes one: large enough that 60 KB fit inside its vectors, 8 KB inside its
    BM25 arrays."""
    from rag.config import load_settings
    from rag.index import Manifest, write_generation
    from rag.types import Chunk, Document

    rng = np.random.default_rng(seed)
    chars = [chr(c) for c in range(0x4E00, 0x4E00 + 800)]
    chunks, documents = [], []
    for d in range(n // 10):
        doc_id = f"doc{d}.txt"
        texts = ["".join(rng.choice(chars, 40)) for _ in range(10)]
        documents.append(Document(doc_id, "\n".join(texts), f"文档{d}", path=doc_id, format="txt",
                                  fingerprint=f"fp{d}"))
        chunks += [Chunk(f"{doc_id}#{i}", doc_id, t, f"文档{d}") for i, t in enumerate(texts)]
    vectors = rng.normal(size=(len(chunks), 64)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    s = load_settings(env={})
    manifest = Manifest(model=fake_embedder().fingerprint, chunker=s.chunker.to_dict(), lexical="bigram",
                        index_type=index_type)
    write_generation(Path(folder), manifest, documents, chunks, vectors, "bigram")
    return Path(folder)
