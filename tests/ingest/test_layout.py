"""Bulletin layout: page-break repairs, captions, bylines, titles and sections, on the real seed."""
from rag.ingest.layout import parse_layout


def test_the_three_page_break_repairs_on_the_seed(seed_text):
    text = parse_layout(seed_text).text
    # 1. a sentence cut by a page break with a photo caption printed in the gap
    assert "收到全省金融系统首笔“火炬创新积分贷”1000万元" in text
    # 2. a word cut in two
    assert "现代服务业板块，引进鼎特智慧产业园" in text
    # 3. a quoted phrase cut in two
    assert "设立68个“营商环境监测点”" in text
    for broken in ("系统首\n", "现代服\n", "“营商\n"):
        assert broken not in text


def test_caption_stays_its_own_block_and_is_marked(seed_text):
    layout = parse_layout(seed_text)
    captions = [b for b in layout.blocks if b.kind == "caption"]
    assert [c.text for c in captions] == [
        "在红岛汇科技金融中心，世界500强企业阿斯利康的标牌已经挂起。",
        "市民在高新区政务服务中心“企业开办一站式服务专区”办理业务。",
        "青岛高新区政务服务中心。",
    ]
    # the caption printed inside the cut sentence is not glued into the body text
    body = next(b for b in layout.blocks if "首笔“火炬创新积分贷”" in b.text)
    assert "红岛汇" not in body.text


def test_bylines_become_authors_of_their_article(seed_text):
    layout = parse_layout(seed_text)
    by_title = {}
    for b in layout.blocks:
        by_title.setdefault(b.title, set()).add(b.author)
    assert by_title["青岛高新区：动力激荡 向“新”而行"] == {"肖玲玲、韩佳佳"}
    assert by_title["青岛高新区再添两家国家级绿色工厂"] == {"李青健"}
    assert by_title["青岛高新区4个项目全国“揭榜挂帅”"] == {"李心怡"}
    assert by_title["青岛高新区2023年营商环境交出优异答卷"] == {"刘文研"}
    # bylines are not passages
    assert not any(b.text in ("肖玲玲", "韩佳佳", "李心怡") for b in layout.blocks)


def test_titles_sections_and_offsets(seed_text):
    layout = parse_layout(seed_text)
    assert layout.title == "以科技创新赋能产业创新"
    b = next(b for b in layout.blocks if "高新技术企业482家" in b.text)
    assert b.title == "青岛高新区：动力激荡 向“新”而行"
    assert b.section == ("青岛高新区：动力激荡 向“新”而行", "创新驱动 催生发展新动能")
    for b in layout.blocks:
        assert layout.text[b.start:b.end] == b.text


def test_short_lines_and_english_breaks():
    raw = ("## Title\n\nThe committee approved the plan, and the budget was raised to cover the serv-\n\n"
           "ices needed next year.\n\n一、总体要求\n\n各单位要高度重视，认真落实。\n\nBy Jane Doe\n")
    layout = parse_layout(raw)
    texts = [b.text for b in layout.blocks]
    assert "The committee approved the plan, and the budget was raised to cover the services needed next year." in texts
    assert "一、总体要求" in texts  # a short heading-like line is not glued to the next paragraph
    assert all(b.author == "By Jane Doe" for b in layout.blocks)
