"""Faults the count must survive: power cuts during a scan, and bad input at every door."""

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from ballotgen.errors import ExitCode
from tally.scan import scan_stack
from tally.store import STORE_FILE, Store
from tests.helpers import fresh_copy, run, store_content

SEED = 2026
KILLS = 8


def pages_stored(folder) -> int:
    try:
        db = sqlite3.connect(f"file:{folder / STORE_FILE}?mode=ro", uri=True, timeout=0.05)
        try:
            return db.execute("SELECT count(*) FROM pages").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_a_scan_killed_at_random_points_then_rerun_ends_as_one_run(stacks, tmp_path):
    """SIGKILL (a power cut, no clean-up of any kind) at random pages, with a fixed seed."""
    conf, out = stacks
    inputs = [out["tiff"][0] / "scan.tif", out["pdf"][0] / "scan.pdf"]
    whole = fresh_copy(conf, tmp_path / "whole")
    scan_stack(whole, inputs)
    total = pages_stored(whole)

    crashed = fresh_copy(conf, tmp_path / "crashed")
    rng = random.Random(SEED)
    targets = sorted(rng.sample(range(1, total), KILLS))
    command = [sys.executable, "-m", "tally.cli", "scan", str(crashed), *map(str, inputs),
               "--jobs", "1"]
    for target in targets:
        before = pages_stored(crashed)
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 env={**os.environ, "PYTHONHASHSEED": "0"})
        deadline = time.monotonic() + 120
        while pages_stored(crashed) < target and child.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.005)
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert pages_stored(crashed) >= before  # nothing stored is ever lost
    assert 0 < pages_stored(crashed) < total  # the kills did land in the middle of the stack
    scan_stack(crashed, inputs)
    assert store_content(crashed) == store_content(whole)
    with Store.open(crashed) as store:
        assert store.verify_chain() == []


def huge_png(path, size=20_000):
    """A 20,000 × 20,000 grey PNG, written in strips (it would be 400 MB decoded)."""
    import zlib

    def chunk(kind, data):
        return (len(data).to_bytes(4, "big") + kind + data +
                zlib.crc32(kind + data).to_bytes(4, "big"))

    row = b"\x00" + b"\xff" * size
    compressor = zlib.compressobj(1)  # fast: the file's size does not matter, its pixels do
    rows = 500  # compressed in blocks of rows, all alike
    body = b"".join(compressor.compress(row * rows) for _ in range(size // rows)) + \
        compressor.flush()
    header = size.to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) +
                     chunk(b"IEND", b""))


def test_a_20000_pixel_square_image_is_refused_and_recorded(stacks, tmp_path):
    conf = fresh_copy(stacks[0], tmp_path)
    path = tmp_path / "huge.png"
    huge_png(path)
    result = run("scan", conf, path)
    assert result.exit_code == ExitCode.ATTENTION, result.output
    assert "huge.png page 1: page cannot be decoded: image too large (more than 120 million " \
        "pixels)" in result.output
    with Store.open(conf) as store:
        (page,) = store.pages()
        assert page.reading.kind == "unreadable" and page.reading.flags == ("unreadable",)


@pytest.mark.slow
def test_a_pdf_of_hundreds_of_pages_is_read_page_by_page(stacks, tmp_path):
    """300 pages as a scanner writes them (each an image of the page, here blank backs at
    150 dpi), and now and then a page of unrelated text (drawn, so rendered)."""
    conf = fresh_copy(stacks[0], tmp_path)
    path = tmp_path / "long.pdf"
    width, height = A4
    paper = Image.new("L", (round(width / 72 * 150), round(height / 72 * 150)), 245)
    canvas = Canvas(str(path), pagesize=A4)
    for i in range(300):
        if i % 50 == 0:
            canvas.setFont("Helvetica", 14)
            for line in range(40):
                canvas.drawString(60, 780 - 18 * line, f"Minutes of meeting {i}, item {line}: "
                                  "the agenda was approved unanimously by those present.")
        else:  # one image, embedded once, drawn over the whole page
            canvas.drawImage(ImageReader(paper), 0, 0, width=width, height=height)
        canvas.showPage()
    canvas.save()
    result = run("scan", conf, path, "--jobs", 1)
    assert result.exit_code == 0, result.output
    assert "In the store: 300 pages: 0 ballot pages, 294 blank, 6 foreign" in result.output
    assert "Ballots: 6: 0 accepted, 6 flagged for review." in result.output


def test_an_enormous_pdf_page_is_refused_by_name(stacks, tmp_path):
    conf = fresh_copy(stacks[0], tmp_path)
    path = tmp_path / "poster.pdf"
    canvas = Canvas(str(path), pagesize=(14_000, 14_000))  # 4.9 m square
    canvas.drawString(100, 100, "not a ballot")
    canvas.save()
    result = run("scan", conf, path)
    assert result.exit_code == ExitCode.ATTENTION
    assert "poster.pdf page 1: page cannot be decoded: too large to be a ballot sheet " \
        "(4939 × 4939 mm)" in result.output


def test_an_unrelated_image_document_is_foreign(stacks, tmp_path):
    conf = fresh_copy(stacks[0], tmp_path)
    rng = np.random.default_rng(SEED)
    page = np.full((1754, 1240), 255, np.uint8)
    page[200:1500, 150:1100] = rng.integers(0, 255, (1300, 950), dtype=np.uint8)
    Image.fromarray(page).save(tmp_path / "photo.jpg", dpi=(150, 150))
    assert run("scan", conf, tmp_path / "photo.jpg").exit_code == 0
    with Store.open(conf) as store:
        (stored,) = store.pages()
        assert stored.reading.kind == "foreign"


def test_a_ballot_id_of_another_conference_is_not_found(stacks, tmp_path):
    """Ids are the store's own: a ballot of another conference is unknown here."""
    from tally.committee import add_members
    from tally.review.app import create_app

    conf, out = stacks
    mine = fresh_copy(conf, tmp_path / "mine")  # nothing scanned
    ((_, code),) = add_members(mine, [("Nguyễn Thị Lan", "Trưởng ban")])
    app = create_app(mine)
    client = app.test_client()
    client.get("/dang-nhap")
    with client.session_transaction() as session:
        csrf = session["csrf"]
    client.post("/dang-nhap", data={"code": code, "csrf": csrf})
    with client.session_transaction() as session:
        csrf = session["csrf"]  # a new token once logged in
    for path in ("/phieu/1", "/anh/1.jpg", "/o/1/1/cao.png"):
        response = client.get(path)
        assert response.status_code == 404 and "Về hàng chờ" in response.get_data(as_text=True)
    response = client.post("/phieu/1", data={"csrf": csrf, "ballot": "genuine"})
    assert response.status_code == 404
    with Store.open(mine) as store:
        assert store.decisions() == []
