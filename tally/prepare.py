"""Before the conference: create it from a roster, and print its ballots.

These are the library functions behind ``tinnhiem init`` and ``tinnhiem print``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

from ballotgen import payload
from ballotgen.conference import Conference
from ballotgen.errors import ConferenceError
from ballotgen.fonts import ballot_family
from ballotgen.layout import build_layout
from ballotgen.render import new_batch, render_pdf
from ballotgen.roster import read_roster
from tally.files import refuse_existing, write_private
from tally.rules import RULE_SETS
from tally.store import Store


def create_conference(folder: Path, *, roster: Path, org: str, title: str, date: dt.date,
                      place: str = "", summoned: int | None = None,
                      rules: str = "qd96-2023") -> Conference:
    """Read the roster, check that its ballot can be printed, and create the conference folder.

    Everything is checked before anything is written; the folder appears complete or not at all.
    """
    if rules not in RULE_SETS:
        raise ConferenceError(f"unknown rule set {rules!r}",
                              remedy=f"Use one of: {', '.join(RULE_SETS)}.")
    persons = read_roster(roster)
    conference = Conference(org=org, title=title, date=date, place=place, summoned=summoned,
                            rules=rules, persons=persons)
    build_layout(conference)  # a missing glyph or an impossible layout fails here, not at print
    Store.create(folder, conference, payload.new_key()).close()
    return conference


@dataclass(frozen=True)
class PrintResult:
    path: Path
    batch: str
    copies: int
    pages_per_ballot: int
    layout_hash: str
    size_bytes: int
    font: str
    serials: bool


def print_ballots(folder: Path, *, copies: int, output: Path | None = None,
                  serials: bool = False) -> PrintResult:
    """Print ``copies`` ballots of the conference in ``folder`` to a PDF; record the batch.

    The batch is recorded in the store before the PDF is moved into place: a ballot of a PDF
    that exists is always recognised as issued.
    """
    with Store.open(folder) as store:
        layout = build_layout(store.conference())
        batch = new_batch(copies, serials=serials)
        pdf = render_pdf(layout, batch, store.secret())
        path = Path(output) if output else Path(folder) / f"phieu-{batch.code}.pdf"
        refuse_existing(path)  # before recording, so a refused print records nothing
        store.record_batch(batch, layout, pdf_name=path.name,
                           pdf_sha256=hashlib.sha256(pdf).hexdigest())
        write_private(path, pdf)
    return PrintResult(path=path, batch=batch.code, copies=copies,
                       pages_per_ballot=len(layout.pages), layout_hash=layout.hash,
                       size_bytes=len(pdf), font=ballot_family().family + (
                           " (bundled)" if ballot_family().bundled else ""), serials=serials)
