"""The reader on ballots we print, fill and scan ourselves: every outcome and every flag."""

import numpy as np
import pytest

from ballotgen.vocabulary import LEVELS
from omr.decide import box_status, decide_row, page_model, row_reading
from omr.read import read_page
from omr.score import BoxScore
from omr.settings import DEFAULT, ReaderSettings
from rehearsal import marks
from rehearsal.marks import Ink
from rehearsal.simulate import fill_page
from rehearsal.voters import BallotPlan, RowPlan
from tests.omr.helpers import context_of, plan

PEN = Ink(marks.BLUE, 0.95, 0.5)


def read(drawer, ctx, ballot_plan, **scan_options):
    sheet = drawer.sheet()
    fill_page(sheet, drawer.issued.layout.pages[0], ballot_plan, last=True)
    return read_page(drawer.scan(sheet, **scan_options), ctx)


def test_a_correctly_marked_ballot_reads_exactly_and_is_not_flagged(issued, drawer, ctx):
    choices = {1: [0], 2: [1], 3: [2], 4: [0], 5: [1]}
    reading = read(drawer, ctx, plan(issued, choices))
    assert reading.kind == "ballot" and reading.flags == ()
    assert [r.reading for r in reading.rows] == ["cao", "tin_nhiem", "thap", "cao", "tin_nhiem"]
    assert reading.batch == issued.batch.code and reading.page == 1 and reading.pages == 1
    assert reading.marks_found == 4 and not reading.upside_down
    for row in reading.rows:  # raw scores are kept: the chosen box far above the others
        chosen = LEVELS.index(row.reading)
        assert min(row.scores[chosen] - s for i, s in enumerate(row.scores) if i != chosen) > 0.05


@pytest.mark.parametrize("style", ["x", "tick", "fill", "circle", "small", "pencil"])
def test_every_mark_style_reads_as_a_mark(issued, drawer, ctx, style):
    rows = tuple(RowPlan(p.number, LEVELS[p.number % 3], (p.number % 3,), style)
                 for p in issued.layout.persons)
    reading = read(drawer, ctx, BallotPlan(1, rows, seed=3))
    assert [r.reading for r in reading.rows] == \
        [LEVELS[p.number % 3] for p in issued.layout.persons]


def test_upside_down_sheet_reads_the_same(issued, drawer, ctx):
    choices = {1: [2], 2: [0], 3: [1], 4: [2], 5: [0]}
    reading = read(drawer, ctx, plan(issued, choices), upside_down=True, skew=-1.2)
    assert reading.upside_down and reading.flags == ()
    assert [r.reading for r in reading.rows] == ["thap", "cao", "tin_nhiem", "thap", "cao"]


def test_blank_and_multi_rows_are_flagged_with_their_row(issued, drawer, ctx):
    reading = read(drawer, ctx, plan(issued, {1: [0], 2: [], 3: [0, 2], 4: [0, 1, 2], 5: [1]}))
    assert [r.reading for r in reading.rows] == ["cao", "blank", "multi", "multi", "tin_nhiem"]
    assert reading.rows[1].flags == ("blank_row",) and reading.rows[2].flags == ("multi_mark",)
    assert set(reading.flags) == {"blank_row", "multi_mark"}


def test_a_correction_is_two_inked_boxes_for_a_human(issued, drawer, ctx):
    rows = tuple(RowPlan(p.number, "cao", (0,), "x", scribbled=1 if p.number == 3 else None)
                 for p in issued.layout.persons)
    reading = read(drawer, ctx, BallotPlan(1, rows, seed=5))
    assert reading.rows[2].reading == "multi" and "multi_mark" in reading.flags


def test_a_struck_through_name_and_a_write_in_are_flagged(issued, drawer, ctx):
    choices = {n: [0] for n in range(1, 6)}
    reading = read(drawer, ctx, plan(issued, choices, crossed=(4,), write_in="Tran Van Nam"))
    assert reading.rows[3].flags == ("name_crossed",) and reading.rows[3].name_ink_mm2 > 4
    assert all(r.name_ink_mm2 < 1 for i, r in enumerate(reading.rows) if i != 3)
    assert "write_in" in reading.flags and reading.write_in_mm2 > DEFAULT.write_in_mm2


