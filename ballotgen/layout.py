"""The ballot layout: pure geometry in millimetres, the contract between printing and reading.

Coordinates are millimetres from the **top-left** corner of the sheet, x to the right and y down,
as in an image. ``render`` draws the PDF from a :class:`Layout`; the reader learns from the same
value where every registration mark, box, name cell and free area is. A layout is serialisable
(:meth:`Layout.to_json`) and has a short :attr:`Layout.hash` over its geometry and persons,
which the QR code carries so a ballot printed from another layout is recognised.

Page plan (A4 portrait)::

    ●                                                     ●   registration marks (discs)
      ORGANISATION          (stamp area)          ┌──QR──┐
                                                  └──────┘
                        PHIẾU TÍN NHIỆM
                  conference title, date and place
      Đánh dấu X vào một ô … (instruction)
      ┌───┬──────────┬────────────┬──────┬──────┬──────┐
      │STT│ Họ và tên│  Chức vụ   │ cao  │  TN  │ thấp │  header row, again on every page
      ├───┼──────────┼────────────┼──────┼──────┼──────┤
      │ 1 │ name     │ position   │  □   │  □   │  □   │  one row per person, text wrapped
      └───┴──────────┴────────────┴──────┴──────┴──────┘
      free area (write-ins are detected here)   signature (last page, ignored)
    ●                       Trang x/y                     ●
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from dataclasses import asdict, dataclass

from ballotgen import wording
from ballotgen.conference import PAPER_SIZES_MM, Conference, Person
from ballotgen.fonts import FontFamily, ballot_family
from ballotgen.text import Text, TextBlocks, rounded

LAYOUT_VERSION = 1

# Geometry, millimetres. Printers cannot print the outer ~5 mm, so nothing goes there.
MARK_INSET_MM = 10.0  # registration mark centre from each edge
MARK_RADIUS_MM = 3.0  # solid discs: rotation-invariant, unlike any box, tick or QR module
MARGIN_MM = 15.0  # left and right edge of the content
TOP_MM = 13.0  # top of the header block
QR_SIZE_MM = 26.0  # QR symbol with its quiet zone
QR_QUIET_MODULES = 4  # the quiet zone, in modules, on each side of the symbol
STAMP_WIDTH_MM = 88.0  # top-left area for the organisation and the red stamp (dấu treo)
COLUMN_WIDTHS_MM = (12.0, 50.0, 67.0, 17.0, 17.0, 17.0)  # STT, name, position, 3 levels = 180
BOX_MM = 7.5  # marking box side: large enough to mark by hand
ROW_MIN_MM = 10.0  # a row is at least this tall, so boxes never touch the rules
CELL_PAD_MM = 1.2  # text padding inside a cell
GRID_LINE_MM = 0.25
BOX_LINE_MM = 0.35
TABLE_GAP_MM = 3.0  # between the instruction and the table
FOOTER_MM = 14.0  # page number band at the bottom
FREE_MIN_MM = 6.0  # free area kept below the table on every page but the last
SIGNATURE_BLOCK_MM = 30.0  # signature note and area on the last page
SIGNATURE_WIDTH_MM = 70.0

# Type sizes, points.
ORG_PT = 12.0
TITLE_PT = 16.0
SUBTITLE_PT = 13.0
BODY_PT = 12.0
POSITION_PT = 10.5
HEADER_PT = 11.0
SMALL_PT = 10.0


@dataclass(frozen=True)
class Rect:
    """An axis-aligned rectangle, millimetres from the top-left of the page."""

    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x + self.w / 2, self.y + self.h / 2)


@dataclass(frozen=True)
class Row:
    """The row of one person on one page."""

    person: int  # the person's number
    rect: Rect
    name_cell: Rect
    position_cell: Rect
    boxes: tuple[Rect, Rect, Rect]  # in LEVELS order (ballotgen.vocabulary)


@dataclass(frozen=True)
class PageLayout:
    """Everything on one page of the ballot (a ballot of many persons has several pages)."""

    index: int  # 0-based
    marks: tuple[tuple[float, float], ...]  # registration mark centres: TL, TR, BL, BR
    qr: Rect  # the QR symbol including its quiet zone
    code_label: Text  # where the human-readable batch code goes (text filled in at printing)
    stamp: Rect  # the organisation and red stamp area, ignored by the reader
    table: Rect
    column_x: tuple[float, ...]  # x of every vertical rule, left to right
    rule_y: tuple[float, ...]  # y of every horizontal rule, top to bottom
    rows: tuple[Row, ...]
    texts: tuple[Text, ...]
    free: Rect  # free area below the table: ink here is a write-in
    signature: Rect | None  # signature area (last page only): ink here is ignored


@dataclass(frozen=True)
class Layout:
    """The whole ballot: every page of one copy. Identical copies are printed from it."""

    version: int
    paper: str
    width: float
    height: float
    mark_radius: float
    box_line: float
    persons: tuple[Person, ...]
    pages: tuple[PageLayout, ...]

    @functools.cached_property
    def hash(self) -> str:
        """10 base32 characters (50 bits) of SHA-256 over the canonical JSON of the layout."""
        digest = hashlib.sha256(self.to_json().encode("utf-8")).digest()
        return base64.b32encode(digest).decode("ascii")[:10]

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Layout:
        d = json.loads(text)
        return cls(
            version=d["version"], paper=d["paper"], width=d["width"], height=d["height"],
            mark_radius=d["mark_radius"], box_line=d["box_line"],
            persons=tuple(Person(**p) for p in d["persons"]),
            pages=tuple(_page_from_dict(p) for p in d["pages"]),
        )


def _page_from_dict(d: dict) -> PageLayout:
    return PageLayout(
        index=d["index"],
        marks=tuple(tuple(m) for m in d["marks"]),
        qr=Rect(**d["qr"]),
        code_label=Text(**d["code_label"]),
        stamp=Rect(**d["stamp"]),
        table=Rect(**d["table"]),
        column_x=tuple(d["column_x"]),
        rule_y=tuple(d["rule_y"]),
        rows=tuple(
            Row(person=r["person"], rect=Rect(**r["rect"]), name_cell=Rect(**r["name_cell"]),
                position_cell=Rect(**r["position_cell"]),
                boxes=tuple(Rect(**b) for b in r["boxes"]))  # type: ignore[arg-type]
            for r in d["rows"]
        ),
        texts=tuple(Text(**t) for t in d["texts"]),
        free=Rect(**d["free"]),
        signature=Rect(**d["signature"]) if d["signature"] else None,
    )


def qr_module_mm(qr: Rect, modules: int) -> float:
    """The side (mm) of one module of a QR symbol of ``modules`` modules drawn in the zone
    ``qr``, which holds the symbol and its quiet zone of QR_QUIET_MODULES on each side."""
    return qr.w / (modules + 2 * QR_QUIET_MODULES)


# --------------------------------------------------------------------------------------------
# Building a layout: the table's columns, the rows' heights, pagination, then each page's header,
# table and foot.


def build_layout(conference: Conference, *, family: FontFamily | None = None) -> Layout:
    """Compute the layout of the ballot for ``conference``.

    Raises
    ------
    FontError
        If a character of any text (a name, the organisation…) is missing from the font.
    """
    family = family or ballot_family()
    width, height = PAPER_SIZES_MM[conference.paper]
    columns = _columns(width)
    # The first page has the full header; continuation sheets a compact one (no date, instruction).
    headers = [_header(TextBlocks(family), conference, width, first=first)
               for first in (True, False)]
    measure = TextBlocks(family)
    head_h = _table_header_height(measure)
    row_heights = [_row_height(measure, p) for p in conference.persons]
    first_rows = [header.bottom + TABLE_GAP_MM + head_h for header in headers]
    chunks = paginate(row_heights, first_rows, bottom=height - FOOTER_MM - FREE_MIN_MM,
                      last_bottom=height - FOOTER_MM - SIGNATURE_BLOCK_MM)
    pages = tuple(
        _page(family, conference, index, len(chunks), chunk, headers[min(index, 1)], columns,
              head_h, row_heights, width, height)
        for index, chunk in enumerate(chunks))
    return Layout(
        version=LAYOUT_VERSION, paper=conference.paper, width=width, height=height,
        mark_radius=MARK_RADIUS_MM, box_line=BOX_LINE_MM, persons=conference.persons,
        pages=pages,
    )


def paginate(row_heights: list[float], first_rows: list[float], *, bottom: float,
             last_bottom: float) -> list[list[int]]:
    """Which rows go on which page: the indexes of ``row_heights``, page by page.

    A page takes rows while they fit above ``bottom`` (every page keeps a free area below its
    table); the last page must end above ``last_bottom`` (room for the signature), so the rows
    that would not leave that room go on another page. ``first_rows``: where the first row of
    the first page, and of every later page, starts (their headers differ).

    Raises
    ------
    ValueError
        A single row is taller than a page (impossible with sane rosters).
    """
    def top(page: int) -> float:
        return first_rows[min(page, len(first_rows) - 1)]

    if top(0) + max(row_heights) > last_bottom:
        raise ValueError("a single row is taller than a page")
    chunks: list[list[int]] = []
    remaining = list(range(len(row_heights)))
    while remaining:
        y = top(len(chunks))
        if y + sum(row_heights[i] for i in remaining) <= last_bottom:
            chunks.append(remaining)
            break
        take = 0
        while take < len(remaining) - 1 and y + row_heights[remaining[take]] <= bottom:
            y += row_heights[remaining[take]]
            take += 1
        chunks.append(remaining[:take])
        remaining = remaining[take:]
    return chunks


def _columns(width: float) -> list[float]:
    """x of every vertical rule of the table, left to right."""
    cols = [MARGIN_MM]
    for w in COLUMN_WIDTHS_MM:
        cols.append(cols[-1] + w)
    assert abs(cols[-1] - (width - MARGIN_MM)) < 1e-6, "column widths must fill the content width"
    return cols


@dataclass(frozen=True)
class _Header:
    """The texts above a page's table, and where they end."""

    bottom: float
    texts: tuple[Text, ...]


