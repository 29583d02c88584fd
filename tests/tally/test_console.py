"""The web console (``tinnhiem serve``), in process: the workspace's conferences, creating one
from an uploaded roster exactly as ``tinnhiem init`` creates it, printing as ``tinnhiem print``
prints, and each conference's review pages below it; refusals, in Vietnamese, naming the file
and the row; the console's guards."""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import stat

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image

from ballotgen import i18n, payload
from ballotgen.layout import build_layout
from tally.committee import members_of
from tally.console import preview
from tally.console.app import create_console
from tally.console.scanning import save_scans, unread
from tally.console.workspace import UPLOADS
from tally.store import Store
from tests.helpers import (
    SAMPLES,
    csrf_of,
    qr_text,
    readings_of,
    render_grey,
    run,
    store_content,
    text,
    write,
    write_xlsx,
)

FACTS = {"org": "ỦY BAN NHÂN DÂN TỈNH BÌNH AN\nSỞ KẾ HOẠCH VÀ ĐẦU TƯ",
         "title": "Hội nghị lấy phiếu tín nhiệm đối với cán bộ lãnh đạo, quản lý năm 2026",
         "date": "2026-12-15", "place": "Bình An", "venue": "Hội trường tầng 3",
         "summoned": "40", "rules": "qd96-2023", "stamp": "off",
         "member_name_0": "Nguyễn Thị Lan", "member_role_0": "Trưởng ban",
         "member_name_1": "Đỗ Văn Minh", "member_role_1": "Thành viên"}
INIT_OF_FACTS = ["--org", "ỦY BAN NHÂN DÂN TỈNH BÌNH AN", "--org", "SỞ KẾ HOẠCH VÀ ĐẦU TƯ",
                 "--title", FACTS["title"], "--date", "2026-12-15", "--place", "Bình An",
                 "--venue", "Hội trường tầng 3", "--summoned", "40"]


def nonce(page):
    return re.findall(r'name="nonce" value="([^"]+)"', page.get_data(as_text=True))[0]


def upload(client, path, name=None):
    """Upload the roster at ``path``; the address of its facts page."""
    response = client.post("/hoi-nghi/moi", data={
        "csrf": csrf_of(client), "roster": (io.BytesIO(path.read_bytes()), name or path.name)})
    assert response.status_code == 303, text(response)
    return response.headers["Location"]


def create(client, roster, **changes):
    """Upload ``roster`` and send the facts form with FACTS changed by ``changes``."""
    address = upload(client, roster)
    form = {**FACTS, **changes}
    return client.post(address, data={"csrf": csrf_of(client), "nonce": nonce(client.get(address)),
                                      **form})


def test_a_conference_is_created_from_an_uploaded_roster_as_init_creates_it(client, workspace,
                                                                           tmp_path):
    address = upload(client, SAMPLES / "roster-large.xlsx")
    page = text(client.get(address))
    assert "55 người được lấy phiếu" in page
    assert "Bước 2/2: kiểm tra danh sách đọc được từ roster-large.xlsx" in page
    assert "1 Phạm Bảo Lộc Phó Giám đốc Sở Nội vụ" in page
    created = client.post(address, data={"csrf": csrf_of(client),
                                         "nonce": nonce(client.get(address)), **FACTS})
    assert created.status_code == 200, text(created)
    shown = text(created)
    assert "Đã tạo hội nghị" in shown
    folder = workspace / "2026-12-15-hoi-nghi-lay-phieu-tin-nhiem"  # date, 6 words
    assert f"thư mục {folder.name}" in shown
    # Exactly the conference 'tinnhiem init' makes from the same roster and facts.
    cli = tmp_path / "cli"
    result = run("init", cli, "--roster", SAMPLES / "roster-large.xlsx", *INIT_OF_FACTS)
    assert result.exit_code == 0, result.output
    result = run("committee", cli, "--member", "Nguyễn Thị Lan:Trưởng ban",
                 "--member", "Đỗ Văn Minh:Thành viên")
    assert result.exit_code == 0, result.output
    with Store.open(folder) as web, Store.open(cli) as made:
        assert web.conference() == made.conference()
        assert [e.kind for e in web.events()] == [e.kind for e in made.events()]
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in cli.iterdir())
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    # The committee was given, and each code is shown once and logs in.
    members = members_of(folder)
    assert [(m.name, m.role) for m in members] == [("Nguyễn Thị Lan", "Trưởng ban"),
                                                   ("Đỗ Văn Minh", "Thành viên")]
    codes = re.findall(r"<code>([A-Z0-9-]+)</code>", created.get_data(as_text=True))
    assert len(codes) == 2
    review = f"/hoi-nghi/{folder.name}/kiem-tra"
    login = client.get(f"{review}/dang-nhap")
    token = re.search(r'name="csrf" value="([^"]+)"', login.get_data(as_text=True))[1]
    response = client.post(f"{review}/dang-nhap?next=/ket-qua",
                           data={"csrf": token, "code": codes[0]})
    assert response.headers["Location"] == f"{review}/ket-qua"  # below the console's prefix
    assert "Nguyễn Thị Lan (Trưởng ban)" in text(client.get(f"{review}/"))
    # The upload is gone; the roster is not kept in the workspace.
    assert list((workspace / UPLOADS).iterdir()) == []
    assert client.get(address).status_code == 404
    # The workspace lists it.
    home = text(client.get("/"))
    assert FACTS["title"] in home and "15/12/2026" in home and "chưa" in home


