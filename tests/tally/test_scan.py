"""tinnhiem scan: every input format, bad files, rerun and crash safety, ballot assembly."""

import dataclasses
import shutil

import pytest
from reportlab.pdfgen.canvas import Canvas

from ballotgen.errors import ExitCode
from ballotgen.vocabulary import Flag, RowValue
from rehearsal.evaluate import evaluate
from rehearsal.vote import simulate_vote
from tally.ballots import assemble
from tally.scan import scan_stack
from tally.store import Store
from tests.helpers import fresh_copy, new_conference, readings_of, run, store_content


@pytest.mark.parametrize("fmt", ["pdf", "tiff", "jpeg", "png"])
def test_every_format_reads_as_the_truth_says(stacks, tmp_path, fmt):
    conf, out = stacks
    folder = fresh_copy(conf, tmp_path)
    scans, truth = out[fmt]
    files = sorted(p for p in scans.iterdir() if p.name != "truth.json")
    summary = scan_stack(folder, files)
    assert not summary.needs_attention and summary.pages_read == len(truth["pages"])
    ev = evaluate(truth, readings_of(folder))
    assert ev.silent_errors == [] and ev.missed_flags == [] and ev.rows_wrong == 0
    assert ev.rows == 4 * 5
    assert ev.kinds[("blank_back", "blank")] == 5 and ev.kinds[("foreign", "foreign")] == 1


def test_a_vector_pdf_is_rendered_and_read(tmp_path):
    folder = new_conference(tmp_path / "conf", copies=2)
    pdf = next(folder.glob("phieu-*.pdf"))  # the printed ballots themselves: nothing marked
    scan_stack(folder, [pdf])
    pages = readings_of(folder)
    assert len(pages) == 2
    for reading in pages.values():
        assert reading.kind == "ballot" and reading.flags == ("blank_row",)
        assert all(r.reading == "blank" for r in reading.rows)


def test_scanning_the_same_file_again_adds_nothing(stacks, tmp_path):
    conf, out = stacks
    folder = fresh_copy(conf, tmp_path)
    stack = out["pdf"][0] / "scan.pdf"
    first = scan_stack(folder, [stack])
    renamed = tmp_path / "again.pdf"
    shutil.copy(stack, renamed)
    second = scan_stack(folder, [stack, renamed])
    assert first.pages_read > 0 and second.pages_read == 0 and second.files_known == 2
    with Store.open(folder) as store:
        assert len(store.scan_files()) == 1
        assert [e.kind for e in store.events()].count("file_ingested") == 1


def power_cut_after(pages):
    """A progress callback that stops a scan (as a power cut would) after ``pages`` pages."""
    done = [0]

    def progress(_):
        done[0] += 1
        if done[0] == pages:
            raise KeyboardInterrupt

    return progress


def test_a_crash_half_way_then_a_rerun_gives_the_store_of_one_run(stacks, tmp_path):
    conf, out = stacks
    inputs = [out["tiff"][0] / "scan.tif", out["pdf"][0] / "scan.pdf"]
    whole = fresh_copy(conf, tmp_path / "a")
    scan_stack(whole, inputs)

    crashed = fresh_copy(conf, tmp_path / "b")
    for stop_after in (3, 7):  # killed twice, at different points
        with pytest.raises(KeyboardInterrupt):
            scan_stack(crashed, inputs, progress=power_cut_after(stop_after))
    scan_stack(crashed, inputs)
    assert store_content(crashed) == store_content(whole)


def test_parallel_reading_gives_the_same_readings(stacks, tmp_path):
    conf, out = stacks
    one, two = fresh_copy(conf, tmp_path / "a"), fresh_copy(conf, tmp_path / "b")
    stack = [out["jpeg"][0]]
    scan_stack(one, stack, jobs=1)
    scan_stack(two, stack, jobs=2)
    assert store_content(one)[0] == store_content(two)[0]


def write_bad_files(folder):
    folder.mkdir()
    (folder / "empty.pdf").write_bytes(b"")
    (folder / "random.bin").write_bytes(bytes(range(256)) * 40)
    (folder / "notes.txt").write_text("danh sách cử tri", encoding="utf-8")
    good_jpeg = next(p for p in sorted(folder.parent.glob("jpeg/*.jpg")))
    (folder / "truncated.jpg").write_bytes(good_jpeg.read_bytes()[:5000])
    good_pdf = folder.parent / "pdf" / "scan.pdf"
    (folder / "truncated.pdf").write_bytes(good_pdf.read_bytes()[:2000])
    canvas = Canvas(str(folder / "encrypted.pdf"), encrypt="secret")
    canvas.drawString(100, 700, "locked")
    canvas.save()
    return folder


