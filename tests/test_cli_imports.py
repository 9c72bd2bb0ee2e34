"""A one-shot `rag search` / `rag ask` loads only what the question needs: where the int8 model
serves, no torch, sentence-transformers or transformers; outside `serve`, no Gradio; and no
numba or scipy behind bm25s. Run in a fresh interpreter, as from the shell."""
import json
import os
import subprocess
import sys

import pytest

from rag.embed import load_embedder
from rag.index import ingest

from .conftest import ROOT
from .embed.tiny_int8 import tiny_settings

HEAVY = {"torch", "sentence_transformers", "transformers", "gradio", "numba", "scipy", "langchain_core"}

SCRIPT = """
import json, sys
from rag.cli import main
rc = main(sys.argv[1:])
print(json.dumps({"rc": rc, "modules": sorted({m.split('.')[0] for m in sys.modules})}))
"""


@pytest.fixture
def tiny_index(tmp_path):
    s = tiny_settings(tmp_path)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("青岛高新区新引进了311个项目，总投资350亿元。\n\n火炬创新积分贷为科技企业提供贷款。",
                                  encoding="utf-8")
    report = ingest([corpus], s, load_embedder(s))
    assert report.chunks >= 1
    return s


@pytest.mark.parametrize("command", [["search", "青岛高新区引进了多少个项目"], ["ask", "青岛高新区引进了多少个项目"]])
def test_one_shot_commands_import_no_torch_when_int8_serves(tiny_index, command):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RAG_CACHE_DIR": str(tiny_index.cache_dir),
           "RAG_INDEX_DIR": str(tiny_index.index_dir)}
    env.pop("RAG_CONFIG", None)
    env.pop("RAG_EMBED_PRECISION", None)
    out = subprocess.run([sys.executable, "-c", SCRIPT, *command], env=env, cwd=tiny_index.cache_dir,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["rc"] == 0, out.stderr
    assert "onnxruntime" in result["modules"]  # the int8 model did serve the question
    assert not HEAVY & set(result["modules"]), HEAVY & set(result["modules"])
