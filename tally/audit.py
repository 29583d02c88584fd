"""``tinnhiem audit``: check from the stored ballots alone that the count is what they say.

Every check compares two independent records of the same fact and reports each disagreement as
a :class:`Difference` (where, what, stored, now):

1. the event log's hash chain, and the ballot codes' verification values against it;
2. every kept scan file against its SHA-256, and every page's decoded pixels against theirs;
3. every stored reading and decision against its event in the log (an edit, a deletion or an
   addition outside the program shows);
4. every page re-read from its image with the current reader against the stored reading;
5. every tally in the log recomputed from the readings and decisions recorded before it, against
   the fingerprint printed on its minutes; and the results with the re-read pages;
6. every document in the results folder (minutes, spreadsheets) against the tallies in the log:
   each must be one a tally wrote, and all of them of the same tally.

A damaged event, reading or record is a difference like any other: the audit lists it and goes
on with the rest.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from ballotgen.conference import Conference
from ballotgen.i18n import N_, _
from ballotgen.vocabulary import Flag
from omr.load import ScanFile
from omr.reading import PageReading
from tally.count import Attendance, Results, tally_of
from tally.documents import check_documents
from tally.files import file_sha256
from tally.fingerprint import fingerprint as fingerprint_of
from tally.publish import OUTPUT_DIR
from tally.scan import Task, read_pages, reading_context
from tally.store import Decision, Event, EventKind, Store, StoredPage, codes_sha256, reading_hash

# What of a page's reading the audit compares, and the words it names them by.
READING_FIELDS = {"kind": N_("kind"), "batch": N_("batch"), "page": N_("page"),
                  "serial": N_("serial"), "flags": N_("flags")}


@dataclass(frozen=True)
class Difference:
    where: str  # "scan.pdf page 3, row 2", "event 17", "tally 2026-12-15T10:00:00+00:00"
    what: str
    stored: str = ""
    now: str = ""

    def __str__(self) -> str:
        if not (self.stored or self.now):
            return f"{self.where}: {self.what}"
        return _("{where}: {what}: stored {stored!r}, now {now!r}").format(
            where=self.where, what=self.what, stored=self.stored, now=self.now)


@dataclass
class AuditReport:
    conference: Conference
    checked: dict[str, int] = field(default_factory=dict)
    differences: list[Difference] = field(default_factory=list)
    tallies: list[tuple[str, bool]] = field(default_factory=list)  # (fingerprint, final) verified

    @property
    def ok(self) -> bool:
        return not self.differences


def audit_store(folder: Path, *, jobs: int = 1, fingerprint: str | None = None,
                progress: Callable[[int], None] | None = None,
                images: Callable[[StoredPage], tuple[ScanFile, int] | None] | None = None
                ) -> AuditReport:
    """Audit the conference in ``folder`` (see the module docstring), read-only: a folder on a
    read-only medium is audited as it is.

    ``fingerprint``, as printed on signed minutes, must be the fingerprint of a tally in the log.
    ``images`` says where a page's image is when not in the kept scan file (a masked archive).
    """
    with Store.open(folder, readonly=True) as store:
        return audit_opened(store, jobs=jobs, fingerprint=fingerprint, progress=progress,
                            images=images)


def audit_opened(store: Store, *, jobs: int = 1, fingerprint: str | None = None,
                 progress: Callable[[int], None] | None = None,
                 images: Callable[[StoredPage], tuple[ScanFile, int] | None] | None = None
                 ) -> AuditReport:
    """:func:`audit_store` of a store already open (an archive's, held in memory)."""
    report = AuditReport(store.conference())
    diff = report.differences.append
    for problem in store.verify_chain():
        diff(Difference(_("event log"), problem))
    events = store.events()
    intact = [e for e in events if not e.damaged]  # the damaged ones are listed just above
    damaged: list[tuple[str, str]] = []
    every_page = store.pages(superseded=True, damaged=damaged)
    for where, what in damaged:
        diff(Difference(where, what))
    decisions = store.decisions()
    report.checked[N_("events")] = len(events)

    _check_code_digests(store, intact, report)
    _check_stamp_setting(report.conference, intact, report)
    sources = _check_files(store, report, masked=images is not None)
    _check_pages_against_log(every_page, intact, report)
    _check_decisions_against_log(decisions, intact, report)
    superseded = _check_superseded(store, intact, report)
    set_aside = _check_set_aside(store, intact, report)
    pages = [p for p in every_page
             if p.file_sha256 not in superseded and p.file_sha256 not in set_aside]

    ctx = reading_context(store)
    tasks: list[Task] = []
    task_pages: list[StoredPage] = []
    for page in every_page:
        source = images(page) if images else (
            (sources[page.file_sha256], page.page_index)
            if page.file_sha256 in sources else None)
        if source is None:
            diff(Difference(_where(page), _("the image of this page is missing")))
            continue
        tasks.append((page.file_sha256, source[0], source[1], page.reading.settings))
        task_pages.append(page)
    reread: dict[int, PageReading] = {}
    recorded_stamps = 0
    for page, result in zip(task_pages, read_pages(tasks, ctx, jobs)):
        if images is None and result.image_sha256 != page.image_sha256:
            diff(Difference(_where(page), _("the decoded image differs from the one read"),
                            page.image_sha256 or "", result.image_sha256 or ""))
        reading = result.reading
        if _stamp_unseen(page.reading, reading):  # a masked page, kept in grey
            reading = _with_stamp_of(page.reading, reading)
            recorded_stamps += 1
        for d in compare_readings(page.reading, reading):
            diff(dataclasses.replace(d, where=f"{_where(page)}{d.where}"))
        reread[page.id] = reading
        if progress:
            progress(1)
    report.checked[N_("pages re-read")] = len(reread)
    if recorded_stamps:
        report.checked[N_("stamps taken as recorded (pages kept in grey)")] = recorded_stamps
    report.checked[N_("decisions")] = len(decisions)

    printed = sum(b.copies for b in store.batches())
    recomputed = _check_tallies(report, events, intact, every_page, decisions, printed,
                                fingerprint)
    _check_reread_results(report, pages, reread, decisions, printed, intact)
    check_documents(report, store.folder / OUTPUT_DIR, intact, recomputed)
    return report


def _where(page: StoredPage) -> str:
    return _("{file} page {page}").format(file=page.file_name, page=page.page_index + 1)


def _file(sha256: str) -> str:
    """A scan file known only by its content hash (the store no longer has its name)."""
    return _("file {file}…").format(file=sha256[:12])


def _decision(id_: int) -> str:
    return _("decision {id}").format(id=id_)


def _check_files(store: Store, report: AuditReport, *, masked: bool) -> dict[str, ScanFile]:
    """Kept scan files whose content is what was ingested, by SHA-256."""
    sources: dict[str, ScanFile] = {}
    if masked:  # the pages are in the archive as masked images, not as the files ingested
        report.checked[N_("files")] = 0
        return sources
    for record in store.scan_files():
        if record.error is not None:
            continue
        kept = store.kept_file(record.sha256)
        if kept is None or not kept.is_file():
            report.differences.append(Difference(record.name, _("the kept scan file is missing")))
            continue
        sha = file_sha256(kept)
        if sha != record.sha256:
            report.differences.append(Difference(record.name, _("the kept scan file was replaced"),
                                                 record.sha256, sha))
            continue
        sources[record.sha256] = ScanFile(kept, record.kind or "", record.pages)
    report.checked[N_("files")] = len(sources)
    return sources


def _check_code_digests(store: Store, events: list[Event], report: AuditReport) -> None:
    """The ballot codes' verification values are those recorded when the batch was printed
    (without the key, an archive's pages are checked against them)."""
    for event in events:
        logged = event.data.get("codes_sha256") if event.kind == EventKind.BALLOTS_PRINTED else None
        if logged is None:  # printed before verification values were recorded
            continue
        stored = codes_sha256(store.code_digests(event.data["batch"]))
        if stored != logged:
            report.differences.append(Difference(
                _("batch {batch}").format(batch=event.data["batch"]),
                _("the verification values of its ballot codes are not those recorded when it "
                  "was printed"), logged[:16], stored[:16]))


def _check_stamp_setting(conference: Conference, events: list[Event],
                         report: AuditReport) -> None:
    """The conference's stamp check is the one it was created with (a store created before the
    setting existed has it off)."""
    for event in events:
        if event.kind == EventKind.CONFERENCE_CREATED:
            created = event.data.get("stamp", "off")
            if created != conference.stamp:
                report.differences.append(Difference(
                    _("conference"), _("its stamp check is not the one it was created with"),
                    created,
                    conference.stamp))


def _stamp_unseen(stored: PageReading, now: PageReading) -> bool:
    """Whether ``now`` could not see a stamp that ``stored`` saw in colour: a page of an
    archive with signatures masked is kept in grey, and the stamp cannot be read again."""
    return (stored.stamp is not None and stored.stamp.colour and now.stamp is not None
            and not now.stamp.colour)


def _with_stamp_of(stored: PageReading, now: PageReading) -> PageReading:
    """``now`` with the stamp (and its flags) as ``stored`` read it."""
    stamp_flags = {Flag.MISSING_STAMP, Flag.STAMP_UNCLEAR}
    flags = {f for f in now.flags if f not in stamp_flags} | (set(stored.flags) & stamp_flags)
    return dataclasses.replace(now, stamp=stored.stamp, flags=tuple(sorted(flags)))


def _check_pages_against_log(pages: list[StoredPage], events: list[Event],
                             report: AuditReport) -> None:
    logged = {(e.data["file"], e.data["page"]): e for e in events if e.kind == EventKind.PAGE_READ}
    for page in pages:
        event = logged.pop((page.file_sha256, page.page_index), None)
        if event is None:
            report.differences.append(Difference(_where(page),
                                                 _("a reading the log never recorded")))
            continue
        stored = reading_hash(page.reading)
        logged_hash = event.data.get("reading_sha256", stored)
        if logged_hash != stored or event.data["kind"] != page.reading.kind or \
                event.data["image_sha256"] != page.image_sha256:
            report.differences.append(Difference(
                _where(page), _("the stored reading was changed after it was recorded"),
                logged_hash[:16], stored[:16]))
    for (file, index), event in logged.items():
        report.differences.append(Difference(
            _("file {file}… page {page}").format(file=file[:12], page=index + 1),
            _("a reading in the log (event {seq}) is gone").format(seq=event.seq)))


def _check_decisions_against_log(decisions: list[Decision], events: list[Event],
                                 report: AuditReport) -> None:
    logged = {e.data["id"]: e for e in events if e.kind == EventKind.DECISION}
    for d in decisions:
        event = logged.pop(d.id, None)
        record = {"ballot": d.ballot, "person": d.person, "value": d.value, "before": d.before,
                  "reviewer": d.reviewer, "note": d.note}
        if event is None:
            report.differences.append(Difference(_decision(d.id),
                                                 _("a decision the log never recorded")))
        elif any(event.data.get(k) != v for k, v in record.items()):
            report.differences.append(Difference(_decision(d.id),
                                                 _("changed after it was made"),
                                                 event.data.get("value", ""), d.value))
    for did, event in logged.items():
        report.differences.append(Difference(
            _decision(did),
            _("in the log (event {seq}) but gone from the store").format(seq=event.seq),
            event.data.get("value", ""), ""))


def compare_readings(stored: PageReading, now: PageReading) -> list[Difference]:
    """What a re-read changes that matters for the count: kind, identity, flags, row readings.
    Scores may move by rounding between reader versions; statuses and readings may not."""
    out = []
    for name, label in READING_FIELDS.items():
        a, b = getattr(stored, name), getattr(now, name)
        if a != b:
            out.append(Difference("", _(label), str(a), str(b)))
    if stored.stamp is not None and now.stamp is not None and \
            stored.stamp.status != now.stamp.status:  # (a reading before the stamp has none)
        out.append(Difference("", _("stamp"), stored.stamp.status, now.stamp.status))
    rows_now = {r.person: r for r in now.rows}
    for row in stored.rows:
        other = rows_now.get(row.person)
        if other is None:
            out.append(Difference(_(", row {person}").format(person=row.person),
                                  _("row not read now"), row.reading, ""))
        elif (row.reading, row.statuses, row.flags) != (other.reading, other.statuses,
                                                        other.flags):
            out.append(Difference(_(", row {person}").format(person=row.person), _("row reading"),
                                  f"{row.reading} {'/'.join(row.statuses)}",
                                  f"{other.reading} {'/'.join(other.statuses)}"))
    return out


def _check_superseded(store: Store, events: list[Event], report: AuditReport) -> dict[str, int]:
    """Files superseded by their complete version, with the seq of the event that says so;
    the store and the log must agree on them."""
    logged = {e.data.get("file"): e for e in events if e.kind == EventKind.FILE_SUPERSEDED}
    stored = store.superseded()
    for file, by in stored.items():
        event = logged.get(file)
        if event is None or event.data.get("by") != by:
            report.differences.append(Difference(_file(file),
                                                 _("superseded in the store but not so in the "
                                                   "log"), "", by[:12]))
    for only_logged in set(logged) - set(stored):
        report.differences.append(Difference(
            _file(str(only_logged)),
            _("superseded in the log (event {seq}) but not in the store").format(
                seq=logged[only_logged].seq)))
    return {file: e.seq for file, e in logged.items() if file in stored}


def _check_set_aside(store: Store, events: list[Event], report: AuditReport) -> set[str]:
    """Files set aside (refused or withdrawn) as the log says; the store must agree."""
    logged = {e.data.get("file"): e for e in events if e.kind == EventKind.FILE_SET_ASIDE}
    stored = store.set_aside()
    for file, record in stored.items():
        event = logged.get(file)
        if event is None or (event.data.get("how"), event.data.get("reason"),
                             event.data.get("by")) != (record.how, record.reason, record.by):
            report.differences.append(Difference(_file(file),
                                                 _("set aside in the store but not so in the "
                                                   "log"), "", record.how))
    for only_logged in set(logged) - set(stored):
        report.differences.append(Difference(
            _file(str(only_logged)),
            _("set aside in the log (event {seq}) but not in the store").format(
                seq=logged[only_logged].seq)))
    report.checked[N_("files set aside")] = len(stored)
    return {str(file) for file in logged}


def _as_of(seq: int, events: list[Event], pages: list[StoredPage],
           decisions: list[Decision]) -> tuple[list[StoredPage], list[Decision]]:
    """The pages and decisions recorded before event ``seq`` (less the pages of files
    superseded, refused or withdrawn before it)."""
    page_seq = {(e.data["file"], e.data["page"]): e.seq for e in events
                if e.kind == EventKind.PAGE_READ}
    decision_seq = {e.data["id"]: e.seq for e in events if e.kind == EventKind.DECISION}
    gone = {e.data["file"] for e in events if e.seq < seq
            and e.kind in (EventKind.FILE_SUPERSEDED, EventKind.FILE_SET_ASIDE)}
    return ([p for p in pages if page_seq.get((p.file_sha256, p.page_index), 0) < seq
             and p.file_sha256 not in gone],
            [d for d in decisions if decision_seq.get(d.id, 0) < seq])


def _printed_before(events: list[Event], seq: int) -> tuple[int, int]:
    """Ballots printed, and print runs, before the event ``seq``: what a tally then knew."""
    runs = [e for e in events if e.kind == EventKind.BALLOTS_PRINTED and e.seq < seq]
    return sum(int(e.data.get("copies", 0)) for e in runs), len(runs)


def _tally_inputs(event: Event) -> tuple[Attendance, dict[int, Fraction] | None, int]:
    """What a tally was made from: the attendance entered, last year's shares (None when none
    were given), and the version of the count it was made with (1 before versions were
    recorded)."""
    attendance = Attendance(**event.data.get("attendance", {}))
    version = int(event.data.get("count", 1))
    history: dict[int, Fraction] | None = {
        int(k): Fraction(v) for k, v in event.data.get("history", {}).items()}
    if version == 1 or not event.data.get("history_given"):
        history = history or None
    return attendance, history, version


def _check_tallies(report: AuditReport, events: list[Event], intact: list[Event],
                   pages: list[StoredPage], decisions: list[Decision], printed: int,
                   fingerprint: str | None) -> dict[int, Results]:
    """Recompute every tally in the log from what was recorded before it; returns the results
    of each, by the seq of its event."""
    found = False
    recomputed = {}
    for i, event in enumerate(events):
        if event.kind != EventKind.TALLY_PRODUCED or event.damaged:
            continue
        before = events[i - 1].hash if i else ""
        where = _("tally of {at}").format(at=event.at)
        if event.data["log_head"] != before:
            report.differences.append(Difference(where, _("does not follow the event before it"),
                                                 event.data["log_head"][:16], before[:16]))
        attendance, history, version = _tally_inputs(event)
        copies, runs = _printed_before(intact, event.seq)
        then_pages, then_decisions = _as_of(event.seq, intact, pages, decisions)
        results = tally_of(report.conference, then_pages, then_decisions,
                           printed=copies or printed, attendance=attendance,
                           previous=history, version=version, print_runs=runs or 1)
        recomputed[event.seq] = results
        now = fingerprint_of(results, event.data["log_head"])
        if now != event.data["fingerprint"]:
            report.differences.append(Difference(where, _("its results cannot be reproduced"),
                                                 event.data["fingerprint"], now))
        else:
            report.tallies.append((now, bool(event.data["final"])))
        found = found or now == fingerprint
    if fingerprint is not None and not found:
        report.differences.append(Difference(
            _("minutes"), _("no tally in the log has this fingerprint"), fingerprint, ""))
    report.checked[N_("tallies")] = len(report.tallies)
    return recomputed


def _check_reread_results(report: AuditReport, pages: list[StoredPage],
                          reread: dict[int, PageReading], decisions: list[Decision],
                          printed: int, events: list[Event]) -> None:
    """The latest tally's results with every page as the current reader reads it."""
    tallies = [e for e in events if e.kind == EventKind.TALLY_PRODUCED]
    if not tallies:
        return
    attendance, history, version = _tally_inputs(tallies[-1])
    runs = sum(e.kind == EventKind.BALLOTS_PRINTED for e in events)
    stored = tally_of(report.conference, pages, decisions, printed=printed,
                      attendance=attendance, previous=history, version=version,
                      print_runs=runs or 1)
    fresh_pages = [dataclasses.replace(p, reading=reread.get(p.id, p.reading)) for p in pages]
    fresh = tally_of(report.conference, fresh_pages, decisions, printed=printed,
                     attendance=attendance, previous=history, version=version,
                     print_runs=runs or 1)
    for a, b in zip(stored.persons, fresh.persons):
        if a != b:
            report.differences.append(Difference(
                _("results, person {number}").format(number=a.number),
                _("would change with the pages re-read"),
                _line(a), _line(b)))


def _line(p) -> str:
    return json.dumps({"valid": p.valid, "invalid": p.invalid, **p.levels}, sort_keys=True)

