"""The count and its audit: ``tally`` and ``audit``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ballotgen.errors import ExitCode
from ballotgen.i18n import N_, _
from tally.cli.options import conference_dir, end_of_count, member_list

DIFFERENCES_SHOWN = 200


@click.command(help=N_(
    "Count the ballots and decisions; write the minutes (PDF), results.xlsx and results.csv "
    "to a new folder of their own (ket-qua/lan-NN-…): nothing written before is replaced.\n\n"
    "While ballots wait for review, or numbers do not reconcile, every output says DỰ THẢO "
    "(draft) and lists what is still open. Without quorum there is no count: only the record "
    "that the count cannot stand is written, and the exit code is 12."))
@conference_dir
@click.option("--present", type=click.IntRange(min=0), metavar="N",
              help=N_("Voters present at the conference (for the quorum)."))
@click.option("--counted", type=click.IntRange(min=0), metavar="N",
              help=N_("Ballots the committee counted by hand from the box."))
@click.option("--issued", type=click.IntRange(min=0), metavar="N",
              help=N_("Ballots handed out at the conference (not those printed) [default: one "
                      "per voter present]."))
@click.option("--summoned", type=click.IntRange(min=1), metavar="N",
              help=N_("Voters summoned (total deputies for nq96-2023) [default: from 'init']."))
@click.option("--committee", "members", multiple=True, callback=member_list,
              metavar=N_("NAME:ROLE"),
              help=N_("A member of the counting committee, e.g. 'Nguyễn Thị Lan:Trưởng ban'; "
                      "repeat for each [default: the members given with 'tinnhiem committee'; "
                      "without any, the minutes leave lines to fill in by hand]."))
@click.option("--history", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help=N_("CSV of last year's low-confidence share per person (rule set "
                      "annual-2013): columns STT and 'Tỷ lệ tín nhiệm thấp (%)'."))
@click.option("--ended", callback=end_of_count, metavar="HH:MM",
              help=N_("When the count ended, as the committee states it, in the conference's "
                      "local time: HH:MM on the conference's day, or 'YYYY-MM-DD HH:MM' "
                      "[default: now]."))
@click.option("-o", "--output", type=click.Path(path_type=Path, file_okay=False),
              help=N_("Folder for the minutes and spreadsheets [default: DIR/ket-qua]."))
def tally(folder: Path, present: int | None, counted: int | None, issued: int | None,
          summoned: int | None, members: list, history: Path | None, ended,
          output: Path | None) -> None:
    import datetime as dt

    from tally.count import Attendance
    from tally.publish import OFFICIAL_FILE, publish
    from tally.report import summary_lines, terminal_table

    when = None
    if ended is not None:
        day, time = ended
        when = dt.datetime.combine(day, time) if day else time
    published = publish(folder, Attendance(summoned, present, issued, counted),
                        members=members or None, output=output, history=history, ended=when)
    results = published.results
    click.echo(published.conference.title)
    if results.standing:
        click.echo(terminal_table(results))
        click.echo()
    for line in summary_lines(results):
        click.echo(line)
    click.echo(_("Tally {number}. Fingerprint: {fingerprint}").format(
        number=published.number, fingerprint=published.fingerprint))
    click.echo(_("Written: {files}").format(files=", ".join(str(p) for p in published.files)))
    if results.final:
        before = published.official_before
        if before is not None and before[1] != published.fingerprint:
            click.echo(_("Note: tally {before} (fingerprint {code}) is an official version "
                         "too; the latest official version is now tally {number} (recorded in "
                         "{file}). Signed versions are never overwritten.").format(
                before=before[0], code=before[1], number=published.number, file=OFFICIAL_FILE))
    if not results.standing:
        click.echo(_("No quorum: fewer people were present at the conference than the rules "
                     "require. Only the record that the count cannot stand was written."),
                   err=True)
        sys.exit(int(ExitCode.NO_QUORUM))


@click.command(help=N_(
    "Check that the count is exactly what the stored ballots say.\n\n"
    "Verifies the event log, the scan files and page images, the readings and decisions against "
    "the log, re-reads every page, and recomputes every tally. Exit code 8 on any difference."))
@click.argument("source", metavar=N_("DIR_OR_ARCHIVE"), type=click.Path(path_type=Path))
@click.option("--fingerprint", metavar=N_("CODE"),
              help=N_("The fingerprint (Mã kiểm tra) printed on the signed minutes: a tally in "
                      "the log must have it."))
@click.option("--jobs", type=click.IntRange(1, 64), metavar="N",
              help=N_("Re-read pages in N processes [default: the number of cores, at most 8]."))
def audit(source: Path, fingerprint: str | None, jobs: int | None) -> None:
    from tally.archive import audit_source
    from tally.scan import default_jobs

    show = sys.stderr.isatty()
    with click.progressbar(length=0, label=_("Re-reading"), file=sys.stderr,
                           hidden=not show) as bar:
        report = audit_source(source, jobs=jobs or default_jobs(),
                              fingerprint=fingerprint.strip().upper() if fingerprint else None,
                              progress=bar.update)
    click.echo(report.conference.title)
    click.echo(_("Checked: {items}.").format(
        items=", ".join(f"{n} {_(what)}" for what, n in report.checked.items())))
    for code, final in report.tallies:
        click.echo((_("Tally {code} (final): reproduced.") if final
                    else _("Tally {code} (draft): reproduced.")).format(code=code))
    if report.ok:
        click.echo(_("VERIFIED: the count is what the stored ballots and decisions say."))
        return
    click.echo(_("DIFFERENCES FOUND: {n}").format(n=len(report.differences)))
    for difference in report.differences[:DIFFERENCES_SHOWN]:
        click.echo(f"  {difference}")
    if len(report.differences) > DIFFERENCES_SHOWN:
        click.echo("  " + _("… and {n} more").format(n=len(report.differences) - DIFFERENCES_SHOWN))
    sys.exit(int(ExitCode.AUDIT))


COMMANDS = (tally, audit)
