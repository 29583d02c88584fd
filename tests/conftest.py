"""Shared fixtures: the sample conferences, printed by the project itself."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest

from ballotgen import payload
from ballotgen.conference import Conference, Person
from ballotgen.layout import Layout, build_layout
from ballotgen.render import Batch, new_batch, render_pdf
from ballotgen.roster import read_roster
from omr.qr import find_code

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
ORG = "ỦY BAN NHÂN DÂN TỈNH BÌNH AN\nSỞ KẾ HOẠCH VÀ ĐẦU TƯ"
TITLE = "Hội nghị lấy phiếu tín nhiệm đối với cán bộ lãnh đạo, quản lý năm 2026"


def qr_text(image: np.ndarray) -> str | None:
    """The text of the ballot code the reader finds on ``image`` ((H, W) uint8), or None."""
    hit = find_code(image)
    return hit.text if hit else None


def render_grey(document: pdfium.PdfDocument, index: int, dpi: int) -> np.ndarray:
    """Page ``index`` of ``document`` rendered as a (H, W) uint8 grey image."""
    return np.ascontiguousarray(document[index].render(scale=dpi / 72, grayscale=True).to_numpy())


def make_issued(persons, copies: int, *, serials: bool = False):
    """A conference printed as ``copies`` ballots, as the simulator and the reader need it."""
    from rehearsal.simulate import Issued

    conference = make_conference(persons)
    return Issued(conference, build_layout(conference), new_batch(copies, serials=serials),
                  payload.new_key())


def make_conference(persons: tuple[Person, ...] | list[Person]) -> Conference:
    return Conference(org=ORG, title=TITLE, date=dt.date(2026, 12, 15), place="Bình An",
                      persons=tuple(persons), summoned=40)


class Printed:
    """A conference printed to PDF, with what is needed to check it."""

    def __init__(self, conference: Conference, copies: int = 1, serials: bool = False) -> None:
        self.conference = conference
        self.layout: Layout = build_layout(conference)
        self.key = payload.new_key()
        self.batch: Batch = new_batch(copies, serials=serials)
        self.pdf = render_pdf(self.layout, self.batch, self.key)
        self.document = pdfium.PdfDocument(self.pdf)

    def page_image(self, index: int, dpi: int) -> np.ndarray:
        return render_grey(self.document, index, dpi)

    def page_text(self, index: int) -> str:
        page = self.document[index]
        return page.get_textpage().get_text_bounded()


@pytest.fixture(scope="session")
def small_persons() -> tuple[Person, ...]:
    return read_roster(SAMPLES / "roster-small.csv")


@pytest.fixture(scope="session")
def large_persons() -> tuple[Person, ...]:
    return read_roster(SAMPLES / "roster-large.xlsx")


@pytest.fixture(scope="session")
def small_printed(small_persons) -> Printed:
    return Printed(make_conference(small_persons), copies=2)


@pytest.fixture(scope="session")
def large_printed(large_persons) -> Printed:
    return Printed(make_conference(large_persons), copies=2)


@pytest.fixture(scope="session")
def issued(small_persons):
    return make_issued(small_persons, 200)
