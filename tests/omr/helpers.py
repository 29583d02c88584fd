"""Ballots drawn and scanned for the reader's tests: a mild fixed scanner, plans, marks."""

import dataclasses

import cv2
import numpy as np

from ballotgen.vocabulary import LEVELS
from omr.load import PageImage
from omr.read import Context
from rehearsal.marks import Hand, Sheet
from rehearsal.scanner import PROFILES, ScanParams, page_transform, scan
from rehearsal.simulate import Renderer, draw_mark
from rehearsal.voters import BallotPlan, RowPlan

DPI = 200


def context_of(*issued_list, serials=()):
    layouts = {i.layout.hash: i.layout for i in issued_list}
    return Context(issued_list[0].key, layouts, frozenset(i.batch.code for i in issued_list),
                   frozenset(serials))


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


HAND = Hand()


CHOICES = {1: 0, 2: 1, 3: 2, 4: 0, 5: 1}


EXPECTED = [LEVELS[CHOICES[n]] for n in sorted(CHOICES)]


def marked_sheet(drawer, issued, *, style="x", hand=HAND, seed=1, draw=None):
    """A ballot with one mark of ``style`` per row (CHOICES), drawn as the simulator draws;
    ``draw``: person → more options of ``draw_mark`` (a spill)."""
    draw = draw or {}
    sheet = drawer.sheet()
    rng = np.random.default_rng(seed)
    for row in issued.layout.pages[0].rows:
        draw_mark(sheet, row, CHOICES[row.person], style, hand, rng, **draw.get(row.person, {}))
    return sheet


def scanned(sheet, *, noise=1.0, tone=1.0, quality=None, seed=0):
    """Scan ``sheet`` mildly (skew 0.4°), with grain ``noise``, paper ``tone``, JPEG ``quality``."""
    rng = np.random.default_rng(seed)
    h, w = sheet.image.shape[:2]
    profile = dataclasses.replace(PROFILES["clean"], noise_sd=noise, paper_tone=(tone, tone))
    matrix = page_transform((w, h), ScanParams(0.4, (0.8, -0.5), False, 0.0, 90), DPI, rng)
    image = scan(sheet.image, profile, matrix, DPI, "grey", rng)
    if quality is not None:
        ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
        image = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
    return PageImage(image, float(DPI))


def plan(issued, choices, **extra):
    """A ballot plan: ``choices`` person → box indexes to mark (crosses)."""
    rows = tuple(RowPlan(p.number, None, tuple(choices.get(p.number, ())), "x")
                 for p in issued.layout.persons)
    return BallotPlan(voter=1, rows=rows, seed=7, stamp=True, **extra)
