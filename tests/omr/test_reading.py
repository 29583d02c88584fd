"""The PageReading value: stored as JSON, whose hash the event log keeps."""

import json
from pathlib import Path

import pytest

from ballotgen.vocabulary import BoxStatus, Flag, PageKind, RowValue
from omr.reading import PageReading, RowReading

STORED = Path(__file__).with_name("data") / "readings-74693f1.jsonl"
"""A ballot page, a foreign sheet and a blank back as the version of 2026-12-02 stored them."""


@pytest.mark.parametrize("line", range(3))
def test_a_reading_stored_before_is_written_again_to_the_byte(line):
    """Its SHA-256 is in the event log: the audit recomputes it from the reading as decoded."""
    text = STORED.read_text(encoding="utf-8").splitlines()[line]
    reading = PageReading.from_json(text)
    assert reading.to_json() == text
    assert reading.transform == ()  # kept only since


def test_the_words_of_a_reading_are_members_of_their_vocabularies():
    ballot = PageReading.from_json(STORED.read_text(encoding="utf-8").splitlines()[0])
    assert ballot.kind is PageKind.BALLOT and ballot.flags == (Flag.WRITE_IN,)
    row = ballot.rows[0]
    assert all(type(s) is BoxStatus for s in row.statuses) and type(row.reading) is RowValue
    made = RowReading(1, (0.0,) * 3, (0.0,) * 3, ("mark", "empty", "empty"), "cao", 0.0,
                      ("name_crossed",))
    assert made.statuses == (BoxStatus.MARK, BoxStatus.EMPTY, BoxStatus.EMPTY)
    assert made.reading is RowValue.CAO and made.flags == (Flag.NAME_CROSSED,)
    with pytest.raises(ValueError):
        PageReading("ballot", flags=("no_such_flag",))


def test_a_kept_transform_goes_with_the_reading():
    reading = PageReading("ballot", transform=tuple(float(v) for v in range(9)))
    assert json.loads(reading.to_json())["transform"] == list(range(9))
    assert PageReading.from_json(reading.to_json()) == reading
