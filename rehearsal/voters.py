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
from ballotgen.vocabulary import LEVELS
from rehearsal import marks
from rehearsal.marks import CROSS_SHAPES, TICK_SHAPES, Hand

MARK_STYLES = ("x", "tick", "fill", "circle", "small", "pencil", "light", "heavy", "overshoot")
"""x: a cross; tick: a check mark; fill: the box scribbled full; circle: an O inside the box;
small: a small cross, a quarter to 40 % of the box; pencil: a thin, light pencil cross; light: a
cross with a pen running dry (faint, with skips); heavy: a thick cross gone over twice; overshoot:
a large cross reaching past the box on every side (but never into another box)."""
MARK_STYLE_WEIGHTS = (0.44, 0.14, 0.07, 0.05, 0.07, 0.06, 0.06, 0.05, 0.06)
"""How often each style is drawn on a row off the voter's habit."""

HABIT_STYLES = ("x", "tick", "fill", "circle", "small", "heavy", "overshoot")
HABIT_WEIGHTS = (0.50, 0.18, 0.06, 0.04, 0.07, 0.07, 0.08)
"""The style a voter uses on most rows (a voter is consistent: a ticker ticks)."""
HABIT_RATE = 0.8  # share of a voter's rows drawn in the habitual style
SMUDGE_STREAM = 24  # whether a ballot gets smudges in its boxes: (ballot seed, SMUDGE_STREAM)

PENS = ("ballpoint", "gel", "felt", "pencil", "dry")
PEN_WEIGHTS = (0.58, 0.12, 0.08, 0.10, 0.12)
LIGHT_PENS = ("pencil", "dry")  # their crosses are the "pencil" and "light" styles
FAINT_CONTRAST = (0.25, 0.45)
"""Grey contrast of the faintest marks made: a light pencil or a dry pen. 0.25 (~64 grey levels
on white paper) is faint but clearly visible; nothing lighter is ever drawn, because a mark no
human can see on the scan must not be in the truth as a mark."""
CROSS_SHAPE_WEIGHTS = (0.45, 0.2, 0.15, 0.2)  # CROSS_SHAPES order
TICK_SHAPE_WEIGHTS = (0.45, 0.2, 0.15, 0.2)  # TICK_SHAPES order
SPILL_MM = (0.5, 2.5)  # how far a spilled stroke end enters the neighbouring box

SIGNATURE_PLACES = ("area", "over_note", "bottom_left", "centre", "bottom_right")
"""Where a voter signs on the last page: in the signature area, over the printed note, or anywhere
else in the lower third of the page (bottom left, centre, bottom right)."""
SIGNATURE_PLACE_WEIGHTS = (0.35, 0.15, 0.2, 0.15, 0.15)
SIGNATURE_RISING_RATE = 0.3  # signatures slanting up to the right
SIGNATURE_RISE_DEG = (5.0, 20.0)


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
    # per ballot: a smudge or a cluster of specks in a box nobody marked, on each page (a dirty
    # finger, graphite rubbed off another sheet, toner). Off unless asked for (--rate
    # smudge=0.05): the reader still takes a dense cluster of specks for a light mark (issue 11).
    smudge: float = 0.0
    stamp: float = 1.0  # per ballot: the red stamp (dấu treo) over the header
    spill: float = 0.03  # per marked row: a stroke end overshoots into the next box (reads as
    #                      the intended box all the same: not a mistake, a careless hand)

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
    spill: int | None = None  # a neighbouring box a stroke end of the mark runs into
    spill_mm: float | None = None  # how far past that box's outline it reaches

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
    smudges: int = 0  # smudges or clusters of specks in unmarked boxes, on each page
    stamp: bool = True
    seed: int = 0  # for the drawing: hand-made variation is reproducible
    hand: Hand | None = None  # how the voter writes (None: a steady pen drawn at random)
    signature_place: str | None = None  # one of SIGNATURE_PLACES (None with a signature: "area")
    signature_angle: float = 0.0  # degrees; negative rises to the right

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


