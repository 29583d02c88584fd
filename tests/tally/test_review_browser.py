"""The review page in a real browser (headless Chromium): a member logs in with their code and
clears the queue with the keyboard alone, and the decisions are in the store; a page of another
site can neither reach the server under its own host name nor post a form to it.

Needs /usr/bin/chromium (Debian ``chromium``, installed by ``make test``) and the ``playwright``
package. Missing, the test fails: it is never skipped.
"""

import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import sync_playwright
from waitress import create_server

from tally.committee import add_members
from tally.review.app import create_app
from tally.store import Store

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def server(scanned, tmp_path):
    conf = tmp_path / "conf"
    shutil.copytree(scanned, conf)
    ((_, code),) = add_members(conf, [("Hoàng Thu Trang", "Thành viên")])
    httpd = create_server(create_app(conf), host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=httpd.run, daemon=True)
    thread.start()
    yield conf, f"http://127.0.0.1:{httpd.effective_port}", code
    httpd.close()
    thread.join(timeout=5)


def log_in(page, base, code):
    page.goto(base + "/dang-nhap")
    page.fill("input[name=code]", code)
    with page.expect_navigation():
        page.keyboard.press("Enter")


@pytest.mark.slow
def test_a_reviewer_clears_the_queue_with_the_keyboard(server):
    conf, base, code = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        log_in(page, base, code)
        assert page.url == base + "/", page.inner_text("main")
        assert "Hoàng Thu Trang" in page.inner_text("header")
        assert page.inner_text(".stats div:first-child b") == "2"  # ballots waiting

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


@pytest.mark.slow
def test_another_site_gets_nothing_under_its_name_and_cannot_post(server):
    conf, base, code = server
    port = base.rsplit(":", 1)[1]
    ballot = 1
    attack = (f'<form id="f" method="post" action="{base}/phieu/{ballot}/danh-dau">'
              '<input name="note" value="x"></form><script>f.submit()</script>').encode()

    class Attacker(BaseHTTPRequestHandler):  # another origin on the same machine
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(attack)

        def log_message(self, *args):
            pass

    evil = ThreadingHTTPServer(("127.0.0.1", 0), Attacker)
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=[
                "--no-sandbox", "--host-resolver-rules=MAP evil.example 127.0.0.1"])
            page = browser.new_page()
            # DNS rebinding: another site's name that resolves to the loopback.
            response = page.goto(f"http://evil.example:{port}/")
            assert response.status == 400
            assert "chỉ mở bằng địa chỉ được in ra" in page.inner_text("main")
            # A member logged in here visits a page of another site that posts a form to us.
            log_in(page, base, code)
            with page.expect_navigation(url=f"{base}/phieu/{ballot}/danh-dau") as posted:
                page.goto(f"http://127.0.0.1:{evil.server_address[1]}/")
            assert posted.value.status == 403
            assert "không đến từ trang kiểm phiếu" in page.inner_text("main")
            browser.close()
    finally:
        evil.shutdown()
    with Store.open(conf) as store:
        assert store.decisions() == []
