"""The count and its audit: ``tally`` and ``audit``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ballotgen.errors import ExitCode
from tally.cli.options import conference_dir, member_list

DIFFERENCES_SHOWN = 200


@click.command()
@conference_dir
@click.option("--present", type=click.IntRange(min=0), metavar="N",
              help="Voters present at the conference (for the quorum).")
@click.option("--counted", type=click.IntRange(min=0), metavar="N",
              help="Ballots the committee counted by hand from the box.")
@click.option("--issued", type=click.IntRange(min=0), metavar="N",
              help="Ballots handed out [default: the number printed].")
@click.option("--summoned", type=click.IntRange(min=1), metavar="N",
              help="Voters summoned (total deputies for nq96-2023) [default: from 'init'].")
@click.option("--committee", "members", multiple=True, callback=member_list, metavar="NAME:ROLE",
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
    from tally.count import Attendance
    from tally.publish import publish
    from tally.report import summary_lines, terminal_table

    published = publish(folder, Attendance(summoned, present, issued, counted),
                        members=members or None, output=output, history=history)
    results = published.results
    click.echo(published.conference.title)
    click.echo(terminal_table(results))
    click.echo()
    for line in summary_lines(results):
        click.echo(line)
    click.echo(f"Mã kiểm tra: {published.fingerprint}")
    click.echo("Wrote " + ", ".join(str(p) for p in published.files))


@click.command()
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
    for difference in report.differences[:DIFFERENCES_SHOWN]:
        click.echo(f"  {difference}")
    if len(report.differences) > DIFFERENCES_SHOWN:
        click.echo(f"  … and {len(report.differences) - DIFFERENCES_SHOWN} more")
    sys.exit(int(ExitCode.AUDIT))


COMMANDS = (tally, audit)
