"""The conference and its roster as plain values.

A :class:`Conference` is fixed when it is created (``tinnhiem init``) and everything later — the
ballot layout, the QR payload, the count — is computed from it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass

from ballotgen.vietnamese import nfc

PAPER_SIZES_MM: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0)}
STAMP_CHECKS = ("off", "required")
"""What the reader does with the agency's red stamp (dấu treo): nothing, or, with
``required``, a colour-scanned ballot whose first sheet lacks it goes to review as a sheet the
committee did not issue."""
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"


def valid_timezone(name: str) -> bool:
    """Whether ``name`` is a time zone the system knows ("Asia/Ho_Chi_Minh")."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@dataclass(frozen=True)
class Person:
    """A person on the ballot (*người được lấy phiếu*). Text is NFC."""

    number: int
    name: str
    position: str

    def __post_init__(self) -> None:
        if self.number < 1:
            raise ValueError(f"person number must be positive, got {self.number}")
        object.__setattr__(self, "name", nfc(self.name))
        object.__setattr__(self, "position", nfc(self.position))


@dataclass(frozen=True)
class Conference:
    """The facts printed on the ballot and needed for the count.

    Attributes
    ----------
    org : str
        The organisation holding the vote, printed top-left. Several lines are separated by
        newlines, parent bodies first: "ỦY BAN NHÂN DÂN TỈNH BÌNH AN\nSỞ TÀI CHÍNH".
    title : str
        The conference, e.g. "Hội nghị lấy phiếu tín nhiệm đối với cán bộ lãnh đạo, quản lý năm
        2026".
    date : datetime.date
    persons : tuple of Person
        Sorted by number; numbers and (name, position) pairs are unique.
    place : str
    summoned : int or None
        Voters summoned (*thành phần ghi phiếu*), for the quorum.
    rules : str
        Name of the rule set (see ``tally.rules``).
    paper : str
        Paper size, a key of ``PAPER_SIZES_MM``.
    stamp : str
        The stamp check, one of ``STAMP_CHECKS`` (a conference created before it: ``off``).
    venue : str
        Where the conference sits ("Hội trường tầng 3, Sở Tài chính"), as the minutes say "tại
        …"; apart from ``place``, the town on the date line. Empty: not stated.
    timezone : str
        The conference's IANA time zone, in which the minutes state the time.
    """

    org: str
    title: str
    date: dt.date
    persons: tuple[Person, ...]
    place: str = ""
    summoned: int | None = None
    rules: str = "qd96-2023"
    paper: str = "A4"
    stamp: str = "off"
    venue: str = ""
    timezone: str = DEFAULT_TIMEZONE

    def __post_init__(self) -> None:
        for name in ("title", "place", "venue"):
            object.__setattr__(self, name, nfc(getattr(self, name)))
        object.__setattr__(self, "org", "\n".join(filter(None, map(nfc, self.org.splitlines()))))
        object.__setattr__(self, "persons", tuple(sorted(self.persons, key=lambda p: p.number)))
        if self.paper not in PAPER_SIZES_MM:
            raise ValueError(f"unknown paper size {self.paper!r}")
        if self.stamp not in STAMP_CHECKS:
            raise ValueError(f"unknown stamp check {self.stamp!r}")
        if self.summoned is not None and self.summoned < 1:
            raise ValueError(f"summoned must be positive, got {self.summoned}")
        if not valid_timezone(self.timezone):
            raise ValueError(f"unknown time zone {self.timezone!r}")

    @property
    def org_lines(self) -> list[str]:
        return self.org.split("\n")

    def to_json(self) -> str:
        data = asdict(self)
        data["date"] = self.date.isoformat()
        for name, default in (("venue", ""), ("timezone", DEFAULT_TIMEZONE)):
            if data[name] == default:  # as conferences were before these facts existed
                del data[name]
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Conference:
        data = json.loads(text)
        data["date"] = dt.date.fromisoformat(data["date"])
        data["persons"] = tuple(Person(**p) for p in data["persons"])
        return cls(**data)
