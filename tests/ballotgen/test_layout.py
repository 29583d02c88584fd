"""The layout's geometry: nothing overlaps, everything is on the page, pages split correctly."""

import dataclasses

import pytest

from ballotgen.conference import Person
from ballotgen.errors import FontError
from ballotgen.fonts import PT_TO_MM, ballot_family
from ballotgen.layout import (
    BOX_MM,
    FREE_MIN_MM,
    MARGIN_MM,
    MARK_INSET_MM,
    Layout,
    Rect,
    build_layout,
    paginate,
)
from tests.helpers import LONG_NAME, LONG_POSITION, make_conference

# These tests check what the library says, by its English message ids (the Vietnamese
# catalogue is checked by tests/test_translations.py).
pytestmark = pytest.mark.usefixtures("english")


def overlaps(a: Rect, b: Rect) -> bool:
    return a.x < b.right and b.x < a.right and a.y < b.bottom and b.y < a.bottom


def text_box(text, family=None) -> Rect:
    """The ink box of a line of text, from the font's advance width and em size."""
    family = family or ballot_family()
    width = family.width_mm(text.text, text.size_pt, text.face)
    x = {"left": text.x, "centre": text.x - width / 2, "right": text.x - width}[text.align]
    em = text.size_pt * PT_TO_MM
    return Rect(x, text.y - 0.75 * em, width, 0.95 * em)


@pytest.fixture(scope="module")
def layouts(small_persons, large_persons):
    long_people = [Person(1, LONG_NAME, LONG_POSITION), *small_persons[1:]]
    return {name: build_layout(make_conference(p)) for name, p in
            [("small", small_persons), ("large", large_persons), ("long", long_people)]}


@pytest.mark.parametrize("name", ["small", "large", "long"])
def test_boxes_sit_inside_their_rows_and_touch_nothing(layouts, name):
    layout = layouts[name]
    for page in layout.pages:
        for row in page.rows:
            assert row.rect.y >= page.table.y and row.rect.bottom <= page.table.bottom + 1e-6
            for box in row.boxes:
                assert box.w == box.h == BOX_MM
                assert box.y - row.rect.y >= 1.0 and row.rect.bottom - box.bottom >= 1.0
                assert not overlaps(box, row.name_cell) and not overlaps(box, row.position_cell)
            assert row.boxes[0].right < row.boxes[1].x and row.boxes[1].right < row.boxes[2].x
        for upper, lower in zip(page.rows, page.rows[1:]):
            assert abs(upper.rect.bottom - lower.rect.y) < 1e-6  # contiguous, never overlapping


@pytest.mark.parametrize("name", ["small", "large", "long"])
def test_no_text_touches_a_box_a_mark_or_the_qr(layouts, name):
    layout = layouts[name]
    for page in layout.pages:
        boxes = [b for row in page.rows for b in row.boxes]
        r = layout.mark_radius
        marks = [Rect(x - r, y - r, 2 * r, 2 * r) for x, y in page.marks]
        for text in page.texts:
            ink = text_box(text)
            assert ink.x >= MARGIN_MM - 0.01 and ink.right <= layout.width - MARGIN_MM + 0.01, text
            for other in boxes + marks + [page.qr]:
                assert not overlaps(ink, other), (text, other)


@pytest.mark.parametrize("name", ["small", "large", "long"])
def test_areas_are_on_the_page_and_apart(layouts, name):
    layout = layouts[name]
    for page in layout.pages:
        assert page.marks[0] == (MARK_INSET_MM, MARK_INSET_MM)
        assert page.marks[3] == (layout.width - MARK_INSET_MM, layout.height - MARK_INSET_MM)
        assert page.table.bottom < page.free.y and page.free.h >= FREE_MIN_MM
        assert not overlaps(page.qr, page.stamp) and page.qr.right <= layout.width - MARGIN_MM
        if page.signature:
            assert not overlaps(page.free, page.signature)
            assert page.signature.bottom <= layout.height - MARK_INSET_MM
    assert [p.signature is not None for p in layout.pages] == \
        [False] * (len(layout.pages) - 1) + [True]


def test_long_name_and_position_wrap_inside_their_cells(layouts):
    layout = layouts["long"]
    row = layout.pages[0].rows[0]
    name_lines = [t for t in layout.pages[0].texts
                  if row.name_cell.x < t.x < row.name_cell.right
                  and row.rect.y < t.y < row.rect.bottom]
    pos_lines = [t for t in layout.pages[0].texts
                 if row.position_cell.x < t.x < row.position_cell.right
                 and row.rect.y < t.y < row.rect.bottom]
    assert " ".join(t.text for t in name_lines) == LONG_NAME and len(name_lines) >= 3
    assert " ".join(t.text for t in pos_lines) == LONG_POSITION and len(pos_lines) >= 3
    for t, cell in [(t, row.name_cell) for t in name_lines] + \
            [(t, row.position_cell) for t in pos_lines]:
        ink = text_box(t)
        assert cell.x < ink.x and ink.right < cell.right
        assert row.rect.y < ink.y and ink.bottom < row.rect.bottom


