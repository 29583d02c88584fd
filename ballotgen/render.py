"""Draw ballots to a print-ready PDF from a :class:`~ballotgen.layout.Layout`.

Every page of the ballot is drawn once, as a PDF form XObject, and each copy places that drawing:
1,000 copies cost little more than one in time and size, and printers digest the file easily.
With serials, only the QR code and its label are drawn per copy.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import zxingcpp
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from ballotgen import payload
from ballotgen.fonts import FontFamily, ballot_family
from ballotgen.layout import GRID_LINE_MM, QR_QUIET_MODULES, Layout, PageLayout, Rect, qr_module_mm
from ballotgen.text import Text

OUTER_LINE_MM = 0.5
QR_ERROR_LEVEL = "Q"  # 25 % of the symbol may be lost (ink, stamp, fold) and it still reads


@dataclass(frozen=True)
class Batch:
    """One print run: ``copies`` identical ballots (but for their serials, if any)."""

    code: str  # random batch code, in every QR of the run
    copies: int
    serials: tuple[str, ...] | None  # one per copy, or None

    def qr_texts(self, layout: Layout, key: bytes, copy: int = 0) -> list[str]:
        """The signed QR text of every page of copy number ``copy`` (0-based)."""
        serial = self.serials[copy] if self.serials else None
        pages = len(layout.pages)
        return [
            payload.encode(payload.BallotCode(self.code, i + 1, pages, layout.hash, serial), key)
            for i in range(pages)
        ]


def new_batch(copies: int, *, serials: bool = False) -> Batch:
    """A fresh batch code, and fresh unique serials when asked."""
    if copies < 1:
        raise ValueError("copies must be at least 1")
    serial_set: set[str] = set()
    while serials and len(serial_set) < copies:
        serial_set.add(payload.random_token())
    return Batch(payload.random_token(), copies, tuple(sorted(serial_set)) if serials else None)


def render_pdf(layout: Layout, batch: Batch, key: bytes, *, title: str = "Phiếu tín nhiệm",
               family: FontFamily | None = None) -> bytes:
    """Return the PDF of all copies of ``batch``, copies collated (copy 1 pages 1..n, copy 2 …)."""
    family = family or ballot_family()
    family.register()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(layout.width * mm, layout.height * mm), invariant=1,
                    pageCompression=1)
    canvas.setTitle(title)
    canvas.setCreator("tinnhiem")
    label = f"Mã: {batch.code}"
    shared_qr = batch.qr_texts(layout, key) if batch.serials is None else None
    for page in layout.pages:
        canvas.beginForm(_form_name(page))
        _draw_static(canvas, layout, page, family)
        if shared_qr:
            _draw_qr(canvas, layout, page, shared_qr[page.index], label, family)
        canvas.endForm()
    for copy in range(batch.copies):
        texts = shared_qr or batch.qr_texts(layout, key, copy)
        for page in layout.pages:
            canvas.doForm(_form_name(page))
            if not shared_qr:
                _draw_qr(canvas, layout, page, texts[page.index], label, family)
            canvas.showPage()
    canvas.save()
    return out.getvalue()


def _form_name(page: PageLayout) -> str:
    return f"ballot-page-{page.index + 1}"


def _y(layout: Layout, y_mm: float) -> float:
    """Layout y (mm from the top) → PDF y (points from the bottom)."""
    return (layout.height - y_mm) * mm


def _draw_rect(canvas: Canvas, layout: Layout, rect: Rect, *, fill: bool = False) -> None:
    canvas.rect(rect.x * mm, _y(layout, rect.bottom), rect.w * mm, rect.h * mm,
                stroke=0 if fill else 1, fill=1 if fill else 0)


def _draw_text(canvas: Canvas, layout: Layout, text: Text, family: FontFamily) -> None:
    canvas.setFont(family.font_name(text.face), text.size_pt)
    draw = {"left": canvas.drawString, "centre": canvas.drawCentredString,
            "right": canvas.drawRightString}[text.align]
    draw(text.x * mm, _y(layout, text.y), text.text)


def _draw_static(canvas: Canvas, layout: Layout, page: PageLayout, family: FontFamily) -> None:
    canvas.setFillGray(0)
    canvas.setStrokeGray(0)
    for cx, cy in page.marks:
        canvas.circle(cx * mm, _y(layout, cy), layout.mark_radius * mm, stroke=0, fill=1)
    table = page.table
    canvas.setLineWidth(GRID_LINE_MM * mm)
    for x in page.column_x[1:-1]:
        canvas.line(x * mm, _y(layout, table.y), x * mm, _y(layout, table.bottom))
    for y in page.rule_y[1:-1]:
        canvas.line(table.x * mm, _y(layout, y), table.right * mm, _y(layout, y))
    canvas.setLineWidth(OUTER_LINE_MM * mm)
    _draw_rect(canvas, layout, table)
    canvas.setLineWidth(layout.box_line * mm)
    for row in page.rows:
        for box in row.boxes:
            # Stroke centred on the box edge, so the layout rect is the middle of the printed line.
            _draw_rect(canvas, layout, box)
    for text in page.texts:
        _draw_text(canvas, layout, text, family)


def _draw_qr(canvas: Canvas, layout: Layout, page: PageLayout, text: str, label: str,
             family: FontFamily) -> None:
    """Draw the QR symbol as one vector path (no seams between modules) and its label."""
    matrix = qr_modules(text)
    module = qr_module_mm(page.qr, len(matrix))
    x0 = page.qr.x + QR_QUIET_MODULES * module
    y0 = page.qr.y + QR_QUIET_MODULES * module
    path = canvas.beginPath()
    for r, line in enumerate(matrix):  # one rectangle per horizontal run of dark modules
        edges = np.flatnonzero(np.diff(np.concatenate(([0], line.astype(np.int8), [0]))))
        for start, end in zip(edges[::2], edges[1::2]):
            path.rect((x0 + start * module) * mm, _y(layout, y0 + (r + 1) * module),
                      (end - start) * module * mm, module * mm)
    canvas.drawPath(path, stroke=0, fill=1)
    lbl = page.code_label
    _draw_text(canvas, layout, Text(label, lbl.x, lbl.y, lbl.size_pt, lbl.face, lbl.align), family)


def qr_modules(text: str) -> np.ndarray:
    """The QR symbol of ``text`` without quiet zone, as an (n, n) bool array (True: dark module).

    zxing-cpp picks the smallest version and, for our upper-case payload, the alphanumeric mode;
    the error correction level is fixed.
    """
    symbol = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level=QR_ERROR_LEVEL)
    return np.asarray(symbol.to_image(scale=1, add_quiet_zones=False)) < 128
