import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballotgen import payload
from ballotgen.payload import BallotCode, PayloadFormatError
from ballotgen.render import qr_modules

KEY = bytes(range(32))
B32 = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", min_size=10, max_size=10)


def code(**changes):
    fields = dict(batch="K7Q2M4XPAB", page=1, pages=3, layout_hash="3F7A2C2D4E", serial=None)
    fields.update(changes)
    return BallotCode(**fields)


def test_text_is_qr_alphanumeric_and_small():
    text = payload.encode(code(), KEY)
    assert re.fullmatch(r"[0-9A-Z $%*+\-./:]+", text)
    assert len(text) == 42 and len(qr_modules(text)) == 29  # version 3: 17 + 4 × 3 modules
    assert len(qr_modules(payload.encode(code(serial="ABCDEFGHIJ"), KEY))) == 33  # version 4


def test_round_trip_and_authentic():
    for c in (code(), code(page=3, serial="ABCDEFGHIJ")):
        decoded, mac = payload.decode(payload.encode(c, KEY))
        assert decoded == c and payload.is_authentic(decoded, mac, KEY)


def test_another_key_is_not_authentic():
    decoded, mac = payload.decode(payload.encode(code(), KEY))
    assert not payload.is_authentic(decoded, mac, payload.new_key())


@pytest.mark.parametrize("field, value", [
    ("batch", "K7Q2M4XPAC"), ("page", 2), ("pages", 4), ("layout_hash", "3F7A2C2D4F")])
def test_any_change_to_a_signed_code_is_detected(field, value):
    decoded, mac = payload.decode(payload.encode(code(), KEY))
    forged = code(**{field: value})
    assert not payload.is_authentic(forged, mac, KEY)


def test_adding_a_serial_is_detected():
    _, mac = payload.decode(payload.encode(code(), KEY))
    assert not payload.is_authentic(code(serial="ABCDEFGHIJ"), mac, KEY)


@pytest.mark.parametrize("text", [
    "", "https://example.org", "TN1-K7Q2M4XPAB-01-03-3F7A2C2D4E",
    "TN2-K7Q2M4XPAB-01-03-3F7A2C2D4E-ABCDEFGHIJ",
    "TN1-K7Q2M4XPAB-04-03-3F7A2C2D4E-ABCDEFGHIJ", "TN1-K7Q2M4XPAB-00-03-3F7A2C2D4E-ABCDEFGHIJ",
    "TN1-k7q2m9xpab-01-03-3F7A2C2D4E-ABCDEFGHIJ", "TN1-K7Q2M4XPA1-01-03-3F7A2C2D4E-ABCDEFGHIJ",
])
def test_malformed_texts_are_refused(text):
    with pytest.raises(PayloadFormatError):
        payload.decode(text)


@given(st.text(max_size=80))
def test_decode_never_fails_otherwise(text):
    try:
        decoded, mac = payload.decode(text)
    except PayloadFormatError:
        return
    assert payload.encode(decoded, KEY).rsplit("-", 1)[0] == decoded.unsigned_text()


@given(B32, st.integers(1, 99), st.integers(1, 99), B32, st.one_of(st.none(), B32),
       st.binary(min_size=16, max_size=64))
def test_every_valid_code_round_trips(batch, page, pages, layout_hash, serial, key):
    page, pages = min(page, pages), max(page, pages)
    c = BallotCode(batch, page, pages, layout_hash, serial)
    decoded, mac = payload.decode(payload.encode(c, key))
    assert decoded == c and payload.is_authentic(decoded, mac, key)


def test_random_tokens_are_fresh_base32():
    tokens = {payload.random_token() for _ in range(1000)}
    assert len(tokens) == 1000
    assert all(re.fullmatch(r"[A-Z2-7]{10}", t) for t in tokens)
