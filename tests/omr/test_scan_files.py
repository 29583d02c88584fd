"""Every kind of file an office scanner writes, made from a ballot we print and fill, by tools
other than our own writer: Pillow and libtiff's tiffcp / tiffset for TIFF and PNG variants,
pikepdf for PDF structures. Each variant must decode to the page's pixels (or close, where
pdfium resamples) and read exactly as the original page reads (issue 12).
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib

import numpy as np
import pikepdf
import pypdfium2 as pdfium
import pytest
from pikepdf import Dictionary, Name
from PIL import Image

from ballotgen.errors import InputFileError
from ballotgen.layout import MARK_INSET_MM, MARK_RADIUS_MM
from ballotgen.vocabulary import LEVELS
from omr.blank import is_blank
from omr.load import PageImage, load_page, open_scan, page_images, pdf_page, plausible_dpi
from omr.read import read_page
from rehearsal.simulate import fill_page
from tests.helpers import make_issued
from tests.omr.helpers import DPI, Drawer, context_of, plan

CHOICES = {1: [0], 2: [1], 3: [2], 4: [1], 5: [0]}  # every level, so a mirrored page cannot pass
EXPECTED = [LEVELS[CHOICES[n][0]] for n in sorted(CHOICES)]
TIFFCP = shutil.which("tiffcp")
needs_libtiff = pytest.mark.skipif(TIFFCP is None, reason="libtiff-tools (tiffcp) is not installed")
MM = DPI / 25.4  # pixels per millimetre of the test pages
RENDER_TOLERANCE = 2.0  # mean grey levels between a rendered page and its image (resampling)


@pytest.fixture(scope="module")
def original(issued, drawer, ctx):
    """A filled ballot scanned in grey at DPI (the page every variant is made from) and how it
    reads; the reading is pinned to the votes drawn."""
    sheet = drawer.sheet()
    fill_page(sheet, issued.layout.pages[0], plan(issued, CHOICES), last=True)
    page = drawer.scan(sheet)
    reading = read_page(page, ctx)
    assert reading.kind == "ballot" and [r.reading for r in reading.rows] == EXPECTED
    return page.image, reading


@pytest.fixture(scope="module")
def bilevel(original, ctx):
    """The original page in black and white (threshold, no dithering), and how it reads."""
    bits = original[0] >= 128
    reading = read_page(PageImage(np.where(bits, 255, 0).astype(np.uint8), float(DPI)), ctx)
    assert [r.reading for r in reading.rows] == EXPECTED
    return bits, reading


def read_file(path, ctx, index=0):
    page = load_page(open_scan(path), index)
    return page, read_page(page, ctx)


def assert_reads_as(reading, expected):
    assert reading.kind == expected.kind == "ballot", reading.reason
    assert (reading.batch, reading.page) == (expected.batch, expected.page)
    assert [r.reading for r in reading.rows] == [r.reading for r in expected.rows]
    assert reading.flags == expected.flags


def tiffcp(*args):
    subprocess.run([TIFFCP, *map(str, args)], check=True, capture_output=True)


# ------------------------------------------------------------------ pixel formats (Pillow, libtiff)

@pytest.mark.parametrize("kind", ["png", "tiff",
                                  pytest.param("tiff-big-endian", marks=needs_libtiff)])
def test_16_bit_grey_reads_with_its_real_range(original, ctx, tmp_path, kind):
    """Pillow's convert("L") clips 16-bit samples: the page came out white, a 'blank back'."""
    grey, expected = original
    sixteen = Image.fromarray(grey.astype(np.uint16) * 257)  # mode I;16, the full 16-bit range
    path = tmp_path / ("page.png" if kind == "png" else "page.tif")
    sixteen.save(path, dpi=(DPI, DPI))
    if kind == "tiff-big-endian":
        path = tmp_path / "page-be.tif"
        tiffcp("-B", tmp_path / "page.tif", path)
        assert Image.open(path).mode == "I;16B"
    page, reading = read_file(path, ctx)
    assert np.array_equal(page.image, grey)
    assert_reads_as(reading, expected)


