"""What the reader says about one scanned page: a :class:`PageReading`.

Every outcome is its own kind (a :class:`~ballotgen.vocabulary.PageKind`) with its reason; raw
measurements (every box's score) are always kept, so thresholds can be audited and re-applied
later without rescanning. Readings are plain values, serialised to JSON for the store; the
vocabularies (kinds, statuses, row readings, flags) are those of :mod:`ballotgen.vocabulary`,
whose members are stored as the plain strings they are.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from ballotgen.vocabulary import BoxStatus, Flag, PageKind, RowValue, StampStatus


@dataclass(frozen=True)
class RowReading:
    """One person's row on one ballot page."""

    person: int
    scores: tuple[float, float, float]  # mean darkness of each box (LEVELS order), 0..1
    extents_mm: tuple[float, float, float]  # how far the ink in each box spreads
    statuses: tuple[BoxStatus, ...]  # one per box
    reading: RowValue
    name_ink_mm2: float  # new ink over the printed name (a struck-through name)
    flags: tuple[Flag, ...] = ()
    ink_mm2: tuple[float, ...] = ()  # area of ink in each box (readings before 2026-12: none)
    spill_mm2: tuple[float, ...] = ()  # … of it taken for a neighbouring mark's overshoot
    line_mm2: tuple[float, ...] = ()  # ink of dark straight lines right across a box (slashes)
    blot_mm2: tuple[float, ...] = ()  # ink of small solid blots in a box (drops, splashes)
    stroke_scores: tuple[float, ...] = ()  # mean darkness above each box's own background
    surround: tuple[float, ...] = ()  # darkness just outside each box (1: off the scan)
    outline: tuple[float, ...] = ()  # darkness along each box's printed outline (0: not seen)
    texture: tuple[float, ...] = ()  # how dark the paper's grain gets around each box
    peak: tuple[float, ...] = ()  # the darkest pixel of each box's ink (0: no ink)
    piece_mm: tuple[float, ...] = ()  # the longest piece of each box's ink's core (0: none)
    line_share: tuple[float, ...] = ()  # … the share of its ink along two straight lines

    def __post_init__(self) -> None:  # the words as members of their vocabularies
        object.__setattr__(self, "statuses", tuple(map(BoxStatus, self.statuses)))
        object.__setattr__(self, "reading", RowValue(self.reading))
        object.__setattr__(self, "flags", tuple(map(Flag, self.flags)))


@dataclass(frozen=True)
class StampReading:
    """What the reader tells of the agency's red stamp on one ballot page (``omr.stamp``)."""

    status: StampStatus
    reason: str = ""  # why it cannot tell, in plain English
    colour: bool = True  # the page was scanned in colour (else it always cannot tell)
    red_mm2: float = 0.0  # red ink inside the stamp area
    elsewhere_mm2: float = 0.0  # red ink in the rest of its header (omr.stamp.header)
    faint_mm2: float = 0.0  # faint red, or red ink, inside the stamp area
    on_scan: float = 1.0  # share of the stamp area inside the scanned image
    spread: float = 0.0  # grey levels by which the page's colour channels differ
    paper: tuple[int, ...] = ()  # BGR of the page's paper, as scanned (its cast and tint)

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", StampStatus(self.status))


_ROW_TUPLES = ("scores", "extents_mm", "statuses", "flags", "ink_mm2", "spill_mm2", "line_mm2",
               "stroke_scores", "surround", "outline", "blot_mm2", "texture", "peak", "piece_mm",
               "line_share")
_ROW_ADDED = ("ink_mm2", "spill_mm2", "line_mm2", "blot_mm2", "stroke_scores", "surround",
              "outline", "texture", "peak", "piece_mm", "line_share")
"""Measurements added to rows after readings were first stored: written only when they hold
something, so that a reading stored before them is written again to the same bytes (the event
log keeps the SHA-256 of those bytes, and the audit recomputes it from the reading decoded)."""


@dataclass(frozen=True)
class PageReading:
    """The reader's whole account of one page of one scanned file."""

    kind: PageKind
    reason: str = ""  # why foreign or unreadable, in plain English
    batch: str | None = None
    page: int | None = None  # 1-based page of the ballot
    pages: int | None = None
    serial: str | None = None
    layout_hash: str | None = None
    upside_down: bool = False
    registration_error_mm: float | None = None  # RMS residual of the mark fit
    marks_found: int = 0
    rows: tuple[RowReading, ...] = ()
    write_in_mm2: float = 0.0  # new ink in the free area below the table
    flags: tuple[Flag, ...] = field(default=())
    settings: dict = field(default_factory=dict)  # the ReaderSettings it was read with
    calibration: dict = field(default_factory=dict)  # the page's own noise and mark levels
    # The page transform of a ballot page, layout mm → image px, the 3 × 3 matrix row by row:
    # review images and masks place the page with it instead of registering it again (empty
    # in readings of other pages, and of ballot pages read before it was kept).
    transform: tuple[float, ...] = ()
    stamp: StampReading | None = None  # a ballot page's stamp (readings before 2026-12: none)
    # The voter's ink as a compact signature (omr.inkprint), to tell a sheet scanned twice: ""
    # on other pages, on a page with no ink, and in readings made before it was kept.
    ink: str = ""

    def __post_init__(self) -> None:  # the words as members of their vocabularies
        object.__setattr__(self, "kind", PageKind(self.kind))
        object.__setattr__(self, "flags", tuple(map(Flag, self.flags)))

    @property
    def flagged(self) -> bool:
        return bool(self.flags)

    def to_json(self) -> str:
        data = asdict(self)
        if not self.transform:  # as readings were before it was kept: their hashes are logged
            del data["transform"]
        if self.stamp is None:  # as readings made before the stamp was read: their hash stands
            del data["stamp"]
        if not self.ink:  # likewise for the ink signature
            del data["ink"]
        for row in data["rows"]:
            for name in _ROW_ADDED:
                if not row[name]:
                    del row[name]
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> PageReading:
        d = json.loads(text)
        d["rows"] = tuple(RowReading(**{**r, **{k: tuple(r[k]) for k in _ROW_TUPLES if k in r}})
                          for r in d["rows"])
        d["flags"] = tuple(d["flags"])
        d["transform"] = tuple(d.get("transform", ()))
        if d.get("stamp") is not None:
            d["stamp"] = StampReading(**{**d["stamp"], "paper": tuple(d["stamp"]["paper"])})
        return cls(**d)
