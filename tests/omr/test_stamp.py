"""The agency's red stamp on ballots we print, stamp (or not), scan and write ourselves: stamped,
not stamped, faint, shifted, photocopied in grey, under colour casts, fringes and every JPEG
chroma subsampling, and scanned in grey (cannot tell). Each page goes through the scanner
model, the real writer and loader, and the whole reader (``read_page``)."""

import dataclasses

import numpy as np
import pytest
from PIL import Image

from ballotgen.vocabulary import LEVELS
from omr.load import PageImage, load_page, open_scan
from omr.read import locate, read_page
from omr.reading import PageReading, StampReading
from omr.settings import DEFAULT, ReaderSettings
from omr.stamp import (
    GRID_PX_PER_MM,
    _grid,
    _on_scan_mask,
    _resample,
    colour_steps,
    header,
    red_ink,
    to_colour_copy,
)
from rehearsal import marks
from rehearsal.marks import Stamp
from rehearsal.scanfiles import StackWriter
from rehearsal.scanner import PROFILES, PageTone, ScanParams, page_transform, photocopy, scan
from rehearsal.simulate import fill_page
from rehearsal.voters import BallotPlan, RowPlan
from tests.helpers import make_issued
from tests.omr.helpers import DPI, Drawer, context_of

OFFICE = PROFILES["office"]
WARM, COOL, GREEN = (0.86, 0.97, 1.08), (1.1, 1.0, 0.87), (0.95, 1.1, 0.93)  # BGR gains


@pytest.fixture(scope="module")
def required(issued):
    return dataclasses.replace(context_of(issued), stamp_required=True)


def voted(issued, sheet, *, stamp: Stamp | None, seed=5):
    """Mark a cross for every person on ``sheet`` (page 1), and stamp it with ``stamp``."""
    rows = tuple(RowPlan(p.number, LEVELS[p.number % 3], (p.number % 3,), "x")
                 for p in issued.layout.persons)
    fill_page(sheet, issued.layout.pages[0], BallotPlan(1, rows, seed=seed, stamp=False),
              last=True)
    if stamp is not None:
        marks.stamp(sheet, stamp, np.random.default_rng(seed))
    return sheet


def usual(issued, **changes) -> Stamp:
    """The stamp where committees put it (marks.place_stamp), changed as asked."""
    placed = marks.place_stamp(issued.layout.pages[0].stamp, np.random.default_rng(3))
    return dataclasses.replace(placed, **changes)


def scanned(tmp_path, image, *, mode="colour", cast=(1.0, 1.0, 1.0), fringe=0.0,
            subsampling="4:2:0", quality=75, fmt="jpeg", seed=0, name="page") -> PageImage:
    """``image`` scanned by the office scanner model with the given colour, written as ``fmt``
    by the simulator's writer and decoded by the reader's loader."""
    rng = np.random.default_rng(seed)
    h, w = image.shape[:2]
    params = ScanParams(0.6, (0.8, -0.5), False, 0.0, quality, subsampling)
    tone = PageTone(paper=0.95, gain=1.0, contrast=1.0, gamma=1.0, black_level=12.0, cast=cast)
    out = scan(image, OFFICE, page_transform((w, h), params, DPI, rng), DPI, mode, rng, tone=tone,
               fringe_px=fringe)
    folder = tmp_path / name
    with StackWriter(folder, fmt) as writer:
        file, index = writer.add(out, DPI, bw=mode == "bw", jpeg_quality=quality,
                                 jpeg_subsampling=subsampling)
    return load_page(open_scan(folder / file), index)


def read(page, ctx) -> PageReading:
    reading = read_page(page, ctx)
    assert reading.kind == "ballot", reading.reason
    return reading