def _header(b: TextBlocks, conference: Conference, width: float, *, first: bool) -> _Header:
    """Lay out the organisation, title and conference (and on the first page the date and the
    instruction)."""
    content_w = width - 2 * MARGIN_MM
    y = TOP_MM
    lines = conference.org_lines
    for i, line in enumerate(lines):  # parent bodies in regular type, the agency itself in bold
        face = "bold" if i == len(lines) - 1 else "regular"
        y = b.block(line, MARGIN_MM, y, STAMP_WIDTH_MM, ORG_PT, face=face, align="centre")
    qr_bottom = TOP_MM - 1.0 + QR_SIZE_MM + 4.0  # below the code label
    y = max(y + 4.0, qr_bottom)
    y = b.block(wording.title(first=first), MARGIN_MM, y, content_w, TITLE_PT, face="bold",
                align="centre")
    y = b.block(conference.title, MARGIN_MM + 10.0, y + 1.0, content_w - 20.0, SUBTITLE_PT,
                face="bold", align="centre")
    if first:
        y = b.block(wording.date_line(conference.date, conference.place), MARGIN_MM, y + 1.0,
                    content_w, BODY_PT, face="italic", align="centre")
        y = b.block(wording.INSTRUCTION, MARGIN_MM, y + 3.0, content_w, BODY_PT, face="italic")
    return _Header(y, tuple(b.texts))