def test_bad_files_are_recorded_and_the_scan_goes_on(stacks, tmp_path):
    conf, out = stacks
    folder = fresh_copy(conf, tmp_path)
    bad = write_bad_files(out["pdf"][0].parent / f"bad-{tmp_path.name}")
    good = out["png"][0] / "scan-0001.png"
    summary = scan_stack(folder, [bad, good])
    problems = dict((name.rsplit("/", 1)[-1], why) for name, why in summary.file_errors)
    assert problems["empty.pdf"].startswith("is empty")
    assert problems["random.bin"] == problems["notes.txt"] == \
        "is not a scan (PDF, TIFF, JPEG or PNG)"
    assert "encrypted" in problems["encrypted.pdf"]
    assert "damaged PDF" in problems["truncated.pdf"]
    assert [p for p in summary.page_errors if p[0] == "truncated.jpg"]  # decoded page by page
    assert summary.needs_attention
    pages = readings_of(folder)
    (first,) = [p for p in out["png"][1]["pages"] if p["file"] == "scan-0001.png"]
    assert first["kind"] == "ballot"  # the good file was read, as the ballot page it is
    assert pages[("scan-0001.png", 0)].kind == "ballot"
    assert pages[("truncated.jpg", 0)].kind == "unreadable"
    with Store.open(folder) as store:  # every file is recorded, once; every scan is kept
        files = store.scan_files()
        assert {"empty.pdf", "random.bin", "encrypted.pdf", "truncated.jpg"} <= \
            {f.name for f in files}
        assert sorted(p.name for p in store.scans_folder().iterdir()) == \
            sorted(f"{f.sha256}.{f.kind}" for f in files if f.kind)  # not what is no scan
    assert scan_stack(folder, [bad, good]).pages_read == 0  # nothing new the second time


def test_ballot_assembly_flags_what_needs_the_whole_stack(tmp_path):
    folder = new_conference(tmp_path / "conf", roster="roster-large.xlsx", copies=6, serials=True)
    result = simulate_vote(folder, tmp_path / "scans", voters=2, profile="clean", fmt="png",
                           dpi=150, seed=4, foreign=4, rates={"blank_ballot": 0.0})
    pages = sorted((tmp_path / "scans").glob("scan-*.png"))
    truth = result.truth
    copy_index = next(i for i, p in enumerate(truth["pages"])
                      if p.get("foreign_kind") == "photocopy")
    copied_ballot = truth["pages"][copy_index]["foreign"].split("copy-of-")[1]
    victim = next(b for b in truth["ballots"] if b["id"] != copied_ballot)  # loses its page 3
    dropped = next(i for i, p in enumerate(truth["pages"])
                   if p.get("ballot") == victim["id"] and p.get("ballot_page") == 3)
    scan_stack(folder, [p for i, p in enumerate(pages) if i != dropped])
    with Store.open(folder) as store:
        ballots = assemble(store.pages())
    flags = {b.number: set(b.flags) for b in ballots}
    by_file = {p.file_name: b for b in ballots for p in b.pages}
    photocopy = by_file[pages[copy_index].name]
    copied = [b for b in ballots if b.pages[0].reading.serial == photocopy.pages[0].reading.serial]
    assert len(copied) == 2 and all("duplicate" in b.flags for b in copied)  # both, by serial
    assert sum("duplicate" in b.flags for b in ballots) == 2
    fragments = [b for b in ballots if b.pages[0].reading.serial == victim["serial"]]
    assert len(fragments) == 2  # pages 1-2 and page 4: incomplete, but not duplicates
    assert all("missing_page" in b.flags and "duplicate" not in b.flags for b in fragments)
    assert sum("foreign" in f for f in flags.values()) == 3


def test_a_blank_ballot_is_flagged(tmp_path):
    folder = new_conference(tmp_path / "conf", copies=3)
    simulate_vote(folder, tmp_path / "scans", voters=2, profile="clean", fmt="pdf", dpi=150,
                  seed=1, rates={"blank_ballot": 1.0})
    scan_stack(folder, [tmp_path / "scans" / "scan.pdf"])
    with Store.open(folder) as store:
        ballots = assemble(store.pages())
    assert [set(b.flags) for b in ballots] == [{"blank_ballot", "blank_row"}] * 2


