"""Scans in, readings out: ``scan`` and ``export``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ballotgen.errors import ExitCode
from ballotgen.i18n import N_, _, ngettext
from ballotgen.vocabulary import Flag, PageKind
from tally.cli.options import conference_dir, required_text

UNREADABLE_SHOWN = 20  # unreadable pages listed in the summary; the readings export has all
KIND_WORDS = {PageKind.BALLOT: N_("ballot pages"), PageKind.BLANK: N_("blank"),
              PageKind.FOREIGN: N_("foreign"), PageKind.UNREADABLE: N_("unreadable")}


@click.command(help=N_("Read scanned ballots (PDF, TIFF, JPEG, PNG files or folders) into the "
                       "conference."))
@conference_dir
@click.argument("inputs", metavar=N_("FILE_OR_FOLDER..."), nargs=-1, required=True,
                type=click.Path(path_type=Path))
@click.option("--jobs", type=click.IntRange(1, 64), metavar="N",
              help=N_("Read pages in N processes [default: the number of cores, at most 8]."))
def scan(folder: Path, inputs: tuple[Path, ...], jobs: int | None) -> None:
    from tally.scan import default_jobs, refusal_message, scan_stack, stamp_summary

    show = sys.stderr.isatty()
    with click.progressbar(length=0, label=_("Reading"), file=sys.stderr, hidden=not show) as bar:
        def started(pages: int) -> None:
            bar.length = pages

        summary = scan_stack(folder, list(inputs), jobs=jobs or default_jobs(),
                             progress=bar.update, started=started)
    stack = summary.stack
    assert stack is not None  # always given by scan_stack
    files = ngettext("Read {pages} pages from {files} file",
                     "Read {pages} pages from {files} files", summary.files).format(
        pages=summary.pages_read, files=summary.files)
    click.echo(files + (_(" ({n} already scanned before).").format(n=summary.files_known)
                        if summary.files_known else "."))
    click.echo(_("In the store: {total} pages: {kinds}.").format(
        total=sum(stack.pages.values()), kinds=", ".join(
            f"{stack.pages.get(kind, 0)} {_(words)}" for kind, words in KIND_WORDS.items())))
    backs, fronts = summary.blank_backs, summary.fronts
    click.echo(_("Taken as blank backs: {backs} of the {pages} pages of the files given.").format(
        backs=backs, pages=backs + fronts))
    if not summary.blank_backs_fit:
        click.echo(_("warning: {backs} pages were taken as blank backs, more than the {fronts} "
                     "other pages: a sheet has one back, so some pages with print may have been "
                     "taken for blank ones (a pale or dark scan, a sheet face down). Look at "
                     "them before counting.").format(backs=backs, fronts=fronts), err=True)
    # A flag that cannot change a count under the rule set is recorded, not reviewed.
    click.echo(_("Ballots: {ballots}: {accepted} accepted, {flagged} flagged for review.").format(
        ballots=stack.ballots, accepted=stack.accepted, flagged=stack.flagged))
    if stack.held:
        click.echo(_("Flagged ballots by reason: {counts}").format(counts=_counts(stack.held)))
    if stack.recorded:
        click.echo(_("Recorded, not for review under {rules}: {counts}").format(
            rules=stack.rules, counts=_counts(stack.recorded)))
    if stack.stamp is not None:  # the conference requires the agency's stamp
        for line, warning in stamp_summary(stack.stamp):
            click.echo(line, err=warning)
    for name, page, reason in stack.unreadable[:UNREADABLE_SHOWN]:
        click.echo("  " + _("unreadable: {file} page {page}: {reason}").format(
            file=name, page=page, reason=reason))
    if len(stack.unreadable) > UNREADABLE_SHOWN:
        click.echo("  " + _("… and {n} more ({command})").format(
            n=len(stack.unreadable) - UNREADABLE_SHOWN,
            command=f"tinnhiem export {folder} --readings"))
    for name, problem in summary.file_errors:
        click.echo("  " + _("file not read: {file}: {problem}").format(file=name, problem=problem))
    for name, foreign, pages in summary.refused:
        click.echo(refusal_message(name, foreign, pages), err=True)
    for name, reason in summary.withdrawn:
        click.echo(_("{file}: the file was withdrawn ({reason}); its pages do not count.").format(
            file=name, reason=reason))
    twice = stack.held.get(Flag.DUPLICATE, 0)
    if twice:
        click.echo(_("Warning: {n} ballots are the same as another one (the same ink or the same "
                     "serial): one sheet may have been scanned twice. They wait for the counting "
                     "committee; choose \"Không tính\" for the extra copy, or withdraw the whole "
                     "file scanned twice: {command}.").format(
                       n=twice, command=f"tinnhiem withdraw {folder} " + _("FILE")), err=True)
    for entry, what in summary.skipped:
        click.echo("  " + _("skipped: {entry}: {what}, not a file").format(entry=entry,
                                                                           what=_(what)))
    for name, pages in summary.superseded:
        click.echo("  " + ngettext(
            "{file}: read complete; it replaces its incomplete version scanned before ({n} page "
            "of that no longer counts)",
            "{file}: read complete; it replaces its incomplete version scanned before ({n} pages "
            "of that no longer count)", pages).format(file=name, n=pages))
    if summary.needs_attention:
        click.echo(_("Some files or pages could not be read: they are recorded; scan them again "
                     "or review them."), err=True)
        sys.exit(int(ExitCode.ATTENTION))


def _counts(counts: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))


@click.command(help=N_("Export what the conference holds."))
@conference_dir
@click.option("--readings", is_flag=True, help=N_("One CSV row per ballot row: file, page, "
                                                  "reading, flags and raw scores."))
@click.option("--audit", "audit_archive", is_flag=True,
              help=N_("A self-contained archive (.zip) for the archive or the next level up: the "
                   "store, the scans, readings, decisions, the event log and the results. "
                   "'tinnhiem audit' checks it."))
@click.option("--mask-signatures", is_flag=True,
              help=N_("With --audit: paint out the voters' signature areas (pages stored as PNG)."))
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help=N_("File to write [default: DIR/readings.csv, DIR/audit-DATE.zip]."))
def export(folder: Path, readings: bool, audit_archive: bool, mask_signatures: bool,
           output: Path | None) -> None:
    if readings == audit_archive:
        raise click.UsageError(_("say what to export: --readings or --audit"))
    if mask_signatures and not audit_archive:
        raise click.UsageError(_("--mask-signatures goes with --audit"))
    if audit_archive:
        from tally.archive import export_audit

        result = export_audit(folder, output, mask_signatures=mask_signatures)
        masked = (_(", {n} signature areas masked").format(n=result.masked_pages)
                  if mask_signatures else "")
        click.echo(_("Wrote {path} ({entries} entries, {mb} MB{masked}). Check it with: "
                     "{command}").format(path=result.path, entries=result.entries,
                                         mb=f"{result.size_bytes / 1e6:.1f}", masked=masked,
                                         command=f"tinnhiem audit {result.path}"))
        return
    from tally.export import export_readings

    written = export_readings(folder, output)
    click.echo(_("Wrote {rows} rows to {path}.").format(rows=written.rows, path=written.path))


@click.command(help=N_(
    "Withdraw a scanned file as a whole: it stays recorded, its pages no longer count.\n\n"
    "FILE is the file as it was scanned in, the start of its hash (as the review page shows "
    "it), or its name when no other file has it."))
@conference_dir
@click.argument("file", metavar=N_("FILE"))
@click.option("--reason", required=True, callback=required_text,
              help=N_("Why the file does not count (kept in the log), e.g. 'quét trùng'."))
@click.option("--by", "by", required=True, callback=required_text, metavar=N_("NAME"),
              help=N_("Who withdraws it (a member of the committee)."))
def withdraw(folder: Path, file: str, reason: str, by: str) -> None:
    from tally.withdraw import withdraw_file

    done = withdraw_file(folder, file, reason=reason, by=by)
    if done.already:
        click.echo(_("{file}: withdrawn or refused before; nothing changed.").format(
            file=done.file.label))
        return
    click.echo(_("Withdrew the file {file}: its {n} pages no longer count. The file stays "
                 "recorded in the log and in the audit archive.").format(file=done.file.label,
                                                                          n=done.pages))


COMMANDS = (scan, export, withdraw)
