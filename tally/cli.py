"""The ``tinnhiem`` command: thin shells over the library, one function call per command.

Only this module catches :class:`~ballotgen.errors.TinnhiemError`: it prints the message (naming the
file and what to do) and exits with the error's code. Tracebacks appear only with ``-v``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import os
import re
import sys
import traceback
from pathlib import Path

import click

from ballotgen.errors import ExitCode, RequestError, TinnhiemError
from tally.rules import DEFAULT_RULES, RULE_SETS


class _Group(click.Group):
    """Turns our errors into a one-paragraph message and an exit code."""

    def invoke(self, ctx: click.Context) -> object:
        os.umask(0o077)  # everything we create is readable by its owner only (domain rule 11)
        try:
            return super().invoke(ctx)
        except TinnhiemError as exc:
            if ctx.meta.get("verbose"):
                traceback.print_exc()
            click.echo(f"error: {exc}", err=True)
            sys.exit(int(exc.exit_code))
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:  # a bug: say so, keep the details for -v
            if ctx.meta.get("verbose"):
                traceback.print_exc()
            click.echo(f"internal error: {type(exc).__name__}: {exc}\n"
                       "  → Run again with -v and report the output.", err=True)
            sys.exit(int(ExitCode.INTERNAL))


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks of errors.")
@click.version_option(package_name="tinnhiem")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """Paper confidence votes (lấy phiếu tín nhiệm): print ballots, read scans, count, report."""
    ctx.meta["verbose"] = verbose


def _unicode_text(ctx: click.Context, param: click.Parameter, value):
    """Refuse option text with invisible characters, or typed in a legacy Vietnamese encoding:
    it would be printed as garbage."""
    from ballotgen.vietnamese import encoding_problem, invisible_character, nfc

    for text in value if isinstance(value, tuple) else (value,):
        invisible = text and invisible_character(text)
        if invisible:
            raise click.BadParameter(f"{text!r} contains {invisible}; retype it without it.")
        problem = text and encoding_problem(nfc(text))
        if problem:
            raise click.BadParameter(f"{text!r} is not Unicode Vietnamese text ({problem}); "
                                     "retype it or convert it to Unicode.")
    return value


def _required_text(ctx: click.Context, param: click.Parameter, value):
    """:func:`_unicode_text`, and refuse an empty text (or a line of an --org that is)."""
    for text in value if isinstance(value, tuple) else (value,):
        if not text.strip():
            raise click.BadParameter("is empty; give the text to print on the ballot.")
    return _unicode_text(ctx, param, value)


FIRST_YEAR, LAST_YEAR = 2000, 2099  # a conference's date lies in these years (a typing guard)


def _conference_date(ctx: click.Context, param: click.Parameter, value: str) -> dt.date:
    """A date typed YYYY-MM-DD, told apart: not that form, no such day, or an unlikely year."""
    match = re.fullmatch(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*", value)
    if not match:
        raise click.BadParameter(f"{value!r} is not a date written YYYY-MM-DD, e.g. 2026-12-15.")
    year, month, day = map(int, match.groups())
    if not 1 <= month <= 12:
        raise click.BadParameter(f"{value}: there is no month {month}.")
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        raise click.BadParameter(f"{value} is not a date: {calendar.month_name[month]} {year} "
                                 f"has {days} days.")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise click.BadParameter(f"{value}: the year {year} is not a conference's; give a date "
                                 f"from {FIRST_YEAR} to {LAST_YEAR}.")
    return dt.date(year, month, day)


conference_dir = click.argument("folder", metavar="DIR", type=click.Path(path_type=Path))


@main.command()
@conference_dir
@click.option("--roster", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="CSV (UTF-8) or XLSX file with columns STT, Họ và tên, Chức vụ.")
@click.option("--org", "org_lines", required=True, multiple=True, metavar="TEXT",
              callback=_required_text,
              help="Organisation printed top-left; repeat for several lines, parent body first.")
@click.option("--title", required=True, callback=_required_text,
              help="Title of the conference, printed on every ballot.")
@click.option("--date", "date", required=True, callback=_conference_date, metavar="YYYY-MM-DD",
              help="Date of the conference.")
@click.option("--place", default="", callback=_unicode_text, help="Place of the conference (printed before the date).")
@click.option("--summoned", type=click.IntRange(min=1), metavar="N",
              help="Number of voters summoned (for the quorum).")
@click.option("--rules", default=DEFAULT_RULES, show_default=True,
              type=click.Choice(list(RULE_SETS)), help="Rule set of the count.")
@click.option("--stamp", default="off", show_default=True, type=click.Choice(["off", "required"]),
              help="With 'required', a ballot scanned in colour without the agency's red stamp "
                   "goes to review as a sheet the committee did not issue. Scan in colour.")
def init(folder: Path, roster: Path, org_lines: tuple[str, ...], title: str, date: dt.date,
         place: str, summoned: int | None, rules: str, stamp: str) -> None:
    """Create a conference in the new folder DIR from its roster."""
    from tally.prepare import create_conference

    conference = create_conference(folder, roster=roster, org="\n".join(org_lines), title=title,
                                   date=date, place=place, summoned=summoned, rules=rules,
                                   stamp=stamp)
    click.echo(f"Created the conference in {folder}: {len(conference.persons)} persons, "
               f"rules {conference.rules}"
               + (", stamp required (scan in colour)." if stamp == "required" else "."))
    click.echo(f"Next: tinnhiem print {folder} --copies N")


@main.command("print")
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
    click.echo(f"Printed {result.copies} ballots of {pages} page{'s' * (pages > 1)} "
               f"({result.copies * pages} sheets, batch {result.batch}"
               f"{', with serials' if result.serials else ''}) to {result.path} "
               f"({result.size_bytes / 1e6:.1f} MB, font {result.font}).")
    if pages > 1:
        click.echo("Print single-sided: each page of a ballot is a sheet of its own.")


def _rates(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> dict[str, float]:
    rates = {}
    for item in value:
        name, _, number = item.partition("=")
        try:
            rates[name.strip()] = float(number)
        except ValueError:
            raise click.BadParameter(f"{item!r} is not NAME=RATE, e.g. multi_mark=0.05") from None
    return rates


@main.command()
@conference_dir
@click.option("--voters", type=click.IntRange(min=1), metavar="N",
              help="Number of voters (default: one per row of --votes).")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="New folder for the scans and truth.json.")
@click.option("--votes", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="CSV of intended choices: header 'voter,<STT>,…', one row per voter, cells "
                   "cao / tin_nhiem / thap or empty. Default: a realistic random spread.")
@click.option("--profile", type=click.Choice(["clean", "office", "rough"]), default="office",
              show_default=True, help="How good the scanner and the handling are.")
@click.option("--format", "fmt", type=click.Choice(["pdf", "tiff", "jpeg", "png"]), default="pdf",
              show_default=True, help="One multi-page PDF or TIFF, or one image per page.")
@click.option("--dpi", type=click.IntRange(150, 600), help="Scan resolution [default: the profile's].")
@click.option("--seed", type=int, help="Seed for a reproducible stack [default: random].")
@click.option("--foreign", type=click.IntRange(min=0), default=0, metavar="N",
              help="Add N foreign sheets: another conference's ballot, a damaged or missing "
                   "code, a photocopy.")
@click.option("--rate", "rates", multiple=True, callback=_rates, metavar="NAME=RATE",
              help="Change how often voters do something, e.g. --rate multi_mark=0.05. Names: "
                   "blank_row, multi_mark, correction, crossed_name, write_in, signature, stray, "
                   "blank_ballot, stamp.")
def simulate(folder: Path, voters: int | None, output: Path, votes: Path | None, profile: str,
             fmt: str, dpi: int | None, seed: int | None, foreign: int,
             rates: dict[str, float]) -> None:
    """Simulate a vote: ballots filled by hand and scanned, with the truth beside them."""
    import secrets

    from tally.prepare import simulate_vote

    seed = seed if seed is not None else secrets.randbelow(10**6)
    result = simulate_vote(folder, output, voters=voters, votes=votes, profile=profile, fmt=fmt,
                           dpi=dpi, seed=seed, rates=rates, foreign=foreign)
    truth = result.truth
    files = sorted({p["file"] for p in truth["pages"]})
    shown = files[0] if len(files) == 1 else f"{files[0]} … {files[-1]}"
    click.echo(f"Simulated {truth['voters']} voters: {len(truth['pages'])} pages "
               f"({truth['profile']} scanner, {truth['dpi']} dpi {truth['mode']}, seed {seed}) "
               f"→ {result.folder}/{shown}")
    counts: dict[str, int] = {}
    for page in truth["pages"]:
        for flag in page["flags"]:
            counts[flag] = counts.get(flag, 0) + 1
    if counts:
        click.echo("Pages a reader must flag: " +
                   ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    click.echo(f"Truth: {result.folder}/truth.json")


@main.command("simulate-review")
@conference_dir
@click.option("--truth", required=True, type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="truth.json written by 'tinnhiem simulate'.")
def simulate_review(folder: Path, truth: Path) -> None:
    """For demos: a simulated committee resolves the flagged ballots of a simulated vote.

    Its decisions are recorded like any other, under the reviewer name
    "Ban Kiểm phiếu mô phỏng (demo)". Never use it on a real conference.
    """
    from tally.simulated_committee import resolve_from_truth

    decided = resolve_from_truth(folder, truth)
    click.echo(f"The simulated committee decided {decided} flagged ballots.")


@main.command()
@conference_dir
@click.argument("inputs", metavar="FILE_OR_FOLDER...", nargs=-1, required=True,
                type=click.Path(path_type=Path))
@click.option("--jobs", type=click.IntRange(1, 64), metavar="N",
              help="Read pages in N processes [default: the number of cores, at most 8].")
def scan(folder: Path, inputs: tuple[Path, ...], jobs: int | None) -> None:
    """Read scanned ballots (PDF, TIFF, JPEG, PNG files or folders) into the conference."""
    from omr.load import open_scan
    from tally.ballots import assemble, stamp_check
    from tally.resolve import holds_for_review
    from tally.scan import default_jobs, expand, scan_stack, stamp_summary
    from tally.store import Store

    show = sys.stderr.isatty()
    total = 0
    for path in expand(list(inputs)) if show else ():  # pages for the bar (cheap: no decoding)
        try:
            total += open_scan(path).pages
        except TinnhiemError:
            pass
    with click.progressbar(length=total, label="Reading", file=sys.stderr, hidden=not show) as bar:
        summary = scan_stack(folder, list(inputs), jobs=jobs or default_jobs(), progress=bar.update)
    with Store.open(folder, readonly=True) as store:
        pages = store.pages()
        conference = store.conference()
    rules = RULE_SETS[conference.rules]
    ballots = assemble(pages)
    kinds: dict[str, int] = {}
    for page in pages:
        kinds[page.reading.kind] = kinds.get(page.reading.kind, 0) + 1
    click.echo(f"Read {summary.pages_read} pages from {summary.files} files"
               + (f" ({summary.files_known} already scanned before)." if summary.files_known else "."))
    click.echo(f"In the store: {len(pages)} pages: " + ", ".join(
        f"{kinds.get(k, 0)} {label}" for k, label in (("ballot", "ballot pages"), ("blank", "blank"),
                                                     ("foreign", "foreign"),
                                                     ("unreadable", "unreadable"))) + ".")
    backs, fronts = summary.blank_backs, summary.fronts
    click.echo(f"Taken as blank backs: {backs} of the {backs + fronts} pages of the files given.")
    if not summary.blank_backs_fit:
        click.echo(f"warning: {backs} pages were taken as blank backs, more than the {fronts} "
                   "other pages: a sheet has one back, so some pages with print may have been "
                   "taken for blank ones (a pale or dark scan, a sheet face down). Look at them "
                   "before counting.", err=True)
    # A flag that cannot change a count under the rule set is recorded, not reviewed.
    held = [[f for f in b.flags if holds_for_review(f, rules)] for b in ballots]
    accepted = sum(not h for h in held)
    click.echo(f"Ballots: {len(ballots)}: {accepted} accepted, {len(ballots) - accepted} flagged "
               "for review.")
    reasons: dict[str, int] = {}
    recorded: dict[str, int] = {}
    for ballot, holding in zip(ballots, held):
        for flag in ballot.flags:
            counts = reasons if flag in holding else recorded
            counts[flag] = counts.get(flag, 0) + 1
    if reasons:
        click.echo("Flagged ballots by reason: " + ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())))
    if recorded:
        click.echo(f"Recorded, not for review under {rules.name}: "
                   + ", ".join(f"{k} {v}" for k, v in sorted(recorded.items())))
    if conference.stamp == "required":
        for line, warning in stamp_summary(stamp_check(ballots)):
            click.echo(line, err=warning)
    unreadable = [p for p in pages if p.reading.kind == "unreadable"]
    for page in unreadable[:20]:
        click.echo(f"  unreadable: {page.file_name} page {page.page_index + 1}: {page.reading.reason}")
    if len(unreadable) > 20:
        click.echo(f"  … and {len(unreadable) - 20} more (tinnhiem export {folder} --readings)")
    for name, problem in summary.file_errors:
        click.echo(f"  file not read: {name}: {problem}")
    for entry, what in summary.skipped:
        click.echo(f"  skipped: {entry}: {what}, not a file")
    for name, pages in summary.superseded:
        click.echo(f"  {name}: read complete; it replaces its incomplete version scanned before "
                   f"({pages} page{'s' * (pages != 1)} of that no longer count)")
    if summary.needs_attention:
        click.echo("Some files or pages could not be read: they are recorded; scan them again "
                   "or review them.", err=True)
        sys.exit(int(ExitCode.ATTENTION))


@main.command()
@conference_dir
@click.option("--readings", is_flag=True, help="One CSV row per ballot row: file, page, reading, "
              "flags and raw scores.")
@click.option("--audit", "audit_archive", is_flag=True,
              help="A self-contained archive (.zip) for the archive or the next level up: the "
                   "store, the scans, readings, decisions, the event log and the results. "
                   "'tinnhiem audit' checks it.")
@click.option("--mask-signatures", is_flag=True,
              help="With --audit: paint out the voters' signature areas (pages stored as PNG).")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="File to write [default: DIR/readings.csv, DIR/audit-DATE.zip].")
def export(folder: Path, readings: bool, audit_archive: bool, mask_signatures: bool,
           output: Path | None) -> None:
    """Export what the conference holds."""
    from tally.export import readings_csv
    from tally.files import write_private
    from tally.store import Store

    if readings == audit_archive:
        raise click.UsageError("say what to export: --readings or --audit")
    if mask_signatures and not audit_archive:
        raise click.UsageError("--mask-signatures goes with --audit")
    if audit_archive:
        from tally.archive import export_audit

        path = output or Path(folder) / f"audit-{dt.date.today().isoformat()}.zip"
        result = export_audit(folder, path, mask_signatures=mask_signatures)
        masked = f", {result.masked_pages} signature areas masked" if mask_signatures else ""
        click.echo(f"Wrote {result.path} ({result.entries} entries, "
                   f"{result.size_bytes / 1e6:.1f} MB{masked}). Check it with: tinnhiem audit "
                   f"{result.path}")
        return
    with Store.open(folder, readonly=True) as store:
        text = readings_csv(store)
    path = output or Path(folder) / "readings.csv"
    write_private(path, text.encode("utf-8"), overwrite=True)
    click.echo(f"Wrote {text.count(chr(10)) - 1} rows to {path}.")


@main.command()
@conference_dir
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. On any address but the loopback, every page needs a "
                   "member's code.")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--new-codes", is_flag=True,
              help="Give every committee member a new code (printed once) before starting; the "
                   "old codes stop working.")
def review(folder: Path, host: str, port: int, new_codes: bool) -> None:
    """Open the review web page, where the committee resolves flagged ballots."""
    from tally.review.app import serve
    from tally.store import Store

    Store.open(folder).close()  # a clear error now rather than in the browser
    if new_codes:
        from tally.committee import new_codes as issue

        _show_codes(issue(folder))
    try:
        serve(folder, host=host, port=port, announce=click.echo)
    except OSError as exc:
        raise RequestError(f"cannot listen on {host}:{port} ({exc.strerror or exc})",
                           remedy="Choose another --port, or stop the program using it.") from exc


def _show_codes(codes: list) -> None:
    """Print each member's code: the only time it is shown."""
    if not codes:
        click.echo("The committee has no members yet.")
        return
    click.echo("Personal codes (shown only now: hand each to its member, who types it on the "
               "review page):")
    for member, code in codes:
        click.echo(f"  {member.name} ({member.role}): {code}")


