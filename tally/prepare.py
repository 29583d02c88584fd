"""Before the conference: create it from a roster, and print its ballots.

These are the library functions behind ``tinnhiem init`` and ``tinnhiem print``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from ballotgen import payload
from ballotgen.conference import DEFAULT_TIMEZONE, STAMP_CHECKS, Conference, valid_timezone
from ballotgen.errors import RequestError
from ballotgen.fonts import ballot_family
from ballotgen.i18n import _
from ballotgen.layout import build_layout
from ballotgen.render import new_batch, render_pdf
from ballotgen.roster import Roster, read_roster_file
from tally.files import (
    Partial,
    file_sha256,
    os_failure,
    partial_target,
    refuse_existing,
    sync_folder,
    take_abandoned,
)
from tally.rules import RULE_SETS
from tally.store import BatchRecord, Store


def check_conference(*, roster: Path, org: str, title: str, date: dt.date, place: str = "",
                     summoned: int | None = None, rules: str = "qd96-2023", stamp: str = "off",
                     venue: str = "", timezone: str = DEFAULT_TIMEZONE,
                     ) -> tuple[Conference, Roster]:
    """Read the roster and check that its ballot can be printed; create nothing. Returns the
    conference and the roster as read (its persons and the note rows below its table), so that
    they can be shown before anything is created."""
    if rules not in RULE_SETS:
        raise RequestError(_("unknown rule set {rules!r}").format(rules=rules),
                              remedy=_("Use one of: {choices}.").format(
                               choices=", ".join(RULE_SETS)))
    read = read_roster_file(roster)
    if stamp not in STAMP_CHECKS:
        raise RequestError(_("unknown stamp check {stamp!r}").format(stamp=stamp),
                           remedy=_("Use one of: {choices}.").format(
                               choices=", ".join(STAMP_CHECKS)))
    if not valid_timezone(timezone):
        raise RequestError(_("unknown time zone {timezone!r}").format(timezone=timezone),
                           remedy=_("E.g. Asia/Ho_Chi_Minh."))
    conference = Conference(org=org, title=title, date=date, place=place, summoned=summoned,
                            rules=rules, persons=read.persons, stamp=stamp, venue=venue,
                            timezone=timezone)
    build_layout(conference)  # a missing glyph or an impossible layout fails here, not at print
    return conference, read


def create_conference(folder: Path, *, roster: Path, org: str, title: str, date: dt.date,
                      place: str = "", summoned: int | None = None,
                      rules: str = "qd96-2023", stamp: str = "off", venue: str = "",
                      timezone: str = DEFAULT_TIMEZONE) -> Conference:
    """Read the roster, check that its ballot can be printed, and create the conference folder.

    Everything is checked before anything is written; the folder appears complete or not at all.
    """
    conference, __ = check_conference(roster=roster, org=org, title=title, date=date,
                                     place=place, summoned=summoned, rules=rules, stamp=stamp,
                                     venue=venue, timezone=timezone)
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
    completed: bool = False  # an interrupted print of before was completed, nothing printed now
    earlier: tuple[BatchRecord, ...] = ()  # the print runs before this one


def print_ballots(folder: Path, *, copies: int, output: Path | None = None,
                  serials: bool = False) -> PrintResult:
    """Print ``copies`` ballots of the conference in ``folder`` to a PDF; record the batch.

    The PDF is written whole under a hidden partial name first, so an unwritable folder or a
    full disk fails before anything is recorded. Then the batch is recorded, then the PDF is
    renamed into place: a PDF that exists is always of a batch recorded as issued. A print killed
    between the last two steps is completed by the next ``print`` (which then prints nothing
    more), and a partial of a print killed earlier is removed.
    """
    with Store.open(folder) as store:
        conference = store.conference()
        path = Path(output) if output else None
        tag = _conference_tag(store.secret())
        completed = finish_interrupted_prints(
            store, {Path(folder), path.parent if path else Path(folder)}, tag)
        if completed:
            record, done = completed[0]
            return PrintResult(path=done, batch=record.code, copies=record.copies,
                               pages_per_ballot=record.pages, layout_hash=record.layout_hash,
                               size_bytes=done.stat().st_size, font=_font_name(),
                               serials=record.serials, completed=True)
        earlier = tuple(store.batches())
        layout = build_layout(conference)
        batch = new_batch(copies, serials=serials)
        pdf = render_pdf(layout, batch, store.secret())
        path = path or Path(folder) / f"phieu-{batch.code}.pdf"
        refuse_existing(path)  # before recording, so a refused print records nothing
        with Partial(path, tag=f"{batch.code}-{tag}") as partial:
            partial.write(pdf)  # a full disk or a read-only folder fails here: nothing recorded
            store.record_batch(batch, layout, pdf_name=path.name,
                               pdf_sha256=hashlib.sha256(pdf).hexdigest())
            partial.commit()
    return PrintResult(path=path, batch=batch.code, copies=copies,
                       pages_per_ballot=len(layout.pages), layout_hash=layout.hash,
                       size_bytes=len(pdf), font=_font_name(), serials=serials, earlier=earlier)


def _font_name() -> str:
    return ballot_family().family + (" (bundled)" if ballot_family().bundled else "")


PARTIAL_TAG_LENGTH = 8  # hex digits of a conference's tag in the names of its partial PDFs


def _conference_tag(secret: bytes) -> str:
    """Tells this conference's partial PDFs from another's in a shared folder (reveals nothing
    of the key: a hash of it, cut short)."""
    return hashlib.sha256(b"tinnhiem partial print\n" + secret).hexdigest()[:PARTIAL_TAG_LENGTH]


def finish_interrupted_prints(store: Store, folders: set[Path],
                              tag: str) -> list[tuple[BatchRecord, Path]]:
    """Complete the prints of this conference killed after recording their batch (rename the
    PDF into place), and remove the partials of those killed before. Returns those completed."""
    batches = {b.code: b for b in store.batches()}
    completed = []
    for folder in folders:
        try:
            entries = sorted(folder.iterdir())
        except OSError:
            continue
        for entry in entries:
            target = partial_target(entry)
            code, __, owner = target[1].partition("-") if target else ("", "", "")
            if target is None or owner != tag:
                continue  # not a partial PDF of this conference
            fd = take_abandoned(entry)
            if fd is None:
                continue  # being written at this moment
            try:
                final = entry.with_name(target[0])
                record = batches.get(code)
                if record is not None and not final.exists() and \
                        record.pdf_sha256 == file_sha256(entry) and \
                        record.pdf_name == final.name:
                    os.replace(entry, final)
                    sync_folder(folder)
                    completed.append((record, final))
                else:
                    entry.unlink()
            except OSError as exc:
                raise os_failure(entry, exc) from exc
            finally:
                os.close(fd)
    return completed