def test_the_facts_are_checked_before_anything_is_created(client, workspace):
    roster = SAMPLES / "roster-small.csv"
    response = create(client, roster, title=" ", date="2026-02-30", summoned="bốn mươi",
                      member_role_1="Trưởng ban", venue="Hi\u200btrường")
    assert response.status_code == 400
    page = text(response)
    assert "Một số thông tin cần sửa" in page
    assert "đang để trống; hãy ghi nội dung cần in trên phiếu" in page  # the empty title
    assert "2026-02-30 không phải ngày có thật: tháng 2 năm 2026 có 28 ngày" in page
    assert "Nhập số người được triệu tập là một số nguyên" in page
    assert "Một thành viên là Trưởng ban, những người khác là Thành viên" in page
    assert "có chứa" in page and "hãy gõ lại mà không có ký tự đó" in page  # the venue
    assert "bốn mươi" in response.get_data(as_text=True)  # what was typed is shown again
    assert [p.name for p in workspace.iterdir()] == [UPLOADS]


def test_a_folder_name_is_refused_when_taken_or_not_ours(client, workspace):
    (workspace / "hn").mkdir()
    page = text(create(client, SAMPLES / "roster-small.csv", folder="hn"))
    assert "thư mục hn đã có trong thư mục làm việc" in page
    page = text(create(client, SAMPLES / "roster-small.csv", folder="../thoat"))
    assert "không dùng được làm tên thư mục" in page
    assert sorted(p.name for p in workspace.iterdir()) == sorted([UPLOADS, "hn"])


def test_a_form_sent_twice_creates_once(client, workspace):
    address = upload(client, SAMPLES / "roster-small.csv")
    form = {"csrf": csrf_of(client), "nonce": nonce(client.get(address)), **FACTS,
            "folder": "mot"}
    assert client.post(address, data=form).status_code == 200
    again = client.post(address, data={**form, "folder": "hai"})
    assert again.status_code == 404  # the upload was used up
    assert sorted(p.name for p in workspace.iterdir()) == [UPLOADS, "mot"]


def test_a_bad_roster_is_shown_with_its_file_and_row(client, workspace, tmp_path):
    roster = write(tmp_path, "STT,Họ và tên,Chức vụ\n1,Lê Văn Bình,Giám đốc\n2,,Phó Giám đốc\n"
                   "3,Phan Thị Cúc,Chánh Văn phòng\n", name="danh-sach.csv")
    page = client.get(upload(client, roster))
    shown = text(page)
    assert "danh-sach.csv: dòng 3: thiếu Họ và tên của STT 2" in shown
    html = page.get_data(as_text=True)
    bad = re.search(r'<tr class="bad" id="bad-row"><th>(\d+)</th>(.*?)</tr>', html, re.S)
    assert bad and bad[1] == "3" and "Phó Giám đốc" in bad[2]
    assert "thiếu Họ và tên của STT 2" in bad[2]  # the message on its row
    assert 'id="facts"' not in html  # nothing to create from
    # An xlsx with the same person twice names the row and the first one.
    book = write_xlsx(tmp_path, [["STT", "Họ và tên", "Chức vụ"], [1, "Lê Văn Bình", "Giám đốc"],
                                 [2, "Lê Văn Bình", "Giám đốc"]], name="ds.xlsx")
    shown = text(client.get(upload(client, book)))
    assert "ds.xlsx: dòng 3: Lê Văn Bình (Giám đốc) có tên hai lần (lần đầu ở dòng 2)" in shown
    # Not a roster at all: its kind, by its bytes, whatever its name.
    fake = tmp_path / "roster.xlsx"
    fake.write_bytes(b"%PDF-1.7\n...")
    shown = text(client.get(upload(client, fake)))
    assert "roster.xlsx: là một tài liệu PDF, không phải danh sách người được lấy phiếu" in shown
    assert not [p for p in workspace.iterdir() if p.name != UPLOADS]


