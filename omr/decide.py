"""Turn measurements into statuses, row readings and flags: the one place thresholds live.

The thresholds are kept apart from what is printed, so tuning never needs a reprint, and raw
scores are stored, so a change can be audited on past readings. How the default values were
chosen is in ``benchmarks/thresholds.py`` (score distributions of simulated marked and empty boxes).
"""

from __future__ import annotations

from dataclasses import dataclass

from ballotgen.layout import LEVELS


@dataclass(frozen=True)
class Thresholds:
    """Box scores are the mean darkness of the box interior (0 empty, 1 black)."""

    # Measured (benchmarks/accuracy.py prints the distributions): empty boxes score at most
    # 0.011 on every profile; the faintest visible marks (light pencil) 0.037, crosses 0.09.
    # The smallest cross (a quarter of the box) spans 2.4 mm or more; dots up to 1.2 mm across
    # measure at most 1.4 mm.
    definite: float = 0.03  # at or above: a mark
    marginal: float = 0.02  # at or above (and below definite): unclear, a human decides
    min_extent_mm: float = 2.0  # ink more compact than this (a dot) is never a definite mark
    # New ink over an untouched name: at most 1.7 mm² (rough black-and-white scans); a line
    # struck through even a long name leaves 2.5 mm² or more between and over its letters.
    name_crossed_mm2: float = 2.0  # new ink over a printed name: a struck-through name
    write_in_mm2: float = 8.0  # new ink in the free area below the table: a written-in name

    def __post_init__(self) -> None:
        if not 0.0 < self.marginal <= self.definite <= 1.0:
            raise ValueError("thresholds must satisfy 0 < marginal <= definite <= 1")
        if min(self.min_extent_mm, self.name_crossed_mm2, self.write_in_mm2) <= 0:
            raise ValueError("extent and area thresholds must be positive")


DEFAULT = Thresholds()


def box_status(score: float, extent_mm: float, t: Thresholds = DEFAULT) -> str:
    """``mark``, ``unclear`` or ``empty`` for a box's new-ink score and the extent of its ink.

    A lone dot has little extent: it is never a mark; if heavy, a human looks at it.
    """
    if extent_mm < t.min_extent_mm:
        return "unclear" if score >= t.definite else "empty"
    if score >= t.definite:
        return "mark"
    if score >= t.marginal:
        return "unclear"
    return "empty"


def row_reading(statuses: tuple[str, ...]) -> str:
    """A level, ``blank``, ``multi`` or ``unclear`` from the three box statuses.

    Any unclear box makes the row unclear (even beside a clear mark): a human looks at it.
    """
    if "unclear" in statuses:
        return "unclear"
    marked = [i for i, s in enumerate(statuses) if s == "mark"]
    if not marked:
        return "blank"
    if len(marked) > 1:
        return "multi"
    return LEVELS[marked[0]]


ROW_FLAGS = {"blank": ("blank_row",), "multi": ("multi_mark",), "unclear": ("unclear_mark",)}


def row_flags(reading: str, name_ink_mm2: float, t: Thresholds = DEFAULT) -> tuple[str, ...]:
    flags = ROW_FLAGS.get(reading, ())
    if name_ink_mm2 >= t.name_crossed_mm2:
        flags += ("name_crossed",)
    return flags
