import numpy as np

import omr.qr
from ballotgen import payload
from omr.qr import find_code


def test_blank_constant_and_empty_images_have_no_code():
    assert find_code(np.full((200, 200), 255, np.uint8)) is None
    assert find_code(np.zeros((0, 0), np.uint8)) is None


def test_upside_down_page_still_decodes(small_printed):
    image = small_printed.page_image(0, 200)[::-1, ::-1].copy()
    hit = find_code(image)
    assert payload.decode(hit.text)[0].batch == small_printed.batch.code
    assert hit.corners is not None  # zxing-cpp's, in the corner crop searched first


def test_pyzbar_is_the_second_opinion(small_printed, monkeypatch):
    monkeypatch.setattr(omr.qr.zxingcpp, "read_barcodes", lambda *a, **k: [])
    image = small_printed.page_image(0, 200)
    hit = find_code(image)  # found by pyzbar alone: its outline's side, not its corners
    assert payload.decode(hit.text)[0].batch == small_printed.batch.code
    assert hit.corners is None and hit.side_px > 100