def _table_header_height(b: TextBlocks) -> float:
    return max(ROW_MIN_MM, 2 * CELL_PAD_MM + max(
        b.height(label, w - 2 * CELL_PAD_MM, HEADER_PT, "bold")
        for label, w in zip(wording.COLUMN_HEADINGS, COLUMN_WIDTHS_MM)))


def _table_header(b: TextBlocks, columns: list[float], top: float, head_h: float) -> None:
    """The column headings, centred in the header row of the table."""
    for label, x0, x1 in zip(wording.COLUMN_HEADINGS, columns, columns[1:]):
        h = b.height(label, x1 - x0 - 2 * CELL_PAD_MM, HEADER_PT, "bold")
        b.block(label, x0 + CELL_PAD_MM, top + (head_h - h) / 2, x1 - x0 - 2 * CELL_PAD_MM,
                HEADER_PT, face="bold", align="centre")


def _page(family: FontFamily, conference: Conference, index: int, count: int, chunk: list[int],
          header: _Header, columns: list[float], head_h: float, row_heights: list[float],
          width: float, height: float) -> PageLayout:
    """Page ``index`` of ``count``, holding the rows of the persons ``chunk``."""
    content_w = width - 2 * MARGIN_MM
    table_top = header.bottom + TABLE_GAP_MM
    b = TextBlocks(family, list(header.texts))
    _table_header(b, columns, table_top, head_h)
    rows, rule_y, y = [], [table_top, table_top + head_h], table_top + head_h
    for i in chunk:
        rows.append(_row(b, conference.persons[i], columns, y, row_heights[i]))
        y += row_heights[i]
        rule_y.append(y)
    table = _rect(MARGIN_MM, table_top, content_w, y - table_top)
    footer_top = height - FOOTER_MM
    signature = _signature(b, width, footer_top) if index == count - 1 else None
    if count > 1:
        b.block(wording.page_number(index, count), MARGIN_MM, height - FOOTER_MM + 3.0,
                content_w, SMALL_PT, align="centre")
    free_right = signature.x - 2.0 if signature else width - MARGIN_MM
    return PageLayout(
        index=index,
        marks=_marks(width, height),
        qr=_rect(width - MARGIN_MM - QR_SIZE_MM, TOP_MM - 1.0, QR_SIZE_MM, QR_SIZE_MM),
        code_label=Text("", rounded(width - MARGIN_MM - QR_SIZE_MM / 2),
                        rounded(TOP_MM - 1.0 + QR_SIZE_MM + 2.5), 8.0, "regular", "centre"),
        stamp=_rect(MARGIN_MM, TOP_MM - 3.0, STAMP_WIDTH_MM, 36.0),
        table=table,
        column_x=tuple(rounded(x) for x in columns),
        rule_y=tuple(rounded(v) for v in rule_y),
        rows=tuple(rows),
        texts=tuple(b.texts),
        free=_rect(MARGIN_MM, table.bottom + 2.0, free_right - MARGIN_MM,
                   footer_top - table.bottom - 2.0),
        signature=signature,
    )


