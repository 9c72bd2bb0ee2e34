"""Citation checking, without the model (fast)."""
from rag.answering.citations import char_overlap, numbers_found, split_answer, verify
from rag.types import Chunk, Hit


def _hits(*texts):
    return [Hit(Chunk(f"c{i}", "d", text, title="简报", section="经济"), i + 1, 1.0, 0.9)
            for i, text in enumerate(texts)]


HITS = _hits("2023年全区新引进高质量项目311个，总投资350亿元。",
             "青岛高新区设立68个营商环境监测点，覆盖重点企业。",
             "海洋科技论坛吸引200余名专家参加。")


def test_split_answer_reads_markers_before_and_after_stops():
    parts = split_answer("引进项目311个[1]。设立监测点[2][3]。Done. [1, 2] 末句【2】")
    assert parts == [("引进项目311个。", [1]), ("设立监测点。", [2, 3]), ("Done.", [1, 2]), ("末句", [2])]


def test_overlap_and_numbers():
    assert char_overlap("新引进高质量项目311个", HITS[0].chunk.text) == 1.0
    assert char_overlap("海洋论坛", HITS[1].chunk.text) == 0.0
    assert numbers_found("项目311个", "项目3,11个 311") and not numbers_found("项目312个", "项目311个")


def test_verify_keeps_good_markers_and_renumbers():
    text, ck = verify("全区新引进高质量项目311个[2]。设立68个营商环境监测点[3]。", _hits(
        "无关的内容，关于天气。", HITS[0].chunk.text, HITS[1].chunk.text))
    assert text == "全区新引进高质量项目311个[1]。设立68个营商环境监测点[2]。"
    assert [c.chunk_id for c in ck.citations] == ["c1", "c2"] and not ck.unsupported
    assert ck.citations[0].quote.startswith("2023年全区新引进")


def test_verify_removes_out_of_range_and_fixes_wrong_markers():
    text, ck = verify("全区新引进高质量项目311个[7]。海洋科技论坛吸引200余名专家参加[1]。", HITS)
    assert "[7]" not in text
    assert text == "全区新引进高质量项目311个[1]。海洋科技论坛吸引200余名专家参加[2]。"
    assert [c.chunk_id for c in ck.citations] == ["c0", "c2"]
    assert 7 in ck.dropped and 1 in ck.dropped  # [1] pointed at the wrong passage


def test_verify_flags_unsupported_claims_and_wrong_numbers():
    text, ck = verify("全区新引进高质量项目999个[1]。青岛将举办奥运会[2]。", HITS)
    assert ck.unsupported and not ck.citations
    assert "[1]" not in text and "[2]" not in text and "未在资料中找到依据" in text


def test_verify_english_answer_with_numbers():
    text, ck = verify("The zone attracted 311 projects [1]. It has 68 monitoring points [9].", HITS, lang="en")
    # no embedder: only character overlap counts, which an English claim lacks against Chinese
    assert "[9]" not in text and ck.unsupported


def test_a_claim_about_the_byline_is_supported_by_the_passage_it_heads():
    signed = [Hit(Chunk("c0", "d", "近日，工业和信息化部公布了2023年度绿色制造名单。", title="简报",
                        section="再添两家国家级绿色工厂", author="李青健", date="2024-01-05"), 1, 1.0, 0.9)]
    text, ck = verify("《再添两家国家级绿色工厂》的作者是李青健[1]。", signed)
    assert text == "《再添两家国家级绿色工厂》的作者是李青健[1]。" and [c.chunk_id for c in ck.citations] == ["c0"]


def test_the_llm_sees_each_passages_byline_and_date():
    from rag.answering.prompts import format_passages

    signed = Hit(Chunk("c0", "d", "正文。", title="简报", section="绿色工厂", author="李青健", date="2024-01-05"), 1, 1.0, 0.9)
    bare = Hit(Chunk("c1", "d", "正文二。"), 2, 1.0, 0.9)
    assert format_passages([signed, bare]) == "[1] 简报 / 绿色工厂 (李青健, 2024-01-05)\n正文。\n\n[2] 正文二。"
