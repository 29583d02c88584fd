"""The words printed on the ballot, and the Vietnamese date the ballot and the minutes share.

The geometry that places them is :mod:`ballotgen.layout`; the levels' labels are the
vocabulary's (:class:`ballotgen.vocabulary.Level`).
"""

from __future__ import annotations

import datetime as dt

from ballotgen.vocabulary import LEVELS

TITLE = "PHIẾU TÍN NHIỆM"
CONTINUED = "(tiếp theo)"  # after the title on every sheet but the first
INSTRUCTION = (
    "Đánh dấu X vào một ô tương ứng với mức độ tín nhiệm đối với từng người được lấy phiếu; "
    "mỗi người chỉ đánh dấu vào một ô."
)
SIGNATURE_NOTE = "Người ghi phiếu có thể ký tên hoặc không ký tên."
COLUMN_HEADINGS = ("STT", "Họ và tên", "Chức vụ", *(level.label for level in LEVELS))
"""The table's header row, left to right: number, name, position, the three levels."""


def title(*, first: bool) -> str:
    """The title of the first sheet, or of a continuation sheet."""
    return TITLE if first else f"{TITLE} {CONTINUED}"


def page_number(index: int, pages: int) -> str:
    """The page number printed at the foot of a ballot of several sheets (``index`` 0-based)."""
    return f"Trang {index + 1}/{pages}"


def long_date(date: dt.date) -> str:
    """``ngày 15 tháng 12 năm 2026``."""
    return f"ngày {date.day:02d} tháng {date.month:02d} năm {date.year}"


def short_date_line(date: dt.date, place: str = "") -> str:
    """The date in figures, for a spreadsheet's heading: ``Bình An, ngày 15/12/2026``."""
    return f"{place + ', ' if place else ''}ngày {date.strftime('%d/%m/%Y')}"


def date_line(date: dt.date, place: str = "") -> str:
    """The date line of a document: ``Bình An, ngày 15 tháng 12 năm 2026`` (without a place,
    ``Ngày 15 tháng 12 năm 2026``)."""
    when = long_date(date)
    return f"{place}, {when}" if place else when.capitalize()
