"""Ink that is no stroke (issue 11): a scattered cluster of specks in a box nobody marked
(toner, dirt, graphite rubbed off another sheet) is never read as a vote, while a light
pencil's cross, broken into pieces as short as specks, still is. Both on ballots we print and
fill, scanned by the mild scanner of tests.omr.helpers."""

import numpy as np
import pytest

from ballotgen.vocabulary import BoxStatus, RowValue
from omr.decide import specks
from omr.read import read_page
from omr.score import line_share
from omr.settings import DEFAULT, ReaderSettings
from rehearsal.simulate import draw_mark, speck_cluster
from tests.omr.helpers import CHOICES, EXPECTED, HAND, scanned

BLANK_PERSON = 5  # the row left blank, with the specks in its first box


def specked_ballot(drawer, issued, *, style, seed):
    """Rows 1-4 marked in ``style`` as CHOICES says, row 5 blank with specks in its first box."""
    sheet = drawer.sheet()
    rng = np.random.default_rng(seed)
    for row in issued.layout.pages[0].rows:
        if row.person == BLANK_PERSON:
            speck_cluster(sheet, row.boxes[0].centre, rng, spread_mm=2.0, count=45)
        else:
            draw_mark(sheet, row, CHOICES[row.person], style, HAND, rng)
    return sheet


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_specks_in_a_blank_row_are_not_a_vote_and_light_pencil_crosses_still_are(
        issued, drawer, ctx, seed):
    reading = read_page(scanned(specked_ballot(drawer, issued, style="pencil", seed=seed)), ctx)
    rows = {r.person: r for r in reading.rows}
    specked = rows[BLANK_PERSON]
    assert specked.statuses[0] != BoxStatus.MARK, specked
    assert specked.reading in (RowValue.BLANK, RowValue.UNCLEAR)
    assert specked.line_share[0] < DEFAULT.mark_line_share  # scattered, not along two lines
    for person in range(1, BLANK_PERSON):  # the pencil's crosses, however light, are votes
        assert rows[person].reading == EXPECTED[person - 1], rows[person]


def test_line_share_of_strokes_and_of_scattered_dots():
    cross = np.zeros((60, 60), bool)
    for i in range(8, 52):
        cross[i, i - 1:i + 2] = cross[i, 59 - i - 1:59 - i + 2] = True
    broken = cross.copy()
    broken[:, ::5] = False  # a dry pen: the strokes in pieces
    dots = np.zeros((60, 60), bool)
    rng = np.random.default_rng(0)
    ys, xs = np.clip(rng.normal(30, 12, (2, 150)), 0, 59).astype(int)
    dots[ys, xs] = True
    assert line_share(cross, width_px=6) > 0.95 and line_share(broken, width_px=6) > 0.95
    assert line_share(dots, width_px=6) < 0.6
    assert line_share(np.zeros((10, 10), bool), width_px=6) == 1.0  # nothing to judge


def test_specks_needs_both_a_short_piece_and_scattered_ink():
    assert specks(0.8, 0.6)
    assert not specks(3.0, 0.6)  # one long piece: a stroke
    assert not specks(0.8, 0.95)  # along two lines: a broken stroke
    assert not specks(None, 0.6)  # not measured (older readings)
    assert not specks(0.8, 0.6, ReaderSettings(mark_piece_mm=0.0))  # turned off
    old = {k: v for k, v in DEFAULT.to_dict().items() if k not in ("mark_piece_mm",
                                                                  "mark_line_share")}
    assert ReaderSettings.from_dict({**old, "version": 7}).mark_piece_mm == 0.0