@pytest.mark.parametrize("ink", list(marks.STAMP_INKS))
def test_a_stamped_ballot_reads_stamped_and_raises_nothing(issued, drawer, required, tmp_path,
                                                           ink):
    page = scanned(tmp_path, voted(issued, drawer.sheet(), stamp=usual(issued, ink=ink)).image)
    reading = read(page, required)
    assert reading.stamp.status == "stamped" and reading.stamp.colour
    assert reading.stamp.red_mm2 > 100 and reading.flags == ()
    assert [r.reading for r in reading.rows] == [LEVELS[p.number % 3]
                                                 for p in issued.layout.persons]


def test_an_unstamped_ballot_is_flagged_missing_stamp_only_when_the_check_is_on(
        issued, drawer, required, ctx, tmp_path):
    page = scanned(tmp_path, voted(issued, drawer.sheet(), stamp=None).image)
    checked = read(page, required)
    assert checked.stamp.status == "not_stamped" and checked.stamp.red_mm2 < 1
    assert checked.flags == ("missing_stamp",)
    plain = read(page, ctx)  # the conference's check off (the default): measured, no flag
    assert plain.stamp == checked.stamp and plain.flags == ()


@pytest.mark.parametrize("changes", [
    {"opacity": 0.25},  # a drying pad (the simulator's faintest)
    {"opacity": 0.5, "fade": 0.85, "fade_towards_deg": 200.0},  # one side barely touched
    {"opacity": 0.3, "ink": "dark_red", "angle_deg": 130.0},
])
def test_a_faint_or_unevenly_pressed_stamp_is_stamped(issued, drawer, required, tmp_path,
                                                      changes):
    page = scanned(tmp_path, voted(issued, drawer.sheet(), stamp=usual(issued, **changes)).image,
                   subsampling="4:2:0", quality=60)
    reading = read(page, required)
    assert reading.stamp.status == "stamped", reading.stamp
    assert reading.flags == ()


@pytest.mark.parametrize("opacity", [0.16, 0.12, 0.09])
def test_a_stamp_barely_there_is_never_read_as_missing(issued, drawer, required, tmp_path,
                                                       opacity):
    """A stamp too faint to measure as ink (a dry pad, pressed unevenly: a third of the
    simulator's faintest) still leaves faint red: the reader is unsure, not sure it is none."""
    faint = usual(issued, opacity=opacity, fade=0.6)
    reading = read(scanned(tmp_path, voted(issued, drawer.sheet(), stamp=faint).image,
                           quality=50), required)
    assert reading.stamp.status in ("stamped", "cannot_tell"), reading.stamp
    assert "missing_stamp" not in reading.flags and reading.stamp.faint_mm2 > 40


def test_a_shifted_stamp_is_stamped_when_enough_is_in_the_area_else_cannot_tell(
        issued, drawer, required, tmp_path):
    area = issued.layout.pages[0].stamp
    partly = usual(issued, centre=(area.right - 4.0, area.bottom - 2.0))  # a quarter inside
    assert marks.stamp_share_in(partly, area) < 0.5
    reading = read(scanned(tmp_path, voted(issued, drawer.sheet(), stamp=partly).image,
                           name="partly"), required)
    assert reading.stamp.status == "stamped" and reading.flags == ()
    away = usual(issued, centre=(area.right + 20.0, area.y + 18.0))  # wholly beside the area
    assert marks.stamp_share_in(away, area) == 0.0
    reading = read(scanned(tmp_path, voted(issued, drawer.sheet(), stamp=away).image,
                           name="away"), required)
    assert reading.stamp.status == "cannot_tell" and reading.stamp.elsewhere_mm2 > 100
    assert reading.flags == ("stamp_unclear",)  # a human looks; never missing_stamp


def test_a_grey_photocopy_of_a_stamped_ballot_lacks_the_stamp(issued, drawer, required,
                                                              tmp_path):
    original = voted(issued, drawer.sheet(), stamp=usual(issued))
    copy = photocopy(original.image, np.random.default_rng(1))
    reading = read(scanned(tmp_path, copy), required)
    assert reading.stamp.status == "not_stamped" and reading.flags == ("missing_stamp",)
    # the same copy in the same scanner, still the ballot it was: identical code, same marks
    assert [r.reading for r in reading.rows] == [LEVELS[p.number % 3]
                                                 for p in issued.layout.persons]