def test_stamp_signature_and_stray_ink_are_not_flagged(issued, drawer, ctx):
    choices = {n: [1] for n in range(1, 6)}
    reading = read(drawer, ctx, plan(issued, choices, signature=True, stray=3))
    assert reading.flags == () and reading.write_in_mm2 < 1


def draw_in_box(drawer, issued, draw):
    """A ballot with every row marked 'cao', and ``draw(sheet, box)`` on row 2's 'thap' box."""
    sheet = drawer.sheet()
    fill_page(sheet, issued.layout.pages[0], plan(issued, {n: [0] for n in range(1, 6)}), last=True)
    draw(sheet, issued.layout.pages[0].rows[1].boxes[2])
    return sheet


def test_a_lone_dot_does_not_count_and_a_heavy_one_is_unclear(issued, drawer, ctx):
    small = draw_in_box(drawer, issued, lambda s, b: s.blot(b.centre, 0.35, PEN))
    reading = read_page(drawer.scan(small), ctx)
    assert reading.rows[1].reading == "cao" and reading.flags == ()
    heavy = draw_in_box(drawer, issued, lambda s, b: s.blot(b.centre, 0.7, PEN))
    reading = read_page(drawer.scan(heavy), ctx)
    # Beside the cross the heavy dot is far weaker: the row reads as the cross …
    assert reading.rows[1].statuses[2] == "unclear" and reading.rows[1].reading == "cao"
    # … and alone in its row a human decides.
    alone = drawer.sheet()
    row = issued.layout.pages[0].rows[1]
    alone.blot(row.boxes[2].centre, 0.7, PEN)
    reading = read_page(drawer.scan(alone), ctx)
    assert reading.rows[1].statuses[2] == "unclear" and reading.rows[1].reading == "unclear"
    assert "unclear_mark" in reading.flags


def test_a_fold_line_and_a_grazing_stroke_do_not_count(issued, drawer, ctx):
    def fold(sheet, box):  # a light crease across the whole page through the box
        sheet.stroke([(5.0, box.centre[1] - 1.0), (205.0, box.centre[1] + 1.5)],
                     Ink((150, 150, 150), 0.35, 0.2))

    def graze(sheet, box):  # a stroke from outside that just touches the box's edge
        sheet.stroke([(box.x - 4.0, box.y - 3.0), (box.x + 0.4, box.y + 0.6)], PEN)

    for draw in (fold, graze):
        reading = read_page(drawer.scan(draw_in_box(drawer, issued, draw)), ctx)
        assert reading.rows[1].reading == "cao" and reading.flags == (), draw.__name__
        assert reading.rows[1].statuses[2] != "mark"


def test_blank_page_is_blank_and_not_flagged(drawer, ctx):
    paper = np.full((2339, 1654, 3), 250, np.uint8)
    reading = read_page(drawer.scan(paper), ctx)
    assert reading.kind == "blank" and reading.flags == ()


def test_foreign_pages_say_why(issued, drawer, ctx, small_persons):
    from ballotgen import payload
    from ballotgen.render import new_batch
    from rehearsal.simulate import Issued
    from tests.omr.helpers import Drawer

    other = Issued(issued.conference, issued.layout, new_batch(1), payload.new_key())
    reading = read_page(Drawer(other).scan(Drawer(other).sheet()), ctx)
    assert reading.kind == "foreign" and "not signed for this conference" in reading.reason

    unknown_batch = Issued(issued.conference, issued.layout, new_batch(1), issued.key)
    reading = read_page(Drawer(unknown_batch).scan(Drawer(unknown_batch).sheet()), ctx)
    assert reading.kind == "foreign" and "was not printed for this conference" in reading.reason

    sheet = drawer.sheet()
    qr = issued.layout.pages[0].qr
    s = sheet.px_per_mm
    sheet.image[int(qr.y * s):int(qr.bottom * s), int(qr.x * s):int(qr.right * s)] = 255
    reading = read_page(drawer.scan(sheet), ctx)
    assert reading.kind == "foreign" and reading.reason == "no ballot code found on the page"
    assert reading.flags == ("foreign",)


def test_a_serial_never_issued_is_foreign(issued):
    from ballotgen.render import new_batch
    from rehearsal.simulate import Issued
    from tests.omr.helpers import Drawer

    with_serials = Issued(issued.conference, issued.layout, new_batch(2, serials=True), issued.key)
    drawer = Drawer(with_serials)
    issued_serial = with_serials.batch.serials[0]
    ctx = context_of(with_serials, serials=[issued_serial])
    assert read_page(drawer.scan(drawer.sheet(serial=issued_serial)), ctx).kind == "ballot"
    reading = read_page(drawer.scan(drawer.sheet(serial="AAAAAAAAAA")), ctx)
    assert reading.kind == "foreign" and "never issued" in reading.reason


