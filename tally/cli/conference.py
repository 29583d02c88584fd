"""Before the vote: ``init``, ``print``, ``committee``, and ``status`` at any time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from ballotgen.conference import STAMP_CHECKS
from ballotgen.errors import ExitCode
from tally.cli.options import (
    conference_date,
    conference_dir,
    member_list,
    required_text,
    timezone_name,
    unicode_text,
)
from tally.rules import DEFAULT_RULES, RULE_SETS


@click.command()
@conference_dir
@click.option("--roster", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="CSV (UTF-8) or XLSX file with columns STT, Họ và tên, Chức vụ.")
@click.option("--org", "org_lines", required=True, multiple=True, metavar="TEXT",
              callback=required_text,
              help="Organisation printed top-left; repeat for several lines, parent body first.")
@click.option("--title", required=True, callback=required_text,
              help="Title of the conference, printed on every ballot.")
@click.option("--date", "date", required=True, callback=conference_date, metavar="YYYY-MM-DD",
              help="Date of the conference.")
@click.option("--place", default="", callback=unicode_text,
              help="The town on the date line of the ballot and the minutes ('Bình An, ngày …').")
@click.option("--venue", default="", callback=unicode_text,
              help="Where the conference sits, as the minutes say 'tại …' (e.g. 'Hội trường "
                   "Sở Tài chính') [default: not stated].")
@click.option("--timezone", default="Asia/Ho_Chi_Minh", show_default=True,
              callback=timezone_name, help="The conference's time zone, for the minutes' times.")
@click.option("--summoned", type=click.IntRange(min=1), metavar="N",
              help="Number of voters summoned (for the quorum).")
@click.option("--rules", default=DEFAULT_RULES, show_default=True,
              type=click.Choice(list(RULE_SETS)), help="Rule set of the count.")
@click.option("--stamp", default="off", show_default=True, type=click.Choice(STAMP_CHECKS),
              help="With 'required', a ballot scanned in colour without the agency's red stamp "
                   "goes to review as a sheet the committee did not issue. Scan in colour.")
@click.option("--dry-run", is_flag=True,
              help="Read the roster and show the persons read; create nothing.")
def init(folder: Path, roster: Path, org_lines: tuple[str, ...], title: str, date: dt.date,
         place: str, venue: str, timezone: str, summoned: int | None, rules: str, stamp: str,
         dry_run: bool) -> None:
    """Create a conference in the new folder DIR from its roster.

    The persons read are shown first; with --dry-run nothing more is done.
    """
    from ballotgen.errors import ConferenceError
    from tally.prepare import check_conference, create_conference

    path = Path(folder)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):  # before anything is shown
        raise ConferenceError(f"{folder}: already exists and is not empty",
                              remedy="Choose a new folder for the conference.")
    options: dict = dict(roster=roster, org="\n".join(org_lines), title=title, date=date,
                         place=place, summoned=summoned, rules=rules, stamp=stamp, venue=venue,
                         timezone=timezone)
    checked, read = check_conference(**options)
    click.echo(f"Danh sách người được lấy phiếu đọc từ {roster} ({len(read.persons)} người):")
    width = max(len(p.name) for p in read.persons)
    for p in read.persons:
        click.echo(f"  {p.number:>3}. {p.name.ljust(width)}  {p.position}")
    for row, text in read.notes:
        click.echo(f"  (dòng {row}, ghi chú dưới bảng, không phải người được lấy phiếu: {text})")
    if dry_run:
        click.echo("Chưa tạo gì (--dry-run). Kiểm tra danh sách rồi chạy lại lệnh không có "
                   "--dry-run.")
        return
    conference = create_conference(folder, **options)
    assert conference == checked
    click.echo(f"Created the conference in {folder}: {len(conference.persons)} persons, "
               f"rules {conference.rules}"
               + (", stamp required (scan in colour)." if stamp == "required" else "."))
    click.echo(f"Next: tinnhiem print {folder} --copies N")


@click.command("print")
@conference_dir
@click.option("--copies", required=True, type=click.IntRange(min=1, max=100_000), metavar="N",
              help="Number of ballots to print.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="PDF to write [default: DIR/phieu-BATCH.pdf]. Never overwritten.")
@click.option("--serials", is_flag=True,
              help="Give every ballot its own random serial, recorded as issued, so a ballot "
                   "scanned twice is caught. Weakens secrecy: off by default.")
def print_(folder: Path, copies: int, output: Path | None, serials: bool) -> None:
    """Print the conference's ballots to a PDF and record them as issued."""
    from tally.prepare import print_ballots

    result = print_ballots(folder, copies=copies, output=output, serials=serials)
    pages = result.pages_per_ballot
    if result.completed:
        click.echo(f"Completed the print of batch {result.batch} that was interrupted: "
                   f"{result.copies} ballots of {pages} page{'s' * (pages > 1)} → {result.path}. "
                   "Nothing else was printed; run the command again for more ballots.")
        return
    if result.earlier:
        runs = len(result.earlier) + 1
        total = sum(b.copies for b in result.earlier) + result.copies
        click.echo(f"Cảnh báo: đây là lần in thứ {runs} của hội nghị này (tổng cộng {total} "
                   "phiếu, mỗi lần một mã lô). Số phiếu in không phải là số phiếu phát ra: khi "
                   "kiểm phiếu, nhập số phiếu thực sự phát ra (tally --issued); biên bản sẽ ghi "
                   "số lần in.", err=True)
    click.echo(f"Printed {result.copies} ballots of {pages} page{'s' * (pages > 1)} "
               f"({result.copies * pages} sheets, batch {result.batch}"
               f"{', with serials' if result.serials else ''}) to {result.path} "
               f"({result.size_bytes / 1e6:.1f} MB, font {result.font}).")
    if pages > 1:
        click.echo("Print single-sided: each page of a ballot is a sheet of its own.")


