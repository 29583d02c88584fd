"""The pages of a ballot PDF as PNG images for the screen (pypdfium2 renders them).

Before anything is printed the console shows a *specimen*: the conference's ballot drawn with a
batch code signed by a key thrown away at once, so that even a specimen printed from the screen
is not a ballot of the conference (its code does not verify: the reader takes it as foreign).
"""

from __future__ import annotations

import io
import secrets
from pathlib import Path

from ballotgen.conference import Conference
from ballotgen.layout import build_layout
from ballotgen.render import new_batch, render_pdf

PREVIEW_DPI = 60  # a whole A4 page on a screen: 496 × 702 pixels


def specimen_pdf(conference: Conference) -> bytes:
    """One ballot of ``conference`` whose code no store can verify."""
    return render_pdf(build_layout(conference), new_batch(1), secrets.token_bytes(32),
                      title="Mẫu phiếu (không dùng để bỏ phiếu)")


def page_png(pdf: bytes | Path, index: int, *, dpi: int = PREVIEW_DPI) -> bytes | None:
    """Page ``index`` (from 0) of the PDF ``pdf`` (its bytes or its file) as a PNG, or None
    when it has no such page."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf if isinstance(pdf, bytes) else str(pdf))
    try:
        if not 0 <= index < len(document):
            return None
        image = document[index].render(scale=dpi / 72).to_pil()
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
        return out.getvalue()
    finally:
        document.close()
