"""Registration from the printed table when the discs are lost: skewed sheets, corners cut off by
the scan area, discs whited out; and the page whose table cannot be placed stays unreadable."""

import dataclasses

import cv2
import numpy as np
import pytest

from ballotgen.vocabulary import LEVELS
from omr.load import PageImage
from omr.qr import find_code
from omr.read import read_page
from omr.register import Registration, RegistrationFailure, register
from omr.settings import DEFAULT, ReaderSettings
from rehearsal.marks import Sheet
from rehearsal.scanner import (
    PROFILES,
    Banding,
    ScanParams,
    banded,
    page_transform,
    points_in_frame,
    scan,
)
from rehearsal.simulate import Renderer, fill_page
from rehearsal.voters import BallotPlan, RowPlan
from tests.helpers import make_issued
from tests.omr.helpers import DPI, context_of

STYLES = ("x", "tick", "fill", "small", "x")
# The office scanner, without its dark bed edge: on a sheet skewed 8° that edge runs across the
# free area below the table, where it reads as a write-in (a matter for the write-in test, not for
# registration).
OFFICE = dataclasses.replace(PROFILES["office"], dark_edge_rate=0.0)


@pytest.fixture(scope="module")
def renderers(issued):
    return {dpi: Renderer(issued, dpi) for dpi in (150, 300)}


def marked_sheet(issued, renderer, dpi, choices, page_index=0):
    """A sheet with row ``i`` marked in box ``choices[i]`` (crosses, ticks, a fill…)."""
    sheet = Sheet(renderer.pages(None)[page_index], dpi)
    page = issued.layout.pages[page_index]
    rows = tuple(RowPlan(row.person, LEVELS[c], (c,), STYLES[i % len(STYLES)])
                 for i, (row, c) in enumerate(zip(page.rows, choices)))
    fill_page(sheet, page, BallotPlan(1, rows, seed=11, stamp=True),
              last=page_index == len(issued.layout.pages) - 1)
    return sheet


def scan_sheet(sheet, dpi, *, skew, shift, upside_down, seed=3):
    """``sheet`` scanned skewed by ``skew``° and moved by ``shift`` mm on a bed of the sheet's size
    (what falls beyond it is lost); the page image and the sheet → scan matrix."""
    rng = np.random.default_rng(seed)
    h, w = sheet.image.shape[:2]
    params = ScanParams(skew, shift, upside_down, 0.5, 90)
    matrix = page_transform((w, h), params, dpi, rng)
    return PageImage(scan(sheet.image, OFFICE, matrix, dpi, "grey", rng), float(dpi)), matrix


def box_error_mm(registration, page, matrix, dpi):
    """Largest distance (mm) between where ``registration`` and the scanner put a box centre."""
    centres = np.array([b.centre for row in page.rows for b in row.boxes])
    pts = np.column_stack([centres, np.ones(len(centres))]) @ registration.matrix.T
    found = pts[:, :2] / pts[:, 2:3]
    truth = cv2.perspectiveTransform((centres * dpi / 25.4).reshape(-1, 1, 2), matrix)[:, 0]
    return float(np.hypot(*(found - truth).T).max() / (dpi / 25.4))


@pytest.mark.parametrize("dpi", [150, 300])
@pytest.mark.parametrize("upside_down", [False, True], ids=["upright", "upside_down"])
@pytest.mark.parametrize("skew", [8.0, -8.0, 10.0, -10.0])
def test_a_skewed_sheet_with_its_corners_cut_off_reads_from_the_table(issued, renderers, ctx, dpi,
                                                                     upside_down, skew):
    choices = [(i * 2 + (skew > 0)) % 3 for i in range(len(issued.layout.pages[0].rows))]
    sheet = marked_sheet(issued, renderers[dpi], dpi, choices)
    shift = (6.0, -5.0) if upside_down else (-6.0, 5.0)  # keeps the QR code on the bed
    page, matrix = scan_sheet(sheet, dpi, skew=skew, shift=shift, upside_down=upside_down)
    h, w = page.image.shape
    layout_page = issued.layout.pages[0]
    assert points_in_frame(list(layout_page.marks), issued.layout.mark_radius, matrix, (w, h),
                           dpi) <= 2, "the scan must have lost at least two discs"

    registration = register(page.image, issued.layout, layout_page, find_code(page.image), dpi,
                            DEFAULT)
    assert isinstance(registration, Registration) and registration.marks_found < 3
    assert box_error_mm(registration, layout_page, matrix, dpi) < 0.3

    reading = read_page(page, ctx)
    assert reading.kind == "ballot", reading.reason
    assert reading.upside_down == upside_down and reading.marks_found < 3
    assert [r.reading for r in reading.rows] == [LEVELS[c] for c in choices]
    assert reading.flags == ()