def test_large_roster_continues_on_pages_with_the_header_again(layouts, large_persons):
    layout = layouts["large"]
    assert len(layout.pages) == 4
    numbers = [row.person for page in layout.pages for row in page.rows]
    assert numbers == [p.number for p in large_persons]  # each person once, in order
    for page in layout.pages:
        texts = [t.text for t in page.texts]
        assert "Họ và tên" in texts and "Chức vụ" in texts and "STT" in texts
        assert f"Trang {page.index + 1}/4" in texts
        assert any(t.startswith("PHIẾU TÍN NHIỆM") for t in texts)
    assert sum(len(p.rows) for p in layout.pages) == 55


def test_single_page_ballot_has_no_page_number(layouts):
    assert len(layouts["small"].pages) == 1
    assert not any(t.text.startswith("Trang ") for t in layouts["small"].pages[0].texts)


def test_json_round_trip_and_hash(layouts, small_persons):
    layout = layouts["large"]
    again = Layout.from_json(layout.to_json())
    assert again == layout and again.hash == layout.hash
    assert len(layout.hash) == 10
    assert build_layout(make_conference(small_persons)).hash == layouts["small"].hash  # stable
    renamed = [dataclasses.replace(small_persons[0], name="Nguyễn Thị Ánh Tuyến"),
               *small_persons[1:]]
    assert build_layout(make_conference(renamed)).hash != layouts["small"].hash


def test_a_character_the_font_lacks_is_an_error(small_persons):
    people = [Person(1, "Lê Văn 李", "Giám đốc"), *small_persons[1:]]
    with pytest.raises(FontError, match="no glyph for '李'"):
        build_layout(make_conference(people))


def test_centred_titles_are_balanced_not_left_with_a_lone_word(small_persons):
    from ballotgen.layout import SUBTITLE_PT
    from ballotgen.text import balanced_wrap, wrap

    title = "Hội nghị lấy phiếu tín nhiệm đối với người giữ chức vụ do Hội đồng nhân dân bầu"
    family, width = ballot_family(), 160.0
    greedy = wrap(title, width, SUBTITLE_PT, "bold", family)
    balanced = balanced_wrap(title, width, SUBTITLE_PT, "bold", family)
    assert greedy[-1] == "bầu"  # the widow this avoids
    assert len(balanced) == len(greedy) == 2 and " ".join(balanced) == title
    widths = [family.width_mm(line, SUBTITLE_PT, "bold") for line in balanced]
    assert max(widths) <= width and min(widths) > 0.6 * max(widths)


@pytest.mark.parametrize("name", ["small", "large", "long"])
def test_words_that_fit_a_line_are_never_split(layouts, name):
    """Every line of every text is made of whole words of the texts it was laid out from."""
    from ballotgen import wording
    from tests.helpers import ORG, TITLE

    layout = layouts[name]
    sources = [ORG, TITLE, "Bình An, ngày 15 tháng 12 năm 2026", wording.INSTRUCTION,
               wording.SIGNATURE_NOTE, wording.TITLE, wording.CONTINUED,
               *wording.COLUMN_HEADINGS]
    sources += [f"{p.number} {p.name} {p.position}" for p in layout.persons]
    words = {w for text in sources for w in text.split()}
    for page in layout.pages:
        for text in page.texts:
            if text.text == wording.page_number(page.index, len(layout.pages)):
                continue
            for word in text.text.split():
                assert word in words, (word, text.text)


def test_pagination_fills_pages_and_keeps_room_for_the_signature():
    """Rows of 10 mm from y = 100 (30 from y = 50 on later pages): a page takes rows while they
    end above 200 mm; the last page must end above 150 mm, where the signature goes."""
    def pages(n):
        return paginate([10.0] * n, [100.0, 50.0], bottom=200.0, last_bottom=150.0)

    assert pages(5) == [[0, 1, 2, 3, 4]]  # 100 + 50 = 150: all on one page
    first, second = pages(6)  # 160 > 150: the first page fills up to 200 with 10 rows…
    assert (first, second) == ([0, 1, 2, 3, 4], [5])  # …but only 5 exist, one must move on
    # 100 + 10 × 10 = 200; the 15 rows left would fill the next page (50 + 150 = 200) but not
    # leave the signature its room, so that page keeps one row back for a last page.
    assert [len(p) for p in pages(25)] == [10, 14, 1]
    assert sum(pages(25), []) == list(range(25))
    with pytest.raises(ValueError, match="taller than a page"):
        paginate([60.0], [100.0, 50.0], bottom=200.0, last_bottom=150.0)
