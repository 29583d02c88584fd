"""The console's pages after the review: Kết quả (attendance, the hand count and the end time,
what still blocks the official count, the tally, its versions and their documents) and Lưu trữ
(the audit archive, and the audit run in the background).

Each view is a thin shell over the library function the command line calls: the tally is
:func:`tally.publish.publish` (``tinnhiem tally``), its facts refused by
:func:`tally.publish.check_attendance` and the end time read by
:func:`tally.facts.parse_end_time`, as ``--ended`` is; the archive is
:func:`tally.archive.export_audit` (``tinnhiem export --audit``) and the audit
:func:`tally.archive.audit_source` (``tinnhiem audit``). The documents offered for download are
the ones the tally wrote in its own version folder (``ket-qua/lan-NN-…``), looked up among the
folders :func:`tally.publish.versions` lists, never joined to a path as they come.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from flask import Flask, abort, flash, redirect, render_template, request, send_file, url_for

from ballotgen.conference import Conference
from ballotgen.errors import InputFileError, RequestError, TinnhiemError
from ballotgen.i18n import _
from tally.console.workspace import safe_file_name
from tally.count import Attendance, Missing, Results, tally_store
from tally.facts import FactError, parse_end_time
from tally.files import private_temp_folder
from tally.history import read_history
from tally.publish import OUTPUT_DIR, OUTPUT_FILES, check_attendance, publish, versions
from tally.report import anomaly_lines, problem_lines, quorum_line, status_line
from tally.rules import RULE_SETS
from tally.store import EventKind, Store

ARCHIVE_NAME = re.compile(r"^audit-\d{4}-\d{2}-\d{2}(?:-\d{6})?\.zip$")
MIMETYPES = {".pdf": "application/pdf", ".csv": "text/csv",
             ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             ".zip": "application/zip"}
MAX_COUNT = 1_000_000  # a number typed on the form at most (a typing guard)

log = logging.getLogger("tinnhiem.console")


# ---------------------------------------------------------------------- Kết quả: the form


@dataclass(frozen=True)
class Entered:
    """The attendance form as sent: the values to show again, each field's problem, and what
    the tally takes (valid only without problems)."""

    values: dict[str, str]
    problems: dict[str, str]
    attendance: Attendance
    ended: dt.datetime | dt.time | None


def _number(text: str, *, least: int) -> int | None:
    if text.isascii() and text.isdigit() and least <= int(text) <= MAX_COUNT:
        return int(text)
    raise ValueError(text)


def read_attendance(form, *, summoned_default: int | None) -> Entered:
    """Read the Kết quả form: the number summoned (by default the conference's), present, the
    ballots counted by hand from the box and handed out (both optional, as on the command line),
    and the end of the count (empty: now)."""
    values = {k: form.get(k, "").strip() for k in ("summoned", "present", "counted", "issued",
                                                   "ended")}
    problems: dict[str, str] = {}
    numbers: dict[str, int | None] = {}
    wording = {
        "summoned": _("Give the number of voters summoned as a whole number (1 or more)."),
        "present": _("Give the number of voters present as a whole number (0 or more)."),
        "counted": _("Give the number of ballots counted by hand from the box as a whole "
                     "number (0 or more)."),
        "issued": _("Give the number of ballots handed out as a whole number (0 or more), "
                    "or leave it empty (one per voter present)."),
    }
    for key in ("summoned", "present", "counted", "issued"):
        if not values[key]:
            numbers[key] = summoned_default if key == "summoned" else None
            continue
        try:
            numbers[key] = _number(values[key], least=1 if key == "summoned" else 0)
        except ValueError:
            problems[key] = wording[key]
            numbers[key] = None
    ended: dt.datetime | dt.time | None = None
    if values["ended"]:
        try:
            day, time = parse_end_time(values["ended"])
            ended = dt.datetime.combine(day, time) if day else time
        except FactError as exc:
            problems["ended"] = str(exc)
    attendance = Attendance(numbers["summoned"], numbers["present"], numbers["issued"],
                            numbers["counted"])
    return Entered(values, problems, attendance, ended)


def _form_of(attendance: dict[str, int | None], summoned: int | None) -> dict[str, str]:
    """The form's values from the attendance of the latest tally (or the conference's number
    summoned alone)."""
    shown = {k: "" if attendance.get(k) is None else str(attendance[k])
             for k in ("present", "counted", "issued")}
    value = attendance.get("summoned") or summoned
    shown.update(summoned="" if value is None else str(value), ended="")
    return shown


@dataclass(frozen=True)
class Blockers:
    """What stands between the count as it is now and official minutes, in Vietnamese."""

    status: str
    quorum: str
    open_ballots: int
    missing: tuple[str, ...]
    problems: tuple[str, ...]
    anomalies: tuple[str, ...]
    final: bool
    standing: bool


def _missing(missing: Missing) -> str:
    """A fact not entered yet, named as the form names it."""
    return {Missing.PRESENT: _("Voters present"), Missing.SUMMONED: _("Voters summoned"),
            Missing.COUNTED: _("Ballots received (counted by hand from the box)"),
            Missing.HISTORY: _("Last year's results (CSV)")}[missing]


def blockers(results: Results) -> Blockers:
    return Blockers(status_line(results), quorum_line(results), len(results.open_ballots),
                    tuple(_missing(m) for m in results.missing),
                    tuple(problem_lines(results)), tuple(anomaly_lines(results)),
                    results.final, results.standing)


@dataclass(frozen=True)
class Version:
    """A tally in the event log, and the documents of its folder still on disk."""

    number: int
    at: str
    state: str  # a CountState value
    fingerprint: str
    ended: str
    folder: str
    files: tuple[str, ...]


def tally_versions(store: Store, out: Path) -> list[Version]:
    """The tallies in the log, latest first, each with its documents found in ``out``."""
    on_disk = {p.name: p for p in versions(out)}
    found = []
    tallies = [e for e in store.events() if e.kind == EventKind.TALLY_PRODUCED and not e.damaged]
    for i, event in enumerate(tallies):
        data = event.data
        folder = str(data.get("folder", ""))
        path = on_disk.get(folder)
        files = tuple(n for n in (OUTPUT_FILES[2], OUTPUT_FILES[1], OUTPUT_FILES[0])
                      if path is not None and (path / n).is_file())
        state = str(data.get("state") or ("chinh-thuc" if data.get("final") else "du-thao"))
        found.append(Version(int(data.get("number", i + 1)), event.at, state,
                             str(data.get("fingerprint", "")), str(data.get("ended", "")),
                             folder, files))
    return found[::-1]


MAX_HISTORY_BYTES = 1 << 20  # last year's shares: a few hundred rows at most


def needs_history(conference: Conference) -> bool:
    """Whether the conference's rule set needs last year's shares (``annual-2013``)."""
    return RULE_SETS[conference.rules].band1_years > 1


def read_sent_history(sent, conference: Conference) -> dict[int, Fraction] | None:
    """Last year's shares from the CSV file sent with the form (None when none was sent), read
    by :func:`tally.history.read_history` as ``--history`` is; its refusal names the file as
    uploaded."""
    if sent is None or not sent.filename:
        return None
    name = safe_file_name(sent.filename)
    data = sent.read(MAX_HISTORY_BYTES + 1)
    if len(data) > MAX_HISTORY_BYTES:
        raise FactError(_("{file}: too large for a list of last year's shares.").format(
            file=name))
    with private_temp_folder("history") as temp:
        path = temp / name
        path.write_bytes(data)
        try:
            return read_history(path, conference.persons)
        except InputFileError as exc:
            raise FactError(f"{name}: {exc.problem}") from None


# ---------------------------------------------------------------------- Lưu trữ: background work


@dataclass
class Task:
    """One background task of a conference: an export of the audit archive, or an audit."""

    kind: str  # "export" or "audit"
    source: str = ""  # the archive audited ("": the conference folder)
    total: int | None = None
    done: int = 0
    result: Any = None  # an ArchiveResult or an AuditReport
    error: str | None = None
    remedy: str = ""
    finished: bool = False

    @property
    def percent(self) -> int:
        if self.finished:
            return 100
        return int(100 * self.done / self.total) if self.total else 0


class Tasks:
    """The console's export and audit tasks, at most one running per conference folder."""

    def __init__(self) -> None:
        self._tasks: dict[Path, Task] = {}
        self._lock = threading.Lock()

    def latest(self, folder: Path) -> Task | None:
        with self._lock:
            return self._tasks.get(folder)

    def running(self, folder: Path) -> bool:
        task = self.latest(folder)
        return task is not None and not task.finished

    def start(self, folder: Path, task: Task, work: Callable[[Task], Any]) -> bool:
        """Run ``work(task)`` in a background thread; False if a task of the conference is
        running."""
        with self._lock:
            current = self._tasks.get(folder)
            if current is not None and not current.finished:
                return False
            self._tasks[folder] = task
        threading.Thread(target=self._run, args=(task, work), daemon=True,
                         name=f"tinnhiem-{task.kind}").start()
        return True

    @staticmethod
    def _run(task: Task, work: Callable[[Task], Any]) -> None:
        try:
            task.result = work(task)
        except TinnhiemError as exc:
            task.error, task.remedy = exc.message, exc.remedy
        except Exception as exc:  # a bug: the page says so
            log.error("%s task failed: %s", task.kind, type(exc).__name__)  # no content
            task.error = _("A fault of the software ({error}). Try again, and if it fails "
                           "again, tell the administrator.").format(error=type(exc).__name__)
        finally:
            task.finished = True

    def wait(self, folder: Path, timeout: float = 120.0) -> Task | None:
        """The latest task once it has finished (tests)."""
        import time

        deadline = time.monotonic() + timeout
        while self.running(folder) and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.latest(folder)


