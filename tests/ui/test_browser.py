"""End to end in a real headless Chromium (Debian's, driven by Playwright), once with an English
and once with a Chinese browser: the page's language, ask, open the source, upload a bulletin, ask
about it, filter the documents table, export the conversation. Screenshots go to docs/. Needs
`make browser` (apt chromium and a Chinese font)."""
import os
import shutil
from pathlib import Path

import pytest

from tests.ui.test_app import QUESTION, app_in

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
        yield context.pages[0] if context.pages else context.new_page()
        context.close()


def ask(page, question: str, expect: str) -> None:
    """Type a question, send it, and wait until the chat shows ``expect``."""
    page.fill("#question textarea", question)
    page.keyboard.press("Enter")
    page.wait_for_function("([sel, text]) => document.querySelector(sel).innerText.includes(text)",
                           arg=["#chat", expect], timeout=60_000)
    page.wait_for_selector("#sources .src-card", timeout=60_000)


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
    shots = DOCS_DIR if os.environ.get("RAG_SCREENSHOTS") == "docs" else tmp_path
    shots.mkdir(exist_ok=True)
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
