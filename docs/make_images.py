"""Render the README's pictures from the demo's ballots, scans and minutes (run `make demo`
first), and screenshot the review page in headless Chromium on a small simulated vote.

    .venv/bin/python docs/make_images.py
"""

import datetime as dt
import tempfile
import threading
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
    # the latest tally's minutes (each tally writes its own folder, ket-qua/lan-NN-…)
    "minutes-page1.png": ("demo-output/ubnd/ket-qua/lan-*/bien-ban-kiem-phieu.pdf", 0),
    "minutes-chart.png": ("demo-output/ubnd/ket-qua/lan-*/bien-ban-kiem-phieu.pdf", -2),
}
DPI = 90


def main() -> None:
    out = ROOT / "docs" / "images"
    out.mkdir(parents=True, exist_ok=True)
    for name, (source, index) in PAGES.items():
        path = ROOT / source
        if "*" in source:
            path = sorted(ROOT.glob(source))[-1]
        if path.suffix == ".pdf":
            document = pdfium.PdfDocument(path)
            page = document[index % len(document)]
            image = page.render(scale=DPI / 72, grayscale=not name.startswith("scan")).to_pil()
        else:
            image = Image.open(path)
            image.seek(index)
            image = image.resize((round(image.width * DPI / image.info["dpi"][0]),
                                  round(image.height * DPI / image.info["dpi"][1])))
        image.save(out / name, optimize=True, **({"quality": 80} if name.endswith(".jpg") else {}))
        print(out / name)
    review_screenshots(out)


def review_screenshots(out: Path) -> None:
    """The queue, a flagged ballot and the box gallery of a small vote with many mistakes."""
    from playwright.sync_api import sync_playwright
    from waitress import create_server

    from rehearsal.vote import simulate_vote
    from tally.committee import add_members
    from tally.prepare import create_conference, print_ballots
    from tally.review.app import create_app
    from tally.scan import scan_stack

    with tempfile.TemporaryDirectory() as tmp:
        conf = Path(tmp) / "conf"
        create_conference(conf, roster=ROOT / "samples" / "roster-small.csv",
                          org="ỦY BAN NHÂN DÂN TỈNH BÌNH AN\nSỞ KẾ HOẠCH VÀ ĐẦU TƯ",
                          title="Hội nghị lấy phiếu tín nhiệm đối với cán bộ lãnh đạo, quản lý "
                                "năm 2026", date=dt.date(2026, 12, 15), place="Bình An",
                          summoned=30)
        print_ballots(conf, copies=30)
        simulate_vote(conf, Path(tmp) / "scans", voters=28, profile="office", fmt="pdf", seed=5,
                      foreign=1, rates={"multi_mark": 0.06, "blank_row": 0.04,
                                        "correction": 0.05, "crossed_name": 0.02})
        scan_stack(conf, [Path(tmp) / "scans" / "scan.pdf"], jobs=2)
        ((_, code),) = add_members(conf, [("Nguyễn Thị Lan", "Trưởng ban")])
        server = create_server(create_app(conf), host="127.0.0.1", port=0)
        threading.Thread(target=server.run, daemon=True).start()
        base = f"http://127.0.0.1:{server.effective_port}"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1400, "height": 950})
            page.goto(base + "/dang-nhap")
            page.fill("input[name=code]", code)
            page.keyboard.press("Enter")
            page.wait_for_url(base + "/")
            page.screenshot(path=str(out / "review-queue.png"))
            page.keyboard.press("n")
            page.wait_for_url("**/phieu/*")
            while "Có dòng đánh dấu từ hai ô" not in page.inner_text("ul.reasons"):
                page.keyboard.press("n")  # skip to a ballot with two marks in a row
                page.wait_for_load_state()
            page.wait_for_load_state("networkidle")  # the page image is made on first request
            page.screenshot(path=str(out / "review-ballot.png"))
            page.goto(base + "/thu-vien-o")
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(out / "review-gallery.png"))
            browser.close()
        server.close()
    for name in ("review-queue.png", "review-ballot.png", "review-gallery.png"):
        print(out / name)


if __name__ == "__main__":
    main()
