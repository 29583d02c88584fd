"""Scans in, readings out: ``scan`` and ``export``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ballotgen.errors import ExitCode
from ballotgen.vocabulary import Flag, PageKind
from tally.cli.options import conference_dir, required_text

UNREADABLE_SHOWN = 20  # unreadable pages listed in the summary; the readings export has all
KIND_WORDS = {PageKind.BALLOT: "ballot pages", PageKind.BLANK: "blank",
              PageKind.FOREIGN: "foreign", PageKind.UNREADABLE: "unreadable"}


@click.command()
@conference_dir
@click.argument("inputs", metavar="FILE_OR_FOLDER...", nargs=-1, required=True,
                type=click.Path(path_type=Path))
@click.option("--jobs", type=click.IntRange(1, 64), metavar="N",
              help="Read pages in N processes [default: the number of cores, at most 8].")
def scan(folder: Path, inputs: tuple[Path, ...], jobs: int | None) -> None:
    """Read scanned ballots (PDF, TIFF, JPEG, PNG files or folders) into the conference."""
    from tally.scan import default_jobs, refusal_message, scan_stack, stamp_summary

    show = sys.stderr.isatty()
    with click.progressbar(length=0, label="Reading", file=sys.stderr, hidden=not show) as bar:
        def started(pages: int) -> None:
            bar.length = pages

        summary = scan_stack(folder, list(inputs), jobs=jobs or default_jobs(),
                             progress=bar.update, started=started)
    stack = summary.stack
    assert stack is not None  # always given by scan_stack
    click.echo(f"Read {summary.pages_read} pages from {summary.files} files"
               + (f" ({summary.files_known} already scanned before)." if summary.files_known
                  else "."))
    click.echo(f"In the store: {sum(stack.pages.values())} pages: " + ", ".join(
        f"{stack.pages.get(kind, 0)} {words}" for kind, words in KIND_WORDS.items()) + ".")
    backs, fronts = summary.blank_backs, summary.fronts
    click.echo(f"Taken as blank backs: {backs} of the {backs + fronts} pages of the files given.")
    if not summary.blank_backs_fit:
        click.echo(f"warning: {backs} pages were taken as blank backs, more than the {fronts} "
                   "other pages: a sheet has one back, so some pages with print may have been "
                   "taken for blank ones (a pale or dark scan, a sheet face down). Look at them "
                   "before counting.", err=True)
    # A flag that cannot change a count under the rule set is recorded, not reviewed.
    click.echo(f"Ballots: {stack.ballots}: {stack.accepted} accepted, {stack.flagged} flagged "
               "for review.")
    if stack.held:
        click.echo("Flagged ballots by reason: " + _counts(stack.held))
    if stack.recorded:
        click.echo(f"Recorded, not for review under {stack.rules}: " + _counts(stack.recorded))
    if stack.stamp is not None:  # the conference requires the agency's stamp
        for line, warning in stamp_summary(stack.stamp):
            click.echo(line, err=warning)
    for name, page, reason in stack.unreadable[:UNREADABLE_SHOWN]:
        click.echo(f"  unreadable: {name} page {page}: {reason}")
    if len(stack.unreadable) > UNREADABLE_SHOWN:
        click.echo(f"  … and {len(stack.unreadable) - UNREADABLE_SHOWN} more "
                   f"(tinnhiem export {folder} --readings)")
    for name, problem in summary.file_errors:
        click.echo(f"  file not read: {name}: {problem}")
    for name, foreign, pages in summary.refused:
        click.echo(refusal_message(name, foreign, pages), err=True)
    for name, reason in summary.withdrawn:
        click.echo(f"{name}: tệp đã được rút lại ({reason}); các trang của tệp không được "
                   "tính.")
    twice = stack.held.get(Flag.DUPLICATE, 0)
    if twice:
        click.echo(f"Cảnh báo: {twice} phiếu trùng với phiếu khác (cùng nét mực hoặc cùng số "
                   "sê-ri): có thể cùng một tờ phiếu đã được quét hai lần. Các phiếu này chờ "
                   "Ban Kiểm phiếu xem; bản thừa chọn \"Không tính\", hoặc rút lại cả tệp "
                   f"quét thừa: tinnhiem withdraw {folder} TỆP.", err=True)
    for entry, what in summary.skipped:
        click.echo(f"  skipped: {entry}: {what}, not a file")
    for name, pages in summary.superseded:
        click.echo(f"  {name}: read complete; it replaces its incomplete version scanned before "
                   f"({pages} page{'s' * (pages != 1)} of that no longer count)")
    if summary.needs_attention:
        click.echo("Some files or pages could not be read: they are recorded; scan them again "
                   "or review them.", err=True)
        sys.exit(int(ExitCode.ATTENTION))


def _counts(counts: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))


@click.command()
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
    if readings == audit_archive:
        raise click.UsageError("say what to export: --readings or --audit")
    if mask_signatures and not audit_archive:
        raise click.UsageError("--mask-signatures goes with --audit")
    if audit_archive:
        from tally.archive import export_audit

        result = export_audit(folder, output, mask_signatures=mask_signatures)
        masked = f", {result.masked_pages} signature areas masked" if mask_signatures else ""
        click.echo(f"Wrote {result.path} ({result.entries} entries, "
                   f"{result.size_bytes / 1e6:.1f} MB{masked}). Check it with: tinnhiem audit "
                   f"{result.path}")
        return
    from tally.export import export_readings

    written = export_readings(folder, output)
    click.echo(f"Wrote {written.rows} rows to {written.path}.")


@click.command()
@conference_dir
@click.argument("file", metavar="FILE")
@click.option("--reason", required=True, callback=required_text,
              help="Why the file does not count (kept in the log), e.g. 'quét trùng'.")
@click.option("--by", "by", required=True, callback=required_text, metavar="NAME",
              help="Who withdraws it (a member of the committee).")
def withdraw(folder: Path, file: str, reason: str, by: str) -> None:
    """Withdraw a scanned file as a whole: it stays recorded, its pages no longer count.

    FILE is the file as it was scanned in, the start of its hash (as the review page shows
    it), or its name when no other file has it."""
    from tally.withdraw import withdraw_file

    done = withdraw_file(folder, file, reason=reason, by=by)
    if done.already:
        click.echo(f"{done.file.label}: đã được rút lại hoặc từ chối trước đó; không có gì "
                   "thay đổi.")
        return
    click.echo(f"Đã rút lại tệp {done.file.label}: {done.pages} trang của tệp không còn được "
               "tính. Tệp vẫn được lưu trong nhật ký và trong hồ sơ kiểm tra.")


COMMANDS = (scan, export, withdraw)
