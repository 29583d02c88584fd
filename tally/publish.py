"""``tinnhiem tally``: count the conference and write the minutes and the spreadsheets.

**Every tally is a version of its own.** Its documents go to a new folder of the results folder
(``ket-qua/``), named by the tally's number in the event log, what it is, and its fingerprint:
``lan-03-chinh-thuc-9D28-5082-E659-3C3F`` (official), ``lan-02-du-thao-…`` (a draft) or
``lan-01-khong-du-dieu-kien-…`` (the record that the count cannot stand: no quorum). Nothing
already written is ever replaced, so minutes that were signed stay as they were signed. The
text file ``BAN-CHINH-THUC.txt`` names the latest official version (it is only rewritten when a
later official version appears; the log says which tally it is).

The log first, then the files. The documents are made in memory and written whole under hidden
partial names in the version's folder; only then is the tally recorded in the event log, with
its fingerprint, its number and folder, the version of the count and the SHA-256 of every
document; only then are the documents renamed into place (the minutes last). So a failure to
write (a full disk, a read-only folder) records nothing, a kill leaves at most a tally the log
knows whose documents never appeared, and every document in the folder is one the log knows
(``tinnhiem audit`` checks).

What cannot be true is refused before anything is counted (more voters present than summoned,
more ballots handed out than printed); what is merely unusual is stated in the minutes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import re
from contextlib import ExitStack
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

from ballotgen.conference import Conference
from ballotgen.errors import OutputError, RequestError
from ballotgen.i18n import _
from tally.count import COUNT_VERSION, Attendance, CountState, Results, tally_store
from tally.files import Partial, locked_folder, os_failure, sweep_partials
from tally.fingerprint import fingerprint as fingerprint_of
from tally.fingerprint import results_sha256
from tally.history import read_history
from tally.minutes import Member, minutes_pdf
from tally.report import results_csv, results_xlsx
from tally.store import EventKind, LogMovedError, Store

OUTPUT_DIR = "ket-qua"
MINUTES_FILE = "bien-ban-kiem-phieu.pdf"
XLSX_FILE = "results.xlsx"
CSV_FILE = "results.csv"
OUTPUT_FILES = (CSV_FILE, XLSX_FILE, MINUTES_FILE)  # the order they are put in place: minutes last
OFFICIAL_FILE = "BAN-CHINH-THUC.txt"  # names the latest official version
VERSION_FOLDER = re.compile(
    r"^lan-(\d{2,})-(chinh-thuc|du-thao|khong-du-dieu-kien)-([0-9A-F]{4}(?:-[0-9A-F]{4}){3})$")
COUNT_ATTEMPTS = 3  # counts made again when a scan or a decision arrives while one is being made


@dataclass(frozen=True)
class Published:
    conference: Conference
    results: Results
    fingerprint: str
    files: tuple[Path, ...]
    folder: Path | None = None  # the version's own folder
    number: int = 0  # the tally's number in the log (lần …)
    official_before: tuple[int, str] | None = None  # the latest official version before, if any


def version_folder(number: int, state: CountState, fingerprint: str) -> str:
    """The name of a tally's own folder: ``lan-03-chinh-thuc-9D28-5082-E659-3C3F``."""
    return f"lan-{number:02d}-{state.value}-{fingerprint}"


def check_attendance(attendance: Attendance, *, summoned: int | None, printed: int) -> None:
    """Refuse what cannot be true of the facts the committee enters.

    Raises
    ------
    RequestError
        More voters present than summoned, or more ballots handed out than printed.
    """
    if attendance.present is not None and summoned is not None and attendance.present > summoned:
        raise RequestError(
            _("the number present ({present}) is larger than the number summoned ({summoned}): "
              "impossible").format(present=attendance.present, summoned=summoned),
            remedy=_("Check --present and --summoned (the number summoned entered with 'init', "
                     "or --summoned)."))
    if attendance.issued is not None and attendance.issued > printed:
        raise RequestError(
            _("the ballots issued ({issued}) are more than the ballots printed ({printed}): "
              "impossible").format(issued=attendance.issued, printed=printed),
            remedy=_("Check --issued: the number of ballots the counting committee really "
                     "handed out at the conference."))