def _members(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]):
    from tally.minutes import Member

    _unicode_text(ctx, param, value)
    members = []
    for item in value:
        name, sep, role = item.rpartition(":")
        if not sep or not name.strip() or not role.strip():
            raise click.BadParameter(f"{item!r} is not NAME:ROLE, e.g. "
                                     "'Nguyễn Thị Lan:Trưởng ban'")
        members.append(Member(name.strip(), role.strip()))
    return members


@main.command()
@conference_dir
@click.option("--member", "members", multiple=True, callback=_members, metavar="NAME:ROLE",
              help="A member of the counting committee, e.g. 'Nguyễn Thị Lan:Trưởng ban' or "
                   "'Đỗ Văn Minh:Thành viên'; repeat for each.")
def committee(folder: Path, members: list) -> None:
    """Give the counting committee's members to the conference; each gets a personal code.

    Without --member, list the members. A member's code is printed once, here; it is what they
    enter on the review page ('tinnhiem review --new-codes' gives everyone new ones).
    """
    from tally.committee import add_members, members_of

    if members:
        _show_codes(add_members(folder, [(m.name, m.role) for m in members]))
    for member in members_of(folder):
        click.echo(f"Member: {member.name} ({member.role})")


@main.command()
@conference_dir
@click.option("--present", type=click.IntRange(min=0), metavar="N",
              help="Voters present at the conference (for the quorum).")
