"""Quét phiếu's watched folder, in process: a file the scanner saves is taken once it is
whole, kept in the conference, read as ``tinnhiem scan`` reads it, and never taken twice (by
content); folders that cannot be watched are refused naming the path."""

from __future__ import annotations

import re
import shutil
import stat
import time

import pytest

from tally.console.app import create_console
from tally.console.watching import WATCHES_FILE, Watch
from tests.helpers import csrf_of, readings_of, text


@pytest.fixture
def app(workspace):
    app = create_console(workspace, poll=0.1)
    app.config["TESTING"] = True
    yield app
    app.extensions["tinnhiem_watchers"].stop_all()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def printed(counted, workspace):
    """A printed conference of the workspace, nothing scanned; its scan; the same conference
    scanned by 'tinnhiem scan'."""
    conf, scans, before = counted
    shutil.copytree(before, workspace / "hn")
    return workspace / "hn", scans / "scan.pdf", conf


SCAN = "/hoi-nghi/hn/quet-phieu"


def send(client, address, **form):
    html = client.get(SCAN).get_data(as_text=True)
    token = re.findall(r'name="nonce" value="([^"]+)"', html[html.index('id="watch-form"'):])[0]
    return client.post(address, data={"csrf": csrf_of(client), "nonce": token, **form})