def publish(folder: Path, attendance: Attendance, *, members: list[Member] | None = None,
            output: Path | None = None, history: Path | None = None,
            previous: dict[int, Fraction] | None = None,
            now: dt.datetime | None = None,
            ended: dt.datetime | dt.time | None = None) -> Published:
    """Count the conference in ``folder``, record the tally, and write its version: the minutes,
    ``results.xlsx`` and ``results.csv`` (without quorum, the minutes alone: the record that the
    count cannot stand). See the module docstring for the folders and the order.

    ``members`` sign the minutes (by default the committee given to the conference; without
    one, the minutes leave lines to fill in by hand). Last year's shares (``annual-2013``) are
    ``previous``, or read from the CSV file ``history``. ``ended`` is the end of the count as the
    committee states it (a time alone is on the conference's day; naive, it is the conference's
    local time), by default ``now``, itself by default the clock; the minutes show it in the
    conference's time zone.
    """
    out = Path(output) if output else Path(folder) / OUTPUT_DIR
    with Store.open(folder) as store, locked_folder(out):  # one tally at a time writes ``out``
        conference = store.conference()
        check_attendance(attendance, summoned=attendance.summoned or conference.summoned,
                         printed=sum(b.copies for b in store.batches()))
        if members is None:
            members = [Member(m.name, m.role) for m in store.members()]
        if history is not None:
            previous = read_history(history, conference.persons)
        zone = ZoneInfo(conference.timezone)
        if isinstance(ended, dt.time):
            ended = dt.datetime.combine(conference.date, ended)
        end = ended or now or dt.datetime.now(dt.UTC)
        end = end.astimezone(zone) if end.tzinfo else end.replace(tzinfo=zone)
        sweep_partials(out, OUTPUT_FILES + (OFFICIAL_FILE,))  # what a killed tally left
        _sweep_versions(out)
        for attempt in range(COUNT_ATTEMPTS):
            try:
                return _count_and_write(store, out, attendance, members=members,
                                        previous=previous, ended=end)
            except LogMovedError:
                if attempt == COUNT_ATTEMPTS - 1:
                    raise
    raise AssertionError("unreachable")


def _sweep_versions(out: Path) -> None:
    """Remove the partials a killed tally left in version folders, and such folders left empty
    (their tally was never recorded, or its documents never appeared)."""
    for entry in _entries(out):
        if entry.is_dir() and VERSION_FOLDER.match(entry.name):
            sweep_partials(entry, OUTPUT_FILES)
            try:
                entry.rmdir()  # only when empty
            except OSError:
                pass


def _entries(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir())
    except OSError:
        return []