def test_a_page_without_its_discs_is_placed_from_its_table(issued, drawer, ctx):
    """The table is a far larger target than four discs (test_register has the page whose
    table cannot be placed either: unreadable, with the reason)."""
    sheet = drawer.sheet()
    fill_page(sheet, issued.layout.pages[0], plan(issued, {1: [0], 2: [2]}), last=True)
    s = sheet.px_per_mm
    for x, y in issued.layout.pages[0].marks:  # white-out every registration disc
        sheet.image[int((y - 4) * s):int((y + 4) * s), int((x - 4) * s):int((x + 4) * s)] = 255
    reading = read_page(drawer.scan(sheet), ctx)
    assert reading.kind == "ballot" and reading.marks_found == 0
    assert [r.reading for r in reading.rows][:2] == ["cao", "thap"]


def test_settings_are_validated_and_recorded():
    with pytest.raises(ValueError):
        ReaderSettings(faint_mm2=2.0, mark_mm2=1.0)
    with pytest.raises(ValueError):
        ReaderSettings(min_extent_mm=0)
    with pytest.raises(ValueError):
        ReaderSettings(ink_low=0.3, ink_high=0.2)
    custom = ReaderSettings(mark_mm2=1.5)
    assert ReaderSettings.from_dict(custom.to_dict()) == custom
    assert custom.fingerprint != DEFAULT.fingerprint


def box(ink, extent=5.0, score=None, entering=(0.0, 0.0), line=0.0):
    return BoxScore(ink / 40 if score is None else score, extent, ink, entering, line)


def test_box_and_row_decisions_on_a_quiet_page():
    rows = [[box(12.0), box(0.0), box(0.0)], [box(0.0), box(9.0), box(0.1)]]
    model = page_model(rows)
    assert model.mark_mm2 == DEFAULT.mark_mm2 and model.faint_mm2 == DEFAULT.faint_mm2
    assert box_status(5.0, 5.0, 0.1, model) == "mark"
    assert box_status(5.0, 1.5, 0.1, model) == "unclear"  # a heavy dot is never a mark
    assert box_status(0.6, 5.0, 0.01, model) == "unclear"
    assert box_status(0.1, 5.0, 0.005, model) == "empty"
    assert box_status(0.1, 5.0, model.empty_score + 0.05, model) == "unclear"  # dark, no ink
    assert row_reading(("empty",) * 3) == "blank"
    assert row_reading(("mark", "mark", "empty")) == "multi"
    assert row_reading(("empty", "unclear", "empty")) == "unclear"
    # Without measurements an unclear box beside a mark makes the row unclear …
    assert row_reading(("mark", "unclear", "empty")) == "unclear"
    # … with them, a faint box far below the mark does not, and one close to it does.
    assert row_reading(("mark", "unclear", "empty"), (12.0, 0.8, 0.0), (0.3, 0.03, 0.0),
                       model) == "cao"
    assert row_reading(("mark", "unclear", "empty"), (2.0, 1.0, 0.0), (0.06, 0.04, 0.0),
                       model) == "unclear"


def test_a_dirty_page_raises_its_own_mark_level():
    """Empty boxes carrying ink (a coarse scan): a mark must stand well above them."""
    rows = [[box(10.0), box(0.9), box(0.8)] for _ in range(6)]  # empty boxes: median 0.85
    model = page_model(rows)
    assert model.mark_mm2 >= 3.2 and model.faint_mm2 >= 1.6
    statuses, reading, _ = decide_row([box(10.0), box(0.9), box(0.8)], model)
    assert reading == "cao" and statuses[1:] == ("empty", "empty")
    statuses, reading, _ = decide_row([box(2.0), box(0.9), box(0.8)], model)
    assert reading == "unclear"  # 2 mm² would be a mark on a clean page, not on this one


