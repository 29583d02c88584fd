"""Before the vote: ``init``, ``print``, ``committee``, and ``status`` at any time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from ballotgen.conference import STAMP_CHECKS
from ballotgen.errors import ExitCode
from ballotgen.i18n import N_, _, ngettext
from tally.cli.options import (
    conference_date,
    conference_dir,
    member_list,
    required_text,
    timezone_name,
    unicode_text,
)
from tally.rules import DEFAULT_RULES, RULE_SETS


@click.command(help=N_("Create a conference in the new folder DIR from its roster.\n\n"
                       "The persons read are shown first; with --dry-run nothing more is done."))
@conference_dir
@click.option("--roster", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help=N_("CSV (UTF-8) or XLSX file with columns STT, Họ và tên, Chức vụ."))
@click.option("--org", "org_lines", required=True, multiple=True, metavar=N_("TEXT"),
              callback=required_text,
              help=N_("Organisation printed top-left; repeat for several lines, parent body "
                      "first."))
@click.option("--title", required=True, callback=required_text,
              help=N_("Title of the conference, printed on every ballot."))
@click.option("--date", "date", required=True, callback=conference_date, metavar="YYYY-MM-DD",
              help=N_("Date of the conference."))
@click.option("--place", default="", callback=unicode_text,
              help=N_("The town on the date line of the ballot and the minutes ('Bình An, "
                      "ngày …')."))
@click.option("--venue", default="", callback=unicode_text,
              help=N_("Where the conference sits, as the minutes say 'tại …' (e.g. 'Hội trường "
                      "Sở Tài chính') [default: not stated]."))
@click.option("--timezone", default="Asia/Ho_Chi_Minh", show_default=True,
              callback=timezone_name,
              help=N_("The conference's time zone, for the minutes' times."))
@click.option("--summoned", type=click.IntRange(min=1), metavar="N",
              help=N_("Number of voters summoned (for the quorum)."))
@click.option("--rules", default=DEFAULT_RULES, show_default=True,
              type=click.Choice(list(RULE_SETS)), help=N_("Rule set of the count."))
@click.option("--stamp", default="off", show_default=True, type=click.Choice(STAMP_CHECKS),
              help=N_("With 'required', a ballot scanned in colour without the agency's red stamp "
                      "goes to review as a sheet the committee did not issue. Scan in "
                      "colour."))
@click.option("--dry-run", is_flag=True,
              help=N_("Read the roster and show the persons read; create nothing."))
def init(folder: Path, roster: Path, org_lines: tuple[str, ...], title: str, date: dt.date,
         place: str, venue: str, timezone: str, summoned: int | None, rules: str, stamp: str,
         dry_run: bool) -> None:
    from ballotgen.errors import ConferenceError
    from tally.prepare import check_conference, create_conference

    path = Path(folder)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):  # before anything is shown
        raise ConferenceError(_("{folder}: already exists and is not empty").format(
            folder=folder), remedy=_("Choose a new folder for the conference."))
    options: dict = dict(roster=roster, org="\n".join(org_lines), title=title, date=date,
                         place=place, summoned=summoned, rules=rules, stamp=stamp, venue=venue,
                         timezone=timezone)
    checked, read = check_conference(**options)
    click.echo(ngettext("Persons on the ballot read from {roster} ({n} person):",
                        "Persons on the ballot read from {roster} ({n} persons):",
                        len(read.persons)).format(roster=roster, n=len(read.persons)))
    width = max(len(p.name) for p in read.persons)
    for p in read.persons:
        click.echo(f"  {p.number:>3}. {p.name.ljust(width)}  {p.position}")
    for row, text in read.notes:
        click.echo("  " + _("(row {row}, a note below the table, not a person on the ballot: "
                            "{text})").format(row=row, text=text))
    if dry_run:
        click.echo(_("Nothing was created (--dry-run). Check the list, then run the command "
                     "again without --dry-run."))
        return
    conference = create_conference(folder, **options)
    assert conference == checked
    click.echo(ngettext("Created the conference in {folder}: {n} person, rules {rules}.",
                        "Created the conference in {folder}: {n} persons, rules {rules}.",
                        len(conference.persons)).format(
        folder=folder, n=len(conference.persons), rules=conference.rules))
    if stamp == "required":
        click.echo(_("The agency's stamp is required: scan the ballots in colour."))
    click.echo(_("Next: {command}").format(command=f"tinnhiem print {folder} --copies N"))


@click.command("print", help=N_("Print the conference's ballots to a PDF and record them as "
                                "issued."))
@conference_dir
@click.option("--copies", required=True, type=click.IntRange(min=1, max=100_000), metavar="N",
              help=N_("Number of ballots to print."))
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help=N_("PDF to write [default: DIR/phieu-BATCH.pdf]. Never overwritten."))
@click.option("--serials", is_flag=True,
              help=N_("Give every ballot its own random serial, recorded as issued, so a ballot "
                   "scanned twice is caught. Weakens secrecy: off by default."))
def print_(folder: Path, copies: int, output: Path | None, serials: bool) -> None:
    from tally.prepare import print_ballots

    result = print_ballots(folder, copies=copies, output=output, serials=serials)
    pages = result.pages_per_ballot
    if result.completed:
        click.echo(_("Completed the print of batch {batch} that was interrupted: {ballots} → "
                     "{path}. Nothing else was printed; run the command again for more "
                     "ballots.").format(batch=result.batch, path=result.path,
                                        ballots=_ballots(result.copies, pages)))
        return
    if result.earlier:
        runs = len(result.earlier) + 1
        total = sum(b.copies for b in result.earlier) + result.copies
        click.echo(_("Warning: this is print run {runs} of this conference ({total} ballots in "
                     "all, a batch code for each run). The ballots printed are not the ballots "
                     "issued: at the count, enter the number of ballots really handed out "
                     "(tally --issued); the minutes will state the number of print runs.").format(
                       runs=runs, total=total), err=True)
    sheets = ngettext("{n} sheet", "{n} sheets", result.copies * pages).format(
        n=result.copies * pages)
    click.echo((_("Printed {ballots} ({sheets}, batch {batch}, with serials) to {path} ({mb} MB, "
                  "font {font}).") if result.serials else
                _("Printed {ballots} ({sheets}, batch {batch}) to {path} ({mb} MB, font "
                  "{font}).")).format(ballots=_ballots(result.copies, pages), sheets=sheets,
                                      batch=result.batch, path=result.path, font=result.font,
                                      mb=f"{result.size_bytes / 1e6:.1f}"))
    if pages > 1:
        click.echo(_("Print single-sided: each page of a ballot is a sheet of its own."))


def _ballots(copies: int, pages: int) -> str:
    """"3 ballots of 2 pages", in the current language."""
    ballots = ngettext("{n} ballot", "{n} ballots", copies).format(n=copies)
    return ngettext("{ballots} of {pages} page", "{ballots} of {pages} pages", pages).format(
        ballots=ballots, pages=pages)


def show_codes(codes: list) -> None:
    """Print each member's code: the only time it is shown."""
    if not codes:
        click.echo(_("The committee has no members yet."))
        return
    click.echo(_("Personal codes (shown only now: hand each to its member, who types it on the "
                 "review page):"))
    for member, code in codes:
        click.echo(f"  {member.name} ({member.role}): {code}")


