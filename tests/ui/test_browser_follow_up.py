"""A conversation in a real headless Chromium: a follow-up ("那去年呢？") is read as a new question,
shown as read, and answered with a caveat, not with the previous answer. Needs `make browser`."""
import pytest

from tests.ui.test_app import QUESTION
from tests.ui.test_browser import app, ask, lang, page, usable, wait_text  # noqa: F401 - fixtures and helpers

pytestmark = pytest.mark.slow
READ_AS = {"en": "Read as: 2022年", "zh": "理解为：2022年"}


def test_a_follow_up_is_read_shown_and_caveated(app, page, lang):  # noqa: F811
    page.goto(app.url)
    page.wait_for_selector("#question textarea", timeout=30_000)
    ask(page, QUESTION, "311")
    page.fill("#question textarea", "那去年呢？")
    page.keyboard.press("Enter")
    wait_text(page, "#chat", READ_AS[lang], timeout=60_000)
    wait_text(page, "#chat", "简报中没有2022年的", timeout=60_000)
    bubble = page.locator("#chat .answer-caveat").last
    assert "2022" in bubble.inner_text() and bubble.is_visible()
    # the question box is usable again for the next question (once the answer's events are done)
    usable(page)
