"""What the count finds, in the Vietnamese sentences of the minutes, the spreadsheets and the
terminal: the numbers that do not reconcile, the facts not entered yet, a person's note.

These sentences are part of the results' canonical form (:mod:`tally.fingerprint`): a change of
wording changes every fingerprint, and a tally recorded before could not be reproduced.
"""

from __future__ import annotations

from tally.count import (
    BandDependsOnDenominator,
    Discrepancy,
    Missing,
    NoPreviousYear,
    Note,
    ReceivedOverIssued,
    ScannedNotCounted,
    percent,
)

MISSING = {
    Missing.PRESENT: "Chưa nhập số người có mặt (--present).",
    Missing.SUMMONED: "Chưa nhập số người được triệu tập (--summoned).",
    Missing.COUNTED: "Chưa nhập số phiếu Ban Kiểm phiếu đếm được trong hòm phiếu (--counted).",
    Missing.HISTORY: "Chưa có kết quả năm trước (--history).",
}


def problem_text(problem: Discrepancy) -> str:
    """A number that does not reconcile, as the minutes state it."""
    if isinstance(problem, ReceivedOverIssued):
        return (f"Số phiếu thu về ({problem.received}) nhiều hơn số phiếu phát ra "
                f"({problem.issued}).")
    if isinstance(problem, ScannedNotCounted):
        return (f"Số phiếu quét được ({problem.scanned}) khác số phiếu Ban Kiểm phiếu đếm "
                f"({problem.counted}).")
    raise TypeError(f"not a discrepancy: {problem!r}")


def missing_text(missing: Missing) -> str:
    """A fact the committee has not entered yet."""
    return MISSING[missing]


def note_text(note: Note | None) -> str:
    """A person's note ("" for none)."""
    if note is None:
        return ""
    if isinstance(note, BandDependsOnDenominator):
        return (f"Mức phụ thuộc vào mẫu số: tín nhiệm thấp {percent(note.low, note.deputies)}% "
                f"tổng số đại biểu, {percent(note.low, note.received)}% số phiếu thu về")
    if isinstance(note, NoPreviousYear):
        return "Thiếu kết quả năm trước để xác định mức 1"
    raise TypeError(f"not a note: {note!r}")
