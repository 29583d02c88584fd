"""Faults at the scanner's side (issue 16, rows 6, 7, 9 and 10): two stations scanning at once,
a file still being written, things that are not files, a non-scan file, an all-black page."""

import os
import shutil
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from PIL import Image

from ballotgen.errors import ExitCode
from tally.ballots import assemble
from tally.scan import STILL_WRITTEN, scan_stack
from tally.store import Store
from tests.helpers import WORKTREE, run

VOTERS = 4  # of a 4-page ballot, one JPEG per page


@pytest.fixture
def conf(paged, tmp_path):
    copy = tmp_path / "conf"
    shutil.copytree(paged[0], copy)
    return copy


def ballots_in(folder):
    with Store.open(folder, readonly=True) as store:
        return assemble(store.pages())


@pytest.mark.slow
def test_two_stations_scanning_at_once_do_not_interleave_their_ballots(paged, conf, monkeypatch):
    """Station A scans ballots 1-2, station B ballots 3-4, at the same time, each file of one
    taking its turn after a file of the other (the worst interleaving). Before, ballots were
    assembled in the global order of ingestion: every ballot split, each with missing_page."""
    import tally.scan

    voters = sorted(paged[1])
    stations = {"A": [f for v in voters[:2] for f in paged[1][v]],
                "B": [f for v in voters[2:] for f in paged[1][v]]}
    assert len(stations["A"]) == len(stations["B"]) == 2 * 4
    ingest = tally.scan.ingest_file
    turn = threading.Condition()
    state = {"next": "A", "left": {k: len(v) for k, v in stations.items()}}

    def taking_turns(*args):
        me = threading.current_thread().name
        other = "B" if me == "A" else "A"
        with turn:
            assert turn.wait_for(lambda: state["next"] == me or not state["left"][other], 60)
            try:
                return ingest(*args)
            finally:
                state["left"][me] -= 1
                state["next"] = other
                turn.notify_all()

    monkeypatch.setattr(tally.scan, "ingest_file", taking_turns)
    errors = []

    def station(name):
        try:
            scan_stack(conf, stations[name])
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=station, args=(n,), name=n) for n in stations]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Store.open(conf, readonly=True) as store:
        order = [f.name for f in store.scan_files()]
    assert order[:2] == [stations["A"][0].name, stations["B"][0].name]  # they did interleave
    ballots = ballots_in(conf)
    assert len(ballots) == VOTERS
    assert not [b for b in ballots if "missing_page" in b.flags]
    assert all([p.reading.page for p in b.pages] == [1, 2, 3, 4] for b in ballots)