@needs_libtiff
@pytest.mark.parametrize("polarity", ["min-is-black", "min-is-white"])
def test_1_bit_reads_in_either_polarity(bilevel, ctx, tmp_path, polarity):
    bits, expected = bilevel
    raw = tmp_path / "raw.tif"
    Image.fromarray(bits).save(raw, dpi=(DPI, DPI))  # mode 1, uncompressed, min-is-black
    if polarity == "min-is-white":  # the same page with its bits inverted, as fax devices write
        image = Image.open(raw)
        (offset,), (length,) = image.tag_v2[273], image.tag_v2[279]
        data = bytearray(raw.read_bytes())
        data[offset:offset + length] = bytes(255 - b for b in data[offset:offset + length])
        raw.write_bytes(bytes(data))
        subprocess.run(["tiffset", "-s", "262", "0", str(raw)], check=True)
    path = tmp_path / "g4.tif"
    tiffcp("-c", "g4", raw, path)
    assert Image.open(path).tag_v2[262] == (0 if polarity == "min-is-white" else 1)
    page, reading = read_file(path, ctx)
    assert np.array_equal(page.image, np.where(bits, 255, 0))
    assert_reads_as(reading, expected)


def test_1_bit_png_reads(bilevel, ctx, tmp_path):
    bits, expected = bilevel
    Image.fromarray(bits).save(tmp_path / "page.png", dpi=(DPI, DPI))
    page, reading = read_file(tmp_path / "page.png", ctx)
    assert np.array_equal(page.image, np.where(bits, 255, 0))
    assert_reads_as(reading, expected)


@pytest.mark.parametrize("suffix", ["png", "tif"])
def test_a_palette_page_reads_through_its_palette(original, ctx, tmp_path, suffix):
    """Index i is grey 255 - i: a reader taking the indices for grey levels sees a negative."""
    grey, expected = original
    palette = Image.fromarray(255 - grey, "L").convert("P")
    palette.putpalette([255 - i for i in range(256) for _ in range(3)])
    path = tmp_path / f"page.{suffix}"
    palette.save(path, dpi=(DPI, DPI))
    assert Image.open(path).mode == "P"
    page, reading = read_file(path, ctx)
    assert np.array_equal(page.image, grey)
    assert_reads_as(reading, expected)


@pytest.mark.parametrize("mode", ["LA", "RGBA"])
def test_transparent_pixels_are_paper(original, ctx, tmp_path, mode):
    """Where the alpha channel is 0 the page is white, whatever the colour stored there."""
    grey, expected = original
    hidden = (slice(int(20 * MM), int(40 * MM)), slice(int(30 * MM), int(90 * MM)))
    stored, alpha = grey.copy(), np.full_like(grey, 255)
    stored[hidden], alpha[hidden] = 0, 0  # black, but transparent
    layers = [Image.fromarray(stored)] * (1 if mode == "LA" else 3) + [Image.fromarray(alpha)]
    Image.merge(mode, layers).save(tmp_path / "page.png", dpi=(DPI, DPI))
    page, reading = read_file(tmp_path / "page.png", ctx)
    assert (page.image[hidden] == 255).all()
    shown = np.ones(grey.shape, bool)
    shown[hidden] = False
    assert np.array_equal(page.image[shown], grey[shown])
    assert_reads_as(reading, expected)


# ------------------------------------------------------------------------------ resolution

@pytest.mark.parametrize("dpi", [None, 72, 5000])
def test_a_tiff_without_resolution_or_with_an_absurd_one_reads(original, ctx, tmp_path, dpi):
    """Without the tags Pillow says 1 dpi, which made the blank test allocate 50 GB."""
    grey, expected = original
    path = tmp_path / "page.tif"
    Image.fromarray(grey).save(path, **({} if dpi is None else {"dpi": (dpi, dpi)}))
    tags = Image.open(path).tag_v2
    assert (282 in tags) == (dpi is not None)  # XResolution written only when asked for
    page, reading = read_file(path, ctx)
    assert page.dpi is None  # taken from the page (its QR code), not from the file
    assert_reads_as(reading, expected)


