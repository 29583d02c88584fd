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
from ballotgen.errors import ConferenceError, InputFileError, RequestError
from ballotgen.fonts import ballot_family
from ballotgen.layout import build_layout
from ballotgen.render import Batch, new_batch, render_pdf
from ballotgen.simulate import Issued, simulate_stack
from ballotgen.voters import Mistakes, read_votes
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


def issued_ballots(store: Store) -> Issued:
    """The latest printed batch of the conference, with the exact layout it was printed from."""
    batches = store.batches()
    if not batches:
        raise ConferenceError(f"{store.folder}: no ballots have been printed yet",
                              remedy=f"Print them first: tinnhiem print {store.folder} --copies N")
    record = batches[-1]
    layout = store.layout(record.layout_hash)
    assert layout is not None  # recorded with the batch
    serials = tuple(sorted(store.issued_serials(record.code))) or None
    return Issued(store.conference(), layout, Batch(record.code, record.copies, serials),
                  store.secret())


@dataclass(frozen=True)
class SimulationResult:
    folder: Path
    truth: dict


def simulate_vote(folder: Path, output: Path, *, voters: int | None, votes: Path | None = None,
                  profile: str = "office", fmt: str = "pdf", dpi: int | None = None,
                  seed: int = 0, rates: dict[str, float] | None = None,
                  foreign: int = 0) -> SimulationResult:
    """Simulate ``voters`` filling in the conference's latest printed ballots and the scanner's
    output, written into the new folder ``output`` with ``truth.json`` beside the scans."""
    output = Path(output)
    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise RequestError(f"{output}: already exists and is not empty",
                           remedy="Choose a new folder for the simulated scans.")
    with Store.open(folder) as store:
        issued = issued_ballots(store)
    choices = read_votes(votes, issued.layout.persons) if votes else None
    if choices is not None and voters is not None and voters != len(choices):
        raise InputFileError(votes, f"has {len(choices)} voters but --voters says {voters}",
                             remedy="Leave out --voters, or make them agree.")
    count = len(choices) if choices is not None else voters
    if not count:
        raise RequestError("how many voters?", remedy="Give --voters N or --votes FILE.")
    if count > issued.batch.copies:
        raise RequestError(f"only {issued.batch.copies} ballots were printed (batch "
                           f"{issued.batch.code}) for {count} voters",
                           remedy="Print more ballots, or simulate fewer voters.")
    try:
        mistakes = Mistakes().with_overrides(rates or {})
    except ValueError as exc:
        raise RequestError(f"--rate: {exc}") from None
    truth = simulate_stack(issued, output, voters=count, profile=profile, fmt=fmt, dpi=dpi,
                           seed=seed, mistakes=mistakes, choices=choices, foreign=foreign)
    return SimulationResult(output, truth)