def test_an_upload_without_a_file_is_refused(client):
    response = client.post("/hoi-nghi/moi", data={"csrf": csrf_of(client)})
    assert response.status_code == 400 and "Chọn tệp danh sách (xlsx hoặc csv)" in text(response)


@pytest.fixture
def created(client, workspace):
    response = create(client, SAMPLES / "roster-small.csv", folder="so-khdt")
    assert response.status_code == 200, text(response)
    return workspace / "so-khdt"


def print_form(client, name, **form):
    address = f"/hoi-nghi/{name}/in-phieu"
    return client.post(address, data={"csrf": csrf_of(client), "nonce": nonce(client.get(address)),
                                      **form})


def test_printing_records_the_batch_as_print_does_and_warns_of_a_second_run(client, created):
    page = text(client.get("/hoi-nghi/so-khdt/in-phieu"))
    assert "Mẫu phiếu để xem trước" in page
    specimen = client.get("/hoi-nghi/so-khdt/in-phieu/mau/trang-1.png")
    width, height = Image.open(io.BytesIO(specimen.data)).size
    assert specimen.mimetype == "image/png" and abs(width - 496) <= 1 and abs(height - 702) <= 1
    assert client.get("/hoi-nghi/so-khdt/in-phieu/mau/trang-2.png").status_code == 404

    response = print_form(client, "so-khdt", copies="12")
    assert response.status_code == 303
    with Store.open(created) as store:
        (batch,) = store.batches()
    assert batch.copies == 12 and batch.pages == 1
    pdf = created / batch.pdf_name
    assert pdf.is_file() and stat.S_IMODE(pdf.stat().st_mode) == 0o600
    assert hashlib.sha256(pdf.read_bytes()).hexdigest() == batch.pdf_sha256
    shown = text(client.get(response.headers["Location"]))
    assert f"Đã in 12 phiếu, lô {batch.code}" in shown and f"Lần in 1: lô {batch.code}" in shown
    download = client.get(f"/hoi-nghi/so-khdt/in-phieu/{batch.code}.pdf")
    assert download.data == pdf.read_bytes()
    assert f"filename={batch.pdf_name}" in download.headers["Content-Disposition"]
    printed = client.get(f"/hoi-nghi/so-khdt/in-phieu/{batch.code}/trang-1.png")
    width, height = Image.open(io.BytesIO(printed.data)).size
    assert abs(width - 496) <= 1 and abs(height - 702) <= 1  # A4 at 60 dpi

    # A second run must be confirmed; without the box ticked nothing is printed.
    refused = print_form(client, "so-khdt", copies="5")
    assert refused.status_code == 400
    assert "Đây sẽ là lần in thứ 2 của hội nghị này" in text(refused)
    with Store.open(created) as store:
        assert len(store.batches()) == 1
    assert print_form(client, "so-khdt", copies="5", again="1").status_code == 303
    with Store.open(created) as store:
        assert sorted(b.copies for b in store.batches()) == [5, 12]  # printed_at: seconds
    assert "2 lần in" in text(client.get("/"))


def test_a_print_form_sent_twice_prints_once(client, created):
    address = "/hoi-nghi/so-khdt/in-phieu"
    form = {"csrf": csrf_of(client), "nonce": nonce(client.get(address)), "copies": "3"}
    assert client.post(address, data=form).status_code == 303
    again = client.post(address, data={**form, "again": "1"})
    assert again.status_code == 303
    assert "phiếu chỉ được in một lần" in text(client.get(again.headers["Location"]))
    with Store.open(created) as store:
        assert len(store.batches()) == 1


@pytest.mark.parametrize("copies", ["0", "-1", "ba", "100001", ""])
def test_a_wrong_number_of_copies_prints_nothing(client, created, copies):
    response = print_form(client, "so-khdt", copies=copies)
    assert response.status_code == 400 and "số nguyên từ 1 đến 100000" in text(response)
    with Store.open(created) as store:
        assert store.batches() == []