def test_a_resolution_is_believed_only_when_it_makes_a_sheet_of_paper():
    a4_200 = (1654, 2339)
    assert plausible_dpi((200, 200), a4_200) == 200
    assert plausible_dpi((1, 1), a4_200) is None  # Pillow's value for a TIFF without the tags
    assert plausible_dpi((72, 72), a4_200) is None  # a 0.58 × 0.83 m page
    assert plausible_dpi(None, a4_200) is None and plausible_dpi(float("nan"), a4_200) is None
    assert plausible_dpi((200, 20), a4_200) is None  # one axis absurd


# ---------------------------------------------------------------------------- PDF structures

def _image(pdf, grey, **extra):
    h, w = grey.shape
    return pdf.make_stream(zlib.compress(np.ascontiguousarray(grey).tobytes()), Type=Name.XObject,
                           Subtype=Name.Image, Width=w, Height=h, ColorSpace=Name.DeviceGray,
                           BitsPerComponent=8, Filter=Name.FlateDecode, **extra)


def _bits_image(pdf, white, **extra):
    """A 1-bit image of ``white`` (H, W) bool; 1 bits are white unless ``extra`` says not."""
    h, w = white.shape
    return pdf.make_stream(zlib.compress(np.packbits(white, axis=1).tobytes()),
                           Type=Name.XObject, Subtype=Name.Image, Width=w, Height=h,
                           Filter=Name.FlateDecode, **extra)


def write_pdf(path, size_px, content, images, *, rotate=0, fonts=None):
    """One page of ``size_px`` at DPI drawing ``images`` (/Im0, /Im1 …) with ``content``
    (a format string given the page's width W and height H in points)."""
    pdf = pikepdf.new()
    width, height = size_px[0] * 72 / DPI, size_px[1] * 72 / DPI
    built = [make(pdf) for make in images]
    resources = Dictionary(XObject=Dictionary({f"/Im{i}": im for i, im in enumerate(built)}))
    if fonts:
        resources.Font = Dictionary(F1=Dictionary(Type=Name.Font, Subtype=Name.Type1,
                                                  BaseFont=Name.Helvetica))
    page = Dictionary(Type=Name.Page, MediaBox=[0, 0, width, height], Resources=resources,
                      Contents=pdf.make_stream(content.format(W=width, H=height).encode()))
    if rotate:
        page.Rotate = rotate
    pdf.pages.append(pikepdf.Page(page))
    pdf.save(path)
    return path


