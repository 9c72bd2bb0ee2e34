"""Reading order rebuilt from boxes: columns, headings that span them, paragraphs, captions."""
from rag.ingest.pagelayout import Line, find_columns, merge_pieces, page_text

BODY = 20.0


def _column(x0: float, top: float, texts: list[str], width: float = 400) -> list[Line]:
    return [Line(x0, top + i * 30, x0 + width, top + i * 30 + BODY, t) for i, t in enumerate(texts)]


def test_two_columns_are_read_one_after_the_other_and_a_spanning_heading_stays_in_place():
    left = _column(50, 100, ["左栏第一行的文字比较长一些内容", "左栏第二行的文字结束。"])
    left[-1].x1 = 300  # ends short: the paragraph ends
    right = _column(500, 100, ["右栏第一行的文字比较长一些内容", "右栏第二行。"])
    right[-1].x1 = 700
    heading = Line(50, 40, 800, 40 + 1.6 * BODY, "横跨两栏的大标题")
    below_left = _column(50, 250, ["下一篇左栏的文字也比较长的内容", "下一篇左栏完。"])
    below_right = _column(500, 250, ["下一篇右栏的文字也比较长的内容", "下一篇右栏完。"])
    heading2 = Line(50, 190, 800, 190 + 1.6 * BODY, "第二篇的标题也横跨两栏")
    rows = sorted(left + right + below_left + below_right + [heading, heading2], key=lambda l: (l.top, l.x0))
    assert len(find_columns(rows)) == 2
    assert page_text(rows).split("\n\n") == [
        "## 横跨两栏的大标题", "左栏第一行的文字比较长一些内容左栏第二行的文字结束。",
        "右栏第一行的文字比较长一些内容右栏第二行。", "## 第二篇的标题也横跨两栏",
        "下一篇左栏的文字也比较长的内容下一篇左栏完。", "下一篇右栏的文字也比较长的内容下一篇右栏完。"]


def test_a_body_line_joined_across_the_gutter_is_cut_back_in_two():
    lines = (_column(50, 100, [f"左栏第{i}行的文字比较长一些内容" for i in range(6)])
             + _column(500, 100, [f"右栏第{i}行的文字比较长一些内容" for i in range(6)]))
    lines += [Line(50, 280, 900, 280 + BODY, "左栏第六行的文字比较长一些内容右栏第六行的文字比较长一些内容")]
    text = page_text(lines)
    assert "左栏第5行的文字比较长一些内容左栏第六行的文字比较长一些内容" in text
    assert text.index("左栏第六行") < text.index("右栏第0行") and text.endswith("右栏第六行的文字比较长一些内容")


def test_headings_by_size_and_a_caption_below_a_photo():
    lines = [Line(50, 50, 450, 50 + 1.6 * BODY, "文章标题"), Line(50, 90, 300, 90 + 1.2 * BODY, "一、小节标题")]
    lines += _column(50, 130, ["正文第一行，文字排满一整行内容", "正文第二行结束。"])
    lines[-1].x1 = 200
    lines += [Line(50, 400, 400, 400 + 0.8 * BODY, "图为高新区政务服务中心。")]  # under a 200-unit empty space
    assert page_text(lines).split("\n\n") == ["## 文章标题", "### 一、小节标题",
                                              "正文第一行，文字排满一整行内容正文第二行结束。", "■图为高新区政务服务中心。"]


def test_words_of_a_line_are_merged_but_not_across_a_gutter():
    words = [Line(50, 100, 90, 120, "本报"), Line(90, 100, 130, 120, "记者"), Line(500, 100, 560, 120, "另一栏")]
    merged = merge_pieces(words)
    assert [m.text for m in merged] == ["本报记者", "另一栏"]
    assert merge_pieces([Line(50, 100, 70, 120, "##"), Line(74, 100, 120, 120, "标题")])[0].text == "## 标题"


def test_joining_lines_keeps_chinese_numbers_whole_and_english_words_apart():
    from rag.ingest.pagelayout import join_words

    assert join_words("2023年1月至1", "1月，新注册企业") == "2023年1月至11月，新注册企业"
    assert join_words("the zone in", "2024 grew") == "the zone in 2024 grew"
    assert join_words("serv-", "ices") == "services"
    assert join_words("表1", "2023年主要指标", wrapped=False) == "表1 2023年主要指标"  # a gap on one line stays
