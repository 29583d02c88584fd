"""The review page in a real browser (headless Chromium): a reviewer clears the queue with the
keyboard alone, and the decisions are in the store.

Needs /usr/bin/chromium (Debian ``chromium``, installed by ``make test``) and the ``playwright``
package. Missing, the test fails: it is never skipped.
"""

import shutil
import threading

import pytest
from playwright.sync_api import sync_playwright
from waitress import create_server

from tally.review.app import create_app
from tally.store import Store
from tests.tally.test_tally import scanned  # noqa: F401  (the module's conference fixture)

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def server(scanned, tmp_path):  # noqa: F811
    conf = tmp_path / "conf"
    shutil.copytree(scanned, conf)
    httpd = create_server(create_app(conf), host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=httpd.run, daemon=True)
    thread.start()
    yield conf, f"http://127.0.0.1:{httpd.effective_port}"
    httpd.close()
    thread.join(timeout=5)


def test_a_reviewer_clears_the_queue_with_the_keyboard(server):
    conf, base = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(base + "/")
        page.fill("input[name=name]", "Hoàng Thu Trang")
        page.keyboard.press("Enter")
        assert "2" in page.inner_text(".stats div:first-child")

        with page.expect_navigation():
            page.keyboard.press("n")  # the next flagged ballot
        for _ in range(2):
            assert "/phieu/" in page.url
            reasons = page.inner_text("ul.reasons")
            if "Không phải phiếu" in reasons:
                page.keyboard.press("l")  # a foreign sheet
            else:
                # The blank row is the active one; the reviewer sees the voter left it empty.
                assert page.get_attribute("tr.active", "data-person") == "2"
                page.keyboard.press("4")  # Không hợp lệ
                assert page.is_checked('tr[data-person="2"] input[value="invalid"]')
                page.keyboard.press("h")  # the ballot is genuine
            with page.expect_navigation():
                page.keyboard.press("Enter")  # record, and on to the next
        assert page.url == base + "/"
        assert "Không còn phiếu nào chờ xử lý" in page.inner_text("main")
        browser.close()

    with Store.open(conf) as store:
        made = sorted((d.person or 0, d.value, d.reviewer) for d in store.decisions())
    assert made == [(0, "foreign", "Hoàng Thu Trang"), (0, "genuine", "Hoàng Thu Trang"),
                    (2, "invalid", "Hoàng Thu Trang")]