def pdf_variants(grey, bits):
    """name → (bilevel?, extraction is the page?, write(path)): the PDF structures scanners and
    PDF tools write, each drawing the original page."""
    h, w = grey.shape
    half = h // 2
    top_h = f"{half * 72 / DPI}"
    bottom_h = f"{(h - half) * 72 / DPI}"
    full = "q {W} 0 0 {H} 0 0 cm /Im0 Do Q"
    return {
        "one image": (False, True, lambda p: write_pdf(p, (w, h), full,
                                                       [lambda pdf: _image(pdf, grey)])),
        "decode array": (False, True, lambda p: write_pdf(
            p, (w, h), full, [lambda pdf: _image(pdf, 255 - grey, Decode=[1, 0])])),
        "1-bit decode array": (True, True, lambda p: write_pdf(
            p, (w, h), full, [lambda pdf: _bits_image(pdf, ~bits, ColorSpace=Name.DeviceGray,
                                                      BitsPerComponent=1, Decode=[1, 0])])),
        "invisible OCR text": (False, True, lambda p: write_pdf(
            p, (w, h), full + " BT 3 Tr /F1 12 Tf 72 720 Td (PHIEU LAY Y KIEN) Tj ET",
            [lambda pdf: _image(pdf, grey)], fonts=True)),
        "stencil mask": (True, False, lambda p: write_pdf(  # 0 bits painted in the fill colour
            p, (w, h), "q 0 g {W} 0 0 {H} 0 0 cm /Im0 Do Q",
            [lambda pdf: _bits_image(pdf, bits, ImageMask=True)])),
        "flipping matrix": (False, False, lambda p: write_pdf(
            p, (w, h), "q {W} 0 0 -{H} 0 {H} cm /Im0 Do Q",
            [lambda pdf: _image(pdf, grey[::-1])])),
        "mirroring matrix": (False, False, lambda p: write_pdf(
            p, (w, h), "q -{W} 0 0 {H} {W} 0 cm /Im0 Do Q",
            [lambda pdf: _image(pdf, grey[:, ::-1])])),
        "rotating matrix": (False, False, lambda p: write_pdf(  # stored turned a quarter
            p, (w, h), "q 0 {H} -{W} 0 {W} 0 cm /Im0 Do Q",
            [lambda pdf: _image(pdf, np.rot90(grey, -1))])),
        "rotated page": (False, False, lambda p: write_pdf(  # /Rotate 90 shows it upright
            p, (h, w), "q {W} 0 0 {H} 0 0 cm /Im0 Do Q",
            [lambda pdf: _image(pdf, np.rot90(grey, 1))], rotate=90)),
        "two strips": (False, False, lambda p: write_pdf(
            p, (w, h), "q {W} 0 0 " + top_h + " 0 " + bottom_h + " cm /Im0 Do Q "
            "q {W} 0 0 " + bottom_h + " 0 0 cm /Im1 Do Q",
            [lambda pdf: _image(pdf, grey[:half]), lambda pdf: _image(pdf, grey[half:])])),
    }


PDF_VARIANTS = ["one image", "decode array", "1-bit decode array", "invisible OCR text",
                "stencil mask", "flipping matrix", "mirroring matrix", "rotating matrix",
                "rotated page", "two strips"]


@pytest.mark.parametrize("name", PDF_VARIANTS)
def test_a_pdf_page_reads_as_drawn(original, bilevel, ctx, tmp_path, name):
    """Extraction where it gives the page as drawn, rendering elsewhere; both paths agree."""
    grey, expected = original
    bits, expected_bw = bilevel
    bw, extracted, write = pdf_variants(grey, bits)[name]
    path = write(tmp_path / "page.pdf")
    reference = np.where(bits, 255, 0) if bw else grey
    with pdfium.PdfDocument(path) as document:
        assert (page_images(document[0])[1] is not None) == extracted
    page, reading = read_file(path, ctx)
    rendered = pdf_page(path, 0, extract=False)
    assert page.image.shape == rendered.image.shape == reference.shape
    assert abs(page.dpi - DPI) < 0.01 and abs(rendered.dpi - DPI) < 0.01
    for image in (page.image, rendered.image):
        assert np.abs(image.astype(int) - reference).mean() < RENDER_TOLERANCE
    if extracted:  # the fast path gives exactly the image
        assert np.array_equal(page.image, reference)
    assert_reads_as(reading, expected_bw if bw else expected)
    assert_reads_as(read_page(rendered, ctx), expected_bw if bw else expected)


def _g4_strip(bits, tmp_path):
    """CCITT G4 data (min-is-white: 1 bits black) of ``bits`` in one strip, coded by libtiff."""
    Image.fromarray(~bits).save(tmp_path / "raw.tif")  # 1 = black, stored min-is-black …
    subprocess.run(["tiffset", "-s", "262", "0", str(tmp_path / "raw.tif")], check=True)
    tiffcp("-c", "g4", "-r", bits.shape[0], tmp_path / "raw.tif", tmp_path / "g4.tif")  # … white
    image = Image.open(tmp_path / "g4.tif")
    (offset,), (length,) = image.tag_v2[273], image.tag_v2[279]
    return (tmp_path / "g4.tif").read_bytes()[offset:offset + length]