def test_ink_entering_from_the_next_mark_is_spill_not_a_second_mark():
    # Box 0 holds a big cross reaching its right edge; 1.6 mm² of it entered box 1 from the left.
    mark = box(14.0)
    spill = box(1.6, extent=2.0, entering=(1.6, 0.0))
    model = page_model([[mark, spill, box(0.0)], [box(0.0), box(9.0), box(0.0)]] * 3)
    statuses, reading, spill_mm2 = decide_row([mark, spill, box(0.0)], model, gaps_mm2=(0.8, 0.0))
    # The spilt box stays unclear, and the row separates it from the cross.
    assert reading == "cao" and spill_mm2 == (0.0, 1.6, 0.0) and statuses[1] == "unclear"
    # The same ink with no stroke across the gap is the box's own: a second mark.
    statuses, reading, _ = decide_row([mark, spill, box(0.0)], model, gaps_mm2=(0.0, 0.0))
    assert statuses[1] == "mark" and reading == "multi"


def test_boxes_that_do_not_line_up_make_the_page_unreadable(issued, drawer, ctx, monkeypatch):
    """If registration were off by more than the local search (here: a layout whose boxes sit
    2 mm lower than printed, and no outline refinement), the page is refused, not misread."""
    import dataclasses

    from ballotgen.layout import Rect

    def lower(box):
        return Rect(box.x, box.y + 2.0, box.w, box.h)

    page = issued.layout.pages[0]
    moved_page = dataclasses.replace(page, rows=tuple(
        dataclasses.replace(row, boxes=tuple(lower(b) for b in row.boxes)) for row in page.rows))
    moved = dataclasses.replace(issued.layout, pages=(moved_page,))
    wrong = dataclasses.replace(ctx, layouts={issued.layout.hash: moved})
    monkeypatch.setattr("omr.read.outline_correction",
                        lambda dark, boxes, line, **limits: (None, 1.0))
    reading = read(drawer, wrong, plan(issued, {n: [n % 3] for n in range(1, 6)}))
    assert reading.kind == "unreadable"
    assert reading.reason.startswith("the boxes do not line up with the page")
    monkeypatch.undo()
    assert read(drawer, ctx, plan(issued, {n: [n % 3] for n in range(1, 6)})).kind == "ballot"


def test_a_page_reads_with_pyzbar_alone(issued, drawer, ctx, monkeypatch):
    """zxing-cpp finding nothing: pyzbar gives the code (no corners), the discs do the rest."""
    import omr.qr

    monkeypatch.setattr(omr.qr.zxingcpp, "read_barcodes", lambda *a, **k: [])
    sheet = drawer.sheet()
    fill_page(sheet, issued.layout.pages[0], plan(issued, {1: [0], 2: [1], 3: [2], 4: [0], 5: [1]}),
              last=True)
    page = drawer.scan(sheet, upside_down=True)
    hit = omr.qr.find_code(page.image)
    assert hit is not None and hit.corners is None
    reading = read_page(page, ctx)
    assert reading.kind == "ballot" and reading.upside_down and reading.flags == ()
    assert [r.reading for r in reading.rows] == ["cao", "tin_nhiem", "thap", "cao", "tin_nhiem"]


def test_what_the_row_rule_never_separates_from_a_mark():
    """A mark beside a box that may be a second vote reads unclear, never as the mark alone."""
    quiet = page_model([[box(12.0), box(0.0), box(0.0)], [box(0.0), box(9.0), box(0.0)]] * 3)
    # A dark slash right across the next box: a voter may vote so.
    slash = box(0.0, score=0.05, line=3.0)
    statuses, reading, _ = decide_row([box(15.0, score=0.4), slash, box(0.0)], quiet)
    assert statuses[1] == "unclear" and reading == "unclear"
    # On a dirty page a small cross is only unclear, but it is a mark's ink on a clean page.
    dirty = page_model([[box(30.0), box(1.0), box(0.9)] for _ in range(6)])
    assert dirty.mark_mm2 > 3.6
    statuses, reading, _ = decide_row([box(36.0, score=0.9), box(3.6), box(0.9)], dirty)
    assert statuses[1] == "unclear" and reading == "unclear"


def test_grey_level_percentiles_from_the_histogram_are_numpys():
    from omr.blank import percentiles_u8
    rng = np.random.default_rng(5)
    for n in (1, 2, 9, 4321):
        image = rng.integers(0, 256, (n, 1)).astype(np.uint8)
        for qs in ((0.1, 99.0), (0.0, 50.0, 100.0)):
            assert np.allclose(percentiles_u8(image, qs), np.percentile(image, qs))
