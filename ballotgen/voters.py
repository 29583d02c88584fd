"""Who votes what, and which mistakes they make: the plan of every simulated ballot (pure data).

A :class:`BallotPlan` says, for one voter, which boxes get a mark and in what style, which marks are
scribbled out, which names are struck through, whether a name is written in, and so on. From the
plan follow both the drawing (``marks``) and the truth: what a correct reader must report.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np

from ballotgen.conference import Person
from ballotgen.errors import InputFileError
from ballotgen.layout import LEVELS

MARK_STYLES = ("x", "tick", "fill", "circle", "small", "pencil")
"""x: a cross; tick: a check mark; fill: the box scribbled full; circle: an O inside the box;
small: a small cross touching only the centre; pencil: a thin, very light cross."""
MARK_STYLE_WEIGHTS = (0.56, 0.14, 0.07, 0.06, 0.07, 0.10)


@dataclass(frozen=True)
class Mistakes:
    """How often voters do each thing (per row or per ballot), between 0 and 1."""

    blank_row: float = 0.005  # per row: no box marked
    multi_mark: float = 0.002  # per row: two or three boxes marked
    correction: float = 0.003  # per row: a mark scribbled out and another box marked
    crossed_name: float = 0.01  # per ballot: a printed name struck through
    write_in: float = 0.01  # per ballot: a name written below the table
    signature: float = 0.15  # per ballot: the voter signs (never a mistake)
    stray: float = 0.10  # per ballot: stray dots and smudges away from the boxes
    blank_ballot: float = 0.005  # per ballot: nothing marked at all
    stamp: float = 1.0  # per ballot: the red stamp (dấu treo) over the header

    def __post_init__(self) -> None:
        for f in fields(self):
            if not 0.0 <= getattr(self, f.name) <= 1.0:
                raise ValueError(f"rate {f.name} must be between 0 and 1")

    def with_overrides(self, overrides: dict[str, float]) -> Mistakes:
        """A copy with some rates changed, e.g. ``{"multi_mark": 0.1}``."""
        unknown = set(overrides) - {f.name for f in fields(self)}
        if unknown:
            raise ValueError(f"unknown rate {sorted(unknown)[0]!r}; known: "
                             f"{', '.join(f.name for f in fields(self))}")
        return replace(self, **overrides)


@dataclass(frozen=True)
class RowPlan:
    """What one voter does on one person's row."""

    person: int
    intended: str | None  # the voter's choice (a LEVELS value), None if left blank
    marked: tuple[int, ...]  # indexes (0..2, LEVELS order) of boxes with a valid-looking mark
    style: str = "x"
    scribbled: int | None = None  # a box whose mark was scribbled out (a correction)

    @property
    def expected(self) -> str:
        """What a correct reader reports for this row: a level, ``blank`` or ``multi``."""
        inked = len(self.marked) + (self.scribbled is not None)
        if inked == 0:
            return "blank"
        if inked > 1:
            return "multi"
        return LEVELS[self.marked[0]]

    @property
    def flags(self) -> tuple[str, ...]:
        return {"blank": ("blank_row",), "multi": ("multi_mark",)}.get(self.expected, ())


@dataclass(frozen=True)
class BallotPlan:
    """Everything one voter does to one ballot (all its pages)."""

    voter: int  # 1-based
    rows: tuple[RowPlan, ...]
    crossed: tuple[int, ...] = ()  # numbers of persons whose printed name is struck through
    write_in: str | None = None
    signature: bool = False
    stray: int = 0  # number of stray dots and smudges
    stamp: bool = True
    seed: int = 0  # for the drawing: hand-made variation is reproducible

    @property
    def flags(self) -> tuple[str, ...]:
        """Ballot-level flags a correct reader must raise."""
        out = []
        if all(r.expected == "blank" for r in self.rows):
            out.append("blank_ballot")
        if self.crossed:
            out.append("name_crossed")
        if self.write_in:
            out.append("write_in")
        return tuple(out)


# Invented names for write-ins (drawn in a script font without diacritics).
WRITE_IN_NAMES = ("Tran Van Nam", "Le Thi Hoa", "Pham Minh Duc", "Vo Thanh Tam", "Do Quang Vinh")


def person_profiles(persons: tuple[Person, ...], rng: np.random.Generator) -> dict[int, np.ndarray]:
    """A realistic spread of opinion: most persons mostly *cao* or *tín nhiệm*, some with many
    *thấp* (so every band of the rules is exercised). Returns p(cao, tin_nhiem, thap) per person."""
    profiles = {}
    for person in persons:
        if rng.random() < 0.15:  # a contested leader
            weights = rng.dirichlet((2.0, 3.0, 5.0))
        else:
            weights = rng.dirichlet((8.0, 4.0, 0.6))
        profiles[person.number] = weights
    return profiles