def test_a_file_still_being_written_is_read_once_it_is_complete(paged, conf, tmp_path):
    """Before, a JPEG caught half-written was stored as an unreadable page."""
    page = paged[1][min(paged[1])][0]
    data = page.read_bytes()
    growing = tmp_path / "scanner" / "scan0001.jpg"
    growing.parent.mkdir()
    growing.write_bytes(data[:len(data) // 2])
    done = []
    scanning = threading.Thread(target=lambda: done.append(scan_stack(conf, [growing])))
    scanning.start()
    time.sleep(0.4)
    with open(growing, "ab") as f:
        f.write(data[len(data) // 2:])
    scanning.join()
    (summary,) = done
    assert summary.file_errors == [] and summary.pages_read == 1
    with Store.open(conf, readonly=True) as store:
        (stored,) = store.pages()
    assert stored.reading.kind == "ballot"


def test_a_file_that_keeps_changing_is_left_for_a_later_scan(paged, conf, tmp_path, monkeypatch):
    monkeypatch.setattr("tally.scan.STABLE_WAIT_SECONDS", 0.6)
    growing = tmp_path / "scan0002.jpg"
    growing.write_bytes(b"\xff\xd8\xff")
    stop = threading.Event()

    def write():
        while not stop.is_set():
            with open(growing, "ab") as f:
                f.write(b"\0" * 100)
            time.sleep(0.05)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        summary = scan_stack(conf, [growing])
    finally:
        stop.set()
        writer.join()
    assert summary.file_errors == [(str(growing), STILL_WRITTEN)]
    with Store.open(conf, readonly=True) as store:
        assert store.scan_files() == []  # nothing recorded: the next scan reads it whole


def test_a_file_read_incomplete_then_complete_counts_once(paged, conf, tmp_path):
    """A scanner that paused longer than the wait: the incomplete file was read (an unreadable
    page), then its complete version. Before: two flagged ballots for one sheet."""
    page = paged[1][min(paged[1])][0]
    data = page.read_bytes()
    path = tmp_path / "scan0003.jpg"
    path.write_bytes(data[:len(data) // 2])
    scan_stack(conf, [path])
    (first,) = ballots_in(conf)
    assert first.kind == "unreadable"
    path.write_bytes(data)
    summary = scan_stack(conf, [path])
    assert summary.superseded == [("scan0003.jpg", 1)]
    (ballot,) = ballots_in(conf)
    assert ballot.kind == "ballot" and ballot.pages[0].reading.page == 1
    result = run("audit", conf, "--jobs", 1)
    assert result.exit_code == 0, result.output  # the log knows which file replaced which


def test_a_fifo_or_a_device_given_to_scan_is_refused_not_read_for_ever(conf, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for path, what in ((fifo, "a FIFO (named pipe)"), ("/dev/zero", "a character device")):
        result = subprocess.run([sys.executable, "-m", "tally.cli", "--lang", "en", "scan",
                                 str(conf), str(path)],
                                cwd=WORKTREE, capture_output=True, text=True, timeout=120,
                                check=False)
        assert result.returncode == ExitCode.INPUT, result.stderr
        assert f"{path}: is {what}, not a file" in result.stderr


def test_what_is_not_a_file_in_a_folder_is_named_and_skipped(paged, conf, tmp_path):
    """Before, FIFOs and link loops in a folder were skipped without a word."""
    folder = tmp_path / "scanner"
    folder.mkdir()
    shutil.copy(paged[1][min(paged[1])][0], folder / "page.jpg")
    os.mkfifo(folder / "pipe")
    os.symlink("loop", folder / "loop")
    os.symlink("nowhere.jpg", folder / "broken.jpg")
    os.symlink(tmp_path, folder / "elsewhere")
    result = run("scan", conf, folder)
    assert result.exit_code == ExitCode.ATTENTION, result.output
    assert "Read 1 pages from 1 file." in result.output
    for name, what in (("broken.jpg", "a broken link"),
                       ("elsewhere", "a link to a folder (not followed)"),
                       ("loop", "a link that loops"), ("pipe", "a FIFO (named pipe)")):
        assert f"  skipped: {folder / name}: {what}, not a file" in result.output


def test_a_file_that_is_not_a_scan_is_not_copied_into_the_conference(conf, tmp_path):
    """Before, a 600 MB non-scan file was copied whole into images/."""
    path = tmp_path / "backup.tar"
    path.write_bytes(np.random.default_rng(16).bytes(5_000_000))
    result = run("scan", conf, path)
    assert result.exit_code == ExitCode.ATTENTION and "file not read" in result.output
    kept = conf / "images"
    assert not kept.exists() or [p for p in kept.iterdir() if p.stat().st_size > 1_000_000] == []


def test_an_all_black_page_is_unreadable_with_its_reason_not_blank(conf, tmp_path):
    """A 110-megapixel black page was read as a blank duplex back: lost without a flag."""
    path = tmp_path / "black.png"
    Image.fromarray(np.zeros((12_000, 9_200), np.uint8)).save(path, dpi=(600, 600))
    result = run("scan", conf, path)
    with Store.open(conf, readonly=True) as store:
        (page,) = store.pages()
    assert page.reading.kind == "unreadable" and page.reading.flags == ("unreadable",)
    assert page.reading.reason.startswith("the page is almost entirely dark (100% of it)")
    assert "Ballots: 1: 0 accepted, 1 flagged for review." in result.output
