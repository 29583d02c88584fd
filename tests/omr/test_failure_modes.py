"""The failure modes measured on independent scans (issue 11), each on ballots we print and fill.

Page-to-page noise, a clear mark beside a faint box, spill-over into the next box, a small tick,
a signature at the bottom left of the page; the skewed and cut-off sheets are in test_register.
"""

import dataclasses

import numpy as np

from ballotgen.layout import Rect
from omr.load import PageImage
from omr.read import read_page, write_in_band
from omr.settings import DEFAULT
from rehearsal import marks
from rehearsal.marks import Ink
from rehearsal.simulate import fill_page
from rehearsal.voters import BallotPlan, RowPlan
from tests.omr.helpers import DPI, EXPECTED, HAND, marked_sheet, scanned


def test_the_same_ballot_reads_the_same_on_a_quiet_and_a_noisy_page(issued, drawer, ctx):
    """Empty-box noise changes from page to page: each page is judged against its own."""
    light = dataclasses.replace(HAND, pressure=0.5)
    sheet = marked_sheet(drawer, issued, style="light", hand=light)
    quiet = read_page(scanned(sheet), ctx)
    noisy = read_page(scanned(sheet, noise=9.0, tone=0.85, quality=55, seed=3), ctx)
    for reading in (quiet, noisy):
        assert [r.reading for r in reading.rows] == EXPECTED and reading.flags == ()
    # The noisy page measured its own noise, and its empty boxes are darker on average than
    # the quiet page's: a fixed level would have had to sit between the two.
    assert noisy.calibration["ink_noise"] > 2 * quiet.calibration["ink_noise"]
    assert noisy.calibration["empty_score"] > quiet.calibration["empty_score"]


def test_a_clear_mark_beside_a_faint_box_reads_as_the_mark(issued, drawer, ctx):
    sheet = marked_sheet(drawer, issued)
    row = issued.layout.pages[0].rows[0]  # person 1 chose 'cao'; a faint touch in 'tín nhiệm'
    x, y = row.boxes[1].centre
    sheet.stroke([(x - 0.9, y + 0.2), (x + 0.5, y - 0.3)], Ink(marks.PENCIL, 0.45, 0.3))
    reading = read_page(scanned(sheet), ctx)
    first = reading.rows[0]
    assert first.statuses == ("mark", "unclear", "empty"), first
    assert first.reading == "cao" and reading.flags == ()
    # The faint box stays unclear alone in its row: then a human decides.
    lone = drawer.sheet()
    lone.stroke([(x - 0.9, y + 0.2), (x + 0.5, y - 0.3)], Ink(marks.PENCIL, 0.45, 0.3))
    assert read_page(scanned(lone), ctx).rows[0].reading == "unclear"


def test_a_stroke_spilling_into_the_next_box_is_not_a_second_mark(issued, drawer, ctx):
    spills = {1: {"spill": 1, "spill_mm": 2.4}, 2: {"spill": 2, "spill_mm": 1.5},
              3: {"spill": 1, "spill_mm": 2.0}}  # person 3 marks 'thấp': spill to its left
    for style in ("x", "tick"):
        reading = read_page(scanned(marked_sheet(drawer, issued, style=style, draw=spills)), ctx)
        assert [r.reading for r in reading.rows] == EXPECTED, style
        assert reading.flags == (), style
        assert reading.rows[0].ink_mm2[1] > 0.3 and reading.rows[0].spill_mm2[1] > 0.3, style


def test_two_real_marks_stay_two_even_when_one_touches_the_edge(issued, drawer, ctx):
    """What the spill rule must not swallow: a second mark that is the voter's own."""
    sheet = marked_sheet(drawer, issued)
    row = issued.layout.pages[0].rows[0]
    b = row.boxes[1]
    sheet.stroke(marks.wobbly_line((b.x + 0.3, b.y + 2.0), (b.x + 2.5, b.y + 5.0),
                                   np.random.default_rng(2)), HAND.ink)
    sheet.stroke(marks.wobbly_line((b.x + 0.3, b.y + 5.0), (b.x + 2.5, b.y + 2.0),
                                   np.random.default_rng(3)), HAND.ink)
    reading = read_page(scanned(sheet), ctx)
    assert reading.rows[0].reading == "multi" and "multi_mark" in reading.flags


