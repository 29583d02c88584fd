"""The words every stage uses, each vocabulary written once, as an enum with its labels.

A member *is* the string that is stored (``StrEnum``): readings, decisions and results keep the
same text they always had (``"cao"``, ``"blank_row"``, ``"genuine"``), so stores and audit
archives of earlier versions read as before, and a member compares equal to its text. The
Vietnamese label shown to people (on the ballot, the review pages, the minutes) is written
beside the value, and every table of labels is made from these enums.

What flows from print to count, stage by stage:

- the ballot: :class:`Level` (box order, left to right);
- the reader (``omr``): per box a :class:`BoxStatus`, per row a :class:`RowValue`, per page a
  :class:`PageKind`, :class:`Flag` values and, for a ballot page, a :class:`StampStatus`;
- the committee (``tally``): decisions on a ballot, :class:`BallotChoice`, and on a row,
  :class:`RowChoice`;
- the count: each ballot's :class:`BallotState` and :class:`BallotStatus`, with a
  :class:`VoidReason` for a void ballot and a :class:`RowInvalidReason` for an invalid row.
"""

from __future__ import annotations

import enum


class Labelled(enum.StrEnum):
    """A vocabulary whose members carry a label: ``MEMBER = "value", "label"``."""

    label: str

    def __new__(cls, value: str, label: str = "") -> Labelled:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


def labels(vocabulary: type[Labelled]) -> dict[str, str]:
    """``{member: label}`` of a vocabulary, for templates and tables."""
    return {member: member.label for member in vocabulary}


class Level(Labelled):
    """The three levels of confidence (rule 2), in box order on the ballot."""

    CAO = "cao", "Tín nhiệm cao"
    TIN_NHIEM = "tin_nhiem", "Tín nhiệm"
    THAP = "thap", "Tín nhiệm thấp"


LEVELS: tuple[Level, ...] = tuple(Level)


class BoxStatus(enum.StrEnum):
    """What the reader decides one box holds."""

    MARK = "mark"
    UNCLEAR = "unclear"
    EMPTY = "empty"


class RowValue(Labelled):
    """What a row reads as: a level, or one of the three readings a human must see."""

    CAO = "cao", Level.CAO.label
    TIN_NHIEM = "tin_nhiem", Level.TIN_NHIEM.label
    THAP = "thap", Level.THAP.label
    BLANK = "blank", "Không đánh dấu"
    MULTI = "multi", "Nhiều ô"
    UNCLEAR = "unclear", "Không rõ"


NOT_READ_LABEL = "Máy không đọc được"  # a row no page of the ballot shows (not read)


class StampStatus(enum.StrEnum):
    """What the reader tells of the agency's red stamp on a ballot page (``omr.stamp``)."""

    STAMPED = "stamped"
    NOT_STAMPED = "not_stamped"
    CANNOT_TELL = "cannot_tell"  # and always on a grey or black-and-white scan


class PageKind(enum.StrEnum):
    """Every page read is one of these (``PageReading.kind``)."""

    BALLOT = "ballot"  # a page of a ballot printed for this conference, registered and read
    BLANK = "blank"  # a blank page: a duplex back
    FOREIGN = "foreign"  # not a ballot of this conference (no, wrong or forged code)
    UNREADABLE = "unreadable"  # ours, or maybe ours, but it could not be decoded or placed


class Flag(Labelled):
    """Why a page or a ballot is flagged; the label says it to the committee.

    The reader raises the flags of a row (the first three and ``NAME_CROSSED``) and of a page
    (``WRITE_IN``, ``FOREIGN``, ``UNREADABLE``, and with the conference's stamp check
    ``MISSING_STAMP`` and ``STAMP_UNCLEAR``); the stack the others. ``MANUAL`` is never
    raised by a machine: it is the reason a ballot waits when a member of the committee
    flagged it by hand, with the decision :attr:`BallotChoice.FLAGGED` (the stored decision
    and the reason in the results keep the names they have always had).
    """

    BLANK_ROW = "blank_row", "Có dòng không đánh dấu ô nào"
    MULTI_MARK = "multi_mark", "Có dòng đánh dấu từ hai ô trở lên"
    UNCLEAR_MARK = "unclear_mark", "Có dấu không rõ, cần xem"
    NAME_CROSSED = "name_crossed", "Có tên bị gạch"
    WRITE_IN = "write_in", "Có ghi thêm tên hoặc chữ ngoài danh sách"
    FOREIGN = "foreign", "Không phải phiếu do Ban Kiểm phiếu phát hành (mã không đúng)"
    UNREADABLE = "unreadable", "Máy không đọc được trang này"
    BLANK_BALLOT = "blank_ballot", "Phiếu trắng: không đánh dấu ô nào"
    MISSING_PAGE = "missing_page", "Thiếu trang của phiếu"
    DUPLICATE = ("duplicate",
                 "Trùng với phiếu khác (cùng số sê-ri hoặc cùng nét mực): có thể quét hai lần")
    MANUAL = "manual", "Thành viên Ban Kiểm phiếu đánh dấu để xem lại"
    MISSING_STAMP = ("missing_stamp",
                     "Không có dấu treo của cơ quan: có thể không do Ban Kiểm phiếu phát ra")
    STAMP_UNCLEAR = "stamp_unclear", "Máy không xác định được có dấu treo hay không, cần xem"


