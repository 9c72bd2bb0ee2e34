"""How a cross-encoder reads a pair (slow: the bundled model's real tokenizer): framing, truncation,
script folding, and the quick tokenizer of one-shot commands giving the full tokenizer's ids."""
import pytest

pytestmark = pytest.mark.slow

PASSAGE = ("2023年，青岛高新区新引进高质量项目56个，总投资超过300亿元，其中世界500强企业投资项目3个。"
           "高新区全年实现地区生产总值同比增长8.1%，规模以上工业增加值增长12.5%。") * 4
PAIRS = [
    ("2023年青岛高新区新引进了多少个高质量项目？", PASSAGE),
    ("2023年青島高新區新引進了多少個高質量項目？", "青島高新區新引進高質量項目56個。"),  # Traditional: folded
    ("How many projects did Qingdao attract in 2023?", "Qingdao attracted 56 high-quality projects."),
    ("谁参加了论坛？" * 20, "300余位专家参加了论坛。"),  # a question longer than its budget
    ("空的段落？", ""),
]


@pytest.fixture(scope="module")
def encoders(model_cache_dir):
    from rag.embed import default_model_dir, prepare_default_model
    from rag.embed.cross_encoder import PairEncoder
    from rag.embed.int8 import int8_dir
    from rag.embed.query_tokenizer import QueryTokenizer

    base = prepare_default_model(model_cache_dir)
    quick = QueryTokenizer(int8_dir(default_model_dir(model_cache_dir)), 512)
    return (PairEncoder.from_file(base / "tokenizer.json", 96, 24, quick),
            PairEncoder.from_file(base / "tokenizer.json", 96, 24))


def test_pairs_are_framed_and_truncated(encoders):
    _, full = encoders
    ids = full.encode(PAIRS)
    for (a, b), i in zip(PAIRS, ids):
        assert i[0] == 0 and i[-1] == 2 and len(i) <= 96
        sep = i.index(2)
        assert i[sep:sep + 2] == [2, 2] and 1 <= sep - 1 <= 24  # the question, at most 24 tokens
    assert len(ids[0]) == 96  # the long passage fills what the question leaves
    assert len(ids[3]) < 96 and ids[3].index(2) == 25  # the long question is cut to 24
    assert ids[1] == full.encode([("2023年青岛高新区新引进了多少个高质量项目？", "青岛高新区新引进高质量项目56个。")])[0]
    assert ids[4][-3:] == [2, 2, 2]  # an empty passage still makes a pair


def test_the_quick_tokenizer_gives_the_full_ids_then_hands_over(encoders):
    quick, full = encoders
    want = full.encode(PAIRS)
    for _ in range(quick.QUICK_CALLS):
        assert quick.encode(PAIRS) == want
        assert quick.tokenizer is None  # the 250k pieces not loaded yet
    assert quick.encode(PAIRS) == want
    assert quick.tokenizer is not None  # a long-running process loads the full tokenizer once
