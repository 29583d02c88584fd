"""The ballot layout: pure geometry in millimetres, the contract between printing and reading.

Coordinates are millimetres from the **top-left** corner of the sheet, x to the right and y down,
as in an image. ``render`` draws the PDF from a :class:`Layout`; the reader learns from the same
value where every registration mark, box, name cell and free area is. A layout is serialisable
(:meth:`Layout.to_json`) and has a short :attr:`Layout.hash` over its geometry and persons, which the
QR code carries so a ballot printed from another layout is recognised.

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

from ballotgen.conference import PAPER_SIZES_MM, Conference, Person
from ballotgen.fonts import PT_TO_MM, FontFamily, ballot_family

LAYOUT_VERSION = 1

LEVELS = ("cao", "tin_nhiem", "thap")
"""The three levels, in box order left to right."""
LEVEL_LABELS = {"cao": "Tín nhiệm cao", "tin_nhiem": "Tín nhiệm", "thap": "Tín nhiệm thấp"}

# Geometry, millimetres. Printers cannot print the outer ~5 mm, so nothing goes there.
MARK_INSET_MM = 10.0  # registration mark centre from each edge
MARK_RADIUS_MM = 3.0  # solid discs: rotation-invariant, unlike any box, tick or QR module
MARGIN_MM = 15.0  # left and right edge of the content
TOP_MM = 13.0  # top of the header block
QR_SIZE_MM = 26.0  # QR symbol with its 4-module quiet zone
QR_QUIET_MODULES = 4
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
LINE_SPACING = 1.15

INSTRUCTION = (
    "Đánh dấu X vào một ô tương ứng với mức độ tín nhiệm đối với từng người được lấy phiếu; "
    "mỗi người chỉ đánh dấu vào một ô."
)
SIGNATURE_NOTE = "Người ghi phiếu có thể ký tên hoặc không ký tên."
TITLE = "PHIẾU TÍN NHIỆM"
CONTINUED = "(tiếp theo)"


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
class Text:
    """One line of text. ``y`` is the baseline; ``x`` the left end, centre or right end by ``align``."""

    text: str
    x: float
    y: float
    size_pt: float
    face: str = "regular"  # regular | bold | italic
    align: str = "left"  # left | centre | right


@dataclass(frozen=True)
class Row:
    """The row of one person on one page."""

    person: int  # the person's number
    rect: Rect
    name_cell: Rect
    position_cell: Rect
    boxes: tuple[Rect, Rect, Rect]  # in LEVELS order


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
        marks=tuple(tuple(m) for m in d["marks"]),  # type: ignore[misc]
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


# --------------------------------------------------------------------------------------------
# Building a layout


def line_height_mm(size_pt: float) -> float:
    return size_pt * LINE_SPACING * PT_TO_MM


def wrap(text: str, width_mm: float, size_pt: float, face: str, family: FontFamily) -> list[str]:
    """Greedy word wrap of ``text`` into lines no wider than ``width_mm``.

    A single word wider than the line is broken between characters, so nothing ever overflows.
    """
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if family.width_mm(candidate, size_pt, face) <= width_mm:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        for ch in word:  # only reached by a word longer than the line, or the next word
            if current and family.width_mm(current + ch, size_pt, face) > width_mm:
                lines.append(current)
                current = ""
            current += ch
    if current:
        lines.append(current)
    return lines or [""]


def balanced_wrap(text: str, width_mm: float, size_pt: float, face: str,
                  family: FontFamily) -> list[str]:
    """Wrap into as few lines as :func:`wrap`, but at the narrowest width that allows it, so a
    centred title has lines of similar length instead of a lone word on its last line."""
    count = len(wrap(text, width_mm, size_pt, face, family))
    widest_word = max(family.width_mm(word, size_pt, face) for word in text.split())
    low, high = min(width_mm, max(width_mm / 2, widest_word)), width_mm  # never split a word
    while high - low > 0.5:
        mid = (low + high) / 2
        if len(wrap(text, mid, size_pt, face, family)) <= count:
            high = mid
        else:
            low = mid
    return wrap(text, high, size_pt, face, family)


class _Builder:
    """Collects the texts of one page while the layout is computed."""

    def __init__(self, family: FontFamily) -> None:
        self.family = family
        self.texts: list[Text] = []

    def block(self, text: str, x: float, top: float, width: float, size_pt: float, *,
              face: str = "regular", align: str = "left") -> float:
        """Wrap ``text`` into a block whose top is ``top``; return the block's bottom."""
        self.family.check_glyphs(text, face)
        lh = line_height_mm(size_pt)
        anchor = {"left": x, "centre": x + width / 2, "right": x + width}[align]
        lines = wrap(text, width, size_pt, face, self.family)
        if align == "centre" and len(lines) > 1:
            lines = balanced_wrap(text, width, size_pt, face, self.family)
        for i, line in enumerate(lines):
            self.texts.append(Text(line, _r(anchor), _r(top + i * lh + _baseline(size_pt)),
                                   size_pt, face, align))
        return top + len(lines) * lh

    def block_height(self, text: str, width: float, size_pt: float, face: str = "regular") -> float:
        return len(wrap(text, width, size_pt, face, self.family)) * line_height_mm(size_pt)