def _jbig2(bits, g4):
    """An embedded JBIG2 stream of one page: a generic region coded with MMR, which is G4."""
    h, w = bits.shape

    def segment(number, kind, data):
        return struct.pack(">IBBBI", number, kind, 0, 1, len(data)) + data

    page_information = struct.pack(">IIIIBH", w, h, 0, 0, 0, 0)
    region = struct.pack(">IIIIB", w, h, 0, 0, 0) + bytes([1]) + g4  # flags: MMR
    return segment(0, 48, page_information) + segment(1, 38, region) + segment(2, 49, b"")


@needs_libtiff
@pytest.mark.parametrize("codec", ["CCITTFaxDecode", "JBIG2Decode"])
def test_bilevel_pdf_codecs_read(bilevel, ctx, tmp_path, codec):
    """G4 and JBIG2 (its MMR coding is G4's) in PDF, as bilevel scanners write them."""
    bits, expected = bilevel
    h, w = bits.shape
    g4 = _g4_strip(bits, tmp_path)
    if codec == "CCITTFaxDecode":
        data, parameters = g4, {"DecodeParms": Dictionary(K=-1, Columns=w, Rows=h)}
    else:
        data, parameters = _jbig2(bits, g4), {}

    def image(pdf):
        return pdf.make_stream(data, Type=Name.XObject, Subtype=Name.Image, Width=w, Height=h,
                               ColorSpace=Name.DeviceGray, BitsPerComponent=1,
                               Filter=Name(f"/{codec}"), **parameters)

    path = write_pdf(tmp_path / "page.pdf", (w, h), "q {W} 0 0 {H} 0 0 cm /Im0 Do Q", [image])
    page, reading = read_file(path, ctx)
    assert np.array_equal(page.image, np.where(bits, 255, 0))
    assert_reads_as(reading, expected)


# ------------------------------------------------------------------------ BigTIFF, other kinds

@needs_libtiff
def test_bigtiff_reads(original, ctx, tmp_path):
    grey, expected = original
    Image.fromarray(grey).save(tmp_path / "page.tif", dpi=(DPI, DPI))
    tiffcp("-8", tmp_path / "page.tif", tmp_path / "big.tif")
    assert (tmp_path / "big.tif").read_bytes()[:4] == b"II+\x00"
    page, reading = read_file(tmp_path / "big.tif", ctx)
    assert np.array_equal(page.image, grey)
    assert_reads_as(reading, expected)


def test_a_bigtiff_that_cannot_be_read_is_named(tmp_path):
    path = tmp_path / "scan.tif"
    path.write_bytes(b"II+\x00\x08\x00\x00\x00" + (1 << 40).to_bytes(8, "little"))  # IFD beyond
    with pytest.raises(InputFileError, match="is a BigTIFF file that cannot be read"):
        open_scan(path)


@pytest.mark.parametrize("head, what", [(b"GIF89a", "a GIF image"),
                                        (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "a JPEG 2000 image"),
                                        (b"PK\x03\x04", "a ZIP archive")])
def test_other_files_are_refused_naming_what_they_are(tmp_path, head, what):
    path = tmp_path / "scan.pdf"
    path.write_bytes(head + bytes(100))
    with pytest.raises(InputFileError, match=f"is {what}.*not a scan"):
        open_scan(path)


# ----------------------------------------------------------------- a US Letter scan of A4

@pytest.fixture(scope="module")
def long_page(large_persons):
    """Page 1 of the 55-person ballot (its table runs down the whole page), filled and
    scanned, with what is needed to read it."""
    issued = make_issued(large_persons, 2)
    drawer = Drawer(issued)
    rows = issued.layout.pages[0].rows
    choices = {row.person: [row.person % 3] for row in rows}
    sheet = drawer.sheet()
    fill_page(sheet, issued.layout.pages[0], plan(issued, choices), last=False)
    ctx = context_of(issued)
    page = drawer.scan(sheet, skew=0.3)
    return page.image, read_page(page, ctx), ctx