@pytest.mark.parametrize("cast", [WARM, COOL, GREEN])
@pytest.mark.parametrize("subsampling, quality", [("4:4:4", 85), ("4:2:2", 75), ("4:2:0", 50)])
def test_colour_casts_and_jpeg_chroma_subsampling_change_nothing(issued, drawer, required,
                                                                 tmp_path, cast, subsampling,
                                                                 quality):
    options = {"cast": cast, "subsampling": subsampling, "quality": quality}
    stamped = scanned(tmp_path, voted(issued, drawer.sheet(), stamp=usual(issued)).image,
                      name="stamped", **options)
    unstamped = scanned(tmp_path, voted(issued, drawer.sheet(), stamp=None).image,
                        name="unstamped", **options)
    assert read(stamped, required).stamp.status == "stamped"
    reading = read(unstamped, required)
    assert reading.stamp.status == "not_stamped" and reading.flags == ("missing_stamp",)
    _, g, r = reading.stamp.paper  # the cast shows in the paper it was measured against
    assert (g > r) == (cast[1] * 0.99 > cast[2])  # (scanner.scan's paper is 0.99 green)


def test_a_scanners_colour_fringes_are_undone_not_taken_for_red(issued, drawer, required,
                                                                tmp_path):
    fringe = 0.9  # the red line of a contact sensor a pixel behind: red along every stroke
    page = scanned(tmp_path, voted(issued, drawer.sheet(), stamp=None).image, fringe=fringe,
                   fmt="png")
    reading = read(page, required)
    assert reading.stamp.status == "not_stamped" and reading.flags == ("missing_stamp",)
    located_page = issued.layout.pages[0]
    registration = locate(page, required).registration
    to_colour = to_colour_copy(page, registration)
    (_, blue_dy), (_, red_dy) = colour_steps(page.colour, to_colour, located_page.qr)
    assert abs(red_dy - fringe / page.colour_scale) < 0.1 and abs(blue_dy) < 0.05
    # Read without undoing the step, the same page shows red along its print.
    band = header(issued.layout, located_page)
    size = (int(band.w * GRID_PX_PER_MM), int(band.h * GRID_PX_PER_MM))
    to_grid = to_colour @ _grid(GRID_PX_PER_MM, band.x, band.y)
    grid = _resample(page.colour, to_grid, size)
    red = red_ink(grid, reading.stamp.paper, px_per_mm=GRID_PX_PER_MM,
                  chroma_min=(DEFAULT.stamp_faint_chroma, DEFAULT.stamp_chroma_min),
                  hue_deg=(DEFAULT.stamp_hue_min_deg, DEFAULT.stamp_hue_max_deg)) == 2
    red &= _on_scan_mask(to_grid, size, page.colour[0].shape) > 0
    assert red.sum() / GRID_PX_PER_MM ** 2 > DEFAULT.stamp_elsewhere_mm2


@pytest.mark.parametrize("mode", ["grey", "bw"])
def test_a_grey_or_black_and_white_scan_cannot_tell_and_says_so(issued, drawer, required,
                                                                tmp_path, mode):
    for stamp in (usual(issued), None):
        page = scanned(tmp_path, voted(issued, drawer.sheet(), stamp=stamp).image, mode=mode,
                       fmt="png" if mode == "bw" else "jpeg", name=f"{mode}-{stamp is None}")
        assert page.colour is None
        reading = read(page, required)
        assert reading.stamp.status == "cannot_tell" and not reading.stamp.colour
        assert "grey or black and white" in reading.stamp.reason
        assert reading.flags == ()  # nothing to hold a ballot for: the summary says so