def _baseline(size_pt: float) -> float:
    """Offset from the top of a line box to its baseline, centring the letters in the box."""
    return line_height_mm(size_pt) / 2 + 0.33 * size_pt * PT_TO_MM


def _r(value: float) -> float:
    """Round to a micrometre so the JSON, and so the hash, is stable."""
    return round(value, 3)


def _rect(x: float, y: float, w: float, h: float) -> Rect:
    return Rect(_r(x), _r(y), _r(w), _r(h))


def build_layout(conference: Conference, *, family: FontFamily | None = None) -> Layout:
    """Compute the layout of the ballot for ``conference``.

    Raises
    ------
    FontError
        If a character of any text (a name, the organisation…) is missing from the font.
    """
    family = family or ballot_family()
    width, height = PAPER_SIZES_MM[conference.paper]
    content_w = width - 2 * MARGIN_MM
    # The first page has the full header; continuation sheets a compact one (no date, instruction).
    headers = []
    for first in (True, False):
        builder = _Builder(family)
        headers.append((_header(builder, conference, width, first=first), builder.texts))

    # Table header row and the height of every person's row.
    cols = [MARGIN_MM]
    for w in COLUMN_WIDTHS_MM:
        cols.append(cols[-1] + w)
    assert abs(cols[-1] - (width - MARGIN_MM)) < 1e-6, "column widths must fill the content width"
    measure = _Builder(family)
    header_labels = ("STT", "Họ và tên", "Chức vụ", *(LEVEL_LABELS[lv] for lv in LEVELS))
    head_h = max(ROW_MIN_MM, 2 * CELL_PAD_MM + max(
        measure.block_height(label, w - 2 * CELL_PAD_MM, HEADER_PT, "bold")
        for label, w in zip(header_labels, COLUMN_WIDTHS_MM)))
    row_heights = [_row_height(measure, p) for p in conference.persons]

    def first_row_y(page_index: int) -> float:
        return headers[min(page_index, 1)][0] + TABLE_GAP_MM + head_h

    bottom_mid = height - FOOTER_MM - FREE_MIN_MM
    bottom_last = height - FOOTER_MM - SIGNATURE_BLOCK_MM
    if first_row_y(0) + max(row_heights) > bottom_last:
        raise ValueError("a single row is taller than a page")  # impossible with sane rosters

    # Paginate: a page takes rows while they fit; the last page keeps room for the signature.
    chunks: list[list[int]] = []
    remaining = list(range(len(conference.persons)))
    while remaining:
        top = first_row_y(len(chunks))
        if top + sum(row_heights[i] for i in remaining) <= bottom_last:
            chunks.append(remaining)
            break
        y, take = top, 0
        while take < len(remaining) - 1 and y + row_heights[remaining[take]] <= bottom_mid:
            y += row_heights[remaining[take]]
            take += 1
        chunks.append(remaining[:take])
        remaining = remaining[take:]

    pages = []
    for index, chunk in enumerate(chunks):
        header_bottom, header_texts = headers[min(index, 1)]
        table_top = header_bottom + TABLE_GAP_MM
        page = _Builder(family)
        page.texts = list(header_texts)
        for label, x0, x1 in zip(header_labels, cols, cols[1:]):
            h = page.block_height(label, x1 - x0 - 2 * CELL_PAD_MM, HEADER_PT, "bold")
            page.block(label, x0 + CELL_PAD_MM, table_top + (head_h - h) / 2,
                       x1 - x0 - 2 * CELL_PAD_MM, HEADER_PT, face="bold", align="centre")
        rows, rule_y, y = [], [table_top, table_top + head_h], table_top + head_h
        for i in chunk:
            rows.append(_row(page, conference.persons[i], cols, y, row_heights[i]))
            y += row_heights[i]
            rule_y.append(y)
        table = _rect(MARGIN_MM, table_top, content_w, y - table_top)
        last = index == len(chunks) - 1
        footer_top = height - FOOTER_MM
        signature = None
        if last:
            sig_top = footer_top - SIGNATURE_BLOCK_MM + 2.0
            page.block(SIGNATURE_NOTE, width - MARGIN_MM - SIGNATURE_WIDTH_MM, sig_top,
                       SIGNATURE_WIDTH_MM, SMALL_PT, face="italic", align="centre")
            signature = _rect(width - MARGIN_MM - SIGNATURE_WIDTH_MM, sig_top,
                              SIGNATURE_WIDTH_MM, footer_top - sig_top)
        if len(chunks) > 1:
            page.block(f"Trang {index + 1}/{len(chunks)}", MARGIN_MM, height - FOOTER_MM + 3.0,
                       content_w, SMALL_PT, align="centre")
        free_right = signature.x - 2.0 if signature else width - MARGIN_MM
        pages.append(PageLayout(
            index=index,
            marks=_marks(width, height),
            qr=_rect(width - MARGIN_MM - QR_SIZE_MM, TOP_MM - 1.0, QR_SIZE_MM, QR_SIZE_MM),
            code_label=Text("", _r(width - MARGIN_MM - QR_SIZE_MM / 2),
                            _r(TOP_MM - 1.0 + QR_SIZE_MM + 2.5), 8.0, "regular", "centre"),
            stamp=_rect(MARGIN_MM, TOP_MM - 3.0, STAMP_WIDTH_MM, 36.0),
            table=table,
            column_x=tuple(_r(x) for x in cols),
            rule_y=tuple(_r(v) for v in rule_y),
            rows=tuple(rows),
            texts=tuple(page.texts),
            free=_rect(MARGIN_MM, table.bottom + 2.0, free_right - MARGIN_MM,
                       footer_top - table.bottom - 2.0),
            signature=signature,
        ))

    return Layout(
        version=LAYOUT_VERSION, paper=conference.paper, width=width, height=height,
        mark_radius=MARK_RADIUS_MM, box_line=BOX_LINE_MM, persons=conference.persons,
        pages=tuple(pages),
    )


