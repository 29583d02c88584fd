"""The simulator: the truth matches what was drawn, and every profile and format gives files a
scanner could have written, at the stated resolution."""

import json
import re

import numpy as np
import pytest
from PIL import Image

from ballotgen import payload
from ballotgen.vocabulary import LEVELS
from rehearsal.marks import Sheet
from rehearsal.simulate import Renderer, fill_page, simulate_stack
from rehearsal.voters import Mistakes, RowPlan, plan_ballots
from tests.helpers import make_issued, open_pages, qr_text

DPI = 150


@pytest.fixture(scope="module")
def issued_serials(small_persons):
    return make_issued(small_persons, 20, serials=True)


def box_ink(sheet_img, blank_img, box, dpi, inset=0.6):
    """Fraction of the box interior (``inset`` mm in from its edges, by default clear of the
    printed outline) that got darker than the blank ballot (new ink)."""
    s = dpi / 25.4
    y0, y1 = int((box.y + inset) * s), int((box.bottom - inset) * s)
    x0, x1 = int((box.x + inset) * s), int((box.right - inset) * s)
    new = blank_img[y0:y1, x0:x1].astype(int).min(axis=2) - \
        sheet_img[y0:y1, x0:x1].astype(int).min(axis=2)
    return float((new > 40).mean())


def test_what_is_drawn_is_what_the_truth_says(issued):
    """Every box the plan marks (or scribbles out) has new ink; a box a stroke spilled into has
    some; every other box has none."""
    rng = np.random.default_rng(1)
    plans = plan_ballots(issued.layout.persons, 60, rng, mistakes=Mistakes(
        multi_mark=0.2, correction=0.2, blank_row=0.1, crossed_name=0.3, write_in=0.3,
        signature=0.5, stray=0.5))
    renderer = Renderer(issued, DPI)
    blank = renderer.pages()[0]
    page = issued.layout.pages[0]
    seen = set()
    for plan in plans:
        sheet = Sheet(renderer.pages()[0], DPI)
        fill_page(sheet, page, plan, last=True)
        for row_plan, row in zip(plan.rows, page.rows):
            inked = set(row_plan.marked) | ({row_plan.scribbled} - {None})
            for i, box in enumerate(row.boxes):
                ink = box_ink(sheet.image, blank, box, DPI)
                if i in inked:
                    assert ink > 0.01, (plan.voter, row_plan, i, ink)
                elif i == row_plan.spill:
                    assert box_ink(sheet.image, blank, box, DPI, inset=0.0) > 0, \
                        (plan.voter, row_plan)
                else:
                    assert ink == 0.0, (plan.voter, row_plan, i, ink)
            seen.add(row_plan.expected)
    assert seen == {"cao", "tin_nhiem", "thap", "blank", "multi"}


def test_expected_reading_follows_the_marks():
    assert RowPlan(1, "cao", (0,)).expected == "cao"
    assert RowPlan(1, "thap", (2,)).expected == "thap"
    assert RowPlan(1, None, ()).expected == "blank" and RowPlan(1, None, ()).flags == ("blank_row",)
    assert RowPlan(1, "cao", (0, 2)).expected == "multi"
    assert RowPlan(1, "cao", (0,), scribbled=1).expected == "multi"  # a correction: a human decides
    assert RowPlan(1, "cao", (0,), scribbled=1).flags == ("multi_mark",)


def test_rates_of_one_make_every_row_that_mistake(issued, tmp_path):
    truth = simulate_stack(issued, tmp_path, voters=3, profile="clean", dpi=DPI, seed=2,
                           mistakes=Mistakes(multi_mark=1.0, crossed_name=1.0, write_in=1.0))
    for ballot in truth["ballots"]:
        assert {r["expected"] for r in ballot["rows"]} <= {"multi", "blank"}
        assert "name_crossed" in ballot["flags"] and "write_in" in ballot["flags"]
    assert all("multi_mark" in p["flags"] for p in truth["pages"] if p["kind"] == "ballot")


def test_given_votes_are_drawn_as_given(issued, tmp_path):
    numbers = [p.number for p in issued.layout.persons]
    choices = [{n: LEVELS[(n + v) % 3] for n in numbers} for v in range(4)]
    choices[0][numbers[1]] = None
    truth = simulate_stack(issued, tmp_path, voters=4, profile="clean", dpi=DPI, seed=3,
                           choices=choices)
    for ballot, choice in zip(truth["ballots"], choices):
        assert {r["person"]: r["intended"] for r in ballot["rows"]} == choice
        assert {r["person"]: r["expected"] for r in ballot["rows"]} == {
            n: c or "blank" for n, c in choice.items()}


def test_same_seed_same_stack(issued, tmp_path):
    a, b = (simulate_stack(issued, tmp_path / name, voters=3, profile="office", dpi=DPI, seed=5,
                           foreign=2) for name in "ab")
    a.pop("created"), b.pop("created")
    assert a == b
    # Identical but for the creation date and the random file /ID pdfium writes.
    pdf_a, pdf_b = (re.sub(rb"/CreationDate\(.*?\)", b"", (tmp_path / d / "scan.pdf").read_bytes())
                    .split(b"trailer")[0] for d in "ab")
    assert pdf_a == pdf_b