def test_a_specimen_is_the_ballot_with_a_code_that_never_verifies(created):
    with Store.open(created) as store:
        conference, secret = store.conference(), store.secret()
    document = pdfium.PdfDocument(preview.specimen_pdf(conference))
    code, mac = payload.decode(qr_text(render_grey(document, 0, 200)))
    assert code.layout_hash == build_layout(conference).hash  # the conference's own ballot
    assert not payload.is_authentic(code, mac, secret)  # but never one of its ballots


def test_the_workspace_lists_each_conference_with_its_state(scanned, counted, workspace):
    shutil.copytree(scanned, workspace / "cho-kiem-tra")
    shutil.copytree(counted[0], workspace / "da-kiem-phieu")
    (workspace / "khong-phai-hoi-nghi").mkdir()
    app = create_console(workspace)
    page = app.test_client().get("/").get_data(as_text=True)
    rows = dict(re.findall(r'<tr data-folder="([^"]+)">(.*?)</tr>', page, re.S))
    assert set(rows) == {"cho-kiem-tra", "da-kiem-phieu"}
    waiting = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", rows["cho-kiem-tra"]))
    assert "8 phiếu" in waiting and "2 phiếu" in waiting and "chưa" in waiting
    done = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", rows["da-kiem-phieu"]))
    assert "không có" in done and ("chính thức" in done or "dự thảo" in done)
    # Its page links the review pages and the results, which open below it.
    conference = app.test_client().get("/hoi-nghi/cho-kiem-tra/").get_data(as_text=True)
    assert 'href="/hoi-nghi/cho-kiem-tra/kiem-tra/"' in conference
    assert 'href="/hoi-nghi/cho-kiem-tra/ket-qua"' in conference
    queue = app.test_client().get("/hoi-nghi/cho-kiem-tra/kiem-tra/")
    assert "2 phiếu chờ xử lý" in text(queue)
    assert 'href="/hoi-nghi/cho-kiem-tra/"' in queue.get_data(as_text=True)  # back to it
    assert "KẾT QUẢ KIỂM PHIẾU" in text(
        app.test_client().get("/hoi-nghi/da-kiem-phieu/kiem-tra/ket-qua"))


def test_the_console_is_the_clerks_alone_and_guarded(client, created):
    far = {"REMOTE_ADDR": "192.0.2.7"}
    for address in ("/", "/hoi-nghi/moi", "/hoi-nghi/so-khdt/in-phieu"):
        response = client.get(address, environ_base=far)
        assert response.status_code == 403
        assert "chỉ mở được trên máy chạy trang điều hành" in text(response)
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400
    token = csrf_of(client)
    address = "/hoi-nghi/so-khdt/in-phieu"
    form = {"csrf": token, "nonce": nonce(client.get(address)), "copies": "3"}
    assert client.post(address, data=form, headers={"Origin": "http://evil.example"}
                       ).status_code == 403
    assert client.post(address, data={**form, "csrf": "x"}).status_code == 400
    with Store.open(created) as store:
        assert store.batches() == []
    assert client.get("/hoi-nghi/..%2F/").status_code != 200
    for address in ("/hoi-nghi/khong-co/", "/hoi-nghi/.tinnhiem-tai-len/",
                    "/hoi-nghi/so-khdt/in-phieu/KHONGCO.pdf", "/hoi-nghi/moi/" + "0" * 32):
        assert client.get(address).status_code == 404, address
    response = client.get("/")
    assert response.headers["Cache-Control"].startswith("no-store")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_the_review_pages_of_a_conference_off_the_loopback_need_a_member(scanned, workspace):
    shutil.copytree(scanned, workspace / "hn")
    app = create_console(workspace, host="0.0.0.0")
    client = app.test_client()
    far = {"REMOTE_ADDR": "192.0.2.7"}
    response = client.get("/hoi-nghi/hn/kiem-tra/", environ_base=far)
    assert response.status_code == 302
    assert response.headers["Location"] == "/hoi-nghi/hn/kiem-tra/dang-nhap?next=/"
    assert client.get("/hoi-nghi/hn/kiem-tra/dang-nhap", environ_base=far).status_code == 200
    response = client.get("/hoi-nghi/hn/kiem-tra", environ_base=far)  # the address as typed
    assert response.headers["Location"] == "/hoi-nghi/hn/kiem-tra/"
    assert client.get("/", environ_base=far).status_code == 403


