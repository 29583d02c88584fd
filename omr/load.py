"""Open scanned files and decode their pages one at a time, as 8-bit grey images (and, for a page
scanned in colour, a colour copy at a few pixels per millimetre, for the red stamp).

Files are recognised by their bytes (PDF, TIFF and BigTIFF, JPEG, PNG), never by their
extension; a file of another kind is refused naming what it is. Every pixel format is brought to
8-bit grey with its real range: 16-bit samples are scaled, not clipped; 1-bit pages of either
polarity, palette pages and pages with an alpha channel (composed over white paper) are decoded
by Pillow's own conversions.

A PDF page that is exactly one embedded image, drawn upright over the whole page (what scanners
write), gives that image at its own resolution; any other page is rendered by pdfium at the
resolution of its images: an ``/ImageMask`` stencil, an image drawn through a flipping or
rotating matrix, a page of several images (strips), a rotated page. Multi-page files are read
page by page, so memory stays flat whatever the stack size. A resolution a file states is kept
only when it makes the page the size of a sheet of paper; it is never used to allocate anything.
The grey image is decoded exactly as before colour copies were kept (its hash is recorded).
Problems are :class:`~ballotgen.errors.InputFileError` naming the file (and page).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from ballotgen.errors import InputFileError

RENDER_DPI = 300  # for PDF pages that hold no image (drawn, not scanned)
MAX_RENDER_DPI = 600  # a PDF page is never rendered finer than this, whatever its images
MAX_PIXELS = 120_000_000  # an A3 page at 600 dpi is 70 Mpx; larger is not a scan
MAX_PAGES = 5_000
KINDS = ("pdf", "tiff", "jpeg", "png")
# A resolution stated by a file is believed only when it makes each side of the image this long
# (mm): from A6's short side to A3's long side with a scanner's margin. Without resolution tags
# Pillow says 1 dpi; a screen default of 72 dpi on a 300 dpi scan would make a 0.9 m page.
SHEET_SIDE_MM = (90.0, 480.0)
PAGE_FIT_PX = 1.0  # a PDF image is the whole page when its edges are this close (its pixels)
SCAN_SHARE = 0.25  # an image drawn over this share of a PDF page is (part of) its scan
PIXEL_EPSILON = 0.01  # a rendered side of n + this many pixels is n pixels (float32 page sizes)
# A colour page's colour copy keeps at least this many pixels per mm of an A4 sheet's short
# side, reduced by a whole factor (a 300 dpi page to 150 dpi, a 200 dpi one kept whole): the
# stamp is judged at 2 px/mm after undoing steps of a fraction of a scanner pixel between the
# colour channels, which only a whole factor keeps the same everywhere on the page.
COLOUR_COPY_PX_PER_MM = 5.0
SHEET_SHORT_MM = 210.0
MM_PER_INCH = 25.4
COLOUR_MODES = ("RGB", "RGBA", "RGBa", "RGBX", "CMYK", "YCbCr", "LAB", "HSV", "P", "PA")
TRANSPARENT_MODES = ("LA", "La", "PA", "RGBA", "RGBa")
# PDF images whose colour space can hold colour (an indexed one may: its palette says)
PDF_COLOUR_SPACES = (pdfium_c.FPDF_COLORSPACE_DEVICERGB, pdfium_c.FPDF_COLORSPACE_DEVICECMYK,
                     pdfium_c.FPDF_COLORSPACE_CALRGB, pdfium_c.FPDF_COLORSPACE_LAB,
                     pdfium_c.FPDF_COLORSPACE_INDEXED, pdfium_c.FPDF_COLORSPACE_DEVICEN)

Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow refuses larger images (DecompressionBombError)

TIFF_MAGIC = (b"II*\x00", b"MM\x00*")
BIGTIFF_MAGIC = (b"II+\x00", b"MM\x00+")
# Files that are not scans, by their first bytes: refused naming what they are.
OTHER_KINDS: tuple[tuple[int, bytes, str], ...] = (  # (offset, bytes, what it is)
    (0, b"GIF8", "a GIF image"),
    (0, b"BM", "a BMP image"),
    (8, b"WEBP", "a WebP image"),
    (0, b"\x00\x00\x00\x0cjP  \r\n\x87\n", "a JPEG 2000 image"),
    (0, b"\xffO\xffQ", "a JPEG 2000 codestream"),
    (0, b"\x97JB2\r\n\x1a\n", "a JBIG2 file"),
    (4, b"ftypheic", "a HEIC photo"),
    (4, b"ftypavif", "an AVIF image"),
    (0, b"AT&TFORM", "a DjVu document"),
    (0, b"%!PS", "a PostScript file"),
    (0, b"PK\x03\x04", "a ZIP archive (or an Office or XPS document)"),
    (0, b"\xd0\xcf\x11\xe0", "an old Office document"),
)


@dataclass(frozen=True)
class ScanFile:
    path: Path
    kind: str  # a KINDS value
    pages: int


Planes = tuple[np.ndarray, np.ndarray, np.ndarray]  # blue, green, red: each (h, w) uint8


@dataclass(frozen=True)
class PageImage:
    """One decoded page. ``image`` is (H, W) uint8 grey; ``dpi`` as stated by the file when that
    is a plausible resolution for a sheet of paper (:func:`plausible_dpi`), else None.

    ``colour``, for a page decoded from colour data only, is its blue, green and red planes,
    each (h, w) uint8, ``colour_scale`` times smaller than ``image`` (pixel (x, y) of ``image``
    is at (x / colour_scale, y / colour_scale) in them); None for a grey or black-and-white
    page. Planes, not one (h, w, 3) image, so each can be resampled on its own (``omr.stamp``
    realigns a scanner's colour lines)."""

    image: np.ndarray
    dpi: float | None
    colour: Planes | None = None
    colour_scale: float = 1.0


def sniff(path: Path) -> str:
    """The kind of scan file at ``path`` from its first bytes.

    Raises
    ------
    InputFileError
        Empty, unreadable, or not a PDF, TIFF, JPEG or PNG file (naming what it is, when known).
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
    if head.startswith(TIFF_MAGIC + BIGTIFF_MAGIC):
        return "tiff"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    what = next((name for offset, magic, name in OTHER_KINDS
                 if head[offset:offset + len(magic)] == magic), None)
    problem = "is not a scan (PDF, TIFF, JPEG or PNG)" if what is None else \
        f"is {what}, not a scan (PDF, TIFF, JPEG or PNG)"
    raise InputFileError(path, problem, remedy="Give the scanner's output files.")


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
            raise InputFileError(path, f"is {_tiff_kind(path)} that cannot be read ({exc})",
                                 remedy="Save the scan again as PDF or as an ordinary TIFF.") \
                from exc
    else:
        pages = 1
    if pages == 0:
        raise InputFileError(path, "has no pages")
    if pages > MAX_PAGES:
        raise InputFileError(path, f"has {pages} pages, more than {MAX_PAGES}",
                             remedy="Split the stack into smaller files.")
    return ScanFile(path, kind, pages)


def _tiff_kind(path: Path) -> str:
    with open(path, "rb") as f:
        return "a BigTIFF file" if f.read(4) in BIGTIFF_MAGIC else "a damaged TIFF"


def load_page(scan: ScanFile, index: int) -> PageImage:
    """Decode page ``index`` (0-based) of ``scan`` to grey.

    Raises
    ------
    InputFileError
        The page cannot be decoded (truncated, damaged, too large, a pixel format no scanner
        writes); the message names the page.
    """
    try:
        if scan.kind == "pdf":
            return pdf_page(scan.path, index)
        with Image.open(scan.path) as image:
            if scan.kind == "tiff":
                image.seek(index)
            if image.width * image.height > MAX_PIXELS:  # checked before decoding anything
                raise InputFileError(scan.path, f"page {index + 1}: image too large "
                                     f"({image.width} × {image.height} pixels)",
                                     remedy="Scan at 600 dpi or less.")
            dpi = plausible_dpi(image.info.get("dpi"), image.size)
            grey = grey_pixels(image)
            colour, scale = colour_copy(image)
        return PageImage(np.ascontiguousarray(grey), dpi, colour, scale)
    except InputFileError:
        raise
    except UnsupportedPixels as exc:
        raise InputFileError(scan.path, f"page {index + 1}: {exc}",
                             remedy="Scan in grey, colour or black and white.") from exc
    except Image.DecompressionBombError as exc:
        raise InputFileError(scan.path, f"page {index + 1}: image too large (more than "
                             f"{MAX_PIXELS // 1_000_000} million pixels)",
                             remedy="Scan at 600 dpi or less.") from exc
    except Exception as exc:  # damaged or truncated data
        raise InputFileError(scan.path, f"page {index + 1} cannot be decoded ({exc})",
                             remedy="Scan the sheet again.") from exc


def plausible_dpi(dpi: object, size_px: tuple[int, int]) -> float | None:
    """``dpi`` (a number or an (x, y) pair, as Pillow states it) when it makes an image of
    ``size_px`` (width, height) a sheet of paper (each side within ``SHEET_SIDE_MM``); else
    None, and the reader takes the resolution from the page itself (its QR code)."""
    pair = dpi if isinstance(dpi, (tuple, list)) else (dpi, dpi)
    try:
        values = [float(v) for v in pair[:2]]
    except (TypeError, ValueError):
        return None
    if len(values) != 2:
        return None
    low, high = SHEET_SIDE_MM
    for value, px in zip(values, size_px):
        if not math.isfinite(value) or value <= 0 or not low <= px / value * 25.4 <= high:
            return None
    return values[0]


class UnsupportedPixels(ValueError):
    """A pixel format no scanner writes (floating-point samples)."""


def px_per_mm(image: np.ndarray, dpi: float | None) -> float:
    """The resolution (pixels per mm) of a page ``image`` (H, W): as its file states (``dpi``),
    else as if it were a sheet SHEET_SHORT_MM wide (A4, upright)."""
    return dpi / MM_PER_INCH if dpi else image.shape[1] / SHEET_SHORT_MM


WHITE = 255


def grey_pixels(image: Image.Image) -> np.ndarray:
    """The decoded ``image`` as (H, W) uint8 grey over its real range.

    16-bit samples are scaled to 8 bits (Pillow's ``convert("L")`` clips them, which makes a
    16-bit page white); 32-bit integer samples are scaled from the bits the file says it holds.
    Palette pages go through their palette; transparent pixels are paper (alpha over white).
    """
    mode = image.mode
    if mode.startswith("I;16"):
        return _scaled(np.asarray(image), 16)
    if mode == "I":
        return _scaled(np.asarray(image), _bits_per_sample(image))
    if mode == "F":
        raise UnsupportedPixels("has floating-point samples, which no scanner writes")
    if mode in ("LA", "La", "PA", "RGBA", "RGBa") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        paper = Image.new("RGBA", image.size, (WHITE, WHITE, WHITE, 255))
        return np.asarray(Image.alpha_composite(paper, rgba).convert("L"))
    return np.asarray(image.convert("L"))  # 1-bit, grey, RGB, CMYK, YCbCr, LAB, palette


def colour_size(size_px: tuple[int, int]) -> tuple[int, int]:
    """The (width, height) of the colour copy of a page of ``size_px`` (see
    COLOUR_COPY_PX_PER_MM)."""
    factor = max(1, int(min(size_px) // (SHEET_SHORT_MM * COLOUR_COPY_PX_PER_MM)))
    return max(1, size_px[0] // factor), max(1, size_px[1] // factor)


def colour_copy(image: Image.Image) -> tuple[Planes | None, float]:
    """A colour copy of ``image`` for the stamp: its blue, green and red planes, reduced to
    :func:`colour_size` (nearest pixel: cheap, and JPEG's colour is subsampled anyway), and
    by how much; None for a page with no colour data (grey, black and white, a grey
    palette)."""
    if image.mode not in COLOUR_MODES or (image.mode in ("P", "PA") and _grey_palette(image)):
        return None, 1.0
    size = colour_size(image.size)
    small = image if size == image.size else image.resize(size, Image.Resampling.NEAREST)
    if small.mode in TRANSPARENT_MODES or "transparency" in small.info:
        paper = Image.new("RGBA", small.size, (WHITE, WHITE, WHITE, 255))
        small = Image.alpha_composite(paper, small.convert("RGBA"))
    red, green, blue = cv2.split(np.asarray(small.convert("RGB") if small.mode != "RGB" else small))
    return (blue, green, red), image.width / red.shape[1]


def _grey_palette(image: Image.Image) -> bool:
    palette = image.getpalette() or []
    return all(r == g == b for r, g, b in zip(palette[0::3], palette[1::3], palette[2::3]))


def _bgr_copy(array: np.ndarray) -> tuple[Planes | None, float]:
    """:func:`colour_copy` of a decoded bitmap ((H, W) grey, or (H, W, 3 or 4) BGR[A])."""
    if array.ndim != 3 or array.shape[2] < 3:
        return None, 1.0
    h, w = array.shape[:2]
    small = cv2.resize(np.ascontiguousarray(array[:, :, :3]), colour_size((w, h)),
                       interpolation=cv2.INTER_NEAREST)
    blue, green, red = cv2.split(small)
    return (blue, green, red), w / small.shape[1]


def _scaled(samples: np.ndarray, bits: int) -> np.ndarray:
    """Integer samples of ``bits`` bits scaled (rounded) to 0 … 255."""
    top = 2**bits - 1
    native = np.clip(samples, 0, top).astype(np.float32 if bits > 16 else np.uint16)
    return cv2.convertScaleAbs(native, alpha=255 / top)


def _bits_per_sample(image: Image.Image) -> int:
    """Bits the samples of a 32-bit integer ('I' mode) image hold: the TIFF's BitsPerSample
    tag, else 16 (a 16-bit PNG, as older Pillow opens it)."""
    tags = getattr(image, "tag_v2", None)
    bits = tags.get(258) if tags is not None else None
    if isinstance(bits, tuple):
        bits = bits[0]
    return int(bits) if isinstance(bits, int) and 1 <= bits <= 32 else 16


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


def pdf_page(path: Path, index: int, *, extract: bool = True) -> PageImage:
    """Page ``index`` of the PDF at ``path``: its scanned image when that is exactly the page as
    drawn (and ``extract``), else the page rendered at its images' resolution."""
    with _pdf(path) as document:
        page = document[index]
        images, whole = page_images(page)
        if extract and whole is not None:
            px_w, px_h = whole.get_px_size()
            if px_w * px_h > MAX_PIXELS:
                raise InputFileError(path, f"page {index + 1}: image too large "
                                     f"({px_w} × {px_h} pixels)")
            array = whole.get_bitmap(render=False).to_numpy()
            return PageImage(_grey(array), px_w / (page.get_width() / 72.0), *_bgr_copy(array))
        dpi = min(render_dpi(page, images), MAX_RENDER_DPI)
        width_pt, height_pt = page.get_size()
        size = (_pixels(width_pt * dpi / 72.0), _pixels(height_pt * dpi / 72.0))
        if size[0] * size[1] > MAX_PIXELS:
            raise InputFileError(path, f"page {index + 1}: too large to be a ballot sheet "
                                 f"({width_pt / 72 * 25.4:.0f} × {height_pt / 72 * 25.4:.0f} mm)")
        colour: Planes | None = None
        scale = 1.0
        if any(_in_colour(image) for image in images):  # rendered once more, small, in colour
            small = render_page(page, colour_size(size), colour=True)
            blue, green, red = cv2.split(small)
            colour, scale = (blue, green, red), size[0] / small.shape[1]
        return PageImage(render_page(page, size), float(dpi), colour, scale)


def page_images(page: pdfium.PdfPage) -> tuple[list[pdfium.PdfImage], pdfium.PdfImage | None]:
    """The images drawn on ``page`` (top level), and the one image that is exactly the page as
    drawn, or None.

    An image is the page as drawn when it is the only thing that draws (invisible text, as OCR
    adds, draws nothing), has a colour space of its own (an ``/ImageMask`` stencil is painted in
    the fill colour, which extraction does not know), is drawn upright through a matrix that only
    scales and moves it, unclipped and opaque, over the whole page, on a page not rotated.
    A ``/Decode`` array is applied by extraction as by rendering.
    """
    drawing = [o for o in page.get_objects(max_depth=1) if not _invisible(o)]
    images = [o for o in drawing if isinstance(o, pdfium.PdfImage)]
    if len(drawing) != 1 or len(images) != 1 or page.get_rotation() != 0:
        return images, None
    image = images[0]
    a, b, c, d, e, f = image.get_matrix().get()
    px_w, px_h = image.get_px_size()
    if b != 0 or c != 0 or a <= 0 or d <= 0 or px_w < 1 or px_h < 1:
        return images, None  # flipped, mirrored, turned or sheared
    if image.get_metadata().colorspace == pdfium_c.FPDF_COLORSPACE_UNKNOWN:
        return images, None  # a stencil mask (or a colour space only the renderer knows)
    if pdfium_c.FPDFPageObj_HasTransparency(image) or _clipped(image):
        return images, None
    left, bottom, right, top = page.get_bbox()
    tolerance_x, tolerance_y = PAGE_FIT_PX * a / px_w, PAGE_FIT_PX * d / px_h
    if abs(e - left) > tolerance_x or abs(e + a - right) > tolerance_x or \
            abs(f - bottom) > tolerance_y or abs(f + d - top) > tolerance_y:
        return images, None
    return images, image


def render_dpi(page: pdfium.PdfPage, images: list[pdfium.PdfImage]) -> float:
    """The resolution a page is rendered at: the finest of the images drawn over at least
    ``SCAN_SHARE`` of it (the scan, whole or in strips); RENDER_DPI for a page without such an
    image (drawn, with at most a logo)."""
    width_pt, height_pt = page.get_size()
    page_area = width_pt * height_pt
    scans = [image_dpi(i) for i in images if _drawn_area(i) >= SCAN_SHARE * page_area]
    return max(scans, default=float(RENDER_DPI))


def _drawn_area(image: pdfium.PdfImage) -> float:
    """Area (pt²) the image covers on its page: its matrix's determinant."""
    a, b, c, d, _, _ = image.get_matrix().get()
    return abs(a * d - b * c)


def _pixels(length_px: float) -> int:
    """A page side in pixels, rounded up as pdfium's renderer does, but not for the float32
    noise in a page size (an image's own pixel count is kept)."""
    return max(1, math.ceil(length_px - PIXEL_EPSILON))


def image_dpi(image: pdfium.PdfImage) -> float:
    """The resolution an image is drawn at on its page (the finer of its two axes), from its
    pixels and its matrix, whatever the matrix turns or flips."""
    a, b, c, d, _, _ = image.get_matrix().get()
    px_w, px_h = image.get_px_size()
    along_x, along_y = math.hypot(a, b) / 72.0, math.hypot(c, d) / 72.0  # inches drawn
    return max(px_w / along_x if along_x > 0 else 0.0, px_h / along_y if along_y > 0 else 0.0,
               1.0)


def render_page(page: pdfium.PdfPage, size: tuple[int, int], *,
                colour: bool = False) -> np.ndarray:
    """``page`` rendered in grey to exactly ``size`` (width, height) pixels: (H, W) uint8; or
    with ``colour``, (H, W, 3) uint8 BGR."""
    width, height = size
    kind = pdfium_c.FPDFBitmap_BGR if colour else pdfium_c.FPDFBitmap_Gray
    bitmap = pdfium.PdfBitmap.new_native(width, height, kind)
    bitmap.fill_rect((WHITE, WHITE, WHITE, 255), 0, 0, width, height)
    flags = pdfium_c.FPDF_ANNOT if colour else pdfium_c.FPDF_GRAYSCALE | pdfium_c.FPDF_ANNOT
    pdfium_c.FPDF_RenderPageBitmap(bitmap, page, 0, 0, width, height, 0, flags)
    pixels = bitmap.to_numpy()
    return np.ascontiguousarray(pixels[:, :, :3]) if colour else _grey(pixels).copy()


def _in_colour(image: pdfium.PdfImage) -> bool:
    """Whether a PDF image may hold colour (by its colour space)."""
    meta = image.get_metadata()
    return meta.colorspace in PDF_COLOUR_SPACES or (
        meta.colorspace == pdfium_c.FPDF_COLORSPACE_ICCBASED and meta.bits_per_pixel >= 24)


def _invisible(obj: pdfium.PdfObject) -> bool:
    return obj.type == pdfium_c.FPDF_PAGEOBJ_TEXT and \
        pdfium_c.FPDFTextObj_GetTextRenderMode(obj) == pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE


def _clipped(obj: pdfium.PdfObject) -> bool:
    clip = pdfium_c.FPDFPageObj_GetClipPath(obj)
    return bool(clip) and pdfium_c.FPDFClipPath_CountPaths(clip) > 0


def _grey(array: np.ndarray) -> np.ndarray:
    if array.ndim == 2:
        return np.ascontiguousarray(array)
    if array.shape[2] == 1:
        return np.ascontiguousarray(array[:, :, 0])
    code = cv2.COLOR_BGRA2GRAY if array.shape[2] == 4 else cv2.COLOR_BGR2GRAY
    return cv2.cvtColor(array, code)