def test_small_ticks_and_small_crosses_read_as_marks(issued, drawer, ctx):
    small = dataclasses.replace(HAND, size=0.8, width_mm=0.3)
    for style in ("tick", "small"):
        for seed in (1, 2, 3):
            reading = read_page(scanned(marked_sheet(drawer, issued, style=style, hand=small,
                                                     seed=seed)), ctx)
            assert [r.reading for r in reading.rows] == EXPECTED, (style, seed)
            assert reading.flags == (), (style, seed)


def test_a_signature_at_the_bottom_left_is_not_a_write_in(issued, drawer, ctx):
    page = issued.layout.pages[0]
    rng = np.random.default_rng(4)
    sheet = marked_sheet(drawer, issued)
    corner = Rect(page.free.x, issued.layout.height * 0.72, 60.0, 25.0)  # bottom left
    strokes = marks.signature_strokes(rng, 45.0, 9.0, angle_deg=-10.0)
    sheet.strokes(marks.place_signature(strokes, corner, rng), HAND.ink, rng)
    reading = read_page(scanned(sheet), ctx)
    assert reading.flags == () and reading.write_in_mm2 == 0.0
    assert [r.reading for r in reading.rows] == EXPECTED
    # A name written just below the table, where a row would go, still is one.
    band = write_in_band(page, issued.layout, DEFAULT)
    plan = BallotPlan(1, tuple(RowPlan(p.number, None, (), "x") for p in issued.layout.persons),
                      write_in="Tran Van Nam", seed=7)
    named = drawer.sheet()
    fill_page(named, page, plan, last=True)
    reading = read_page(scanned(named), ctx)
    assert "write_in" in reading.flags and reading.write_in_mm2 >= DEFAULT.write_in_mm2
    assert band.bottom <= issued.layout.height * DEFAULT.signature_zone_from


def test_a_blob_beside_a_cross_is_not_swallowed_by_the_background(issued, drawer, ctx):
    """The background taken away from a box (stains) must not take a blob of ink with it."""
    sheet = marked_sheet(drawer, issued)
    row = issued.layout.pages[0].rows[0]  # person 1 chose 'cao'
    sheet.blot(row.boxes[1].centre, 1.8, HAND.ink)
    reading = read_page(scanned(sheet), ctx)
    assert reading.rows[0].reading in ("multi", "unclear") and reading.flags != ()


def test_light_print_on_grey_paper_is_a_ballot_not_a_blank_back(issued, drawer, ctx):
    """Toner saving and a dim scanner: the page's own contrast decides what is ink."""
    page = scanned(marked_sheet(drawer, issued))
    dim = (125 + page.image.astype(np.float32) * (85 / 255)).astype(np.uint8)  # 125..210
    reading = read_page(PageImage(dim, page.dpi), ctx)
    assert reading.kind == "ballot" and [r.reading for r in reading.rows] == EXPECTED


def test_a_box_cut_off_by_the_scan_area_is_never_read(issued, drawer, ctx):
    """A row whose box lies beyond the scan cannot be read: unclear, whatever else it shows."""
    sheet = marked_sheet(drawer, issued)
    page = scanned(sheet)
    row = issued.layout.pages[0].rows[4]  # the last row: person 5 marked 'tín nhiệm'
    s = DPI / 25.4
    cut = int((row.boxes[1].y + 2.5) * s)  # the scan stops inside that row's boxes
    reading = read_page(PageImage(page.image[:cut].copy(), page.dpi), ctx)
    assert reading.kind == "ballot" and reading.marks_found == 2  # placed by the table
    assert [r.reading for r in reading.rows[:4]] == EXPECTED[:4]
    assert reading.rows[4].reading == "unclear" and "unclear_mark" in reading.flags
    assert reading.rows[4].surround == (1.0, 1.0, 1.0)
