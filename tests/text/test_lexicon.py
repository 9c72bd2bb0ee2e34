"""jieba's dictionary read from SQLite a word at a time (rag.text.lexicon) cuts real text into the
same words, search words and parts of speech as jieba with its whole dictionary loaded."""
import json
import subprocess
import sys

import pytest

from rag.text import split_sentences
from rag.text.lexicon import build_lexicon, lexicon_path, open_lexicon
from rag.text.terms import _whole_jieba
from tests.conftest import ROOT, SEED


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lexicon")
    build_lexicon(lexicon_path(folder))
    return folder


def _texts() -> list[str]:
    seed = SEED.read_text(encoding="utf-8")
    texts = [seed[a:b] for a, b in split_sentences(seed)]
    texts += ["2023年青岛高新区新引进了多少个高质量项目？", "海蓝星量子科技的B轮融资金额是多少？",
              "What is the population of Paris?", "青島高新區的GDP增長了多少", "", "   ", "😀？", "ABC公司CEO王小明"]
    return texts


def test_the_same_words_as_jieba_with_its_whole_dictionary(folder):
    import jieba.posseg

    lexicon = open_lexicon(folder)
    whole = _whole_jieba()
    texts = _texts()
    assert len(texts) > 100
    for text in texts:
        assert lexicon.words.lcut(text) == whole.lcut(text), text
        assert lexicon.words.lcut_for_search(text) == whole.lcut_for_search(text), text
        assert lexicon.words.lcut(text, HMM=False) == whole.lcut(text, HMM=False), text
    whole_pos = jieba.posseg.POSTokenizer(whole)
    for text in texts:
        assert [tuple(p) for p in lexicon.pos.lcut(text)] == [tuple(p) for p in whole_pos.lcut(text)], text
    for word in ("青岛", "高新区", "项目", "的", "不存在的词语组合", "青"):
        assert lexicon.words.FREQ.get(word, 0) == whole.FREQ.get(word, 0)
        assert (word in lexicon.words.FREQ) == (word in whole.FREQ)
    assert lexicon.words.total == whole.total


def test_a_fresh_process_reads_words_without_loading_the_dictionary_and_posseg_stays_right(folder):
    """In a new interpreter: the lexicon serves, jieba's own dictionary is never loaded, and
    ``jieba.posseg.lcut`` (whose import the lexicon shortcuts) still tags words as jieba does."""
    code = f"""
import json, sys
sys.path.insert(0, {str(ROOT)!r})
from rag.text import jieba as ours, question_words, use_lexicon
from rag.text.terms import pos_tokenizer
use_lexicon({str(folder)!r})
words = question_words("2023年青岛高新区新引进了多少个高质量项目？")
pos = [tuple(p) for p in pos_tokenizer().lcut("新引进高质量项目")]
import jieba as j, jieba.posseg
print(json.dumps({{"words": words, "pos": pos, "global": [tuple(p) for p in jieba.posseg.lcut("新引进高质量项目")],
                  "loaded": len(j.dt.FREQ), "ours": ours() is not j.dt}}))
"""
    out = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                    cwd=ROOT).stdout)
    import jieba.posseg

    expected = [list(p) for p in jieba.posseg.POSTokenizer(_whole_jieba()).lcut("新引进高质量项目")]
    assert out["words"] == ["2023", "青岛", "高新区", "引进", "高质量", "项目"]
    assert out["pos"] == expected and out["global"] == expected
    assert out["loaded"] == 0 and out["ours"]  # jieba's default tokenizer never loaded its dictionary


def test_a_killed_build_leaves_no_lexicon_and_the_next_one_builds(folder, tmp_path):
    path = lexicon_path(tmp_path)
    (tmp_path / f"{path.name}.123.456.tmp").write_bytes(b"half")  # what a killed build leaves
    assert not path.exists()
    lexicon = open_lexicon(tmp_path)
    assert lexicon.path == path and lexicon.words.lcut("青岛高新区") == _whole_jieba().lcut("青岛高新区")
