import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "qingdao-hitech-bulletin-2024-01.txt"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# Nothing in the tests may reach the network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


@pytest.fixture(scope="session")
def model_cache_dir():
    """The shared cache that holds the converted model (prepared by `make test`)."""
    from rag.config import load_settings

    return load_settings().cache_dir


@pytest.fixture
def settings(tmp_path, model_cache_dir):
    """Settings with a private index folder and embedding cache, and the shared model."""
    from rag.config import load_settings
    from rag.embed import prepare_default_model

    prepare_default_model(model_cache_dir)
    tmp_cache = tmp_path / "cache"
    (tmp_cache / "models").mkdir(parents=True)
    # share the converted model, keep embeddings and tiktoken files private to the test
    for p in (model_cache_dir / "models").iterdir():
        (tmp_cache / "models" / p.name).symlink_to(p)
    return load_settings(env={}, index_dir=tmp_path / "index", cache_dir=tmp_cache)


@pytest.fixture(scope="session")
def embedder(model_cache_dir):
    from rag.config import load_settings
    from rag.embed import load_embedder

    return load_embedder(load_settings(env={}, cache_dir=model_cache_dir))


@pytest.fixture
def seed_text():
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_settings(tmp_path_factory, model_cache_dir):
    """Settings for a session-wide index of the seed bulletin (built once; treat as read-only)."""
    import shutil

    from rag.config import load_settings
    from rag.embed import prepare_default_model

    prepare_default_model(model_cache_dir)
    base = tmp_path_factory.mktemp("seed")
    (base / "corpus").mkdir()
    shutil.copy(SEED, base / "corpus" / SEED.name)
    return load_settings(env={}, index_dir=base / "index", corpus_dir=base / "corpus", cache_dir=model_cache_dir)


@pytest.fixture(scope="session")
def seed_assistant(seed_settings, embedder):
    """An extractive Assistant over the seed bulletin (shared by tests; do not ingest into it)."""
    from rag.answering import Assistant

    return Assistant.build(seed_settings.corpus_dir, settings=seed_settings, embedder=embedder)


@pytest.fixture(autouse=True, scope="module")
def _close_milvus_clients():
    """A test module's Milvus Lite clients close with it, so none keeps a database and its gRPC
    threads open while later modules run."""
    yield
    import sys

    if "rag.index.milvus.store" in sys.modules:
        sys.modules["rag.index.milvus.store"].disconnect()
