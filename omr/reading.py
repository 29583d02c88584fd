"""What the reader says about one scanned page: a :class:`PageReading`.

Every outcome is its own kind (``ballot``, ``blank``, ``foreign``, ``unreadable``) with its reason;
raw measurements (every box's score) are always kept, so thresholds can be audited and re-applied
later without rescanning. Readings are plain values, serialised to JSON for the store.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

PAGE_KINDS = ("ballot", "blank", "foreign", "unreadable")
ROW_READINGS = ("cao", "tin_nhiem", "thap", "blank", "multi", "unclear")
PAGE_FLAGS = ("blank_row", "multi_mark", "unclear_mark", "name_crossed", "write_in", "foreign",
              "unreadable", "missing_stamp", "stamp_unclear")
STAMP_STATUSES = ("stamped", "not_stamped", "cannot_tell")


@dataclass(frozen=True)
class RowReading:
    """One person's row on one ballot page."""

    person: int
    scores: tuple[float, float, float]  # mean darkness of each box (LEVELS order), 0..1
    extents_mm: tuple[float, float, float]  # how far the ink in each box spreads
    statuses: tuple[str, str, str]  # "mark", "unclear" or "empty" per box
    reading: str  # a ROW_READINGS value
    name_ink_mm2: float  # new ink over the printed name (a struck-through name)
    flags: tuple[str, ...] = ()
    ink_mm2: tuple[float, ...] = ()  # area of ink in each box (readings before 2026-12: none)
    spill_mm2: tuple[float, ...] = ()  # … of it taken for a neighbouring mark's overshoot
    line_mm2: tuple[float, ...] = ()  # ink of dark straight lines right across a box (slashes)
    blot_mm2: tuple[float, ...] = ()  # ink of small solid blots in a box (drops, splashes)
    stroke_scores: tuple[float, ...] = ()  # mean darkness above each box's own background
    surround: tuple[float, ...] = ()  # darkness just outside each box (1: off the scan)
    outline: tuple[float, ...] = ()  # darkness along each box's printed outline (0: not seen)
    texture: tuple[float, ...] = ()  # how dark the paper's grain gets around each box
    peak: tuple[float, ...] = ()  # the darkest pixel of each box's ink (0: no ink)


@dataclass(frozen=True)
class StampReading:
    """What the reader tells of the agency's red stamp on one ballot page (``omr.stamp``)."""

    status: str  # a STAMP_STATUSES value
    reason: str = ""  # why it cannot tell, in plain English
    colour: bool = True  # the page was scanned in colour (else it always cannot tell)
    red_mm2: float = 0.0  # red ink inside the stamp area
    elsewhere_mm2: float = 0.0  # red ink in the rest of its header (omr.stamp.header)
    faint_mm2: float = 0.0  # faint red, or red ink, inside the stamp area
    on_scan: float = 1.0  # share of the stamp area inside the scanned image
    spread: float = 0.0  # grey levels by which the page's colour channels differ
    paper: tuple[int, ...] = ()  # BGR of the page's paper, as scanned (its cast and tint)


_ROW_TUPLES = ("scores", "extents_mm", "statuses", "flags", "ink_mm2", "spill_mm2", "line_mm2",
               "stroke_scores", "surround", "outline", "blot_mm2", "texture", "peak")


@dataclass(frozen=True)
class PageReading:
    """The reader's whole account of one page of one scanned file."""

    kind: str  # a PAGE_KINDS value
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
    flags: tuple[str, ...] = field(default=())  # PAGE_FLAGS values
    settings: dict = field(default_factory=dict)  # the ReaderSettings it was read with
    calibration: dict = field(default_factory=dict)  # the page's own noise and mark levels
    stamp: StampReading | None = None  # a ballot page's stamp (readings before 2026-12: none)

    @property
    def flagged(self) -> bool:
        return bool(self.flags)

    def to_json(self) -> str:
        data = asdict(self)
        if self.stamp is None:  # as readings made before the stamp was read: their hash stands
            del data["stamp"]
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> PageReading:
        d = json.loads(text)
        d["rows"] = tuple(RowReading(**{**r, **{k: tuple(r[k]) for k in _ROW_TUPLES if k in r}})
                          for r in d["rows"])
        d["flags"] = tuple(d["flags"])
        if d.get("stamp") is not None:
            d["stamp"] = StampReading(**{**d["stamp"], "paper": tuple(d["stamp"]["paper"])})
        return cls(**d)
