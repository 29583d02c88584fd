"""What the count finds, in the Vietnamese sentences of the minutes, the spreadsheets and the
terminal: the numbers that do not reconcile, the facts not entered yet, what is unusual, a
person's note.

These sentences are part of the results' canonical form (:mod:`tally.fingerprint`): a change of
wording changes every fingerprint, and a tally recorded before could not be reproduced. So the
sentences of version 1 of the count are kept as they were (``version=1``), and new wording goes
with a new version of the count (:data:`tally.count.COUNT_VERSION`).
"""

from __future__ import annotations

from tally.count import (
    Anomaly,
    BandDependsOnDenominator,
    Discrepancy,
    FirstYear,
    ForeignReceived,
    GenuineOverIssued,
    IssuedOverPresent,
    Missing,
    NoBallots,
    NoPreviousYear,
    Note,
    ReceivedOverIssued,
    ReceivedOverPresent,
    ScannedNotCounted,
    SeveralPrintRuns,
    percent,
    vn_percent,
)
from tally.rules import RULE_SETS, RuleSet

MISSING = {
    Missing.PRESENT: "Chưa nhập số người có mặt (--present).",
    Missing.SUMMONED: "Chưa nhập số người được triệu tập (--summoned).",
    Missing.COUNTED: "Chưa nhập số phiếu Ban Kiểm phiếu đếm được trong hòm phiếu (--counted).",
    Missing.HISTORY: "Chưa có kết quả năm trước (--history).",
}


def problem_text(problem: Discrepancy, rules: RuleSet | str | None = None) -> str:
    """A number that does not reconcile, as the minutes state it. ``rules`` names the counting
    body (version 2's sentences); without it, the words of version 1."""
    body = _body(rules)
    if isinstance(problem, ReceivedOverIssued):
        return (f"Số phiếu thu về ({problem.received}) nhiều hơn số phiếu phát ra "
                f"({problem.issued}).")
    if isinstance(problem, ScannedNotCounted):
        return (f"Số phiếu quét được ({problem.scanned}) khác số phiếu {body} đếm "
                f"({problem.counted}).")
    if isinstance(problem, NoBallots):
        return "Chưa có phiếu nào được quét: số phiếu thu về là 0."
    raise TypeError(f"not a discrepancy: {problem!r}")


def anomaly_text(anomaly: Anomaly, rules: RuleSet | str) -> str:
    """What is unusual, as the minutes state it for the committee (it blocks nothing)."""
    body = _body(rules)
    if isinstance(anomaly, SeveralPrintRuns):
        return (f"Phiếu đã được in {anomaly.runs} lần (mỗi lần một mã lô), tổng cộng "
                f"{anomaly.printed} phiếu; số phiếu in không phải là số phiếu phát ra.")
    if isinstance(anomaly, IssuedOverPresent):
        return (f"Số phiếu phát ra ({anomaly.issued}) nhiều hơn số người có mặt "
                f"({anomaly.present}).")
    if isinstance(anomaly, ForeignReceived):
        return (f"Trong hòm phiếu có {anomaly.sheets} phiếu không do {body} phát ra; các phiếu "
                "này được tính vào số phiếu thu về và là phiếu không hợp lệ.")
    if isinstance(anomaly, GenuineOverIssued):
        return (f"Số phiếu do {body} phát ra thu về ({anomaly.genuine}) nhiều hơn số phiếu "
                f"phát ra ({anomaly.issued}).")
    if isinstance(anomaly, ReceivedOverPresent):
        return (f"Số phiếu thu về ({anomaly.received}) nhiều hơn số người có mặt "
                f"({anomaly.present}).")
    raise TypeError(f"not an anomaly: {anomaly!r}")


def missing_text(missing: Missing) -> str:
    """A fact the committee has not entered yet."""
    return MISSING[missing]


def note_text(note: Note | None, version: int = 1, rules: RuleSet | str | None = None) -> str:
    """A person's note ("" for none), in the words of the count's ``version``."""
    if note is None:
        return ""
    if isinstance(note, BandDependsOnDenominator):
        if version == 1:
            return (f"Mức phụ thuộc vào mẫu số: tín nhiệm thấp "
                    f"{percent(note.low, note.deputies)}% tổng số đại biểu, "
                    f"{percent(note.low, note.received)}% số phiếu thu về")
        return (f"Kết quả phụ thuộc vào cách tính tỷ lệ: tín nhiệm thấp "
                f"{vn_percent(note.low, note.deputies)} tổng số đại biểu, "
                f"{vn_percent(note.low, note.received)} số phiếu thu về")
    if isinstance(note, NoPreviousYear):
        if version == 1:
            return "Thiếu kết quả năm trước để xác định mức 1"
        return "Thiếu kết quả năm trước để xét trường hợp hai năm liên tiếp"
    if isinstance(note, FirstYear):
        one_year = RULE_SETS[rules].band2_text if isinstance(rules, str) else \
            rules.band2_text if rules is not None else ""
        return ("Không có kết quả lấy phiếu năm trước (mới bổ nhiệm hoặc năm trước không được "
                "lấy phiếu): chỉ xét trường hợp trong một năm"
                + (f" ({one_year})" if one_year else ""))
    raise TypeError(f"not a note: {note!r}")


def _body(rules: RuleSet | str | None) -> str:
    """The counting body's name under ``rules`` (Ban Kiểm phiếu without one)."""
    if rules is None:
        return "Ban Kiểm phiếu"
    return (RULE_SETS[rules] if isinstance(rules, str) else rules).committee_name
