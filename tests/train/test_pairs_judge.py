"""The judge's training data by rule: near-miss questions swap one detail for one the evidence
lacks, and the answer sentence is the one that holds the span."""
import random

from rag.train.pairs_judge import name_pools, near_miss, sentence_with

EVIDENCE = "2023年，青岛高新区新引进高质量项目311个，其中国家级专精特新企业12家。"


def test_a_year_is_swapped_for_one_the_evidence_lacks():
    for seed in range(20):
        nm = near_miss("2023年青岛高新区新引进了多少个项目？", EVIDENCE, {}, random.Random(seed))
        assert nm is not None and nm.kind == "year" and nm.was == "2023"
        assert nm.asked[:4] not in EVIDENCE and nm.question == nm.asked[:4] + "年青岛高新区新引进了多少个项目？"


def test_a_name_and_a_qualifier_are_swapped_by_kind():
    pools = name_pools(["烟台高新区和济南高新区都在山东。", "青岛高新区发布了新政策。"])
    seen = set()
    for seed in range(40):
        nm = near_miss("青岛高新区有多少家国家级专精特新企业？", EVIDENCE, pools, random.Random(seed))
        assert nm is not None and nm.question != "青岛高新区有多少家国家级专精特新企业？"
        assert nm.asked not in EVIDENCE
        seen.add(nm.kind)
    assert "qualifier" in seen  # 国家级 -> 省级


def test_nothing_to_swap_gives_none_and_the_answer_sentence_is_found():
    assert near_miss("这是什么？", EVIDENCE, {}, random.Random(0)) is None
    text = "青岛高新区位于北部。" + EVIDENCE + "园区还有人才公寓。"
    a, b = sentence_with(text, ["311个"], "新引进了多少个项目？")
    assert text[a:b].startswith("2023年") and "311" in text[a:b]
    assert sentence_with(text, ["999"], "新引进了多少个项目？") is None
