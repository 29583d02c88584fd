"""``tinnhiem tally``: count the conference and write the minutes and the spreadsheets.

The log first, then the files. The documents are made in memory and written whole under hidden
partial names; only then is the tally recorded in the event log, with its fingerprint and the
SHA-256 of every document; only then are the documents renamed into place (the minutes last). So
a failure to write (a full disk, a read-only folder) records nothing, a kill leaves at most a
tally the log knows whose documents never appeared, and every document in the folder is one the
log knows (``tinnhiem audit`` checks). The outputs are rewritten on every run (owner-only), so the
folder holds the latest count; a count that is not complete says *DỰ THẢO* in every output.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from contextlib import ExitStack
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from ballotgen.conference import Conference
from tally.count import Attendance, Results, tally_store
from tally.files import Partial, locked_folder, sweep_partials
from tally.fingerprint import fingerprint as fingerprint_of
from tally.fingerprint import results_sha256
from tally.history import read_history
from tally.minutes import Member, minutes_pdf
from tally.report import results_csv, results_xlsx
from tally.store import LogMovedError, Store

OUTPUT_DIR = "ket-qua"
MINUTES_FILE = "bien-ban-kiem-phieu.pdf"
XLSX_FILE = "results.xlsx"
CSV_FILE = "results.csv"
OUTPUT_FILES = (CSV_FILE, XLSX_FILE, MINUTES_FILE)  # the order they are put in place: minutes last
COUNT_ATTEMPTS = 3  # counts made again when a scan or a decision arrives while one is being made


@dataclass(frozen=True)
class Published:
    conference: Conference
    results: Results
    fingerprint: str
    files: tuple[Path, ...]


def publish(folder: Path, attendance: Attendance, *, members: list[Member] | None = None,
            output: Path | None = None, history: Path | None = None,
            previous: dict[int, Fraction] | None = None,
            now: dt.datetime | None = None) -> Published:
    """Count the conference in ``folder``, record the tally, and write the minutes,
    ``results.xlsx`` and ``results.csv`` (see the module docstring for the order).

    ``members`` sign the minutes (by default the committee given to the conference; without
    one, the minutes leave lines to fill in by hand). Last year's shares (``annual-2013``) are
    ``previous``, or read from the CSV file ``history``.
    """
    out = Path(output) if output else Path(folder) / OUTPUT_DIR
    with Store.open(folder) as store, locked_folder(out):  # one tally at a time writes ``out``
        if members is None:
            members = [Member(m.name, m.role) for m in store.members()]
        if history is not None:
            previous = read_history(history, store.conference().persons)
        sweep_partials(out, OUTPUT_FILES)  # what a killed tally left
        for attempt in range(COUNT_ATTEMPTS):
            try:
                return _count_and_write(store, out, attendance, members=members,
                                        previous=previous, made_at=now or dt.datetime.now())
            except LogMovedError:
                if attempt == COUNT_ATTEMPTS - 1:
                    raise
    raise AssertionError("unreachable")


def _count_and_write(store: Store, out: Path, attendance: Attendance, *, members: list[Member],
                     previous: dict[int, Fraction] | None, made_at: dt.datetime) -> Published:
    conference, results = tally_store(store, attendance, previous=previous)
    head = store.log_head()
    fingerprint = fingerprint_of(results, head)
    documents = {
        CSV_FILE: results_csv(results),
        XLSX_FILE: results_xlsx(conference, results, fingerprint),
        MINUTES_FILE: minutes_pdf(conference, results, members=members,
                                  fingerprint=fingerprint, made_at=made_at),
    }
    with ExitStack() as stack:
        partials = []
        for name in OUTPUT_FILES:  # whole and synced before anything is recorded
            partial = stack.enter_context(Partial(out / name))
            partial.write(documents[name])
            partials.append(partial)
        store.record_tally(fingerprint=fingerprint, log_head=head, final=results.final,
                           received=results.received,
                           results_sha256=results_sha256(results),
                           attendance=dataclasses.asdict(results.attendance),
                           history={n: str(share) for n, share in (previous or {}).items()},
                           outputs={name: hashlib.sha256(data).hexdigest()
                                    for name, data in documents.items()})
        for partial in partials:
            partial.commit()
    return Published(conference, results, fingerprint,
                     tuple(out / name for name in (MINUTES_FILE, XLSX_FILE, CSV_FILE)))