def archives(folder: Path) -> list[Path]:
    """The audit archives in the conference folder, newest first."""
    return sorted((p for p in folder.iterdir() if p.is_file() and ARCHIVE_NAME.match(p.name)),
                  key=lambda p: p.name, reverse=True)


def new_archive_path(folder: Path) -> Path:
    """Where the next archive goes: ``audit-DATE.zip`` as ``export --audit`` names it, or with
    the time when an archive of today exists already."""
    now = dt.datetime.now()
    path = folder / f"audit-{now:%Y-%m-%d}.zip"
    return path if not path.exists() else folder / f"audit-{now:%Y-%m-%d-%H%M%S}.zip"


def _export(folder: Path, mask: bool) -> Callable[[Task], Any]:
    def work(task: Task) -> Any:
        from tally.archive import export_audit

        return export_audit(folder, new_archive_path(folder), mask_signatures=mask)
    return work


def _audit(folder: Path, source: Path) -> Callable[[Task], Any]:
    def work(task: Task) -> Any:
        from tally.archive import audit_source

        with Store.open(folder, readonly=True) as store:
            task.total = len(store.pages(superseded=True))

        def progress(n: int) -> None:
            task.done += n

        return audit_source(source, jobs=1, progress=progress)
    return work


# ---------------------------------------------------------------------- the views