@pytest.mark.parametrize("profile", ["clean", "office", "rough"])
@pytest.mark.parametrize("fmt", ["pdf", "tiff", "jpeg", "png"])
def test_every_profile_and_format_gives_readable_files_at_their_resolution(issued, tmp_path,
                                                                           profile, fmt):
    truth = simulate_stack(issued, tmp_path, voters=2, profile=profile, fmt=fmt, dpi=DPI, seed=11,
                           foreign=1)
    assert json.loads((tmp_path / "truth.json").read_text(encoding="utf-8")) == truth
    kinds = [p["kind"] for p in truth["pages"]]
    assert kinds.count("ballot") == 2 and kinds.count("foreign") == 1
    assert kinds.count("blank_back") == (3 if profile != "clean" else 0)
    pages = list(open_pages(tmp_path, truth))
    assert len(pages) == len(truth["pages"])
    for page, grey, dpi in pages:
        assert abs(dpi - DPI) < 0.5
        assert abs(grey.shape[1] - 210 / 25.4 * DPI) < 2
        assert abs(grey.shape[0] - 297 / 25.4 * DPI) < 2
        if page["kind"] == "ballot" and profile != "rough":
            text = qr_text(grey)
            code, mac = payload.decode(text)
            assert code.batch == issued.batch.code and payload.is_authentic(code, mac, issued.key)
        if page["kind"] == "blank_back":
            h, w = grey.shape  # paper, perhaps dust, a dark edge and streaks, but no table or text
            paper = np.ones(w, bool)
            for streak in truth["streaks"]:  # the feeder's streaks run down the back pages too
                x = round(streak["x_mm"] * dpi / 25.4)
                paper[max(x - 2, 0):x + streak["width_px"] + 2] = False
            middle = grey[h // 7:-h // 7, w // 7:-w // 7][:, paper[w // 7:-w // 7]]
            assert (middle < 100).mean() < 0.001


def test_profile_resolution_and_mode_when_not_given(issued, tmp_path):
    truth = simulate_stack(issued, tmp_path, voters=1, profile="rough", fmt="jpeg", seed=4)
    assert truth["dpi"] in (150, 200) and truth["mode"] in ("colour", "grey", "bw")
    image = Image.open(tmp_path / truth["pages"][0]["file"])
    assert image.info["dpi"][0] == truth["dpi"]
    assert image.mode == ("RGB" if truth["mode"] == "colour" else "L")


def test_foreign_sheets_are_what_they_claim(issued, tmp_path):
    truth = simulate_stack(issued, tmp_path, voters=3, profile="clean", fmt="png", dpi=200, seed=8,
                           foreign=4)
    found = {}
    for page, grey, _ in open_pages(tmp_path, truth):
        if page["kind"] == "foreign":
            found[page["foreign_kind"]] = qr_text(grey)
    assert set(found) == {"other_conference", "damaged_code", "missing_code", "photocopy"}
    other = found["other_conference"]
    code, mac = payload.decode(other)
    assert code.layout_hash != issued.layout.hash
    assert not payload.is_authentic(code, mac, issued.key)
    assert found["missing_code"] is None
    copied = found["photocopy"]  # a photocopy carries a genuine code…
    assert payload.is_authentic(*payload.decode(copied), issued.key)
    photocopy = next(f for f in truth["foreign"] if f["kind"] == "photocopy")
    assert photocopy["flags"] == []  # …so without serials nothing can tell it apart


def test_with_serials_every_voter_has_an_issued_serial_and_a_photocopy_is_a_duplicate(
        issued_serials, tmp_path):
    truth = simulate_stack(issued_serials, tmp_path, voters=5, profile="clean", dpi=DPI, seed=9,
                           foreign=4)
    serials = [b["serial"] for b in truth["ballots"]]
    assert len(set(serials)) == 5 and set(serials) <= set(issued_serials.batch.serials)
    photocopy = next(f for f in truth["foreign"] if f["kind"] == "photocopy")
    assert photocopy["flags"] == ["duplicate"]


def test_more_voters_than_ballots_is_refused(issued, tmp_path):
    with pytest.raises(ValueError, match="only 200 ballots were printed"):
        simulate_stack(issued, tmp_path, voters=201)


def test_recorded_transform_puts_the_marks_where_they_are_in_the_scan(issued, tmp_path):
    import cv2

    truth = simulate_stack(issued, tmp_path, voters=3, profile="office", fmt="png", dpi=200,
                           seed=12)
    s = 200 / 25.4
    marks = issued.layout.pages[0].marks
    for page, grey, _ in open_pages(tmp_path, truth):
        if page["kind"] != "ballot":
            continue
        matrix = np.array(page["scan"]["matrix"])
        expected = cv2.perspectiveTransform(np.float32(marks).reshape(-1, 1, 2) * s,
                                            matrix).reshape(-1, 2)
        inside = 0
        for x, y in expected:
            r = int(5 * s)
            x0, y0 = int(x) - r, int(y) - r
            if x0 < 0 or y0 < 0 or x0 + 2 * r > grey.shape[1] or y0 + 2 * r > grey.shape[0]:
                continue
            window = grey[y0:y0 + 2 * r, x0:x0 + 2 * r]
            rows, cols = np.nonzero(window < 100)
            assert len(rows) > 0.8 * np.pi * (3 * s) ** 2  # the whole disc is there
            assert abs(cols.mean() + x0 + 0.5 - x) < 0.3 * s
            assert abs(rows.mean() + y0 + 0.5 - y) < 0.3 * s
            inside += 1
        assert inside == page["scan"]["marks_in_frame"]


def test_marks_pushed_off_the_bed_are_counted():
    from rehearsal.scanner import points_in_frame

    marks = [(10.0, 10.0), (200.0, 10.0), (10.0, 287.0), (200.0, 287.0)]
    size = (int(210 / 25.4 * 100), int(297 / 25.4 * 100))
    shift = np.array([[1, 0, 12 / 25.4 * 100], [0, 1, 0], [0, 0, 1]], float)  # 12 mm right
    assert points_in_frame(marks, 3.0, np.eye(3), size, 100) == 4
    assert points_in_frame(marks, 3.0, shift, size, 100) == 2