@click.command(help=N_(
    "Give the counting committee's members to the conference; each gets a personal code.\n\n"
    "Without --member, list the members. A member's code is printed once, here; it is what they "
    "enter on the review page ('tinnhiem review --new-codes' gives everyone new ones)."))
@conference_dir
@click.option("--member", "members", multiple=True, callback=member_list, metavar=N_("NAME:ROLE"),
              help=N_("A member of the counting committee, e.g. 'Nguyễn Thị Lan:Trưởng ban' or "
                      "'Đỗ Văn Minh:Thành viên'; repeat for each."))
def committee(folder: Path, members: list) -> None:
    from tally.committee import add_members, members_of

    if members:
        show_codes(add_members(folder, [(m.name, m.role) for m in members]))
    for member in members_of(folder):
        click.echo(_("Member: {name} ({role})").format(name=member.name, role=member.role))


@click.command(help=N_("Show the conference, the ballots printed and scanned for it, and its "
                       "last tally."))
@conference_dir
def status(folder: Path) -> None:
    from tally.status import conference_status
    from tally.store import remedy_damaged_log

    state = conference_status(folder)
    conference = state.conference
    click.echo(f"{conference.title}, {conference.date.isoformat()}")
    click.echo(_("Organisation: {org}").format(org=" / ".join(conference.org_lines)))
    click.echo(_("Persons: {persons}   Summoned: {summoned}   Rules: {rules}   Stamp: "
                 "{stamp}").format(persons=len(conference.persons),
                                   summoned=conference.summoned or "-", rules=conference.rules,
                                   stamp=conference.stamp))
    for b in state.batches:
        click.echo((_("Batch {code}: {copies} ballots × {pages} page(s), printed {at}, serials → "
                      "{pdf}") if b.serials else
                    _("Batch {code}: {copies} ballots × {pages} page(s), printed {at} → {pdf}"))
                   .format(code=b.code, copies=b.copies, pages=b.pages, at=b.printed_at,
                           pdf=b.pdf_name))
    click.echo(_("Ballots printed: {n}").format(n=state.printed))
    if state.pages:
        click.echo(_("Scanned: {pages} pages, {ballots} ballots; flagged {flagged}, of which "
                     "{waiting} wait for review").format(pages=state.pages, ballots=state.ballots,
                                                         flagged=state.flagged,
                                                         waiting=state.waiting))
    for label, record in state.set_aside:
        click.echo(_("Not counted: {file}: {how} ({reason}; {by}, {at})").format(
            file=label, how=record.how.label, reason=record.reason, by=record.by,
            at=record.at[:16].replace("T", " ")))
    if state.last_tally is not None:
        event = state.last_tally
        kind = event.data.get("state") or ("chinh-thuc" if event.data["final"] else "du-thao")
        line = (_("Last tally: {at}, final, fingerprint {fingerprint}") if event.data["final"]
                else _("Last tally: {at}, draft, fingerprint {fingerprint}")).format(
            at=event.at, fingerprint=event.data["fingerprint"])
        if event.data.get("folder"):
            line += _(", number {number} ({kind}) in {folder}").format(
                number=event.data["number"], kind=kind, folder=event.data["folder"])
        click.echo(line)
    broken = state.broken
    click.echo(_("Event log: intact") if not broken
               else _("Event log: BROKEN") + "\n  " + "\n  ".join(broken))
    if broken:
        click.echo(f"  → {remedy_damaged_log(folder)}", err=True)
        raise SystemExit(int(ExitCode.AUDIT))


COMMANDS = (init, print_, committee, status)