def _count_and_write(store: Store, out: Path, attendance: Attendance, *, members: list[Member],
                     previous: dict[int, Fraction] | None, ended: dt.datetime) -> Published:
    conference, results = tally_store(store, attendance, previous=previous)
    head = store.log_head()
    fingerprint = fingerprint_of(results, head)
    tallies = [e for e in store.events() if e.kind == EventKind.TALLY_PRODUCED]
    number = len(tallies) + 1
    name = version_folder(number, results.state, fingerprint)
    target = out / name
    if any(not p.name.startswith(".") for p in _entries(target)):
        raise OutputError(_("{target}: the folder of this tally already holds documents").format(
                              target=target),
                          remedy=_("Nothing was overwritten. Move that folder away (it "
                                   "is not one the event log knows) and run the command "
                                   "again."))
    official_before = next(((e.data.get("number", i + 1), e.data["fingerprint"])
                            for i, e in reversed(list(enumerate(tallies)))
                            if e.data.get("final")), None)
    documents = {MINUTES_FILE: minutes_pdf(conference, results, members=members,
                                           fingerprint=fingerprint, made_at=ended,
                                           number=number)}
    if results.standing:  # without quorum there are no results to tabulate
        documents[CSV_FILE] = results_csv(results)
        documents[XLSX_FILE] = results_xlsx(conference, results, fingerprint)
    names = [n for n in OUTPUT_FILES if n in documents]
    try:
        os.makedirs(target, mode=0o700, exist_ok=True)
    except OSError as exc:
        raise os_failure(target, exc) from exc
    try:
        _write_version(store, target, documents, names, results, fingerprint=fingerprint,
                       head=head, previous=previous, number=number, ended=ended)
    except BaseException:
        try:
            target.rmdir()  # nothing recorded, nothing left: not even the empty folder
        except OSError:
            pass
        raise
    if results.final:
        _name_official(out, name, number, fingerprint, ended)
    shown = [target / n for n in (MINUTES_FILE, XLSX_FILE, CSV_FILE) if n in documents]
    return Published(conference, results, fingerprint, tuple(shown), folder=target,
                     number=number, official_before=official_before)


def _write_version(store: Store, target: Path, documents: dict[str, bytes], names: list[str],
                   results: Results, *, fingerprint: str, head: str,
                   previous: dict[int, Fraction] | None, number: int,
                   ended: dt.datetime) -> None:
    """Write the documents as partials, record the tally, then put them in place."""
    with ExitStack() as stack:
        partials = []
        for file_name in names:  # whole and synced before anything is recorded
            partial = stack.enter_context(Partial(target / file_name))
            partial.write(documents[file_name])
            partials.append(partial)
        store.record_tally(fingerprint=fingerprint, log_head=head, final=results.final,
                           received=results.received,
                           results_sha256=results_sha256(results),
                           attendance=dataclasses.asdict(results.attendance),
                           history={n: str(share) for n, share in (previous or {}).items()},
                           outputs={n: hashlib.sha256(documents[n]).hexdigest() for n in names},
                           extra={"count": COUNT_VERSION, "number": number,
                                  "folder": target.name,
                                  "state": results.state.value,
                                  "history_given": previous is not None,
                                  "ended": ended.isoformat(timespec="minutes")})
        for partial in partials:
            partial.commit()


def _name_official(out: Path, name: str, number: int, fingerprint: str,
                   ended: dt.datetime) -> None:
    """Write ``BAN-CHINH-THUC.txt``: which version is the latest official one."""
    text = (f"Bản chính thức mới nhất: lần {number}, thư mục {name}\n"
            f"Mã kiểm tra: {fingerprint}\n"
            f"Kiểm phiếu kết thúc: {ended:%H:%M} ngày {ended:%d/%m/%Y}\n"
            "Các bản khác trong thư mục này là bản dự thảo hoặc bản chính thức trước; không bản "
            "nào bị ghi đè.\n")
    with Partial(out / OFFICIAL_FILE) as partial:
        partial.write(text.encode("utf-8"))
        partial.commit()


def latest_official(out: Path) -> Path | None:
    """The folder of the latest official version in the results folder ``out``, or None."""
    try:
        first = (out / OFFICIAL_FILE).read_text(encoding="utf-8").splitlines()[0]
    except (OSError, IndexError, UnicodeDecodeError):
        return None
    folder = out / first.rsplit(" ", 1)[-1]
    return folder if folder.is_dir() else None


def versions(out: Path) -> list[Path]:
    """The version folders in the results folder ``out``, by their number."""
    found = [(int(m.group(1)), p) for p in _entries(out) if p.is_dir()
             and (m := VERSION_FOLDER.match(p.name))]
    return [p for _, p in sorted(found)]


def latest_version(out: Path) -> Path | None:
    """The folder of the latest version (official or not) in ``out``, or None."""
    found = versions(out)
    return found[-1] if found else None