@click.option("--counted", type=click.IntRange(min=0), metavar="N",
              help="Ballots the committee counted by hand from the box.")
@click.option("--issued", type=click.IntRange(min=0), metavar="N",
              help="Ballots handed out [default: the number printed].")
@click.option("--summoned", type=click.IntRange(min=1), metavar="N",
              help="Voters summoned (total deputies for nq96-2023) [default: from 'init'].")
@click.option("--committee", "members", multiple=True, callback=_members, metavar="NAME:ROLE",
              help="A member of the counting committee, e.g. 'Nguyễn Thị Lan:Trưởng ban'; "
                   "repeat for each [default: the members given with 'tinnhiem committee'; "
                   "without any, the minutes leave lines to fill in by hand].")
@click.option("--history", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="CSV of last year's low-confidence share per person (rule set annual-2013): "
                   "columns STT and 'Tỷ lệ tín nhiệm thấp (%)'.")
@click.option("-o", "--output", type=click.Path(path_type=Path, file_okay=False),
              help="Folder for the minutes and spreadsheets [default: DIR/ket-qua].")
def tally(folder: Path, present: int | None, counted: int | None, issued: int | None,
          summoned: int | None, members: list, history: Path | None,
          output: Path | None) -> None:
    """Count the ballots and decisions; write the minutes (PDF), results.xlsx and results.csv.

    While ballots wait for review, or numbers do not reconcile, every output says DỰ THẢO
    (draft) and lists what is still open.
    """
    from tally.count import Attendance, read_history
    from tally.publish import publish
    from tally.report import summary_lines, terminal_table
    from tally.store import Store

    if not members:  # the committee given to the conference signs the minutes
        from tally.committee import members_of
        from tally.minutes import Member

        members = [Member(m.name, m.role) for m in members_of(folder)]
    previous = None
    if history:
        with Store.open(folder, readonly=True) as store:
            previous = read_history(history, store.conference().persons)
    published = publish(folder, Attendance(summoned, present, issued, counted), members=members,
                        output=output, previous=previous)
    results = published.results
    click.echo(published.conference.title)
    click.echo(terminal_table(results))
    click.echo()
    for line in summary_lines(results):
        click.echo(line)
    click.echo(f"Mã kiểm tra: {published.fingerprint}")
    click.echo("Wrote " + ", ".join(str(p) for p in published.files))