def test_a_continuation_page_of_a_long_ballot_reads_from_its_table(large_persons):
    issued = make_issued(large_persons, 2)
    page_layout = issued.layout.pages[1]
    choices = [i % 3 for i in range(len(page_layout.rows))]
    sheet = marked_sheet(issued, Renderer(issued, 200), 200, choices, page_index=1)
    page, _ = scan_sheet(sheet, 200, skew=-9.0, shift=(-6.0, 5.0), upside_down=False)
    reading = read_page(page, context_of(issued))
    assert reading.kind == "ballot", reading.reason
    assert reading.page == 2 and reading.marks_found < 3
    assert [r.reading for r in reading.rows] == [LEVELS[c] for c in choices]


def test_a_page_whose_discs_are_whited_out_reads_from_the_table(issued, drawer, ctx):
    choices = [0, 1, 2, 0, 1]
    sheet = marked_sheet(issued, drawer.renderer, DPI, choices)
    s = sheet.px_per_mm
    for x, y in issued.layout.pages[0].marks:
        sheet.image[int((y - 4) * s):int((y + 4) * s), int((x - 4) * s):int((x + 4) * s)] = 255
    reading = read_page(drawer.scan(sheet, skew=2.5), ctx)
    assert reading.kind == "ballot" and reading.marks_found == 0
    assert [r.reading for r in reading.rows] == [LEVELS[c] for c in choices]


@pytest.mark.parametrize("covered", [0.75, 1.0])
def test_a_page_whose_table_cannot_be_placed_is_unreadable_with_the_reason(issued, drawer, ctx,
                                                                          covered):
    """No disc and most of the table covered (or beyond the scan area): nothing to place the page
    by but the QR code, and that is not enough; the reason is a value, not an exception."""
    sheet = marked_sheet(issued, drawer.renderer, DPI, [0, 1, 2, 0, 1])
    s = sheet.px_per_mm
    page_layout = issued.layout.pages[0]
    for x, y in page_layout.marks:
        sheet.image[int((y - 4) * s):int((y + 4) * s), int((x - 4) * s):int((x + 4) * s)] = 255
    table = page_layout.table
    sheet.image[int((table.y - 1) * s):int((table.y + covered * table.h + 1) * s),
                int((table.x - 1) * s):int((table.right + 1) * s)] = 255
    page = drawer.scan(sheet, skew=6.0)

    result = register(page.image, issued.layout, page_layout, find_code(page.image), page.dpi,
                      DEFAULT)
    assert isinstance(result, RegistrationFailure) and result.marks_found == 0
    assert result.reason.startswith("only 0 of 4 registration marks found, and the printed table "
                                    "cannot be placed")
    reading = read_page(page, ctx)
    assert reading.kind == "unreadable" and reading.flags == ("unreadable",) and reading.rows == ()
    assert "the printed table cannot be placed" in reading.reason


def test_a_skewed_sheet_reads_when_only_pyzbar_finds_the_code(issued, renderers, ctx,
                                                               monkeypatch):
    """pyzbar gives no corners, so no skew: the table's rules tell it."""
    import omr.qr

    monkeypatch.setattr(omr.qr.zxingcpp, "read_barcodes", lambda *a, **k: [])
    choices = [2, 0, 1, 2, 0]
    sheet = marked_sheet(issued, renderers[150], 150, choices)
    page, _ = scan_sheet(sheet, 150, skew=-7.5, shift=(-6.0, 5.0), upside_down=False)
    assert omr.qr.find_code(page.image).corners is None
    reading = read_page(page, ctx)
    assert reading.kind == "ballot" and reading.marks_found < 3, reading.reason
    assert [r.reading for r in reading.rows] == [LEVELS[c] for c in choices]


