"""Scanner streaks (dust on a feeder's glass): a thin dark line down every page, through a
column of boxes, is taken away before the page is read, and nothing printed is taken for one.
The ballots are the project's own, printed, filled and scanned; the streak is drawn as the
simulator draws it (rehearsal.scanner.streaked)."""

import dataclasses

import numpy as np
import pytest

from omr.load import PageImage
from omr.read import read_page
from omr.settings import DEFAULT
from omr.streaks import find_streaks, remove_streaks
from rehearsal.scanner import Streak, streaked
from tests.helpers import make_issued
from tests.omr.helpers import DPI, EXPECTED, Drawer, marked_sheet, scanned


def _through_column(issued, level: int, *, darkness: float, width_px: int = 2) -> Streak:
    """A streak down the middle of the boxes of ``level`` (0: cao) on the first page."""
    box = issued.layout.pages[0].rows[0].boxes[level]
    return Streak(round(box.x + box.w / 2, 2), width_px, darkness)


@pytest.mark.parametrize("level, darkness", [(0, 1.0), (1, 0.6), (2, 0.8)])
def test_a_streak_down_a_column_of_boxes_is_taken_away(issued, drawer, ctx, level, darkness):
    """Without the streak taken away every row of that column has a dark line right across a
    box, a slash to a reader, and goes to a human; with it, every row reads, no flag."""
    page = scanned(marked_sheet(drawer, issued, seed=level + 1), seed=level)
    lined = PageImage(streaked(page.image, [_through_column(issued, level, darkness=darkness)],
                               DPI, bw=False), page.dpi)
    blind = dataclasses.replace(ctx, settings=dataclasses.replace(ctx.settings,
                                                                  streak_contrast=0.0))
    before = read_page(lined, blind)
    assert sum(r.reading == "unclear" for r in before.rows) >= 2, before.rows
    reading = read_page(lined, ctx)
    assert [r.reading for r in reading.rows] == EXPECTED
    assert reading.flags == ()
    assert len(reading.calibration["streaks"]) == 1


def test_a_black_streak_on_a_black_and_white_scan_is_taken_away(issued, drawer, ctx):
    page = drawer.scan(marked_sheet(drawer, issued, seed=4), mode="bw", seed=4)
    lined = PageImage(streaked(page.image, [_through_column(issued, 1, darkness=1.0)], DPI,
                               bw=True), page.dpi)
    reading = read_page(lined, ctx)
    assert [r.reading for r in reading.rows] == EXPECTED
    assert reading.flags == ()


def test_a_mark_crossed_by_a_streak_keeps_its_ink(issued, drawer, ctx):
    """The fill comes from either side of the streak: where a stroke crosses it, both sides
    are ink, and so is the fill. The crosses in the streaked column keep their ink area."""
    page = scanned(marked_sheet(drawer, issued, seed=5), seed=5)
    lined = streaked(page.image, [_through_column(issued, 0, darkness=1.0)], DPI, bw=False)
    spans = find_streaks(lined, page.dpi, DEFAULT)
    assert len(spans) == 1
    cleaned = remove_streaks(lined, spans)
    a, b = spans[0]
    assert np.abs(cleaned[:, a:b + 1].astype(int) - page.image[:, a:b + 1]).mean() < 8
    clean_rows = read_page(page, ctx).rows
    for streaked_row, clean_row in zip(read_page(PageImage(lined, page.dpi), ctx).rows,
                                       clean_rows):
        assert streaked_row.ink_mm2[0] >= 0.85 * clean_row.ink_mm2[0], streaked_row


def test_nothing_printed_is_taken_for_a_streak(issued, drawer, large_persons):
    """The table's rules, the code, the names: on every page of a one-page and a four-page
    ballot, scanned straight (the rules then run down the image's columns) and in black and
    white, no streak is found."""
    large = make_issued(large_persons, 1)
    for who, draw in ((issued, drawer), (large, Drawer(large))):
        for index in range(len(who.layout.pages)):
            for mode in ("grey", "bw"):
                page = draw.scan(draw.sheet(index), skew=0.0, mode=mode)
                assert find_streaks(page.image, page.dpi, DEFAULT) == [], (index, mode)


def test_settings_before_version_7_do_not_look_for_streaks():
    old = {k: v for k, v in DEFAULT.to_dict().items() if not k.startswith("streak_")}
    assert type(DEFAULT).from_dict({**old, "version": 6}).streak_contrast == 0.0