@main.command()
@click.argument("source", metavar="DIR_OR_ARCHIVE", type=click.Path(path_type=Path))
@click.option("--fingerprint", metavar="CODE",
              help="The fingerprint (Mã kiểm tra) printed on the signed minutes: a tally in the "
                   "log must have it.")
@click.option("--jobs", type=click.IntRange(1, 64), metavar="N",
              help="Re-read pages in N processes [default: the number of cores, at most 8].")
def audit(source: Path, fingerprint: str | None, jobs: int | None) -> None:
    """Check that the count is exactly what the stored ballots say.

    Verifies the event log, the scan files and page images, the readings and decisions against
    the log, re-reads every page, and recomputes every tally. Exit code 8 on any difference.
    """
    from tally.archive import audit_source
    from tally.scan import default_jobs

    show = sys.stderr.isatty()
    with click.progressbar(length=0, label="Re-reading", file=sys.stderr, hidden=not show) as bar:
        report = audit_source(source, jobs=jobs or default_jobs(),
                              fingerprint=fingerprint.strip().upper() if fingerprint else None,
                              progress=bar.update)
    click.echo(report.conference.title)
    click.echo("Checked: " + ", ".join(f"{n} {what}" for what, n in report.checked.items()) + ".")
    for code, final in report.tallies:
        click.echo(f"Tally {code} ({'final' if final else 'draft'}): reproduced.")
    if report.ok:
        click.echo("VERIFIED: the count is what the stored ballots and decisions say.")
        return
    click.echo(f"DIFFERENCES FOUND: {len(report.differences)}")
    for difference in report.differences[:200]:
        click.echo(f"  {difference}")
    if len(report.differences) > 200:
        click.echo(f"  … and {len(report.differences) - 200} more")
    sys.exit(int(ExitCode.AUDIT))