def plan_ballots(persons: tuple[Person, ...], voters: int, rng: np.random.Generator, *,
                 mistakes: Mistakes = Mistakes(),
                 choices: list[dict[int, str | None]] | None = None) -> list[BallotPlan]:
    """Plan ``voters`` ballots: intended choices (given, or drawn from :func:`person_profiles`)
    and mistakes at the rates of ``mistakes``."""
    profiles = person_profiles(persons, rng)
    plans = []
    for voter in range(1, voters + 1):
        given = choices[voter - 1] if choices else None
        blank = rng.random() < mistakes.blank_ballot
        rows = []
        for person in persons:
            if given is not None:
                intended = given.get(person.number)
            else:
                intended = LEVELS[rng.choice(3, p=profiles[person.number])]
                if rng.random() < mistakes.blank_row:
                    intended = None
            rows.append(_row_plan(person.number, None if blank else intended, rng, mistakes,
                                  allow_mistakes=given is None and not blank))
        crossed = ()
        if not blank and rng.random() < mistakes.crossed_name:
            crossed = (int(rng.choice([p.number for p in persons])),)
        plans.append(BallotPlan(
            voter=voter, rows=tuple(rows), crossed=crossed,
            write_in=(str(rng.choice(WRITE_IN_NAMES)) if not blank and
                      rng.random() < mistakes.write_in else None),
            signature=bool(rng.random() < mistakes.signature),
            stray=int(rng.integers(1, 4)) if rng.random() < mistakes.stray else 0,
            stamp=bool(rng.random() < mistakes.stamp),
            seed=int(rng.integers(2**31)),
        ))
    return plans


def _row_plan(person: int, intended: str | None, rng: np.random.Generator, mistakes: Mistakes,
              *, allow_mistakes: bool) -> RowPlan:
    style = str(rng.choice(MARK_STYLES, p=MARK_STYLE_WEIGHTS))
    if intended is None:
        return RowPlan(person, None, (), style)
    chosen = LEVELS.index(intended)
    others = [i for i in range(3) if i != chosen]
    if allow_mistakes and rng.random() < mistakes.multi_mark:
        extra = others if rng.random() < 0.25 else [int(rng.choice(others))]
        return RowPlan(person, intended, tuple(sorted([chosen, *extra])), style)
    if allow_mistakes and rng.random() < mistakes.correction:
        return RowPlan(person, intended, (chosen,), style, scribbled=int(rng.choice(others)))
    return RowPlan(person, intended, (chosen,), style)


_CHOICE_WORDS = {
    "cao": "cao", "tín nhiệm cao": "cao", "tnc": "cao", "c": "cao",
    "tin_nhiem": "tin_nhiem", "tín nhiệm": "tin_nhiem", "tn": "tin_nhiem",
    "thap": "thap", "thấp": "thap", "tín nhiệm thấp": "thap", "tnt": "thap", "t": "thap",
    "": None, "blank": None, "trống": None, "-": None,
}


def read_votes(path: Path, persons: tuple[Person, ...]) -> list[dict[int, str | None]]:
    """Read intended choices: a CSV with a header ``voter,<STT>,<STT>,…`` and one row per voter,
    each cell ``cao``, ``tin_nhiem``, ``thap`` (or ``tín nhiệm cao``…) or empty for a blank row."""
    numbers = {p.number for p in persons}
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(path, f"cannot be read as UTF-8 text ({exc})") from exc
    rows = list(csv.reader(text.splitlines()))
    if len(rows) < 2:
        raise InputFileError(path, "has no voters", remedy="Add a header row and one row per voter.")
    header = [h.strip() for h in rows[0]]
    try:
        columns = [int(h) for h in header[1:]]
    except ValueError:
        raise InputFileError(path, "header must be: voter, then the STT of every person",
                             remedy="For example: voter,1,2,3") from None
    if set(columns) != numbers:
        raise InputFileError(path, f"columns {sorted(set(columns) ^ numbers)} do not match the "
                             "roster's STT", remedy="Give one column per person of the roster.")
    votes = []
    for line_no, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        choice = {}
        for number, cell in zip(columns, row[1:] + [""] * (len(columns) + 1 - len(row))):
            word = cell.strip().lower()
            if word not in _CHOICE_WORDS:
                raise InputFileError(path, f"row {line_no}: {cell!r} is not a choice",
                                     remedy="Use cao, tin_nhiem, thap, or leave the cell empty.")
            choice[number] = _CHOICE_WORDS[word]
        votes.append(choice)
    return votes
