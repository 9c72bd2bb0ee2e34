"""End to end in a real headless Chromium (Debian's, driven by Playwright): ask, open the source,
upload a bulletin, ask about it. Screenshots go to docs/. Needs `make browser` (apt chromium)."""
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
UPLOAD = ("海蓝星科技通报\n\n## 海蓝星量子科技完成B轮融资\n\n"
          "2024年3月，青岛海蓝星量子科技有限公司宣布完成B轮融资，融资金额为7788万元，将用于量子传感器研发。\n\n"
          "本报记者 王小明\n")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def app(tmp_path_factory, model_cache_dir, embedder):
    yield from app_in(tmp_path_factory.mktemp("ui-browser"), model_cache_dir, embedder)


@pytest.fixture
def page(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip("needs Debian's chromium: make browser")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=FLAGS,
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


def test_ask_open_source_upload_and_ask_again(app, page, tmp_path):
    outside = []
    page.on("request", lambda r: outside.append(r.url)
            if not r.url.startswith((app.url.rstrip("/"), "data:", "blob:")) else None)
    page.goto(app.url)
    page.wait_for_selector("#question textarea", timeout=30_000)

    # ask, and open the source behind the marker
    ask(page, QUESTION, "311")
    marker = page.locator("#chat a.cite").last
    assert marker.inner_text() == "[1]"
    marker.click()
    card = page.locator("#sources .src-card.active")
    card.wait_for(timeout=5_000)
    assert "青岛高新区" in card.locator(".src-title").inner_text()
    assert "311" in card.locator("mark").inner_text()
    assert card.is_visible()
    shots = DOCS_DIR if os.environ.get("RAG_SCREENSHOTS") == "docs" else tmp_path
    shots.mkdir(exist_ok=True)
    page.screenshot(path=str(shots / "screenshot-chat.png"))
    assert (shots / "screenshot-chat.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # upload a bulletin with a fact no other document has
    bulletin = tmp_path / "海蓝星科技通报.txt"
    bulletin.write_text(UPLOAD, encoding="utf-8")
    page.set_input_files("#upload input[type=file]", str(bulletin))
    page.locator("#upload").get_by_text(bulletin.name).wait_for(timeout=30_000)
    page.click("#add-docs")
    page.wait_for_function("document.querySelector('#ingest-status').innerText.includes('Index updated')",
                           timeout=120_000)
    assert "1 added" in page.inner_text("#ingest-status")
    assert (Path("corpus/uploads") / bulletin.name).is_file()

    # and ask about it
    ask(page, "海蓝星量子科技的B轮融资金额是多少？", "7788")
    page.locator("#chat a.cite").last.click()
    card = page.locator("#sources .src-card.active")
    card.wait_for(timeout=5_000)
    assert "海蓝星" in card.locator(".src-title").inner_text() and "7788" in card.locator("mark").inner_text()
    page.screenshot(path=str(shots / "screenshot-upload.png"))
    assert not outside, f"the page reached outside the app: {outside}"
