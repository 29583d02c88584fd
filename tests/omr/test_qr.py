import numpy as np
import pytest

import omr.qr
from ballotgen import payload
from omr.qr import decode_qr


def test_blank_and_constant_images_have_no_code():
    assert decode_qr(np.full((200, 200), 255, np.uint8)) == []
    assert decode_qr(np.zeros((0, 0), np.uint8)) == []


def test_wrong_image_type_is_refused():
    with pytest.raises(ValueError, match="uint8"):
        decode_qr(np.zeros((10, 10), np.float32))
    with pytest.raises(ValueError):
        decode_qr(np.zeros((10, 10, 3), np.uint8))


def test_upside_down_page_still_decodes(small_printed):
    image = small_printed.page_image(0, 200)[::-1, ::-1].copy()
    (text,) = decode_qr(image)
    assert payload.decode(text)[0].batch == small_printed.batch.code


def test_pyzbar_is_the_second_opinion(small_printed, monkeypatch):
    monkeypatch.setattr(omr.qr.zxingcpp, "read_barcodes", lambda *a, **k: [])
    image = small_printed.page_image(0, 200)
    (text,) = decode_qr(image)  # found by pyzbar alone
    assert payload.decode(text)[0].batch == small_printed.batch.code
