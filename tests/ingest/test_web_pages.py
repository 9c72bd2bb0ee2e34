"""Web pages: the main text, title, date and author by trafilatura, on saved pages of a
government site and a news site (tests/fixtures/html/README.md); menus, footers, link lists,
ads and comments do not reach the passages."""

import pytest

from rag.config import ChunkerSettings
from rag.ingest import prepare_document
from rag.ingest.readers import read_path

from ..conftest import FIXTURES, SEED

PAGES = FIXTURES / "html"
# words of the pages' boilerplate: navigation, breadcrumbs, tools, link boxes, footers, ads, comments
BOILERPLATE = ["首页", "政务公开", "当前位置", "无障碍浏览", "浏览次数", "打印本页", "上一篇", "下一篇", "热点专题",
               "相关链接", "主办单位", "ICP", "版权所有", "分享到", "新春购房节", "客户端", "相关新闻", "网友评论",
               "24小时热榜", "家装节", "Copyright", "许可证", "声明"]


def _prepared(name: str):
    (raw,) = list(read_path(PAGES / name))
    return raw, prepare_document(raw, ChunkerSettings(), len)


@pytest.mark.parametrize("name,title,date,author,first,last", [
    ("gov-green-factories.html", "青岛高新区再添两家国家级绿色工厂", "2024-01-12", "",
     "近日，工业和信息化部公布了2023年度绿色制造名单", "绿色低碳示范区。"),
    ("news-cloud-review.html", "青岛高新区首次开通项目“云”评审", "2024-01-15", "李心怡",
     "近日，阿斯利康制药（青岛）有限公司", "评审工作顺利完成。"),
])
def test_main_text_title_date_and_author(name, title, date, author, first, last):
    raw, prep = _prepared(name)
    assert raw.title == title and prep.document.title == title
    assert prep.document.date == date and {c.date for c in prep.chunks} == {date}
    if author:
        assert {c.author for c in prep.chunks} == {author}
    text = prep.document.text
    assert text.startswith(first) and text.rstrip().endswith(last)
    leaked = [w for w in BOILERPLATE if w in text]
    assert not leaked, f"boilerplate reached the passages: {leaked}"


def test_the_inline_ad_inside_the_article_is_left_out():
    _, prep = _prepared("news-cloud-review.html")
    assert "广告" not in prep.document.text and "红包" not in prep.document.text


def test_a_long_page_keeps_headings_and_captions(tmp_path):
    """The seed bulletin as a web page: articles and sections stay headings, photo captions
    stay caption passages."""
    import html

    lines = []
    for line in SEED.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("### "):
            lines.append(f"<h3>{html.escape(line[4:])}</h3>")
        elif line.startswith("## "):
            lines.append(f"<h2>{html.escape(line[3:])}</h2>")
        elif line.startswith("■"):
            lines.append(f"<figure><img src='p.jpg'><figcaption>{html.escape(line[1:])}</figcaption></figure>")
        elif line:
            lines.append(f"<p>{html.escape(line)}</p>")
    page = tmp_path / "bulletin.html"
    page.write_text("<html><head><title>简报</title></head><body><div class='nav'><a href='/'>首页</a> "
                    "<a href='/news'>新闻中心</a></div><article>" + "\n".join(lines) + "</article>"
                    "<div class='footer'>版权所有 鲁ICP备00000000号</div></body></html>", encoding="utf-8")
    (raw,) = list(read_path(page))
    prep = prepare_document(raw, ChunkerSettings(), len)
    titles = {c.title for c in prep.chunks}
    assert "青岛高新区2023年营商环境交出优异答卷" in titles and "青岛高新区：动力激荡 向“新”而行" in titles
    assert any(c.kind == "caption" and "阿斯利康的标牌" in c.text for c in prep.chunks)
    assert any(c.section.endswith("创新驱动 催生发展新动能") for c in prep.chunks)
    assert "版权所有" not in prep.document.text and "新闻中心" not in prep.document.text


def test_a_year_in_the_text_is_not_the_pages_date_and_xml_declarations_are_fine(tmp_path):
    p = tmp_path / "undated.html"
    p.write_text('<?xml version="1.0" encoding="utf-8"?><html><head><title>简讯</title></head><body><article>'
                 + "<p>2023年，青岛高新区新引进高质量项目311个、总投资350亿元，创新创业活力涌动。</p>" * 5
                 + "</article></body></html>", encoding="utf-8")
    (raw,) = list(read_path(p))
    assert raw.date == "" and "新引进高质量项目311个" in raw.text


def test_a_page_with_no_article_is_read_whole(tmp_path):
    p = tmp_path / "list.html"
    p.write_text("<html><body><ul><li>通知一</li><li>通知二</li></ul></body></html>", encoding="utf-8")
    (raw,) = list(read_path(p))
    assert "通知一" in raw.text and "通知二" in raw.text
