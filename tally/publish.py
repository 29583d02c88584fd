"""``tinnhiem tally``: count the conference and write the minutes and the spreadsheets.

The outputs are rewritten on every run (atomically, owner-only), so the folder always holds the
latest count; a count that is not complete says *DỰ THẢO* in every output. Each run is recorded in
the event log with the fingerprint printed on the minutes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from ballotgen.conference import Conference
from tally.count import Attendance, Results, tally_store
from tally.files import write_private
from tally.minutes import Member, minutes_pdf
from tally.report import results_csv, results_xlsx
from tally.store import Store

OUTPUT_DIR = "ket-qua"
MINUTES_FILE = "bien-ban-kiem-phieu.pdf"
XLSX_FILE = "results.xlsx"
CSV_FILE = "results.csv"


@dataclass(frozen=True)
class Published:
    conference: Conference
    results: Results
    fingerprint: str
    files: tuple[Path, ...]


def publish(folder: Path, attendance: Attendance, *, members: list[Member],
            output: Path | None = None, previous: dict[int, Fraction] | None = None,
            now: dt.datetime | None = None) -> Published:
    """Count the conference in ``folder`` and write the minutes, ``results.xlsx`` and ``.csv``."""
    out = Path(output) if output else Path(folder) / OUTPUT_DIR
    with Store.open(folder) as store:
        conference, results = tally_store(store, attendance, previous=previous)
        head = store.log_head()
        fingerprint = results.fingerprint(head)
        made_at = now or dt.datetime.now()
        files = {
            out / MINUTES_FILE: minutes_pdf(conference, results, members=members,
                                            fingerprint=fingerprint, made_at=made_at),
            out / XLSX_FILE: results_xlsx(conference, results, fingerprint),
            out / CSV_FILE: results_csv(results),
        }
        for path, data in files.items():
            write_private(path, data, overwrite=True)
        store.record_tally(fingerprint=fingerprint, log_head=head, final=results.final,
                           received=results.received,
                           results_sha256=hashlib.sha256(results.to_json().encode()).hexdigest(),
                           attendance=dataclasses.asdict(results.attendance),
                           history={n: str(share) for n, share in (previous or {}).items()})
    return Published(conference, results, fingerprint, tuple(files))