def test_a_file_is_taken_once_whole_and_once_only(app, printed, tmp_path):
    folder, scan, scanned_by_cli = printed
    watchers = app.extensions["tinnhiem_watchers"]
    readers = app.extensions["tinnhiem_readers"]
    watched = tmp_path / "may-quet"
    watched.mkdir()
    watch = Watch(watched)  # polled by hand here, no thread
    data = scan.read_bytes()
    target = watched / "scan.pdf"
    target.write_bytes(data[: len(data) // 2])  # the scanner is still writing
    (watched / ".scan.pdf.part").write_bytes(b"x")  # a scanner's hidden partial
    watchers.poll_once(folder, watch)
    assert watch.taken == [] and not (folder / "tai-len").exists()  # seen once: not yet
    with open(target, "ab") as f:
        f.write(data[len(data) // 2:])
    watchers.poll_once(folder, watch)
    assert watch.taken == []  # it grew: not yet
    watchers.poll_once(folder, watch)
    assert watch.taken == ["scan.pdf"]  # the same for one poll: taken
    kept = list((folder / "tai-len").glob("*/scan.pdf"))
    assert len(kept) == 1 and kept[0].read_bytes() == data
    job = readers.wait(folder)
    assert job.error is None and job.pages_read == 5
    assert readings_of(folder) == readings_of(scanned_by_cli)
    # Polled again, and the same content under another name: never taken twice.
    shutil.copy(target, watched / "scan-lai.pdf")
    for _ in range(3):
        watchers.poll_once(folder, watch)
    assert watch.taken == ["scan.pdf"] and watch.skipped == 1
    assert len(list((folder / "tai-len").iterdir())) == 1
    assert target.read_bytes() == data  # the scanner's file is left as it was


def test_files_there_before_the_watch_are_read_only_when_asked(app, printed, tmp_path):
    folder, scan, _cli = printed
    watchers = app.extensions["tinnhiem_watchers"]
    watched = tmp_path / "may-quet"
    watched.mkdir()
    shutil.copy(scan, watched / "tuan-truoc.pdf")  # last week's scans, maybe of another poll
    watch = Watch(watched)
    for _ in range(3):
        watchers.poll_once(folder, watch)
    assert watch.taken == [] and watch.before == 1 and not (folder / "tai-len").exists()
    asked = Watch(watched, existing=True)
    for _ in range(2):
        watchers.poll_once(folder, asked)
    assert asked.taken == ["tuan-truoc.pdf"] and asked.before == 0
    assert app.extensions["tinnhiem_readers"].wait(folder).pages_read == 5


def test_the_page_watches_a_folder_and_reads_what_arrives(client, printed, tmp_path):
    folder, scan, scanned_by_cli = printed
    watched = tmp_path / "may-quet"
    watched.mkdir()
    response = send(client, f"{SCAN}/thu-muc", folder=str(watched))
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    assert f"Đang theo dõi {watched}" in text(page)
    assert 'http-equiv="refresh" content="5"' in page.get_data(as_text=True)
    shutil.copy(scan, watched / "scan.pdf")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(readings_of(folder)) < 5:
        time.sleep(0.2)
    assert readings_of(folder) == readings_of(scanned_by_cli)
    client.application.extensions["tinnhiem_readers"].wait(folder)
    shown = text(client.get(SCAN))
    assert f"{watched} 1 0 0" in shown  # the folder, one file taken, none skipped or before
    # Watched twice: once only. Then no longer watched.
    assert "đang được theo dõi rồi" in text(client.get(send(
        client, f"{SCAN}/thu-muc", folder=str(watched)).headers["Location"]))
    html = client.get(SCAN).get_data(as_text=True)
    token = re.findall(r'name="nonce" value="([^"]+)"', html[html.index('id="watches"'):])[0]
    stopped = client.post(f"{SCAN}/thu-muc/dung", data={"csrf": csrf_of(client), "nonce": token,
                                                        "folder": str(watched)})
    assert f"Đã thôi theo dõi {watched}" in text(client.get(stopped.headers["Location"]))
    assert 'id="watches"' not in client.get(SCAN).get_data(as_text=True)


def test_a_folder_that_cannot_be_watched_is_refused_by_name(client, printed, tmp_path,
                                                            workspace):
    a_file = tmp_path / "tep.pdf"
    a_file.write_bytes(b"%PDF")
    for typed, said in [("", "Nhập thư mục máy quét lưu tệp vào"),
                        ("may-quet", "may-quet: hãy nhập đường dẫn đầy đủ"),
                        (str(tmp_path / "khong-co"), f"{tmp_path / 'khong-co'}: không có thư mục"),
                        (str(a_file), f"{a_file}: là một tệp, không phải thư mục"),
                        (str(workspace / "hn"), "là thư mục làm việc hoặc chứa thư mục làm việc"),
                        (str(tmp_path), "là thư mục làm việc hoặc chứa thư mục làm việc")]:
        response = send(client, f"{SCAN}/thu-muc", folder=typed)
        assert response.status_code == 400, typed
        problem = re.search(r'id="watch-problem">([^<]*)<', response.get_data(as_text=True))
        assert problem and said in problem[1], (typed, problem)
    assert client.application.extensions["tinnhiem_watchers"].of(workspace / "hn") == []


def wait_until(condition, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not condition():
        time.sleep(0.1)


def test_a_watch_outlives_a_restart_of_the_console(app, client, printed, tmp_path, workspace):
    """The console stops while the scanner goes on: started again, it watches the same folder,
    reads what arrived meanwhile, and still leaves alone what was there before the watch."""
    folder, scan, scanned_by_cli = printed
    watched = tmp_path / "may-quet"
    watched.mkdir()
    (watched / "tuan-truoc.txt").write_text("last week's file", encoding="utf-8")
    assert send(client, f"{SCAN}/thu-muc", folder=str(watched)).status_code == 303
    watch, = app.extensions["tinnhiem_watchers"].of(folder)
    wait_until(lambda: watch.looked and "tuan-truoc.txt" in
               (folder / WATCHES_FILE).read_text(encoding="utf-8"))
    assert stat.S_IMODE((folder / WATCHES_FILE).stat().st_mode) == 0o600
    app.extensions["tinnhiem_watchers"].stop_all()  # the console stops
    shutil.copy(scan, watched / "scan.pdf")  # scanned while it was stopped

    again = create_console(workspace, poll=0.1)
    try:
        restored, = again.extensions["tinnhiem_watchers"].of(folder)
        assert restored.path == watched and restored.before == 1
        wait_until(lambda: restored.taken == ["scan.pdf"])
        again.extensions["tinnhiem_readers"].wait(folder)
        assert readings_of(folder) == readings_of(scanned_by_cli)
        assert restored.taken == ["scan.pdf"]  # not last week's file
        # Stopped on the page: not watched after the next restart.
        restarted = again.test_client()
        html = restarted.get(SCAN).get_data(as_text=True)
        token = re.findall(r'name="nonce" value="([^"]+)"', html[html.index('id="watches"'):])[0]
        restarted.post(f"{SCAN}/thu-muc/dung", data={"csrf": csrf_of(restarted), "nonce": token,
                                                     "folder": str(watched)})
    finally:
        again.extensions["tinnhiem_watchers"].stop_all()
    third = create_console(workspace, poll=0.1)
    assert third.extensions["tinnhiem_watchers"].of(folder) == []
