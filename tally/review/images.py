"""Review images of stored pages, made once and kept beside the store (owner-only).

A ballot page is placed with the transform its reading kept (it is not registered again), but
decoding and resampling it still take a while, so each page's review image is kept in
``DIR/review-cache`` as a lossless PNG named by the page's id; the gallery cuts its box crops from
them. The cache holds nothing the store does not: deleting it only costs time.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import cv2
import numpy as np

from ballotgen.layout import Rect
from omr.load import load_page, open_scan
from omr.overlay import ReviewImage, box_crop, review_image, stamp_view
from omr.read import Context
from tally.store import Store, StoredPage

CACHE_DIR = "review-cache"
JPEG_QUALITY = 85


class ImageCache:
    """Review images of one conference's pages (thread-safe: each page is made once)."""

    def __init__(self, store_folder: Path, ctx: Context) -> None:
        self.folder = Path(store_folder) / CACHE_DIR
        self.ctx = ctx
        self._locks: dict[int | tuple[str, int], threading.Lock] = {}
        self._guard = threading.Lock()

    def page(self, store: Store, page: StoredPage) -> ReviewImage:
        with self._guard:
            lock = self._locks.setdefault(page.id, threading.Lock())
        with lock:
            cached = self._load(page.id)
            if cached is not None:
                return cached
            image = self._make(store, page)
            self._save(page.id, image)
            return image

    def page_jpeg(self, store: Store, page: StoredPage) -> bytes:
        ok, data = cv2.imencode(".jpg", self.page(store, page).image,
                                [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        return data.tobytes()

    def crop_png(self, store: Store, page: StoredPage, box: Rect) -> bytes:
        image = self.page(store, page)
        crop = box_crop(image.image, image.px_per_mm, box) if image.registered else \
            np.full((8, 8), 255, np.uint8)
        ok, data = cv2.imencode(".png", crop)
        return data.tobytes()

    def stamp_jpeg(self, store: Store, page: StoredPage) -> bytes | None:
        """The page's header in colour (JPEG), or None when it was not scanned in colour.
        Made when asked (only pages held for their stamp link to it) and kept."""
        path = self.folder / f"{page.id}-stamp.jpg"
        with self._guard:
            lock = self._locks.setdefault(("stamp", page.id), threading.Lock())
        with lock:
            if path.is_file():
                return path.read_bytes()
            kept = store.kept_file(page.file_sha256)
            try:
                view = stamp_view(load_page(open_scan(kept), page.page_index), self.ctx,
                                  page.reading) if kept is not None and kept.exists() else None
            except Exception:  # noqa: BLE001 - an undecodable page has nothing to show
                view = None
            if view is None:
                return None
            ok, data = cv2.imencode(".jpg", view, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
            self._write(path, data.tobytes())
            return data.tobytes()

    def _make(self, store: Store, page: StoredPage) -> ReviewImage:
        kept = store.kept_file(page.file_sha256)
        if kept is None or not kept.exists():
            return _placeholder()
        try:
            return review_image(load_page(open_scan(kept), page.page_index), self.ctx,
                                page.reading)
        except Exception:  # a page the reader could not even decode: show a placeholder
            return _placeholder()

    def _path(self, page_id: int, registered: bool, px_per_mm: float) -> Path:
        return self.folder / f"{page_id}-{'r' if registered else 's'}-{px_per_mm:.4f}.png"

    def _load(self, page_id: int) -> ReviewImage | None:
        for path in self.folder.glob(f"{page_id}-*.png") if self.folder.exists() else ():
            _, kind, scale = path.stem.split("-")
            image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
            if image is not None:
                return ReviewImage(image, kind == "r", float(scale))
        return None

    def _save(self, page_id: int, image: ReviewImage) -> None:
        ok, data = cv2.imencode(".png", image.image)
        self._write(self._path(page_id, image.registered, image.px_per_mm), data.tobytes())

    def _write(self, path: Path, data: bytes) -> None:
        """Write ``data`` to ``path`` in the cache, owner-only, whole or not at all."""
        self.folder.mkdir(mode=0o700, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)


def _placeholder() -> ReviewImage:
    """A grey A4 sheet at a low scale, for a page whose image cannot be decoded."""
    return ReviewImage(np.full((297 * 2, 210 * 2), 200, np.uint8), False, 2.0)
