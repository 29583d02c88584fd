"""The console in a real browser (headless Chromium): the clerk uploads a roster workbook,
sees a refused one with its faulty row, creates the conference, previews and prints its
ballots, downloads the PDF, is stopped before a second print run until they confirm it,
uploads a simulated scan and watches it read, opens the review pages from the conference's
page, has a watched folder pick up a second stack, reviews the flagged sheet with the
keyboard, enters attendance, tallies, downloads the minutes (whose counts must be the
simulated voters'), writes the audit archive and audits the conference.

Needs /usr/bin/chromium and the ``playwright`` package, like test_review_browser.py. With
``TINNHIEM_SCREENSHOTS=FOLDER`` the pages are also saved there as PNG (for the user guide).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import threading
import time
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from playwright.sync_api import sync_playwright
from waitress import create_server

from rehearsal.committee import hand_count
from rehearsal.vote import simulate_vote
from tally.console.app import create_console
from tally.publish import MINUTES_FILE
from tally.rules import RULE_SETS
from tally.store import EventKind, Store
from tests.helpers import NO_MISTAKES, write_xlsx

CHROMIUM = "/usr/bin/chromium"
PERSONS = [  # invented names
    [1, "Vũ Thị Hồng Nhung", "Giám đốc Sở Tài chính"],
    [2, "Lương Văn Đạt", "Phó Giám đốc Sở Tài chính"],
    [3, "Kiều Minh Châu", "Phó Giám đốc Sở Tài chính, phụ trách ngân sách"],
    [4, "Tạ Quang Huy", "Chánh Văn phòng Sở"],
]


@pytest.fixture
def console(tmp_path):
    workspace = tmp_path / "ws"
    workspace.mkdir()
    app = create_console(workspace, poll=0.5)
    httpd = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=httpd.run, daemon=True)
    thread.start()
    yield workspace, f"http://127.0.0.1:{httpd.effective_port}", app
    app.extensions["tinnhiem_watchers"].stop_all()
    httpd.close()
    thread.join(timeout=5)


def shoot(page, tmp_path, name):
    folder = Path(os.environ.get("TINNHIEM_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"console-{name}.png"), full_page=True)


def loaded(page, selector):
    """Whether every image matched by ``selector`` has loaded (a PNG the server rendered)."""
    return page.eval_on_selector_all(
        selector, "imgs => imgs.length > 0 && imgs.every(i => i.complete && i.naturalWidth > 0)")


@pytest.mark.slow
def test_a_clerk_creates_a_conference_from_a_workbook_and_prints(console, tmp_path):
    workspace, base, app = console
    title_rows = [["DANH SÁCH NGƯỜI ĐƯỢC LẤY PHIẾU TÍN NHIỆM"], []]
    header = ["STT", "Họ và tên", "Chức vụ, đơn vị công tác"]
    bad = write_xlsx(tmp_path, [*title_rows, header, PERSONS[0], [2, "Lương Văn Đạt", ""]],
                     name="danh-sach-loi.xlsx")
    good = write_xlsx(tmp_path, [*title_rows, header, *PERSONS], name="danh-sach.xlsx")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True,
                                locale="vi-VN")
        page.goto(base + "/")
        assert "chưa có hội nghị nào" in page.inner_text("main")
        shoot(page, tmp_path, "1-hoi-nghi-trong")

        # A roster with a missing position: the file, the row, and the row marked.
        page.click("#new")
        page.set_input_files("input[name=roster]", str(bad))
        with page.expect_navigation():
            page.click("#upload")
        assert "danh-sach-loi.xlsx: dòng 5: thiếu Chức vụ của STT 2" in page.inner_text(
            "#roster-error")
        assert page.inner_text("#bad-row th") == "5"
        assert "thiếu Chức vụ" in page.inner_text("#bad-row")
        shoot(page, tmp_path, "2-danh-sach-loi")

        page.click("text=Tải lên danh sách đã sửa")
        page.set_input_files("input[name=roster]", str(good))
        with page.expect_navigation():
            page.click("#upload")
        assert page.locator("#persons tbody tr").count() == 4
        assert "Kiều Minh Châu" in page.inner_text("#persons")
        page.fill("textarea[name=org]", "ỦY BAN NHÂN DÂN TỈNH BÌNH AN\nSỞ TÀI CHÍNH")
        page.fill("input[name=title]", "Hội nghị lấy phiếu tín nhiệm đối với cán bộ lãnh đạo, "
                                       "quản lý năm 2026")
        page.fill("input[name=date]", "2026-12-18")
        page.fill("input[name=place]", "Bình An")
        page.fill("input[name=venue]", "Hội trường Sở Tài chính")
        page.fill("input[name=summoned]", "30")
        page.fill("input[name=member_name_0]", "Đinh Thị Mai")
        page.fill("input[name=member_name_1]", "Hà Văn Tùng")
        page.fill("input[name=folder]", "so-tai-chinh")
        shoot(page, tmp_path, "3-thong-tin-hoi-nghi")
        with page.expect_navigation():
            page.click("#create")
        assert "4 người được lấy phiếu, thư mục so-tai-chinh" in page.inner_text("#created")
        assert page.locator("#codes tr").count() == 2
        code = page.inner_text("#codes tr:first-child code")  # Đinh Thị Mai's, Trưởng ban
        shoot(page, tmp_path, "4-da-tao")

        with page.expect_navigation():
            page.click("#to-print")
        page.wait_for_function("document.querySelector('#specimen img').complete")
        assert loaded(page, "#specimen img")
        shoot(page, tmp_path, "5-in-phieu-xem-truoc")
        page.fill("input[name=copies]", "30")
        with page.expect_navigation():
            page.click("#do-print")
        folder = workspace / "so-tai-chinh"
        with Store.open(folder) as store:
            (batch,) = store.batches()
        assert batch.copies == 30
        assert f"Đã in 30 phiếu, lô {batch.code}" in page.inner_text(".flash")
        page.wait_for_function(f"document.querySelector('#lo-{batch.code} img').complete")
        assert loaded(page, f"#lo-{batch.code} img")
        with page.expect_download() as download:
            page.click(f"#lo-{batch.code} a[download]")
        assert download.value.suggested_filename == batch.pdf_name
        assert Path(download.value.path()).read_bytes() == (folder / batch.pdf_name).read_bytes()
        shoot(page, tmp_path, "6-da-in")

        # A second run: refused until the box is ticked.
        page.fill("input[name=copies]", "5")
        with page.expect_navigation():
            page.click("#do-print")
        assert "Đây sẽ là lần in thứ 2" in page.inner_text("#problem")
        with Store.open(folder) as store:
            assert len(store.batches()) == 1
        shoot(page, tmp_path, "7-in-lan-hai")
        page.check("#again")
        with page.expect_navigation():
            page.click("#do-print")
        with Store.open(folder) as store:
            assert sorted(b.copies for b in store.batches()) == [5, 30]  # same second maybe

        # Quét phiếu: a simulated stack (with a foreign sheet) uploaded and read.
        scans = tmp_path / "may-quet"
        truth = simulate_vote(folder, scans, voters=4, profile="office", fmt="pdf", dpi=150,
                              seed=5, foreign=1, rates=NO_MISTAKES).truth
        page.goto(base + "/hoi-nghi/so-tai-chinh/quet-phieu")
        page.set_input_files("input[name=scans]", str(scans / "scan.pdf"))
        with page.expect_navigation():
            page.click("#send-scans")
        shoot(page, tmp_path, "10-dang-doc")
        page.wait_for_selector("#summary", timeout=60_000)  # the page refreshes by itself
        assert "Trong hội nghị: 5 phiếu, 4 phiếu máy đọc được, 1 phiếu cần kiểm tra" in \
            page.inner_text("#summary")
        shoot(page, tmp_path, "11-da-doc")
        with page.expect_navigation():
            page.click("#job a.button")
        assert page.inner_text(".stats div:first-child b") == "1"  # ballots waiting

        # The workspace lists it; its page leads to the review pages and back.
        page.goto(base + "/")
        row = page.inner_text('tr[data-folder="so-tai-chinh"]')
        assert "35 phiếu" in row and "2 lần in" in row and "18/12/2026" in row
        assert "10 trang" in row or "5 trang" in row
        shoot(page, tmp_path, "8-danh-sach-hoi-nghi")
        with page.expect_navigation():
            page.click('tr[data-folder="so-tai-chinh"] a')
        shoot(page, tmp_path, "9-trang-hoi-nghi")
        with page.expect_navigation():
            page.click("#step-review")
        assert page.url == base + "/hoi-nghi/so-tai-chinh/kiem-tra/"
        assert page.inner_text(".stats div:first-child b") == "1"  # ballots waiting
        with page.expect_navigation():
            page.click("#console")
        assert page.url == base + "/hoi-nghi/so-tai-chinh/"

        # A watched folder: the office scanner saves a second stack there; it is read as it
        # comes, and its ballots join the count.
        watched = tmp_path / "thu-muc-may-quet"
        watched.mkdir()
        page.goto(base + "/hoi-nghi/so-tai-chinh/quet-phieu")
        page.fill("#watch-folder", str(watched))
        with page.expect_navigation():
            page.click("#do-watch")
        assert f"Đang theo dõi {watched}" in page.inner_text(".flash")
        second = simulate_vote(folder, tmp_path / "lan-2", voters=2, profile="office",
                               fmt="pdf", dpi=150, seed=6, rates=NO_MISTAKES).truth
        shutil.copy(tmp_path / "lan-2" / "scan.pdf", watched / "scan-2.pdf")
        (watch,) = app.extensions["tinnhiem_watchers"].of(folder)
        deadline = time.monotonic() + 60
        while not watch.taken and time.monotonic() < deadline:
            time.sleep(0.2)
        assert watch.taken == ["scan-2.pdf"]
        job = app.extensions["tinnhiem_readers"].wait(folder)
        assert job.error is None and job.summary.stack.ballots == 7
        page.goto(base + "/hoi-nghi/so-tai-chinh/quet-phieu")
        assert f"{watched}\t1\t0\t0" in page.inner_text("#watches")
        assert "scan-2.pdf" in page.inner_text("#files")
        shoot(page, tmp_path, "15-thu-muc-may-quet")
        page.goto(base + "/hoi-nghi/so-tai-chinh/")

        # Kết quả before the review: what blocks the official count.
        with page.expect_navigation():
            page.click("#step-results")
        assert "1 phiếu đang chờ kiểm tra" in page.inner_text("#open-items")
        assert "Chưa nhập: Số người có mặt" in page.inner_text("#open-items")
        shoot(page, tmp_path, "12-ket-qua-truoc")

        # The review, with the keyboard: the foreign sheet is confirmed as not ours.
        page.goto(base + "/hoi-nghi/so-tai-chinh/kiem-tra/dang-nhap")
        page.fill("input[name=code]", code)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        shoot(page, tmp_path, "16-hang-doi-kiem-tra")
        with page.expect_navigation():
            page.keyboard.press("n")  # the next flagged ballot
        assert "Không phải phiếu" in page.inner_text("ul.reasons")
        shoot(page, tmp_path, "17-phieu-can-xem")
        page.keyboard.press("l")  # a foreign sheet
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "Không còn phiếu nào chờ xử lý" in page.inner_text("main")

        # Attendance, the hand count of the box and the end time; the tally; the minutes.
        page.goto(base + "/hoi-nghi/so-tai-chinh/ket-qua")
        assert "1 phiếu đang chờ kiểm tra" not in page.inner_text("#open-items")
        page.fill("#field-present", "20")
        page.fill("#field-counted", "7")
        page.fill("#field-ended", "17:38")
        with page.expect_navigation():
            page.click("#do-tally")
        assert "Đã kiểm phiếu lần 1: biên bản chính thức" in page.inner_text(".flash")
        assert "Kết quả chính thức" in page.inner_text("#count-state")
        shoot(page, tmp_path, "13-ket-qua-chinh-thuc")
        with Store.open(folder) as store:
            (tally,) = [e for e in store.events() if e.kind == EventKind.TALLY_PRODUCED]
        with page.expect_download() as download:
            page.click("#lan-1 a.doc-pdf")
        minutes = Path(download.value.path()).read_bytes()
        assert hashlib.sha256(minutes).hexdigest() == tally.data["outputs"][MINUTES_FILE]
        assert minutes_counts(minutes, len(PERSONS)) == truth_counts([truth, second],
                                                                     len(PERSONS))
        for kind in ("xlsx", "csv"):
            with page.expect_download() as download:
                page.click(f"#lan-1 a.doc-{kind}")
            assert download.value.suggested_filename.endswith(f".{kind}")

        # Lưu trữ: the archive written, the conference audited, in the background.
        page.goto(base + "/hoi-nghi/so-tai-chinh/")
        with page.expect_navigation():
            page.click("#step-archive")
        with page.expect_navigation():
            page.click("#do-export")
        page.wait_for_selector("#exported", timeout=60_000)  # the page refreshes by itself
        with page.expect_navigation():
            page.click("#do-audit")
        page.wait_for_selector("#verified", timeout=120_000)
        assert "ĐÃ XÁC MINH" in page.inner_text("#verified")
        assert page.locator("#archives tbody tr").count() == 1
        shoot(page, tmp_path, "14-luu-tru")
        browser.close()


def minutes_counts(pdf: bytes, persons: int) -> list[tuple[int, ...]]:
    """Per person, from the minutes' table as printed: (received, valid, invalid, cao,
    tín nhiệm, thấp)."""
    document = pdfium.PdfDocument(pdf)
    words = " ".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    rows = re.findall(r"(\d+) (\d+) (\d+) (\d+) (\d+) \d+,\d\d (\d+) \d+,\d\d (\d+) "
                      r"\d+,\d\d", " ".join(words.split()))
    assert len(rows) == persons, words
    return [tuple(int(n) for n in row[1:]) for row in rows]


def truth_counts(truths, persons: int) -> list[tuple[int, ...]]:
    """What the voters of every stack did, counted by hand (qd96-2023), in the minutes'
    columns."""
    numbers = list(range(1, persons + 1))
    counts = [hand_count(t, numbers, RULE_SETS["qd96-2023"]) for t in truths]
    received = sum(len(t["ballots"]) + len(t["foreign"]) for t in truths)
    total = {n: {k: sum(c[n][k] for c in counts) for k in counts[0][n]} for n in numbers}
    return [(received, received - c["invalid"], c["invalid"], c["cao"], c["tin_nhiem"],
             c["thap"]) for c in (total[n] for n in numbers)]