def _signature(b: TextBlocks, width: float, footer_top: float) -> Rect:
    """The note that voters may sign, and the area below it (last page only)."""
    top = footer_top - SIGNATURE_BLOCK_MM + 2.0
    left = width - MARGIN_MM - SIGNATURE_WIDTH_MM
    b.block(wording.SIGNATURE_NOTE, left, top, SIGNATURE_WIDTH_MM, SMALL_PT, face="italic",
            align="centre")
    return _rect(left, top, SIGNATURE_WIDTH_MM, footer_top - top)


def _rect(x: float, y: float, w: float, h: float) -> Rect:
    return Rect(rounded(x), rounded(y), rounded(w), rounded(h))


def _marks(width: float, height: float) -> tuple[tuple[float, float], ...]:
    near_x, far_x = MARK_INSET_MM, width - MARK_INSET_MM
    near_y, far_y = MARK_INSET_MM, height - MARK_INSET_MM
    return ((near_x, near_y), (far_x, near_y), (near_x, far_y), (far_x, far_y))


def _row_height(b: TextBlocks, person: Person) -> float:
    name_h = b.height(person.name, COLUMN_WIDTHS_MM[1] - 2 * CELL_PAD_MM, BODY_PT)
    pos_h = b.height(person.position, COLUMN_WIDTHS_MM[2] - 2 * CELL_PAD_MM, POSITION_PT)
    return rounded(max(ROW_MIN_MM, max(name_h, pos_h) + 2 * CELL_PAD_MM))


def _row(b: TextBlocks, person: Person, cols: list[float], y: float, h: float) -> Row:
    def centred_block(text: str, col: int, size_pt: float, align: str = "left") -> None:
        inner_w = cols[col + 1] - cols[col] - 2 * CELL_PAD_MM
        block_h = b.height(text, inner_w, size_pt)
        b.block(text, cols[col] + CELL_PAD_MM, y + (h - block_h) / 2, inner_w, size_pt, align=align)

    centred_block(str(person.number), 0, BODY_PT, "centre")
    centred_block(person.name, 1, BODY_PT)
    centred_block(person.position, 2, POSITION_PT)
    boxes = tuple(
        _rect((cols[c] + cols[c + 1] - BOX_MM) / 2, y + (h - BOX_MM) / 2, BOX_MM, BOX_MM)
        for c in (3, 4, 5)
    )
    return Row(
        person=person.number,
        rect=_rect(cols[0], y, cols[-1] - cols[0], h),
        name_cell=_rect(cols[1], y, cols[2] - cols[1], h),
        position_cell=_rect(cols[2], y, cols[3] - cols[2], h),
        boxes=boxes,  # type: ignore[arg-type]
    )
