"""Fixtures for reader tests: a printed conference, and sheets drawn and scanned on demand."""

import numpy as np
import pytest

from omr.load import PageImage
from omr.read import Context
from rehearsal.marks import Sheet
from rehearsal.scanner import PROFILES, ScanParams, page_transform, scan
from rehearsal.simulate import Renderer

DPI = 200


def context_of(*issued_list, serials=()):
    layouts = {i.layout.hash: i.layout for i in issued_list}
    return Context(issued_list[0].key, layouts, frozenset(i.batch.code for i in issued_list),
                   frozenset(serials))


@pytest.fixture(scope="session")
def ctx(issued):
    return context_of(issued)


class Drawer:
    """Blank ballot pages to draw on, and a fixed, mild scanner to scan them with."""

    def __init__(self, issued):
        self.issued = issued
        self.renderer = Renderer(issued, DPI)

    def sheet(self, page_index=0, serial=None):
        return Sheet(self.renderer.pages(serial)[page_index], DPI)

    def scan(self, sheet, *, skew=0.4, upside_down=False, seed=0, mode="grey"):
        rng = np.random.default_rng(seed)
        image = sheet.image if isinstance(sheet, Sheet) else sheet
        h, w = image.shape[:2]
        params = ScanParams(skew, (0.8, -0.5), upside_down, 0.0, 90)
        matrix = page_transform((w, h), params, DPI, rng)
        return PageImage(scan(image, PROFILES["clean"], matrix, DPI, mode, rng), float(DPI))


@pytest.fixture(scope="session")
def drawer(issued):
    return Drawer(issued)