def test_cli_scan_summary_exit_codes_and_export(stacks, tmp_path):
    conf, out = stacks
    folder = fresh_copy(conf, tmp_path)
    result = run("scan", folder, out["pdf"][0] / "scan.pdf", "--jobs", 1)
    assert result.exit_code == 0, result.output
    assert "Read 10 pages from 1 file." in result.output
    assert "Ballots: 5:" in result.output and "foreign 1" in result.output
    bad = write_bad_files(out["pdf"][0].parent / f"bad-cli-{tmp_path.name}")
    result = run("scan", folder, bad)
    assert result.exit_code == ExitCode.ATTENTION and "file not read:" in result.output
    assert run("scan", folder, tmp_path / "nowhere.pdf").exit_code == ExitCode.INPUT

    result = run("export", folder, "--readings", "-o", tmp_path / "r.csv")
    assert result.exit_code == 0, result.output
    lines = (tmp_path / "r.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == ("file,page_index,ballot,ballot_page,person,reading,flagged,reasons,"
                        "score_cao,score_tin_nhiem,score_thap")
    rows = [line.split(",") for line in lines[1:]
            if line.startswith("scan.pdf") and line.split(",")[4]]
    assert len(rows) == 4 * 5 and all(float(r[8]) >= 0 for r in rows)
    truth = out["pdf"][1]
    expected = sorted(r["expected"] for b in truth["ballots"] for r in b["rows"])
    assert sorted(r[5] for r in rows) == expected
    assert run("export", folder).exit_code == ExitCode.USAGE


def test_a_reader_bug_loses_no_page(stacks, tmp_path, monkeypatch):
    conf, out = stacks
    folder = fresh_copy(conf, tmp_path)

    def broken(page, ctx, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr("tally.scan.read_page", broken)
    summary = scan_stack(folder, [out["pdf"][0] / "scan.pdf"])
    assert summary.needs_attention and len(summary.page_errors) == 10
    pages = readings_of(folder)
    assert len(pages) == 10 and all(r.kind == "unreadable" for r in pages.values())
    assert all(r.reason == "reader error: ZeroDivisionError: a bug" for r in pages.values())


def test_every_reading_records_its_settings_and_a_re_read_uses_them(stacks, tmp_path):
    """What audit relies on: a page re-read with the settings it records reads as it did."""
    from omr.load import open_scan
    from omr.settings import DEFAULT, ReaderSettings
    from tally.scan import read_pages, reading_context

    conf, out = stacks
    folder, truth = out["pdf"]
    with Store.open(conf) as store:
        ctx = reading_context(store)
    scan = open_scan(folder / truth["pages"][0]["file"])
    ballot = next(p["index"] for p in truth["pages"] if p["kind"] == "ballot")
    strict = ReaderSettings(mark_mm2=500.0, faint_mm2=400.0)  # nothing is a mark any more
    shipped, recorded = read_pages(
        [("sha", scan, ballot), ("sha", scan, ballot, strict.to_dict())], ctx, 1)
    as_shipped, as_recorded = shipped.reading, recorded.reading
    assert as_shipped.settings == DEFAULT.to_dict()
    assert as_recorded.settings == strict.to_dict()
    assert any(r.reading in ("cao", "tin_nhiem", "thap") for r in as_shipped.rows)
    assert all(r.reading in ("unclear", "blank") for r in as_recorded.rows)
    assert as_shipped.calibration["mark_mm2"] == DEFAULT.mark_mm2


def test_a_row_read_wrong_without_its_own_flag_counts_even_on_a_flagged_page(stacks, tmp_path):
    """The committee looks at the flagged rows of a page sent to review: a row read as another
    value with no flag of its own changes the count as silently as a page nobody sees
    (rehearsal.evaluate: ``unflagged_errors``, not a silent error, since the page is flagged)."""
    conf, out = stacks
    folder = fresh_copy(conf, tmp_path)
    scans, truth = out["pdf"]
    scan_stack(folder, sorted(p for p in scans.iterdir() if p.name != "truth.json"))
    readings = readings_of(folder)
    key, page = next((k, r) for k, r in readings.items() if r.kind == "ballot")
    first, second, *rest = page.rows
    wrong = RowValue.THAP if first.reading != RowValue.THAP else RowValue.CAO
    flagged = dataclasses.replace(second, reading=RowValue.UNCLEAR, flags=(Flag.UNCLEAR_MARK,))
    readings[key] = dataclasses.replace(page, rows=(dataclasses.replace(first, reading=wrong),
                                                    flagged, *rest),
                                        flags=(Flag.UNCLEAR_MARK,))
    ev = evaluate(truth, readings)
    assert ev.silent_errors == [] and len(ev.unflagged_errors) == 1, ev.unflagged_errors
    assert f"person {first.person}: read {wrong}" in ev.unflagged_errors[0]
    readings[key] = dataclasses.replace(readings[key], rows=(
        dataclasses.replace(first, reading=wrong, flags=(Flag.UNCLEAR_MARK,)), flagged, *rest))
    assert evaluate(truth, readings).unflagged_errors == []  # its own flag: a human sees it