def test_the_console_speaks_english_on_request(client, created):
    with i18n.using("en"):
        page = text(client.get("/hoi-nghi/so-khdt/in-phieu"))
    assert "Print the ballots" in page and "A specimen of the ballot" in page


def test_serve_has_help_in_both_languages():
    assert "Mở trang điều hành" in run("serve", "--help", lang="vi").output
    assert "Open the web console" in run("serve", "--help", lang="en").output


# ---------------------------------------------------------------------- Quét phiếu


@pytest.fixture
def printed(counted, workspace):
    """A printed conference of the workspace, nothing scanned; the scans of its vote; and the
    same conference scanned by 'tinnhiem scan' (the counted fixture)."""
    conf, scans, before = counted
    shutil.copytree(before, workspace / "hn")
    return workspace / "hn", scans / "scan.pdf", conf


def send_scans(client, name, *paths):
    address = f"/hoi-nghi/{name}/quet-phieu"
    page = client.get(address)
    token = re.findall(r'name="nonce" value="([^"]+)"', page.get_data(as_text=True))[-1]
    return client.post(address, data={"csrf": csrf_of(client), "nonce": token, "scans": [
        (io.BytesIO(p.read_bytes()), p.name) for p in paths]})


def readers(client):
    return client.application.extensions["tinnhiem_readers"]


