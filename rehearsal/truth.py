"""The truth of a simulated stack (``truth.json``) as typed values: what a correct reader must
find on every page, and what every voter did.

The file is the contract between whoever makes the sheets (:mod:`rehearsal.simulate`, or the
independent corpus of ``benchmarks/independent``) and whoever judges a reading of them
(:mod:`rehearsal.evaluate`, :mod:`rehearsal.committee`). Its fields are only ever added to; the
ones read here are those every version has. The descriptive rest (the hand, the scanner's
parameters, the print's toner) stays in the file for breaking results down.
"""

from __future__ import annotations

import enum
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ballotgen.errors import InputFileError
from ballotgen.vocabulary import Flag, Level, RowValue


class SheetKind(enum.StrEnum):
    """What a scanned page is, in truth."""

    BALLOT = "ballot"  # a page of a ballot the committee issued
    BLANK_BACK = "blank_back"  # the blank back of a sheet (duplex)
    FOREIGN = "foreign"  # a sheet that is not a ballot of this conference, or a photocopy


class ForeignKind(enum.StrEnum):
    OTHER_CONFERENCE = "other_conference"  # a ballot of another conference
    DAMAGED_CODE = "damaged_code"  # one of ours whose code was torn or scribbled over
    MISSING_CODE = "missing_code"  # one of ours whose code was whited out
    PHOTOCOPY = "photocopy"  # a copy of a ballot already in the stack


@dataclass(frozen=True)
class TruthRow:
    """What one voter did on one person's row."""

    person: int
    intended: Level | None  # the voter's choice (None: left blank)
    expected: RowValue  # what a correct reader reports: a level, blank or multi
    flags: tuple[Flag, ...]  # the flags a reader must raise for the row
    marked: tuple[int, ...]  # boxes (0..2, LEVELS order) with a valid-looking mark
    scribbled: int | None  # a box whose mark was scribbled out (a correction)
    style: str | None  # how the mark was drawn (None: nothing marked)
    spill: int | None  # a neighbouring box a stroke end ran into

    @property
    def corrected(self) -> bool:
        """A mark scribbled out beside the one the voter meant (rule 5: a human decides)."""
        return self.scribbled is not None and len(self.marked) == 1


@dataclass(frozen=True)
class TruthBallot:
    id: str
    flags: tuple[Flag, ...]  # blank_ballot, name_crossed, write_in: what the voter did
    rows: tuple[TruthRow, ...]
    stamped: bool = True  # the agency's stamp was put on it (truths before stamps varied: all)

    def row(self, person: int) -> TruthRow:
        return next(r for r in self.rows if r.person == person)


@dataclass(frozen=True)
class TruthPage:
    """One page of the stack as scanned: which file and page, and what it is."""

    file: str
    index: int  # 0-based page of the file
    kind: SheetKind
    flags: tuple[Flag, ...]  # the flags a reader must raise on this page
    ballot: str | None = None  # the id of its ballot (a ballot page)
    ballot_page: int | None = None  # 1-based page of that ballot
    foreign: str | None = None  # the id of the foreign sheet
    foreign_kind: ForeignKind | None = None
    qr_in_frame: bool | None = None  # whether the scan holds the whole QR code (None: unknown)


@dataclass(frozen=True)
class TruthForeign:
    id: str  # a photocopy's ends with "-copy-of-<ballot id>"
    kind: ForeignKind
    flags: tuple[Flag, ...]

    def copy_of(self, ballot: str) -> bool:
        return self.kind == ForeignKind.PHOTOCOPY and self.id.endswith(f"-copy-of-{ballot}")


@dataclass(frozen=True)
class Truth:
    pages: tuple[TruthPage, ...]
    ballots: dict[str, TruthBallot]  # by id
    foreign: tuple[TruthForeign, ...]
    stamp_check: str = "off"  # the conference's stamp check (ballotgen.conference.STAMP_CHECKS)
    rescan: bool = False  # the sheets of another stack scanned once more (simulate.Rescan)

    def page(self, file: str, index: int) -> TruthPage | None:
        return self._pages.get((file, index))

    @functools.cached_property
    def _pages(self) -> dict[tuple[str, int], TruthPage]:
        return {(p.file, p.index): p for p in self.pages}

    @classmethod
    def of(cls, truth: Truth | Mapping) -> Truth:
        """``truth`` as read from its file (a mapping), or as it is."""
        return truth if isinstance(truth, Truth) else cls.from_dict(truth)

    @classmethod
    def from_dict(cls, data: Mapping) -> Truth:
        """The truth from the content of ``truth.json``.

        Raises
        ------
        KeyError, TypeError, ValueError
            The content is not a truth.
        """
        ballots = {b["id"]: TruthBallot(b["id"], _flags(b["flags"]), tuple(
            TruthRow(r["person"], Level(r["intended"]) if r["intended"] else None,
                     RowValue(r["expected"]), _flags(r["flags"]), tuple(r["marked"]),
                     r["scribbled"], r.get("style"), r.get("spill"))
            for r in b["rows"]), bool(b.get("stamp", True))) for b in data["ballots"]}
        pages = tuple(TruthPage(
            p["file"], p["index"], SheetKind(p["kind"]), _flags(p["flags"]), p.get("ballot"),
            p.get("ballot_page"), p.get("foreign"),
            ForeignKind(p["foreign_kind"]) if p.get("foreign_kind") else None,
            (p.get("scan") or {}).get("qr_in_frame")) for p in data["pages"])
        foreign = tuple(TruthForeign(f["id"], ForeignKind(f["kind"]), _flags(f["flags"]))
                        for f in data["foreign"])
        return cls(pages, ballots, foreign, data.get("stamp_check", "off"),
                   bool(data.get("rescan")))

    @classmethod
    def load(cls, path: Path) -> Truth:
        """The truth in the file ``path``.

        Raises
        ------
        InputFileError
            The file cannot be read, or is not a simulation's truth.
        """
        try:
            return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputFileError(path, f"is not a simulation's truth.json ({exc})") from exc


def _flags(values: list) -> tuple[Flag, ...]:
    return tuple(Flag(v) for v in values)