def test_a_letter_scan_of_an_a4_sheet_reads(long_page, tmp_path):
    """Centred on the glass, 8.8 mm cut at the top and the bottom: every disc is cut, so the
    page is placed from its printed table."""
    grey, expected, ctx = long_page
    assert expected.kind == "ballot" and expected.marks_found == 4
    cut = int(round(8.8 * MM))
    letter = np.full((int(round(279.4 * MM)), int(round(215.9 * MM))), 255, np.uint8)
    side = (letter.shape[1] - grey.shape[1]) // 2
    kept = grey[cut:cut + letter.shape[0]]
    letter[:kept.shape[0], side:side + grey.shape[1]] = kept
    Image.fromarray(letter).save(tmp_path / "letter.png", dpi=(DPI, DPI))
    page, reading = read_file(tmp_path / "letter.png", ctx)
    assert reading.marks_found == 0  # placed from the table
    assert_reads_as(reading, expected)


# ------------------------------------------------------------------------------ blank pages

def paper(value=245):
    return np.full((int(round(297 * MM)), int(round(210 * MM))), value, np.uint8)


def faint(grey, contrast):
    """``grey`` with its ink at ``contrast`` of its darkness (a very pale scan)."""
    return (255 - (255 - grey.astype(np.float32)) * contrast).astype(np.uint8)


def test_a_pale_page_with_a_code_is_not_blank_but_its_mirror_image_is(original, ctx):
    """The front showing through a back is mirrored: however faint a page, an upright code
    means print; a mirrored one is a back."""
    grey, _ = original
    pale = faint(grey, 0.1)
    assert not is_blank(pale, DPI)
    assert read_page(PageImage(pale, float(DPI)), ctx).kind != "blank"
    assert is_blank(np.ascontiguousarray(pale[:, ::-1]), DPI)


def test_registration_discs_or_table_rules_alone_are_not_a_blank_page():
    import cv2

    assert is_blank(paper(), DPI)
    discs = paper()
    w, h = 210 - MARK_INSET_MM, 297 - MARK_INSET_MM
    for x, y in ((MARK_INSET_MM, MARK_INSET_MM), (w, MARK_INSET_MM), (MARK_INSET_MM, h), (w, h)):
        cv2.circle(discs, (int(x * MM), int(y * MM)), int(MARK_RADIUS_MM * MM), 20, -1)
    assert not is_blank(discs, DPI) and not is_blank(discs, None)
    rules = paper()
    for y_mm in (60, 70, 80):  # three rules of a table, 0.25 mm
        rules[int(y_mm * MM):int(y_mm * MM) + 2, int(20 * MM):int(190 * MM)] = 30
    assert not is_blank(rules, DPI)
    edges = paper()  # the sheet's edge and its shadow on the scanner are not a table
    edges[int(3 * MM), :] = edges[-int(5 * MM), :] = 60
    assert is_blank(edges, DPI)


def test_a_tiff_page_stated_at_1_dpi_is_tested_without_a_huge_image():
    assert is_blank(paper(), 1.0)  # scaled as the page's own width says: never enlarged


def test_a_drawn_page_with_a_small_image_is_rendered_at_the_render_resolution(tmp_path):
    """A logo does not set the resolution of a page that is not a scan."""
    from omr.load import RENDER_DPI

    logo = np.full((20, 20), 90, np.uint8)
    path = write_pdf(tmp_path / "letterhead.pdf", (1654, 2339), "q 72 0 0 72 36 700 cm /Im0 Do Q",
                     [lambda pdf: _image(pdf, logo)])
    page = load_page(open_scan(path), 0)
    assert page.dpi == RENDER_DPI and page.image.shape == (3509, 2481)  # 595.44 × 842.04 pt