def test_a_grey_scan_saved_as_colour_cannot_tell(issued, drawer, required, tmp_path):
    grey = scanned(tmp_path, voted(issued, drawer.sheet(), stamp=None).image, mode="grey")
    path = tmp_path / "as-colour.png"
    Image.fromarray(grey.image).convert("RGB").save(path, dpi=(DPI, DPI))
    page = load_page(open_scan(path), 0)
    assert page.colour is not None  # colour data, and no colour in it
    reading = read(page, required)
    assert reading.stamp.status == "cannot_tell" and not reading.stamp.colour
    assert "holds no colour" in reading.stamp.reason and reading.flags == ()


def test_the_stamp_is_required_on_a_ballots_first_sheet_only(large_persons, tmp_path):
    issued = make_issued(large_persons, 2)
    ctx = dataclasses.replace(context_of(issued), stamp_required=True)
    drawer = Drawer(issued)
    for index in (0, 1):
        page = scanned(tmp_path, drawer.sheet(index).image, name=f"sheet-{index}")
        reading = read(page, ctx)
        assert reading.page == index + 1 and reading.stamp.status == "not_stamped"
        assert ("missing_stamp" in reading.flags) == (index == 0)


# ------------------------------------------------------------------------ loading and values

@pytest.mark.parametrize("fmt", ["jpeg", "pdf", "tiff", "png"])
def test_a_colour_page_keeps_a_colour_copy_and_its_grey_as_before(issued, drawer, tmp_path, fmt):
    page = scanned(tmp_path, voted(issued, drawer.sheet(), stamp=usual(issued)).image, fmt=fmt)
    blue, green, red = page.colour
    w = page.image.shape[1]
    assert blue.shape == green.shape == red.shape
    assert abs(w / page.colour_scale - blue.shape[1]) < 1 and page.colour_scale >= 1
    grey = scanned(tmp_path, voted(issued, drawer.sheet(), stamp=None).image, mode="grey",
                   fmt=fmt, name="grey")
    assert grey.colour is None
    if fmt == "jpeg":  # the grey image is what Pillow's own conversion gives, as before
        path = next((tmp_path / "page").iterdir())
        assert np.array_equal(page.image, np.asarray(Image.open(path).convert("L")))


def test_a_palette_page_keeps_colour_only_when_its_palette_has_some(tmp_path):
    pixels = np.full((300, 210), 255, np.uint8)
    pixels[100:120, 50:90] = 0
    grey = Image.fromarray(pixels).convert("P")
    grey.save(tmp_path / "grey.png")
    colour = Image.fromarray(np.dstack([pixels, pixels // 2, pixels])).convert(
        "P", palette=Image.Palette.ADAPTIVE)
    colour.save(tmp_path / "colour.png")
    assert load_page(open_scan(tmp_path / "grey.png"), 0).colour is None
    assert load_page(open_scan(tmp_path / "colour.png"), 0).colour is not None


def test_the_stamp_limits_are_validated_and_recorded_since_version_6():
    assert DEFAULT.to_dict()["version"] >= 6
    with pytest.raises(ValueError, match="stamp_absent_mm2 < stamp_present_mm2"):
        ReaderSettings(stamp_absent_mm2=30.0, stamp_present_mm2=20.0)
    with pytest.raises(ValueError, match="stamp_hue"):
        ReaderSettings(stamp_hue_min_deg=10.0)
    old = {k: v for k, v in DEFAULT.to_dict().items()
           if not k.startswith("stamp_") and k != "grain_piece_mm"}
    read = ReaderSettings.from_dict({**old, "version": 5})
    assert read == dataclasses.replace(DEFAULT, grain_piece_mm=0.0)  # today's stamp limits


def test_a_reading_without_a_stamp_is_written_as_before_readings_had_one():
    before = PageReading("blank")
    assert "stamp" not in before.to_json()  # its recorded hash stands
    stamped = PageReading("ballot", stamp=StampReading("stamped", red_mm2=321.5,
                                                       paper=(240, 245, 250)))
    assert PageReading.from_json(stamped.to_json()) == stamped
    assert PageReading.from_json(before.to_json()) == before