def test_the_registration_limits_are_the_settings_and_are_recorded(issued, drawer, ctx):
    """A fit checked against a scale error of 0.0001 % fails on a normal page (discs and table
    alike), and the unreadable reading records the limits it was read with, so an audit
    re-reads it the same way."""
    sheet = marked_sheet(issued, drawer.renderer, DPI, [0, 1, 2, 0, 1])
    page = drawer.scan(sheet)
    assert read_page(page, ctx).kind == "ballot"
    strict = dataclasses.replace(DEFAULT, max_scale_error=1e-6)
    result = register(page.image, issued.layout, issued.layout.pages[0], find_code(page.image),
                      page.dpi, strict)
    assert isinstance(result, RegistrationFailure) and result.marks_found == 4
    assert result.reason.startswith("the marks give") and "expected scale" in result.reason
    reading = read_page(page, dataclasses.replace(ctx, settings=strict))
    assert reading.kind == "unreadable" and "× the expected scale" in reading.reason
    assert reading.settings == strict.to_dict() and reading.settings["max_scale_error"] == 1e-6
    assert ReaderSettings.from_dict(reading.settings) == strict


@pytest.mark.parametrize("limits", [
    {"max_scale_error": 0.0}, {"search_radius_mm": -1.0}, {"min_table_agreeing": 1.5},
    {"mark_area_min": 2.0, "mark_area_max": 1.0}, {"mark_fill_max": 1.2},
    {"mark_aspect_min": 1.1}, {"table_fine_reach_mm": 5.0, "table_reach_mm": 4.0},
    {"search_radius_mm": 40.0}, {"relocate_mm": 2.0}, {"max_skew_no_corners_deg": 90.0},
    {"refine_min_mm": -0.1}, {"refine_min_mm": 0.5}, {"blot_solidity": 0.0},
    {"align_reach_mm": 0.0}, {"box_inset_mm": -0.5}])
def test_invalid_registration_settings_are_refused(limits):
    with pytest.raises(ValueError):
        ReaderSettings(**limits)


def test_settings_recorded_before_the_registration_limits_read_as_they_did():
    """A version-1 record has no registration limits: they take the values applied then."""
    old = {k: v for k, v in DEFAULT.to_dict().items()
           if k in ("version", "mark_mm2", "faint_mm2", "ink_low", "min_outlines")}
    old["version"] = 1
    settings = ReaderSettings.from_dict(old)
    assert settings == DEFAULT
    assert (settings.search_radius_mm, settings.mark_area_min, settings.mark_area_max,
            settings.max_scale_error, settings.table_reach_mm, settings.refine_reach_mm,
            settings.refine_tolerance_mm, settings.relocate_mm) == (9.0, 0.5, 1.7, 0.08, 4.0,
                                                                   1.8, 0.4, 0.5)


def test_settings_of_version_3_resample_after_every_correction_as_version_3_did():
    old = {k: v for k, v in DEFAULT.to_dict().items() if k != "refine_min_mm"}
    old["version"] = 3
    assert ReaderSettings.from_dict(old).refine_min_mm == 0.0
    assert ReaderSettings.from_dict(DEFAULT.to_dict()) == DEFAULT


def test_settings_of_versions_3_and_4_read_without_the_papers_texture_as_they_did():
    """Version 5 added the texture of the paper around a box and names crossed along a line
    matched in parts; a version 4 record re-reads as version 4 read."""
    old = {k: v for k, v in DEFAULT.to_dict().items()
           if k not in ("texture_ratio", "name_line_width_mm", "name_align_pieces",
                        "grain_piece_mm")}
    for version in (3, 4):
        settings = ReaderSettings.from_dict({**old, "version": version})
        assert settings.texture_ratio == 0.0 and settings.name_line_width_mm == 0.0
        assert settings.name_align_pieces == 1
    assert ReaderSettings.from_dict({**old, "version": 5}) \
        == dataclasses.replace(DEFAULT, grain_piece_mm=0.0)
    with pytest.raises(ValueError, match="name_align_pieces"):
        dataclasses.replace(DEFAULT, name_align_pieces=0)
    with pytest.raises(ValueError, match="texture_ratio"):
        dataclasses.replace(DEFAULT, texture_ratio=-1.0)