@main.command()
@conference_dir
def status(folder: Path) -> None:
    """Show the conference and the ballots printed for it."""
    from tally.store import Store, remedy_damaged_log

    from tally.review.model import snapshot

    with Store.open(folder, readonly=True) as store:
        conference = store.conference()
        batches = store.batches()
        broken = store.verify_chain()
        pages = len(store.pages())
        snap = snapshot(store)
        tallies = [e for e in store.events() if e.kind == "tally_produced" and not e.damaged]
    click.echo(f"{conference.title}, {conference.date.isoformat()}")
    click.echo(f"Organisation: {' / '.join(conference.org_lines)}")
    click.echo(f"Persons: {len(conference.persons)}   Summoned: {conference.summoned or '-'}   "
               f"Rules: {conference.rules}   Stamp: {conference.stamp}")
    for b in batches:
        click.echo(f"Batch {b.code}: {b.copies} ballots × {b.pages} page(s), printed "
                   f"{b.printed_at}{', serials' if b.serials else ''} → {b.pdf_name}")
    click.echo(f"Ballots printed: {sum(b.copies for b in batches)}")
    if pages:
        flagged = snap.flagged()
        click.echo(f"Scanned: {pages} pages, {len(snap.resolved)} ballots; flagged "
                   f"{len(flagged)}, of which {len(snap.open())} wait for review")
    for event in tallies[-1:]:
        click.echo(f"Last tally: {event.at}, {'final' if event.data['final'] else 'draft'}, "
                   f"fingerprint {event.data['fingerprint']}")
    click.echo("Event log: intact" if not broken else "Event log: BROKEN\n  " + "\n  ".join(broken))
    if broken:
        click.echo(f"  → {remedy_damaged_log(folder)}", err=True)
        sys.exit(int(ExitCode.AUDIT))


if __name__ == "__main__":
    main()