ROW_FLAG_OF = {RowValue.BLANK: Flag.BLANK_ROW, RowValue.MULTI: Flag.MULTI_MARK,
               RowValue.UNCLEAR: Flag.UNCLEAR_MARK}
"""The flag a row reading raises (a level raises none)."""


class BallotChoice(Labelled):
    """A reviewer's decision on a ballot as a whole (the stored ``decisions.value``)."""

    GENUINE = "genuine", "Phiếu hợp lệ"
    INVALID = "invalid", "Cả phiếu không hợp lệ"
    FOREIGN = "foreign", "Phiếu lạ (không do Ban Kiểm phiếu phát hành)"
    EXCLUDED = "excluded", "Không tính (quét trùng, không phải phiếu)"
    FLAGGED = "flagged", "Đánh dấu để xem lại"  # not a resolution: a member wants it looked at


RESOLUTIONS: tuple[BallotChoice, ...] = tuple(c for c in BallotChoice
                                              if c is not BallotChoice.FLAGGED)
"""The choices that say what a ballot is (those of the review form)."""


class RowChoice(Labelled):
    """A reviewer's decision on one person's row (the stored ``decisions.value``)."""

    CAO = "cao", Level.CAO.label
    TIN_NHIEM = "tin_nhiem", Level.TIN_NHIEM.label
    THAP = "thap", Level.THAP.label
    INVALID = "invalid", "Không hợp lệ"


class BallotState(Labelled):
    """Where a ballot stands in review."""

    ACCEPTED = "accepted", "Máy đã đọc, không cần xem"  # no flag that can change a count
    OPEN = "open", "Chờ xử lý"  # waits for a reviewer
    RESOLVED = "resolved", "Đã xử lý"


class BallotStatus(enum.StrEnum):
    """What a ballot counts as, once known."""

    COUNTED = "counted"  # its rows count (some may still be invalid)
    VOID = "void"  # invalid for every person
    EXCLUDED = "excluded"  # not a sheet from the box (the same sheet scanned twice)


class VoidReason(Labelled):
    """Why a whole ballot is invalid, in the words of the minutes."""

    FOREIGN = "foreign", "Phiếu không do Ban Kiểm phiếu phát hành"
    BLANK_BALLOT = "blank_ballot", "Phiếu không đánh dấu ô nào (phiếu trắng)"
    NAME_CROSSED = "name_crossed", "Phiếu gạch tên người được lấy phiếu"
    WRITE_IN = "write_in", "Phiếu ghi thêm tên người ngoài danh sách"
    COMMITTEE = "committee", "Phiếu Ban Kiểm phiếu xác định không hợp lệ"
    MISSING_STAMP = "missing_stamp", "Phiếu không do Ban Kiểm phiếu phát ra (không có dấu treo)"


class RowInvalidReason(Labelled):
    """Why one person's row on a counted ballot is invalid, in the words of the minutes."""

    BLANK_ROW = "blank_row", "Không đánh dấu ô nào"
    MULTI_MARK = "multi_mark", "Đánh dấu từ hai ô trở lên"
    NAME_CROSSED = "name_crossed", "Gạch tên"
    COMMITTEE = "committee", "Ban Kiểm phiếu xác định không hợp lệ"
    VOID = "void", "Cả phiếu không hợp lệ"


class SetAsideHow(Labelled):
    """How a scanned file was set aside as a whole (its pages no longer count)."""

    REFUSED = "refused", "Máy từ chối: phần lớn các trang là phiếu của hội nghị khác"
    WITHDRAWN = "withdrawn", "Đã rút lại, không tính"


MACHINE = "machine:"
"""Prefix of a decision's ``before`` that is the machine's proposal, not an earlier decision."""
