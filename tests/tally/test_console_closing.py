"""The console's pages after the review, in process: Kết quả (attendance, the hand count and
the end time; what blocks the official count; the tally exactly as ``tinnhiem tally`` makes it;
its versions and documents) and Lưu trữ (the audit archive and the audit, in the background);
their refusals, in Vietnamese, naming the field."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import stat
import threading
import zipfile
from html import unescape as html_unescape

import pytest

from tally.console import closing
from tally.prepare import create_conference, print_ballots
from tally.publish import versions
from tally.store import EventKind, Store
from tests.helpers import SAMPLES, csrf_of, resolve_as_a_committee_would, run, text, write


@pytest.fixture
def reviewed(scanned, workspace, tmp_path):
    """The scanned conference reviewed as a committee would, in the workspace as ``hn``, and
    an identical copy outside it for the command line."""
    folder = workspace / "hn"
    shutil.copytree(scanned, folder)
    resolve_as_a_committee_would(folder)
    twin = tmp_path / "cli"
    shutil.copytree(folder, twin)
    return folder, twin


def nonce_of(client, address, form_id=None):
    html = client.get(address).get_data(as_text=True)
    if form_id is not None:
        html = html[html.index(f'id="{form_id}"'):]
    return re.findall(r'name="nonce" value="([^"]+)"', html)[0]


def send(client, address, form_id=None, **form):
    return client.post(address, data={"csrf": csrf_of(client),
                                      "nonce": nonce_of(client, address, form_id), **form})


def tallies(folder):
    with Store.open(folder, readonly=True) as store:
        return [e for e in store.events() if e.kind == EventKind.TALLY_PRODUCED]


RESULTS = "/hoi-nghi/hn/ket-qua"
ARCHIVE = "/hoi-nghi/hn/luu-tru"


def test_the_results_page_says_what_blocks_the_official_count(scanned, workspace, client):
    shutil.copytree(scanned, workspace / "hn")
    page = client.get(RESULTS)
    assert page.status_code == 200
    shown = text(page)
    assert "DỰ THẢO" in shown
    assert "2 phiếu đang chờ kiểm tra" in shown
    assert "Chưa nhập: Số người có mặt" in shown
    assert "Chưa nhập: Số phiếu thu vào (Ban Kiểm phiếu đếm tay từ thùng phiếu)" in shown
    assert 'href="/hoi-nghi/hn/kiem-tra/"' in page.get_data(as_text=True)
    assert 'href="/hoi-nghi/hn/kiem-tra/ket-qua"' in page.get_data(as_text=True)  # projection
    assert "chưa kiểm phiếu" in shown  # no tally yet
    # The conference's page leads here and to Lưu trữ.
    conference = client.get("/hoi-nghi/hn/").get_data(as_text=True)
    assert f'href="{RESULTS}"' in conference and f'href="{ARCHIVE}"' in conference
    # Checking with numbers typed records nothing and says what they leave open.
    checked = send(client, RESULTS, action="check", present="4", summoned="8", counted="6")
    assert checked.status_code == 200
    shown = text(checked)
    assert "KHÔNG ĐẠT" in shown  # 4 of 8 present: no quorum
    assert "Chưa nhập: Số người có mặt" not in shown
    assert tallies(workspace / "hn") == []


def test_a_tally_made_on_the_page_is_the_one_the_command_makes(reviewed, client):
    folder, twin = reviewed
    result = run("tally", twin, "--present", 7, "--summoned", 8, "--counted", 7,
                 "--ended", "17:38")
    assert result.exit_code == 0, result.output
    page = client.get(RESULTS)
    assert "Kết quả chính thức" not in text(page)  # attendance not entered yet
    response = send(client, RESULTS, action="tally", present="7", summoned="8", counted="7",
                    ended="17:38")
    assert response.status_code == 303, text(response)
    assert response.headers["Location"].endswith(f"{RESULTS}#lan-1")
    (web,), (cli,) = tallies(folder), tallies(twin)
    assert web.data["fingerprint"] == cli.data["fingerprint"]
    assert web.data["attendance"] == cli.data["attendance"] == {
        "summoned": 8, "present": 7, "issued": None, "counted": 7}
    assert web.data["outputs"]["results.csv"] == cli.data["outputs"]["results.csv"]
    assert web.data["ended"] == cli.data["ended"] and web.data["ended"] == "2026-12-15T17:38+07:00"
    assert web.data["final"] is True
    (version,) = versions(folder / "ket-qua")
    assert version.name == web.data["folder"] == cli.data["folder"]
    assert stat.S_IMODE(version.stat().st_mode) == 0o700
    shown = text(client.get(response.headers["Location"]))
    assert f"Đã kiểm phiếu lần 1: biên bản chính thức. Mã kiểm tra: {web.data['fingerprint']}" \
        in shown
    assert "Kết quả chính thức" in shown  # nothing blocks any more
    assert "1 chính thức 17:38 ngày 15/12/2026" in shown  # the version, its end time
    # The form shows the attendance entered.
    html = client.get(RESULTS).get_data(as_text=True)
    assert 'name="present" value="7"' in html and 'name="counted" value="7"' in html
    # Its three documents download, as written.
    links = re.findall(r'href="(/hoi-nghi/hn/ket-qua/[^"]+)"', html)
    assert len(links) == 3
    for link in links:
        got = client.get(link)
        name = link.rsplit("/", 1)[1]
        assert got.status_code == 200
        assert got.data == (version / name).read_bytes()
        assert f"filename={version.name}-{name}" in got.headers["Content-Disposition"]
    assert client.get(links[0]).mimetype == "application/pdf"
    # A second tally is a version of its own; the first stays as it was.
    minutes = (version / "bien-ban-kiem-phieu.pdf").read_bytes()
    assert send(client, RESULTS, action="tally", present="7", summoned="8", counted="6"
                ).status_code == 303
    first, second = versions(folder / "ket-qua")
    assert first == version and (first / "bien-ban-kiem-phieu.pdf").read_bytes() == minutes
    assert "-du-thao-" in second.name  # 6 counted by hand, 7 scanned: a draft
    shown = text(client.get(RESULTS))
    assert "Đã kiểm phiếu lần 2: bản DỰ THẢO" in shown
    rows = re.findall(r'<tr id="lan-(\d+)">', client.get(RESULTS).get_data(as_text=True))
    assert rows == ["2", "1"]


@pytest.mark.parametrize(("field", "value", "said"), [
    ("present", "bảy", "Nhập số người có mặt là một số nguyên"),
    ("present", "-1", "Nhập số người có mặt là một số nguyên"),
    ("counted", "7.5", "Nhập số phiếu đếm tay từ thùng phiếu là một số nguyên"),
    ("summoned", "0", "Nhập số người được triệu tập là một số nguyên (từ 1 trở lên)"),
    ("issued", "mười", "Nhập số phiếu phát ra là một số nguyên"),
    ("ended", "25:00", "'25:00': không có giờ 25:00"),
    ("ended", "chiều", "'chiều'"),
])
def test_a_wrong_entry_is_refused_on_its_field_and_nothing_is_counted(reviewed, client, field,
                                                                        value, said):
    folder, _twin = reviewed
    form = {"present": "7", "summoned": "8", "counted": "7", field: value}
    response = send(client, RESULTS, action="tally", **form)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    problem = re.search(rf'id="problem-{field}">([^<]*)<', html)
    assert problem and said in html_unescape(problem[1]), html[:2000]
    assert f'value="{value}"' in html  # what was typed is shown again
    assert tallies(folder) == []


def test_impossible_attendance_is_refused_as_the_command_refuses_it(reviewed, client):
    folder, twin = reviewed
    response = send(client, RESULTS, action="tally", present="9", summoned="8", counted="7")
    assert response.status_code == 400
    assert "số người có mặt (9) lớn hơn số người được triệu tập (8)" in text(response)
    assert run("tally", twin, "--present", 9, "--summoned", 8, lang="vi").exit_code == 2
    response = send(client, RESULTS, action="tally", present="7", counted="7", issued="9")
    assert response.status_code == 400 and "(9)" in text(response)  # 8 printed
    assert tallies(folder) == []


def test_without_quorum_only_the_record_that_the_count_cannot_stand_is_made(reviewed, client):
    folder, _twin = reviewed
    response = send(client, RESULTS, action="tally", present="4", summoned="8", counted="7")
    assert response.status_code == 303
    (version,) = versions(folder / "ket-qua")
    assert "-khong-du-dieu-kien-" in version.name
    assert [p.name for p in version.iterdir()] == ["bien-ban-kiem-phieu.pdf"]
    shown = text(client.get(RESULTS))
    assert "không đủ số người có mặt, chỉ lập biên bản" in shown
    assert "không đủ số người có mặt: kết quả không có giá trị" in shown  # in the list


def test_a_tally_form_sent_twice_counts_once(reviewed, client):
    folder, _twin = reviewed
    form = {"csrf": csrf_of(client), "nonce": nonce_of(client, RESULTS), "action": "tally",
            "present": "7", "summoned": "8", "counted": "7"}
    assert client.post(RESULTS, data=form).status_code == 303
    again = client.post(RESULTS, data=form)
    assert again.status_code == 303
    assert "chỉ kiểm phiếu một lần" in text(client.get(again.headers["Location"]))
    assert len(tallies(folder)) == 1


def test_only_the_documents_of_a_tally_are_served(tallied, workspace, client):
    shutil.copytree(tallied[0], workspace / "hn")
    (version,) = versions(workspace / "hn" / "ket-qua")
    assert client.get(f"{RESULTS}/{version.name}/results.csv").status_code == 200
    for address in (f"{RESULTS}/{version.name}/conference.sqlite",
                    f"{RESULTS}/{version.name}/..%2F..%2Fconference.sqlite",
                    f"{RESULTS}/lan-99-chinh-thuc-0000-0000-0000-0000/results.csv",
                    "/hoi-nghi/khong-co/ket-qua"):
        assert client.get(address).status_code == 404, address
    assert client.get(f"{RESULTS}/..%2F/results.csv").status_code != 200
    far = {"REMOTE_ADDR": "192.0.2.7"}
    for address in (RESULTS, ARCHIVE, f"{RESULTS}/{version.name}/results.csv"):
        assert client.get(address, environ_base=far).status_code == 403  # the clerk's only


# ---------------------------------------------------------------------- Lưu trữ


def tasks(client):
    return client.application.extensions["tinnhiem_tasks"]


def test_the_archive_is_written_and_the_audit_run_in_the_background(tallied, workspace, client):
    folder = workspace / "hn"
    shutil.copytree(tallied[0], folder)
    assert send(client, ARCHIVE, "export-form", action="export").status_code == 303
    task = tasks(client).wait(folder)
    assert task.finished and task.error is None, task.error
    (archive,) = closing.archives(folder)
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    with zipfile.ZipFile(archive) as z:
        assert "manifest.json" in z.namelist() and "conference.sqlite" in z.namelist()
    page = client.get(ARCHIVE)
    assert f"Đã ghi hồ sơ kiểm tra: {archive.name}" in text(page)
    download = client.get(f"{ARCHIVE}/{archive.name}")
    assert download.data == archive.read_bytes() and download.mimetype == "application/zip"

    # The audit of the folder: every page re-read, the tally reproduced.
    assert send(client, ARCHIVE, "audit-form", action="audit").status_code == 303
    task = tasks(client).wait(folder)
    assert task.error is None and task.result.ok
    with Store.open(folder, readonly=True) as store:
        assert task.done == task.total == len(store.pages(superseded=True))  # every page
    (tally,) = tallies(folder)
    assert task.result.tallies == [(tally.data["fingerprint"], True)]
    shown = text(client.get(ARCHIVE))
    assert "ĐÃ XÁC MINH: kết quả kiểm phiếu đúng với các phiếu và quyết định đã lưu" in shown
    assert "Kiểm tra hội nghị" in shown
    assert f"Lần kiểm phiếu {tally.data['fingerprint']} (chính thức): tính lại khớp" in shown
    assert f"{task.total} trang đọc lại" in shown
    # The audit of the archive, chosen in the list.
    html = client.get(ARCHIVE).get_data(as_text=True)
    row = html[html.index('id="archives"'):]
    token = re.findall(r'name="nonce" value="([^"]+)"', row)[0]
    assert client.post(ARCHIVE, data={"csrf": csrf_of(client), "nonce": token, "action": "audit",
                                      "source": archive.name}).status_code == 303
    task = tasks(client).wait(folder)
    assert task.error is None and task.result.ok and task.source == archive.name
    assert f"Kiểm tra {archive.name}" in text(client.get(ARCHIVE))

    # A second archive the same day gets a name of its own; none is overwritten.
    send(client, ARCHIVE, "export-form", action="export")
    tasks(client).wait(folder)
    assert len(closing.archives(folder)) == 2


def test_the_audit_shows_what_differs(tallied, workspace, client):
    folder = workspace / "hn"
    shutil.copytree(tallied[0], folder)
    (version,) = versions(folder / "ket-qua")
    csv = version / "results.csv"
    csv.chmod(0o600)
    csv.write_bytes(csv.read_bytes() + b"1,x\n")  # a document edited after the tally
    send(client, ARCHIVE, "audit-form", action="audit")
    task = tasks(client).wait(folder)
    assert task.error is None and not task.result.ok
    page = client.get(ARCHIVE)
    shown = text(page)
    assert f"PHÁT HIỆN KHÁC BIỆT: {len(task.result.differences)}" in shown
    assert "results.csv" in page.get_data(as_text=True).split('id="difference-list"')[1]
    assert "ĐÃ XÁC MINH" not in shown


def test_one_task_at_a_time_and_the_page_shows_its_progress(tallied, workspace, client,
                                                           monkeypatch):
    folder = workspace / "hn"
    shutil.copytree(tallied[0], folder)
    release = threading.Event()

    def slow(folder, source):
        def work(task):
            task.total, task.done = 7, 3
            release.wait(30)
        return work

    monkeypatch.setattr(closing, "_audit", slow)
    send(client, ARCHIVE, "audit-form", action="audit")
    try:
        page = client.get(ARCHIVE)
        html = page.get_data(as_text=True)
        assert 'http-equiv="refresh"' in html and "Đang kiểm tra…" in text(page)
        assert "đã đọc lại 3/7 trang" in text(page)
        assert 'id="do-export" disabled' in html
        response = send(client, ARCHIVE, "export-form", action="export")
        assert "Đang xuất hồ sơ hoặc đang kiểm tra hội nghị này" in text(
            client.get(response.headers["Location"]))
        assert closing.archives(folder) == []
    finally:
        release.set()
    tasks(client).wait(folder)
    assert 'http-equiv="refresh"' not in client.get(ARCHIVE).get_data(as_text=True)


def test_an_unknown_archive_is_not_served_nor_audited(tallied, workspace, client):
    shutil.copytree(tallied[0], workspace / "hn")
    (workspace / "hn" / "audit-2026-01-01.zip.bak").write_bytes(b"x")
    for name in ("audit-2026-01-01.zip", "audit-2026-01-01.zip.bak", "conference.sqlite"):
        assert client.get(f"{ARCHIVE}/{name}").status_code == 404
    response = send(client, ARCHIVE, "audit-form", action="audit", source="conference.sqlite")
    assert response.status_code == 404
    assert "Hội nghị này không có hồ sơ 'conference.sqlite'" in html_unescape(text(response))


def test_last_years_shares_are_read_as_history_reads_them(workspace, client, tmp_path):
    folder = workspace / "hn"
    create_conference(folder, roster=SAMPLES / "roster-small.csv", org="SỞ TÀI CHÍNH",
                      title="Hội nghị thử", date=dt.date(2026, 12, 15), rules="annual-2013",
                      summoned=10)
    print_ballots(folder, copies=10)
    twin = tmp_path / "cli"
    shutil.copytree(folder, twin)
    page = client.get(RESULTS)
    assert 'name="history"' in page.get_data(as_text=True)
    assert "Chưa nhập: Kết quả năm trước (CSV)" in text(page)
    history = write(tmp_path, "STT,Tỷ lệ tín nhiệm thấp (%)\n1,72.5\n3,10\n",
                    name="nam-truoc.csv")
    bad = write(tmp_path, "STT,Tỷ lệ tín nhiệm thấp (%)\n9,70\n", name="sai.csv")
    form = {"present": "9", "counted": "0", "ended": "17:38"}
    refused = client.post(RESULTS, data={
        "csrf": csrf_of(client), "nonce": nonce_of(client, RESULTS), "action": "tally", **form,
        "history": (io.BytesIO(bad.read_bytes()), "sai.csv")})
    assert refused.status_code == 400
    assert "sai.csv: dòng 2: hội nghị này không có người được lấy phiếu số 9" in \
        html_unescape(text(refused))
    assert tallies(folder) == []
    made = client.post(RESULTS, data={
        "csrf": csrf_of(client), "nonce": nonce_of(client, RESULTS), "action": "tally", **form,
        "history": (io.BytesIO(history.read_bytes()), "nam-truoc.csv")})
    assert made.status_code == 303, text(made)
    result = run("tally", twin, "--present", 9, "--counted", 0, "--ended", "17:38",
                 "--history", history)
    (web,), (cli,) = tallies(folder), tallies(twin)
    assert web.data["history"] == cli.data["history"] == {"1": "29/40", "3": "1/10"}
    assert web.data["fingerprint"] == cli.data["fingerprint"], result.output