def add_closing_pages(app: Flask, *, folder_of: Callable[[str], Path],
                      first_submit: Callable[[], bool], review_url: Callable[..., str]) -> None:
    """Register the Kết quả and Lưu trữ pages on the console ``app``."""
    tasks = Tasks()
    app.extensions["tinnhiem_tasks"] = tasks

    @app.route("/hoi-nghi/<name>/ket-qua", methods=["GET", "POST"])
    def closing(name: str):
        folder = folder_of(name)
        with Store.open(folder, readonly=True) as store:
            conference = store.conference()
            printed = sum(b.copies for b in store.batches())
            last = store.last_attendance()
        status = 200
        problem = None
        previous: dict[int, Fraction] | None = None
        if request.method == "POST":
            entered = read_attendance(request.form, summoned_default=conference.summoned)
            values, problems, attendance = entered.values, dict(entered.problems), \
                entered.attendance
            try:
                previous = read_sent_history(request.files.get("history"), conference)
            except FactError as exc:
                problems["history"] = str(exc)
            if not problems:
                try:
                    check_attendance(attendance, summoned=attendance.summoned, printed=printed)
                except RequestError as exc:
                    problem = exc.message
            if problems or problem:
                status = 400
            elif request.form.get("action") == "tally":
                if not first_submit():
                    flash(_("This form was sent already; the ballots were counted once only."))
                    return redirect(url_for("closing", name=name), code=303)
                published = publish(folder, attendance, ended=entered.ended, previous=previous)
                results = published.results
                message = (_("Tally {number} made: official minutes.") if results.final else
                           _("Tally {number} made: a draft (DỰ THẢO), see what is still "
                             "open.") if results.standing else
                           _("Tally {number} made: without quorum, only the record that the "
                             "count cannot stand.")).format(number=published.number)
                flash(message + " " + _("Fingerprint: {fingerprint}").format(
                    fingerprint=published.fingerprint))
                return redirect(url_for("closing", name=name, _anchor=f"lan-{published.number}"),
                                code=303)
        else:
            values, problems = _form_of(last, conference.summoned), {}
            attendance = Attendance(**last) if last else Attendance(conference.summoned)
        with Store.open(folder, readonly=True) as store:
            _conference, results = tally_store(store, attendance, previous=previous)
            found = tally_versions(store, folder / OUTPUT_DIR)
        return render_template("closing.html", name=name, conference=conference,
                               values=values, problems=problems, problem=problem,
                               blocking=blockers(results), results=results, versions=found,
                               needs_history=needs_history(conference),
                               review=review_url(name),
                               projection=review_url(name, "ket-qua")), status

    @app.route("/hoi-nghi/<name>/ket-qua/<version>/<document>")
    def tally_document(name: str, version: str, document: str):
        folder = folder_of(name)
        found = {p.name: p for p in versions(folder / OUTPUT_DIR)}
        if version not in found or document not in OUTPUT_FILES or \
                not (found[version] / document).is_file():
            abort(404, _("This conference has no document {document} of tally {version}.").format(
                document=repr(document), version=repr(version)))
        path = found[version] / document
        return send_file(path, mimetype=MIMETYPES[path.suffix], as_attachment=True,
                         download_name=f"{version}-{document}")

    @app.route("/hoi-nghi/<name>/luu-tru", methods=["GET", "POST"])
    def archive(name: str):
        folder = folder_of(name)
        if request.method == "POST":
            action = request.form.get("action", "")
            if not first_submit():
                flash(_("This form was sent already; it was done once only."))
                return redirect(url_for("archive", name=name), code=303)
            if action == "export":
                task = Task("export")
                work = _export(folder, bool(request.form.get("mask")))
            elif action == "audit":
                wanted = request.form.get("source", "")
                source = folder if not wanted else next(
                    (p for p in archives(folder) if p.name == wanted), None)
                if source is None:
                    abort(404, _("This conference has no archive {name}.").format(
                        name=repr(wanted)))
                task = Task("audit", source.name if wanted else "")
                work = _audit(folder, source)
            else:
                abort(400)
            if not tasks.start(folder, task, work):
                flash(_("An export or an audit of this conference is running; wait for it to "
                        "end."))
            return redirect(url_for("archive", name=name), code=303)
        with Store.open(folder, readonly=True) as store:
            conference = store.conference()
        latest = tasks.latest(folder)
        checked = ""
        if latest is not None and latest.kind == "audit" and latest.result is not None:
            checked = ", ".join(f"{n} {_(what)}" for what, n in latest.result.checked.items())
        return render_template("archive.html", name=name, conference=conference, task=latest,
                               running=tasks.running(folder), checked=checked,
                               archives=[(p, p.stat().st_size) for p in archives(folder)])

    @app.route("/hoi-nghi/<name>/luu-tru/<file>")
    def archive_file(name: str, file: str):
        folder = folder_of(name)
        path = next((p for p in archives(folder) if p.name == file), None)
        if path is None:
            abort(404, _("This conference has no archive {name}.").format(name=repr(file)))
        return send_file(path, mimetype=MIMETYPES[".zip"], as_attachment=True,
                         download_name=path.name)