def test_scans_uploaded_are_kept_then_read_as_scan_reads_them(client, printed):
    folder, scan, scanned_by_cli = printed
    response = send_scans(client, "hn", scan)
    assert response.status_code == 303
    job = readers(client).wait(folder)
    assert job.finished and job.error is None
    kept = list((folder / "tai-len").glob("*/scan.pdf"))
    assert len(kept) == 1 and kept[0].read_bytes() == scan.read_bytes()
    assert stat.S_IMODE(kept[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(kept[0].parent.stat().st_mode) == 0o700
    # The very readings 'tinnhiem scan' stores for the same file.
    web, cli = readings_of(folder), readings_of(scanned_by_cli)
    assert len(web) == 5 and web == cli
    page = text(client.get("/hoi-nghi/hn/quet-phieu"))
    assert "Lần đọc này đã đọc 5 trang" in page
    assert "Trong hội nghị: 5 phiếu, 5 phiếu máy đọc được, 0 phiếu cần kiểm tra" in page
    assert "scan.pdf 5 5" in page  # the file, its pages, the pages read
    assert 'http-equiv="refresh"' not in client.get("/hoi-nghi/hn/quet-phieu").get_data(
        as_text=True)  # no longer refreshing once read
    # The same file uploaded again adds nothing.
    before = store_content(folder)
    send_scans(client, "hn", scan)
    assert readers(client).wait(folder).pages_read == 0
    assert store_content(folder)[0] == before[0]


def test_a_reading_stopped_by_a_crash_is_finished_and_counts_once(printed, workspace):
    folder, scan, scanned_by_cli = printed
    with open(scan, "rb") as f:  # the server kept the upload, then died before reading it
        save_scans(folder, [("scan.pdf", f)])
    app = create_console(workspace)  # started again
    client = app.test_client()
    page = client.get("/hoi-nghi/hn/quet-phieu")
    assert "1 lần tải lên chưa được đọc hết" in text(page)
    token = re.findall(r'name="nonce" value="([^"]+)"', page.get_data(as_text=True))[0]
    client.post("/hoi-nghi/hn/quet-phieu/doc-tiep", data={"csrf": csrf_of(client), "nonce": token})
    assert readers(client).wait(folder).pages_read == 5
    assert readings_of(folder) == readings_of(scanned_by_cli)
    assert "chưa được đọc hết" not in text(client.get("/hoi-nghi/hn/quet-phieu"))
    assert unread(folder) == []


def test_a_failed_reading_names_the_upload_from_the_conference_folder(client, printed,
                                                                      monkeypatch):
    """The clerk is told which kept file failed as ``tai-len/<upload>/scan.pdf``, not by the
    whole path of the disk the workspace is on."""
    from ballotgen.errors import InputFileError
    from tally.console import scanning

    folder, scan, _cli = printed

    def failing(conference, inputs, **_kw):
        raise InputFileError(inputs[0] / "scan.pdf", "damaged in a way the reader cannot go on "
                                                       "from")

    monkeypatch.setattr(scanning, "scan_stack", failing)
    send_scans(client, "hn", scan)
    job = readers(client).wait(folder)
    kept, = (folder / "tai-len").glob("*/scan.pdf")
    assert job.error == f"tai-len/{kept.parent.name}/scan.pdf: damaged in a way the reader " \
        "cannot go on from"
    page = text(client.get("/hoi-nghi/hn/quet-phieu"))
    assert f"tai-len/{kept.parent.name}/scan.pdf" in page and str(folder) not in page


def test_a_file_that_is_not_a_scan_is_kept_and_named(client, printed, tmp_path):
    folder, _scan, _cli = printed
    note = write(tmp_path, "không phải bản quét", name="ghi-chu.txt")
    send_scans(client, "hn", note)
    job = readers(client).wait(folder)
    assert [name.rsplit("/", 1)[-1] for name, _problem in job.file_errors] == ["ghi-chu.txt"]
    page = text(client.get("/hoi-nghi/hn/quet-phieu"))
    assert "ghi-chu.txt" in page
    assert readings_of(folder) == {}


def test_files_uploaded_while_others_are_read_are_read_next(client, printed, monkeypatch):
    import threading

    from tally.console import scanning

    folder, scan, scanned_by_cli = printed
    gate, calls = threading.Event(), []
    real = scanning.scan_stack

    def held(conf, inputs, **options):  # the first reading waits until the second upload
        calls.append([p.name for p in inputs])
        if len(calls) == 1:
            assert gate.wait(30)
        return real(conf, inputs, **options)

    monkeypatch.setattr(scanning, "scan_stack", held)
    send_scans(client, "hn", scan)
    response = send_scans(client, "hn", scan.with_name("truth.json"))
    assert "sẽ đọc sau khi đọc xong các tệp đang đọc" in text(
        client.get(response.headers["Location"]))
    gate.set()
    job = readers(client).wait(folder)
    assert len(calls) == 2  # the second upload in a run of its own, by the same job
    assert readings_of(folder) == readings_of(scanned_by_cli)
    assert [name.rsplit("/", 1)[-1] for name, _problem in job.file_errors] == ["truth.json"]
    assert unread(folder) == []


def test_serve_makes_the_workspace_and_serves_it(tmp_path, monkeypatch):
    import tally.console.app

    served = []
    monkeypatch.setattr(tally.console.app, "serve",
                        lambda workspace, **options: served.append((workspace, options)))
    result = run("serve", tmp_path / "hoi-nghi", "--port", "0", lang="vi")
    assert result.exit_code == 0, result.output
    ((workspace, options),) = served
    assert workspace == tmp_path / "hoi-nghi" and options["host"] == "127.0.0.1"
    assert stat.S_IMODE(workspace.stat().st_mode) == 0o700


def test_review_pages_opened_before_printing_show_the_pages_scanned_after(client, created,
                                                                          tmp_path):
    from rehearsal.vote import simulate_vote
    from tally.scan import scan_stack
    from tests.helpers import NO_MISTAKES

    assert "0 phiếu chờ xử lý" in text(client.get("/hoi-nghi/so-khdt/kiem-tra/"))
    assert print_form(client, "so-khdt", copies="3").status_code == 303
    simulate_vote(created, tmp_path / "scans", voters=2, profile="clean", fmt="pdf", dpi=150,
                  seed=1, rates=NO_MISTAKES)
    scan_stack(created, [tmp_path / "scans" / "scan.pdf"])
    with Store.open(created) as store:
        page = store.pages()[0].id
    image = client.get(f"/hoi-nghi/so-khdt/kiem-tra/anh/{page}.jpg")
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    box = client.get(f"/hoi-nghi/so-khdt/kiem-tra/o/{page}/1/cao.png")
    assert box.status_code == 200
    crop = np.asarray(Image.open(io.BytesIO(box.data)).convert("L"))
    assert crop.shape[0] > 20 and crop.min() < 128  # the box as printed, placed on the page


def test_a_roster_too_large_is_refused_with_a_clear_page(client, workspace):
    big = io.BytesIO(b"STT,H\xe1\xbb\x8d v\xc3\xa0 t\xc3\xaan,Ch\xe1\xbb\xa9c v\xe1\xbb\xa5\n" +
                     b"x" * 11_000_000)
    response = client.post("/hoi-nghi/moi", data={"csrf": csrf_of(client),
                                                  "roster": (big, "lon.csv")})
    assert response.status_code == 413 and "Tệp quá lớn" in text(response)
    assert [p.name for p in workspace.iterdir()] == []
