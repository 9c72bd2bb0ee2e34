"""Traditional and Simplified Chinese end to end on the real model: a Traditional bulletin asked
in Simplified, and the reverse; passages are cited in the script they were written in."""
import pytest

from rag.answering import Assistant
from rag.text import fold

from ..conftest import SEED

pytestmark = pytest.mark.slow

Q_ZHS = "2023年青岛高新区新引进了多少个高质量项目？"
Q_ZHT = "2023年青島高新區新引進了多少個高質量項目？"
WHO_ZHS = "华夏生物的总经理是谁？"


@pytest.fixture(scope="module")
def traditional_assistant(tmp_path_factory, model_cache_dir, embedder):
    import opencc

    from rag.config import load_settings

    base = tmp_path_factory.mktemp("zht")
    (base / "corpus").mkdir()
    (base / "corpus" / "bulletin-zht.txt").write_text(opencc.OpenCC("s2t").convert(SEED.read_text(encoding="utf-8")),
                                                      encoding="utf-8")
    s = load_settings(env={}, index_dir=base / "index", corpus_dir=base / "corpus", cache_dir=model_cache_dir)
    return Assistant.build(s.corpus_dir, settings=s, embedder=embedder)


def test_traditional_bulletin_simplified_question(traditional_assistant):
    ans = traditional_assistant.ask(Q_ZHS)
    assert not ans.refused and "311" in ans.text
    quote = ans.citations[0].quote
    assert "311" in quote and quote != fold(quote)  # cited as written: in Traditional
    assert quote in ans.passages[0].chunk.text or any(quote in h.chunk.text for h in ans.passages)
    who = traditional_assistant.ask(WHO_ZHS)
    assert not who.refused and "張美榮" in who.text  # the name, as the bulletin writes it


def test_simplified_bulletin_traditional_question(seed_assistant):
    ans = seed_assistant.ask(Q_ZHT)
    assert not ans.refused and "311" in ans.text
    assert ans.citations[0].quote == fold(ans.citations[0].quote)  # the Simplified passage, as written
    same = seed_assistant.ask(Q_ZHS)
    assert [h.chunk.chunk_id for h in ans.passages[:3]] == [h.chunk.chunk_id for h in same.passages[:3]]


def test_traditional_bulletin_traditional_question(traditional_assistant):
    ans = traditional_assistant.ask(Q_ZHT)
    assert not ans.refused and "311" in ans.text and ans.lang == "zh"
