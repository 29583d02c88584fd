"""Open scanned files and decode their pages one at a time, as grey images.

Files are recognised by their bytes (PDF, TIFF, JPEG, PNG), never by their extension. A PDF page
that is one embedded image (what scanners write) gives that image at its own resolution; any other
PDF page is rendered. Multi-page files are read page by page, so memory stays flat whatever the
stack size. Problems are :class:`~ballotgen.errors.InputFileError` naming the file (and page).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
from PIL import Image

from ballotgen.errors import InputFileError

RENDER_DPI = 300  # for PDF pages that are not a single scanned image
MAX_PIXELS = 120_000_000  # an A3 page at 600 dpi is 70 Mpx; larger is not a scan
MAX_PAGES = 5_000
KINDS = ("pdf", "tiff", "jpeg", "png")

Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow refuses larger images (DecompressionBombError)


@dataclass(frozen=True)
class ScanFile:
    path: Path
    kind: str  # a KINDS value
    pages: int


@dataclass(frozen=True)
class PageImage:
    """One decoded page. ``image`` is (H, W) uint8 grey; ``dpi`` as stated by the file, or None."""

    image: np.ndarray
    dpi: float | None


def sniff(path: Path) -> str:
    """The kind of scan file at ``path`` from its first bytes.

    Raises
    ------
    InputFileError
        Empty, unreadable, or not a PDF, TIFF, JPEG or PNG file.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(1024)
    except OSError as exc:
        raise InputFileError(path, f"cannot be read ({exc.strerror or exc})") from exc
    if not head:
        raise InputFileError(path, "is empty (0 bytes)", remedy="Scan the sheets again.")
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    raise InputFileError(path, "is not a scan (PDF, TIFF, JPEG or PNG)",
                         remedy="Give the scanner's output files.")


def open_scan(path: Path | str) -> ScanFile:
    """Recognise ``path`` and count its pages (without decoding them)."""
    path = Path(path)
    kind = sniff(path)
    if kind == "pdf":
        with _pdf(path) as document:
            pages = len(document)
    elif kind == "tiff":
        try:
            with Image.open(path) as image:
                pages = getattr(image, "n_frames", 1)
        except Exception as exc:  # Pillow raises many types for damaged files
            raise InputFileError(path, f"is a damaged TIFF ({exc})") from exc
    else:
        pages = 1
    if pages == 0:
        raise InputFileError(path, "has no pages")
    if pages > MAX_PAGES:
        raise InputFileError(path, f"has {pages} pages, more than {MAX_PAGES}",
                             remedy="Split the stack into smaller files.")
    return ScanFile(path, kind, pages)


def load_page(scan: ScanFile, index: int) -> PageImage:
    """Decode page ``index`` (0-based) of ``scan`` to grey.

    Raises
    ------
    InputFileError
        The page cannot be decoded (truncated, damaged, too large); the message names the page.
    """
    try:
        if scan.kind == "pdf":
            return _pdf_page(scan.path, index)
        with Image.open(scan.path) as image:
            if scan.kind == "tiff":
                image.seek(index)
            if image.width * image.height > MAX_PIXELS:  # checked before decoding anything
                raise InputFileError(scan.path, f"page {index + 1}: image too large "
                                     f"({image.width} × {image.height} pixels)",
                                     remedy="Scan at 600 dpi or less.")
            dpi = image.info.get("dpi", (None,))[0]
            grey = np.asarray(image.convert("L"))
        return PageImage(np.ascontiguousarray(grey), float(dpi) if dpi else None)
    except InputFileError:
        raise
    except Image.DecompressionBombError as exc:
        raise InputFileError(scan.path, f"page {index + 1}: image too large (more than "
                             f"{MAX_PIXELS // 1_000_000} million pixels)",
                             remedy="Scan at 600 dpi or less.") from exc
    except Exception as exc:  # damaged or truncated data
        raise InputFileError(scan.path, f"page {index + 1} cannot be decoded ({exc})",
                             remedy="Scan the sheet again.") from exc


class _pdf:
    """Open a PDF with a clear error for encrypted or damaged files."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> pdfium.PdfDocument:
        try:
            self.document = pdfium.PdfDocument(self.path)
        except pdfium.PdfiumError as exc:
            problem = "is encrypted (password protected)" if "password" in str(exc).lower() \
                else f"is a damaged PDF ({exc})"
            raise InputFileError(self.path, problem,
                                 remedy="Save the scan again without a password.") from exc
        return self.document

    def __exit__(self, *exc: object) -> None:
        self.document.close()


def _pdf_page(path: Path, index: int) -> PageImage:
    with _pdf(path) as document:
        page = document[index]
        width_pt = page.get_width()
        objects = list(page.get_objects(max_depth=1))
        if (len(objects) == 1 and isinstance(objects[0], pdfium.PdfImage)
                and page.get_rotation() == 0):
            picture = objects[0]
            left, bottom, right, top = picture.get_bounds()
            if right - left > 0.9 * width_pt:  # the page is one scanned image
                px_w, px_h = picture.get_px_size()
                if px_w * px_h > MAX_PIXELS:
                    raise InputFileError(path, f"page {index + 1}: image too large "
                                         f"({px_w} × {px_h} pixels)")
                array = picture.get_bitmap(render=False).to_numpy()
                return PageImage(_grey(array), px_w / (width_pt / 72.0))
        height_pt = page.get_height()
        if width_pt * height_pt * (RENDER_DPI / 72.0) ** 2 > MAX_PIXELS:
            raise InputFileError(path, f"page {index + 1}: too large to be a ballot sheet "
                                 f"({width_pt / 72 * 25.4:.0f} × {height_pt / 72 * 25.4:.0f} mm)")
        array = page.render(scale=RENDER_DPI / 72.0, grayscale=True).to_numpy()
        return PageImage(_grey(array), float(RENDER_DPI))


def _grey(array: np.ndarray) -> np.ndarray:
    if array.ndim == 2:
        return np.ascontiguousarray(array)
    if array.shape[2] == 1:
        return np.ascontiguousarray(array[:, :, 0])
    code = cv2.COLOR_BGRA2GRAY if array.shape[2] == 4 else cv2.COLOR_BGR2GRAY
    return cv2.cvtColor(array, code)
