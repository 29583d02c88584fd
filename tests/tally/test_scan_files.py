"""tinnhiem scan on whole stacks from office devices (issue 12): a 16-bit stack reads as its
8-bit original, every unreadable page makes the scan exit 7, and the summary counts the blank
backs and warns when they cannot all be backs."""

import numpy as np
import pytest
from PIL import Image
from reportlab.pdfgen.canvas import Canvas

from ballotgen.errors import ExitCode
from tally.store import Store
from tests.helpers import fresh_copy, run

VOTERS = 10


def stored(folder):
    with Store.open(folder) as store:
        return [(p.page_index, p.image_sha256, p.reading) for p in store.pages()]


@pytest.mark.slow
def test_a_16_bit_stack_reads_all_its_ballots_as_the_8_bit_original(ten_ballots, tmp_path):
    """The issue's case: 8 of 10 ballots of a 16-bit TIFF were stored as blank backs."""
    conf, pages = ten_ballots
    grey = [Image.open(p).convert("L") for p in pages]
    original = tmp_path / "original.tif"
    grey[0].save(original, save_all=True, append_images=grey[1:], dpi=(150, 150))
    sixteen = [Image.fromarray(np.asarray(g).astype(np.uint16) * 257) for g in grey]
    deep = tmp_path / "deep.tif"
    sixteen[0].save(deep, save_all=True, append_images=sixteen[1:], dpi=(150, 150))
    assert Image.open(deep).mode == "I;16"

    readings = {}
    for name, path in (("original", original), ("deep", deep)):
        folder = fresh_copy(conf, tmp_path / name)
        result = run("scan", folder, path, "--jobs", 1)
        assert result.exit_code == 0, result.output
        assert f"Taken as blank backs: {VOTERS} of the {2 * VOTERS} pages" in result.output
        assert f"Ballots: {VOTERS}:" in result.output and "warning" not in result.output
        readings[name] = stored(folder)
    assert readings["deep"] == readings["original"]  # the same pixels, so the same readings
    assert sum(r.kind == "ballot" for _, _, r in readings["deep"]) == VOTERS


def test_a_page_that_cannot_be_registered_makes_the_scan_exit_7(ten_ballots, tmp_path):
    """Not only pages that cannot be decoded: every unreadable page needs attention."""
    conf, pages = ten_ballots
    page = np.asarray(Image.open(pages[0]).convert("L")).copy()
    h, w = page.shape
    qr = page[: int(h * 0.16), int(w * 0.72):].copy()  # the QR code, top right, and nothing else
    page[:] = np.percentile(page, 90)
    page[: qr.shape[0], int(w * 0.72):] = qr
    Image.fromarray(page).save(tmp_path / "code-only.png", dpi=(150, 150))
    folder = fresh_copy(conf, tmp_path)
    result = run("scan", folder, tmp_path / "code-only.png")
    assert result.exit_code == ExitCode.ATTENTION, result.output
    assert "unreadable: code-only.png page 1:" in result.output
    assert "registration marks found" in result.output
    (_, _, reading), = stored(folder)
    assert reading.kind == "unreadable" and reading.batch  # identified, but not placed
    result = run("scan", folder, tmp_path / "code-only.png")  # again: still unreadable
    assert result.exit_code == ExitCode.ATTENTION and "Read 0 pages" in result.output


def test_more_blank_backs_than_fronts_is_warned_of(stacks, tmp_path):
    conf, out = stacks
    folder = fresh_copy(conf, tmp_path)
    result = run("scan", folder, out["pdf"][0] / "scan.pdf", "--jobs", 1)
    assert result.exit_code == 0, result.output
    assert "Taken as blank backs: 5 of the 10 pages of the files given." in result.output
    assert "warning" not in result.output
    blanks = tmp_path / "blanks.pdf"
    canvas = Canvas(str(blanks))
    for _ in range(8):
        canvas.showPage()
    canvas.save()
    result = run("scan", folder, out["pdf"][0] / "scan.pdf", blanks, "--jobs", 1)
    assert result.exit_code == 0, result.output
    assert "Taken as blank backs: 13 of the 18 pages of the files given." in result.output
    assert "warning: 13 pages were taken as blank backs, more than the 5 other pages" \
        in result.output
