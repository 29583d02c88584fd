"""Write scanned pages as office scanners do: one multi-page PDF or TIFF per stack, or one JPEG or
PNG per page, each stating its resolution. Pages are written as they come (memory stays flat).

PDF pages embed the JPEG itself (as scanners do) for colour and grey, and a lossless bitmap for
black-and-white; TIFF uses JPEG compression for colour and grey and CCITT Group 4 for
black-and-white. JPEG is written at the page's quality and, for colour, chroma subsampling.
"""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
from PIL import Image, TiffImagePlugin

FORMATS = ("pdf", "tiff", "jpeg", "png")
_SUFFIX = {"pdf": "pdf", "tiff": "tif", "jpeg": "jpg", "png": "png"}


def _pil(image: np.ndarray, bw: bool) -> Image.Image:
    if image.ndim == 3:
        return Image.fromarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    return Image.fromarray(image).convert("1") if bw else Image.fromarray(image)


class StackWriter:
    """Collects the pages of one scanned stack into ``folder`` in ``fmt``.

    Use as a context manager; :meth:`add` returns the file name and the page index within it.
    """

    def __init__(self, folder: Path, fmt: str, *, stem: str = "scan") -> None:
        if fmt not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}")
        self.folder = Path(folder)
        self.fmt = fmt
        self.stem = stem
        self.count = 0
        self._pdf: pdfium.PdfDocument | None = None
        self._tiff: TiffImagePlugin.AppendingTiffWriter | None = None
        self.folder.mkdir(parents=True, exist_ok=True)

    @property
    def stack_name(self) -> str:
        return f"{self.stem}.{_SUFFIX[self.fmt]}"

    def __enter__(self) -> StackWriter:
        if self.fmt == "pdf":
            self._pdf = pdfium.PdfDocument.new()
        elif self.fmt == "tiff":
            self._tiff = TiffImagePlugin.AppendingTiffWriter(str(self.folder / self.stack_name),
                                                             True)
        return self

    def add(self, image: np.ndarray, dpi: int, *, bw: bool = False, jpeg_quality: int = 85,
            jpeg_subsampling: str = "4:2:0") -> tuple[str, int]:
        """Write one page. ``image`` is (H, W) grey/bw or (H, W, 3) BGR uint8.

        ``jpeg_subsampling`` ("4:4:4", "4:2:2" or "4:2:0") applies to colour JPEG in PDF and JPEG
        files; TIFF's JPEG compression uses the library's own.
        """
        pil = _pil(image, bw)
        jpeg = {"quality": jpeg_quality, "subsampling": jpeg_subsampling}
        if self.fmt == "pdf":
            name, index = self.stack_name, self.count
            self._add_pdf_page(pil, dpi, bw, jpeg)
        elif self.fmt == "tiff":
            name, index = self.stack_name, self.count
            assert self._tiff is not None
            pil.save(self._tiff, format="TIFF", dpi=(dpi, dpi),
                     compression="group4" if bw else "jpeg",
                     **({} if bw else {"quality": jpeg_quality}))
            self._tiff.newFrame()
        else:
            name, index = f"{self.stem}-{self.count + 1:04d}.{_SUFFIX[self.fmt]}", 0
            options = jpeg if self.fmt == "jpeg" else {"compress_level": 1}
            pil.save(self.folder / name, dpi=(dpi, dpi), **options)
        self.count += 1
        return name, index

    def _add_pdf_page(self, pil: Image.Image, dpi: int, bw: bool, jpeg: dict) -> None:
        assert self._pdf is not None
        width_pt, height_pt = pil.width * 72.0 / dpi, pil.height * 72.0 / dpi
        page = self._pdf.new_page(width_pt, height_pt)
        picture = pdfium.PdfImage.new(self._pdf)
        if bw:
            picture.set_bitmap(pdfium.PdfBitmap.from_pil(pil.convert("L")))
        else:
            buffer = io.BytesIO()
            pil.save(buffer, format="JPEG", dpi=(dpi, dpi), **jpeg)
            buffer.seek(0)
            picture.load_jpeg(buffer, inline=True)
        picture.set_matrix(pdfium.PdfMatrix().scale(width_pt, height_pt))
        page.insert_obj(picture)
        page.gen_content()
        page.close()

    def __exit__(self, exc_type: type | None, *exc: object) -> None:
        """Save the stack; after an error, leave no half-written stack behind."""
        if self._pdf is not None:
            if exc_type is None:
                self._pdf.save(self.folder / self.stack_name)
            self._pdf.close()
        if self._tiff is not None:
            self._tiff.close()
            if exc_type is not None:
                (self.folder / self.stack_name).unlink(missing_ok=True)