def test_settings_of_version_6_and_older_read_without_the_pieces_of_ink_as_they_did():
    """Version 7 lets a long unbroken piece of ink be a mark on grained paper; the readers
    before it did not measure pieces, so their records read with the rule off."""
    old = {k: v for k, v in DEFAULT.to_dict().items()
           if k not in ("grain_piece_mm", "grain_piece_peak_ratio")}
    assert ReaderSettings.from_dict({**old, "version": 6}).grain_piece_mm == 0.0
    assert ReaderSettings.from_dict({**old, "version": 7}) == DEFAULT
    with pytest.raises(ValueError, match="grain_piece_mm"):
        dataclasses.replace(DEFAULT, grain_piece_mm=-1.0)


@pytest.mark.parametrize("skew", [0.0, 8.0])
def test_a_correction_too_small_to_resample_for_reads_as_resampling_would(issued, renderers,
                                                                        skew):
    """Skipping the second resampling under ``refine_min_mm`` must not change what is read."""
    choices = [i % 3 for i in range(len(issued.layout.pages[0].rows))]
    sheet = marked_sheet(issued, renderers[300], 300, choices)
    page, _ = scan_sheet(sheet, 300, skew=skew, shift=(-6.0, 5.0) if skew else (0.0, 0.0),
                         upside_down=False)
    readings = [read_page(page, dataclasses.replace(context_of(issued), settings=s)) for s in
                (DEFAULT, dataclasses.replace(DEFAULT, refine_min_mm=0.0))]
    for reading in readings:
        assert reading.kind == "ballot", reading.reason
        assert [r.reading for r in reading.rows] == [LEVELS[c] for c in choices]
    assert [r.statuses for r in readings[0].rows] == [r.statuses for r in readings[1].rows]


def test_a_page_whose_code_corners_are_found_turned_is_placed_by_its_discs(issued, drawer):
    """A smudged or warped QR code whose corners come out 4° turned: the page is placed from
    the code's centre and size, its skew from the table, and its discs are found."""
    sheet = marked_sheet(issued, drawer.renderer, DPI, [0, 1, 2, 0, 1])
    page = drawer.scan(sheet, skew=0.3)
    hit = find_code(page.image)
    c = np.radians(4.0)
    turn = np.array([[np.cos(c), -np.sin(c)], [np.sin(c), np.cos(c)]])
    centre = np.array(hit.centre)
    turned = dataclasses.replace(hit, corners=(hit.corners - centre) @ turn.T + centre)
    layout_page = issued.layout.pages[0]
    registration = register(page.image, issued.layout, layout_page, turned, DPI, DEFAULT)
    assert isinstance(registration, Registration), registration
    assert registration.marks_found == 4
    exact = register(page.image, issued.layout, layout_page, hit, DPI, DEFAULT)
    assert np.abs(registration.matrix / registration.matrix[2, 2]
                  - exact.matrix / exact.matrix[2, 2]).max() < 0.5


@pytest.mark.parametrize("dpi", [150, 300])
def test_discs_cut_in_two_by_light_lines_are_found(issued, renderers, dpi):
    """A printer low on toner (or a feeder skipping lines) draws thin light lines across the
    sheet; one through the middle of every disc cut each in two halves that are no disc, and a
    clean page fell back on its table (independent scans, seed 1021: then unreadable, because
    its filled boxes hid their outlines). The discs are mended first (mark_mend)."""
    choices = [0, 1, 2, 0, 1]
    sheet = marked_sheet(issued, renderers[dpi], dpi, choices)
    marks = issued.layout.pages[0].marks
    period = marks[2][1] - marks[0][1]  # a line through the top discs and one through the bottom
    sheet.image[...] = banded(sheet.image, Banding(period, 0.4, 1.0), dpi, marks[0][1] - 0.2)
    page, _ = scan_sheet(sheet, dpi, skew=0.5, shift=(0.5, 0.5), upside_down=False)
    ctx = context_of(issued)
    reading = read_page(page, ctx)
    assert reading.kind == "ballot" and reading.marks_found == 4, reading
    assert [r.reading for r in reading.rows] == [LEVELS[c] for c in choices]
    unmended = dataclasses.replace(ctx, settings=dataclasses.replace(ctx.settings, mark_mend=0.0))
    assert read_page(page, unmended).marks_found < 3  # the test exercises the mending
    old = {k: v for k, v in DEFAULT.to_dict().items() if k != "mark_mend"}
    assert ReaderSettings.from_dict({**old, "version": 8}).mark_mend == 0.0  # as version 8 read
