"""Render the README's pictures from the demo's ballots and scans (run `make demo` first).

    .venv/bin/python docs/make_images.py
"""

from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
PAGES = {  # picture → (demo PDF, page index)
    "ballot-small.png": ("demo-output/so-khdt/phieu.pdf", 0),
    "ballot-large-page1.png": ("demo-output/ubnd/phieu.pdf", 0),
    "ballot-large-page4.png": ("demo-output/ubnd/phieu.pdf", 3),
    "scan-office.jpg": ("demo-output/so-khdt/scans/scan.pdf", 0),
    "scan-rough.jpg": ("demo-output/ubnd/scans/scan.tif", 0),
}
DPI = 90


def main() -> None:
    out = ROOT / "docs" / "images"
    out.mkdir(parents=True, exist_ok=True)
    for name, (source, index) in PAGES.items():
        path = ROOT / source
        if path.suffix == ".pdf":
            page = pdfium.PdfDocument(path)[index]
            image = page.render(scale=DPI / 72, grayscale=not name.startswith("scan")).to_pil()
        else:
            image = Image.open(path)
            image.seek(index)
            image = image.resize((round(image.width * DPI / image.info["dpi"][0]),
                                  round(image.height * DPI / image.info["dpi"][1])))
        image.save(out / name, optimize=True, **({"quality": 80} if name.endswith(".jpg") else {}))
        print(out / name)


if __name__ == "__main__":
    main()