def draw_hand(rng: np.random.Generator) -> Hand:
    """One voter's hand: pen, width, pressure, size, slant, wobble, speed and stroke shapes.

    The spread is a guess at what a room of voters brings (mostly ballpoints, some gel and felt
    pens, a few pencils and pens running dry), wide on purpose so that no reader can be tuned to
    one hand.
    """
    pen = str(rng.choice(PENS, p=PEN_WEIGHTS))
    colour = marks.BLUE if rng.random() < 0.6 else marks.BLACK
    if pen == "pencil":
        colour, width = marks.PENCIL, rng.uniform(0.25, 0.45)
    elif pen == "felt":
        width = rng.uniform(0.6, 1.0)
    elif pen == "gel":
        width = rng.uniform(0.4, 0.7)
    else:
        width = rng.uniform(0.3, 0.6)
    faint = rng.uniform(*FAINT_CONTRAST)
    if pen in LIGHT_PENS:
        pressure = faint / marks.ink_contrast(marks.Ink(colour, 1.0, width))
    else:
        pressure = rng.uniform(0.75, 1.0) if pen == "ballpoint" else rng.uniform(0.88, 1.0)
    speed = rng.beta(2.0, 3.0)  # 0 slow and careful … 1 hurried
    skip = {"ballpoint": 1.5 * speed, "gel": 0.3 * speed, "felt": 0.0, "pencil": 0.4 * speed,
            "dry": 1.0 + 2.0 * speed}[pen]
    return Hand(
        pen=pen, colour=colour, width_mm=round(float(width), 3),
        pressure=round(float(min(pressure, 1.0)), 3),
        size=round(float(np.clip(rng.lognormal(0.0, 0.12), 0.8, 1.25)), 3),
        slant_deg=round(float(np.clip(rng.normal(0.0, 8.0), -20.0, 20.0)), 2),
        wobble=round(float(rng.uniform(0.5, 1.5) + 0.8 * speed), 3),
        skip=round(float(skip), 3),
        cross=str(rng.choice(CROSS_SHAPES, p=CROSS_SHAPE_WEIGHTS)),
        tick=str(rng.choice(TICK_SHAPES, p=TICK_SHAPE_WEIGHTS)),
        faint=round(float(faint), 3),
    )


def styled_by(style: str, hand: Hand) -> str:
    """The style a mark of ``style`` really is in ``hand``: a light pen makes light crosses."""
    if style in ("x", "heavy") and hand.pen in LIGHT_PENS:
        return "pencil" if hand.pen == "pencil" else "light"
    return style


def habit_of(hand: Hand, rng: np.random.Generator) -> str:
    """The style a voter with ``hand`` uses on most rows."""
    return styled_by(str(rng.choice(HABIT_STYLES, p=HABIT_WEIGHTS)), hand)


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
        hand = draw_hand(rng)
        habit = habit_of(hand, rng)
        rows = []
        for person in persons:
            if given is not None:
                intended = given.get(person.number)
            else:
                intended = LEVELS[rng.choice(3, p=profiles[person.number])]
                if rng.random() < mistakes.blank_row:
                    intended = None
            rows.append(_row_plan(person.number, None if blank else intended, rng, mistakes,
                                  allow_mistakes=given is None and not blank, habit=habit,
                                  hand=hand))
        crossed = ()
        if not blank and rng.random() < mistakes.crossed_name:
            crossed = (int(rng.choice([p.number for p in persons])),)
        write_in = (str(rng.choice(WRITE_IN_NAMES)) if not blank and
                    rng.random() < mistakes.write_in else None)
        signed = bool(rng.random() < mistakes.signature)
        stray = int(rng.integers(1, 4)) if rng.random() < mistakes.stray else 0
        stamp = bool(rng.random() < mistakes.stamp)
        seed = int(rng.integers(2**31))
        # Drawn from a stream of its own, so that a seed's stack is otherwise the one it was.
        smudge_rng = np.random.default_rng([seed, SMUDGE_STREAM])
        smudges = int(smudge_rng.integers(1, 3)) if smudge_rng.random() < mistakes.smudge \
            else 0
        place = str(rng.choice(SIGNATURE_PLACES, p=SIGNATURE_PLACE_WEIGHTS))
        rising = rng.random() < SIGNATURE_RISING_RATE
        angle = -rng.uniform(*SIGNATURE_RISE_DEG) if rising else rng.normal(0.0, 3.0)
        plans.append(BallotPlan(
            voter=voter, rows=tuple(rows), crossed=crossed, write_in=write_in, signature=signed,
            stray=stray, smudges=smudges, stamp=stamp, seed=seed, hand=hand,
            signature_place=place if signed else None,
            signature_angle=round(float(angle), 2) if signed else 0.0,
        ))
    return plans


def _row_plan(person: int, intended: str | None, rng: np.random.Generator, mistakes: Mistakes,
              *, allow_mistakes: bool, habit: str = "x", hand: Hand = Hand()) -> RowPlan:
    style = styled_by(str(rng.choice(MARK_STYLES, p=MARK_STYLE_WEIGHTS)), hand)
    if rng.random() < HABIT_RATE:
        style = habit
    if intended is None:
        return RowPlan(person, None, (), style)
    chosen = LEVELS.index(intended)
    others = [i for i in range(3) if i != chosen]
    if allow_mistakes and rng.random() < mistakes.multi_mark:
        extra = others if rng.random() < 0.25 else [int(rng.choice(others))]
        return RowPlan(person, intended, tuple(sorted([chosen, *extra])), style)
    if allow_mistakes and rng.random() < mistakes.correction:
        return RowPlan(person, intended, (chosen,), style, scribbled=int(rng.choice(others)))
    if rng.random() < mistakes.spill:  # a careless hand, with or without given votes
        neighbour = int(rng.choice([i for i in (chosen - 1, chosen + 1) if 0 <= i < 3]))
        return RowPlan(person, intended, (chosen,), style, spill=neighbour,
                       spill_mm=round(float(rng.uniform(*SPILL_MM)), 2))
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
        raise InputFileError(path, "has no voters",
                             remedy="Add a header row and one row per voter.")
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