def _marks(width: float, height: float) -> tuple[tuple[float, float], ...]:
    near_x, far_x = MARK_INSET_MM, width - MARK_INSET_MM
    near_y, far_y = MARK_INSET_MM, height - MARK_INSET_MM
    return ((near_x, near_y), (far_x, near_y), (near_x, far_y), (far_x, far_y))


def _header(b: _Builder, conference: Conference, width: float, *, first: bool) -> float:
    """Lay out the organisation, title and conference (and on the first page the date and the
    instruction); return the bottom of the header."""
    content_w = width - 2 * MARGIN_MM
    y = TOP_MM
    lines = conference.org_lines
    for i, line in enumerate(lines):  # parent bodies in regular type, the agency itself in bold
        face = "bold" if i == len(lines) - 1 else "regular"
        y = b.block(line, MARGIN_MM, y, STAMP_WIDTH_MM, ORG_PT, face=face, align="centre")
    qr_bottom = TOP_MM - 1.0 + QR_SIZE_MM + 4.0  # below the code label
    y = max(y + 4.0, qr_bottom)
    title = TITLE if first else f"{TITLE} {CONTINUED}"
    y = b.block(title, MARGIN_MM, y, content_w, TITLE_PT, face="bold", align="centre")
    y = b.block(conference.title, MARGIN_MM + 10.0, y + 1.0, content_w - 20.0, SUBTITLE_PT,
                face="bold", align="centre")
    if not first:
        return y
    date = conference.date
    when = f"ngày {date.day:02d} tháng {date.month:02d} năm {date.year}"
    dated = f"{conference.place}, {when}" if conference.place else when.capitalize()
    y = b.block(dated, MARGIN_MM, y + 1.0, content_w, BODY_PT, face="italic", align="centre")
    return b.block(INSTRUCTION, MARGIN_MM, y + 3.0, content_w, BODY_PT, face="italic")


def _row_height(b: _Builder, person: Person) -> float:
    name_h = b.block_height(person.name, COLUMN_WIDTHS_MM[1] - 2 * CELL_PAD_MM, BODY_PT)
    pos_h = b.block_height(person.position, COLUMN_WIDTHS_MM[2] - 2 * CELL_PAD_MM, POSITION_PT)
    return _r(max(ROW_MIN_MM, max(name_h, pos_h) + 2 * CELL_PAD_MM))


def _row(b: _Builder, person: Person, cols: list[float], y: float, h: float) -> Row:
    def centred_block(text: str, col: int, size_pt: float, align: str = "left") -> None:
        inner_w = cols[col + 1] - cols[col] - 2 * CELL_PAD_MM
        block_h = b.block_height(text, inner_w, size_pt)
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
