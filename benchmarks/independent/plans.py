"""What each voter does (pure data), and the truth a correct reader must report.

The truth has the format ``rehearsal.evaluate`` reads: every ballot's rows with ``intended``,
``expected`` (a level, ``blank`` or ``multi``), ``flags``, ``style``, ``marked`` (box indexes
with a valid-looking mark) and ``scribbled`` (a box whose mark was scribbled out: ink, so the
row reads ``multi``), and per page the flags whose ink is on that page.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from .pen import STYLE_WEIGHTS, STYLES

LEVELS = ("cao", "tin_nhiem", "thap")  # box order, left to right, as printed

# Invented names for write-ins (with Vietnamese diacritics, as a voter writes them).
WRITE_INS = ("Hoàng Minh Khôi", "Lò Thị Sen", "Nghiêm Xuân Trường", "Bế Văn Đông",
             "Quách Thị Lựu", "Triệu Phúc An")


@dataclass(frozen=True)
class Rates:
    """How often voters do each thing (per row or per ballot)."""

    blank_row: float = 0.0
    multi_mark: float = 0.0  # two (or three) boxes in one row
    correction: float = 0.0  # a mark scribbled out and another box marked
    crossed_name: float = 0.0  # per ballot
    blank_ballot: float = 0.0  # per ballot
    write_in: float = 0.02  # per ballot: a real name written below the table
    signature: float = 0.35  # per ballot, anywhere in the lower third of the last page
    stray: float = 0.3  # per ballot: stray dots and smudges
    stamp: float = 0.9  # per ballot: the red stamp over the header
    own_style: float = 0.8  # per row: the voter keeps his usual style


CORRECT = Rates()
MISTAKES = Rates(blank_row=0.05, multi_mark=0.04, correction=0.04, crossed_name=0.08,
                 blank_ballot=0.02, write_in=0.08, signature=0.45, stray=0.4)


@dataclass
class RowPlan:
    person: int
    intended: str | None
    marked: list[int]
    style: str
    scribbled: int | None = None

    @property
    def expected(self) -> str:
        inked = len(self.marked) + (self.scribbled is not None)
        if inked == 0:
            return "blank"
        if inked > 1:
            return "multi"
        return LEVELS[self.marked[0]]

    @property
    def flags(self) -> list[str]:
        return {"blank": ["blank_row"], "multi": ["multi_mark"]}.get(self.expected, [])


@dataclass
class BallotPlan:
    voter: int
    rows: list[RowPlan]
    crossed: list[int] = field(default_factory=list)
    write_in: str | None = None
    signature: bool = False
    stray: int = 0
    stamp: bool = True
    seed: int = 0

    @property
    def id(self) -> str:
        return f"B{self.voter:04d}"

    @property
    def flags(self) -> list[str]:
        out = []
        if all(r.expected == "blank" for r in self.rows):
            out.append("blank_ballot")
        if self.crossed:
            out.append("name_crossed")
        if self.write_in:
            out.append("write_in")
        return out

    def truth(self) -> dict:
        return {"id": self.id, "voter": self.voter, "serial": None, "flags": self.flags,
                "rows": [{"person": r.person, "intended": r.intended, "expected": r.expected,
                          "flags": r.flags, "style": r.style if r.marked else None,
                          "marked": list(r.marked), "scribbled": r.scribbled} for r in self.rows],
                "plan": {"crossed": self.crossed, "write_in": self.write_in,
                         "signature": self.signature, "stray": self.stray, "stamp": self.stamp}}


def plan_ballots(persons: list[int], count: int, rates: Rates, rng: np.random.Generator,
                 *, first_voter: int = 1) -> list[BallotPlan]:
    # opinion: most persons are mostly trusted, a few are contested
    opinion = {p: rng.dirichlet((2, 3, 4) if rng.random() < 0.2 else (7, 4, 0.8)) for p in persons}
    plans = []
    for k in range(count):
        blank = rng.random() < rates.blank_ballot
        usual = str(rng.choice(STYLES, p=STYLE_WEIGHTS))
        rows = []
        for p in persons:
            style = usual if rng.random() < rates.own_style else \
                str(rng.choice(STYLES, p=STYLE_WEIGHTS))
            if blank or rng.random() < rates.blank_row:
                rows.append(RowPlan(p, None, [], style))
                continue
            chosen = int(rng.choice(3, p=opinion[p]))
            others = [i for i in range(3) if i != chosen]
            if rng.random() < rates.multi_mark:
                extra = others if rng.random() < 0.2 else [int(rng.choice(others))]
                rows.append(RowPlan(p, LEVELS[chosen], sorted([chosen, *extra]), style))
            elif rng.random() < rates.correction:
                rows.append(RowPlan(p, LEVELS[chosen], [chosen], style,
                                    scribbled=int(rng.choice(others))))
            else:
                rows.append(RowPlan(p, LEVELS[chosen], [chosen], style))
        crossed = [int(rng.choice(persons))] if not blank and rng.random() < rates.crossed_name \
            else []
        write_in = str(rng.choice(WRITE_INS)) if not blank and rng.random() < rates.write_in \
            else None
        plans.append(BallotPlan(
            voter=first_voter + k, rows=rows, crossed=crossed, write_in=write_in,
            signature=bool(rng.random() < rates.signature),
            stray=int(rng.integers(1, 5)) if rng.random() < rates.stray else 0,
            stamp=bool(rng.random() < rates.stamp), seed=int(rng.integers(2**31))))
    return plans


def page_flags(plan: BallotPlan, persons_on_page: set[int], last: bool) -> list[str]:
    """Flags a reader must raise on one page of the ballot."""
    flags = {f for r in plan.rows if r.person in persons_on_page for f in r.flags}
    if any(p in persons_on_page for p in plan.crossed):
        flags.add("name_crossed")
    if plan.write_in and last:
        flags.add("write_in")
    if "blank_ballot" in plan.flags:
        flags.add("blank_ballot")
    return sorted(flags)


def rates_dict(rates: Rates) -> dict:
    return asdict(rates)