def show_codes(codes: list) -> None:
    """Print each member's code: the only time it is shown."""
    if not codes:
        click.echo("The committee has no members yet.")
        return
    click.echo("Personal codes (shown only now: hand each to its member, who types it on the "
               "review page):")
    for member, code in codes:
        click.echo(f"  {member.name} ({member.role}): {code}")


@click.command()
@conference_dir
@click.option("--member", "members", multiple=True, callback=member_list, metavar="NAME:ROLE",
              help="A member of the counting committee, e.g. 'Nguyễn Thị Lan:Trưởng ban' or "
                   "'Đỗ Văn Minh:Thành viên'; repeat for each.")
def committee(folder: Path, members: list) -> None:
    """Give the counting committee's members to the conference; each gets a personal code.

    Without --member, list the members. A member's code is printed once, here; it is what they
    enter on the review page ('tinnhiem review --new-codes' gives everyone new ones).
    """
    from tally.committee import add_members, members_of

    if members:
        show_codes(add_members(folder, [(m.name, m.role) for m in members]))
    for member in members_of(folder):
        click.echo(f"Member: {member.name} ({member.role})")


@click.command()
@conference_dir
def status(folder: Path) -> None:
    """Show the conference and the ballots printed for it."""
    from tally.status import conference_status
    from tally.store import remedy_damaged_log

    state = conference_status(folder)
    conference = state.conference
    click.echo(f"{conference.title}, {conference.date.isoformat()}")
    click.echo(f"Organisation: {' / '.join(conference.org_lines)}")
    click.echo(f"Persons: {len(conference.persons)}   Summoned: {conference.summoned or '-'}   "
               f"Rules: {conference.rules}   Stamp: {conference.stamp}")
    for b in state.batches:
        click.echo(f"Batch {b.code}: {b.copies} ballots × {b.pages} page(s), printed "
                   f"{b.printed_at}{', serials' if b.serials else ''} → {b.pdf_name}")
    click.echo(f"Ballots printed: {state.printed}")
    if state.pages:
        click.echo(f"Scanned: {state.pages} pages, {state.ballots} ballots; flagged "
                   f"{state.flagged}, of which {state.waiting} wait for review")
    for label, record in state.set_aside:
        click.echo(f"Not counted: {label}: {record.how.label} ({record.reason}; {record.by}, "
                   f"{record.at[:16].replace('T', ' ')})")
    if state.last_tally is not None:
        event = state.last_tally
        kind = event.data.get("state") or ("chinh-thuc" if event.data["final"] else "du-thao")
        click.echo(f"Last tally: {event.at}, {'final' if event.data['final'] else 'draft'}, "
                   f"fingerprint {event.data['fingerprint']}"
                   + (f", lần {event.data['number']} ({kind}) in {event.data['folder']}"
                      if event.data.get("folder") else ""))
    broken = state.broken
    click.echo("Event log: intact" if not broken else "Event log: BROKEN\n  " + "\n  ".join(broken))
    if broken:
        click.echo(f"  → {remedy_damaged_log(folder)}", err=True)
        raise SystemExit(int(ExitCode.AUDIT))


COMMANDS = (init, print_, committee, status)
