"""The printed PDF, rendered with pypdfium2 as a scanner would see it, against its layout."""

import unicodedata

import numpy as np
import pytest

from ballotgen import payload
from ballotgen.conference import Person
from ballotgen.layout import BOX_MM
from tests.helpers import LONG_NAME, LONG_POSITION, Printed, make_conference, qr_text

DARK = 128  # grey level below which a pixel is ink
A4_PT = (595.28, 841.89)


def px_per_mm(dpi: int) -> float:
    return dpi / 25.4


def crop(image, x0_mm, y0_mm, x1_mm, y1_mm, dpi):
    s = px_per_mm(dpi)
    c0, r0 = int(round(x0_mm * s)), int(round(y0_mm * s))
    return image[r0:int(round(y1_mm * s)), c0:int(round(x1_mm * s))], c0, r0


def one_line(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def long_printed(small_persons):
    return Printed(make_conference([Person(1, LONG_NAME, LONG_POSITION), *small_persons[1:]]))


def test_pages_are_a4_and_copies_collated(large_printed):
    pages = len(large_printed.layout.pages)
    assert len(large_printed.document) == large_printed.batch.copies * pages
    for i in range(len(large_printed.document)):
        w, h = large_printed.document[i].get_size()
        assert abs(w - A4_PT[0]) < 0.1 and abs(h - A4_PT[1]) < 0.1
    # copy 2 starts again at page 1
    assert "Trang 1/4" in large_printed.page_text(pages)


@pytest.mark.parametrize("fixture", ["small_printed", "large_printed", "long_printed"])
def test_extracted_text_has_every_name_and_position_exactly(request, fixture):
    printed = request.getfixturevalue(fixture)
    pages = len(printed.layout.pages)
    text = one_line(" ".join(printed.page_text(i) for i in range(pages)))
    assert unicodedata.is_normalized("NFC", text)
    for person in printed.conference.persons:
        assert person.name in text and person.position in text
        assert text.count(person.name) == 1  # each person once per ballot
    for line in printed.conference.org_lines:
        assert line in text
    assert "PHIẾU TÍN NHIỆM" in text and printed.conference.title in text
    assert "Người ghi phiếu có thể ký tên hoặc không ký tên." in text


@pytest.mark.parametrize("dpi", [150, 200, 300])
def test_qr_decodes_and_matches_the_layout(large_printed, dpi):
    printed = large_printed
    pages = len(printed.layout.pages)
    for index in range(pages):
        text = qr_text(printed.page_image(index, dpi))
        code, mac = payload.decode(text)
        assert payload.is_authentic(code, mac, printed.key)
        assert (code.batch, code.page, code.pages) == (printed.batch.code, index + 1, pages)
        assert code.layout_hash == printed.layout.hash and code.serial is None


def test_qr_is_the_same_on_every_copy_without_serials(small_printed):
    first, second = (qr_text(small_printed.page_image(i, 150)) for i in (0, 1))
    assert first is not None and first == second


def test_qr_quiet_zone_is_white(large_printed):
    page = large_printed.layout.pages[0]
    image = large_printed.page_image(0, 300)
    qr = page.qr
    module = qr.w / (29 + 8)
    margin = 3 * module  # most of the 4-module quiet zone
    outer, _, _ = crop(image, qr.x, qr.y, qr.right, qr.bottom, 300)
    inner_px = int(round(margin * px_per_mm(300)))
    ring = np.ones(outer.shape, bool)
    ring[inner_px:-inner_px, inner_px:-inner_px] = False
    assert outer[ring].min() > 200


@pytest.mark.parametrize("fixture", ["small_printed", "large_printed"])
def test_registration_marks_are_where_the_layout_says(request, fixture):
    printed = request.getfixturevalue(fixture)
    dpi, s = 300, px_per_mm(300)
    r = printed.layout.mark_radius
    for page in printed.layout.pages:
        image = printed.page_image(page.index, dpi)
        for cx, cy in page.marks:
            window, c0, r0 = crop(image, cx - 2 * r, cy - 2 * r, cx + 2 * r, cy + 2 * r, dpi)
            rows, cols = np.nonzero(window < DARK)
            found_x = (cols.mean() + c0 + 0.5) / s
            found_y = (rows.mean() + r0 + 0.5) / s
            assert abs(found_x - cx) < 0.1 and abs(found_y - cy) < 0.1
            radius = np.sqrt(len(rows) / np.pi) / s
            assert abs(radius - r) < 0.1


@pytest.mark.parametrize("fixture", ["small_printed", "large_printed", "long_printed"])
def test_every_box_is_where_the_layout_says_and_empty(request, fixture):
    printed = request.getfixturevalue(fixture)
    dpi, s = 300, px_per_mm(300)
    line = printed.layout.box_line
    for page in printed.layout.pages:
        image = printed.page_image(page.index, dpi)
        for row in page.rows:
            for box in row.boxes:
                window, c0, r0 = crop(image, box.x - 0.8, box.y - 0.8, box.right + 0.8,
                                      box.bottom + 0.8, dpi)
                rows, cols = np.nonzero(window < DARK)
                left, right = (cols.min() + c0) / s, (cols.max() + 1 + c0) / s
                top, bottom = (rows.min() + r0) / s, (rows.max() + 1 + r0) / s
                # the printed outline is centred on the layout's rectangle
                assert abs((left + right) / 2 - box.centre[0]) < 0.15
                assert abs((top + bottom) / 2 - box.centre[1]) < 0.15
                assert abs((right - left) - (BOX_MM + line)) < 0.2
                assert abs((bottom - top) - (BOX_MM + line)) < 0.2
                inside, _, _ = crop(image, box.x + line, box.y + line, box.right - line,
                                    box.bottom - line, dpi)
                assert inside.min() > 200, f"ink inside the box of person {row.person}"


def test_identical_copies_reuse_one_drawing(small_persons):
    one = Printed(make_conference(small_persons), copies=1)
    many = Printed(make_conference(small_persons), copies=300)
    assert many.pdf.count(b"/Subtype /Form") == len(many.layout.pages) == 1
    # Each sheet still needs a page object and a `Do` of the form (~500 bytes); drawing the page
    # again would add its whole drawing (~3.5 kB compressed for this ballot) per sheet.
    assert len(many.pdf) - len(one.pdf) < 300 * 600


def test_serials_differ_per_copy_and_are_the_batch_s(small_persons):
    printed = Printed(make_conference(small_persons), copies=3, serials=True)
    serials = []
    for index in range(3):
        text = qr_text(printed.page_image(index, 200))
        code, mac = payload.decode(text)
        assert payload.is_authentic(code, mac, printed.key) and code.batch == printed.batch.code
        serials.append(code.serial)
    assert len(set(serials)) == 3 and set(serials) == set(printed.batch.serials)
    assert printed.pdf.count(b"/Subtype /Form") == 1  # the static page is still drawn once


def test_multi_page_serial_ballot_has_one_serial_on_all_its_pages(large_persons):
    printed = Printed(make_conference(large_persons), copies=2, serials=True)
    pages = len(printed.layout.pages)
    codes = [payload.decode(qr_text(printed.page_image(i, 150)))[0] for i in range(2 * pages)]
    assert {c.serial for c in codes[:pages]} == {printed.batch.serials[0]}
    assert {c.serial for c in codes[pages:]} == {printed.batch.serials[1]}
