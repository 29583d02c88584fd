"""Render the README's pictures from the demo's PDFs (run `make demo` first).

    .venv/bin/python docs/make_images.py
"""

from pathlib import Path

import pypdfium2 as pdfium

ROOT = Path(__file__).resolve().parent.parent
PAGES = {  # picture → (demo PDF, page index)
    "ballot-small.png": ("demo-output/so-khdt/phieu.pdf", 0),
    "ballot-large-page1.png": ("demo-output/ubnd/phieu.pdf", 0),
    "ballot-large-page4.png": ("demo-output/ubnd/phieu.pdf", 3),
}
DPI = 90


def main() -> None:
    out = ROOT / "docs" / "images"
    out.mkdir(parents=True, exist_ok=True)
    for name, (pdf, index) in PAGES.items():
        page = pdfium.PdfDocument(ROOT / pdf)[index]
        page.render(scale=DPI / 72, grayscale=True).to_pil().save(out / name, optimize=True)
        print(out / name)


if __name__ == "__main__":
    main()
