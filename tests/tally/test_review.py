"""The review web app, in process: every view and rule, on a store filled by simulated scans.

The conference (from test_tally): 6 voters with known votes, voter 5 left person 2 blank, and one
ballot of another conference in the stack: two ballots wait for review. Its committee has three
members, each with a personal code.
"""

import re

import cv2
import numpy as np
import pytest

from ballotgen.errors import ExitCode
from tally.committee import add_members
from tally.count import Attendance, tally_store
from tally.review.app import create_app, is_loopback
from tally.store import Store
from tests.helpers import (
    MEMBERS,
    ballots_of,
    csrf_of,
    decide,
    decisions,
    flag,
    login,
    nonces,
    run,
    text,
)


def test_a_member_logs_in_with_their_code_and_the_queue_can_be_read_without_it(app, conf):
    flagged, _ = ballots_of(conf)
    ballot = flagged[("blank_row",)]
    client = app.test_client()
    assert "2 phiếu chờ xử lý" in text(client.get("/"))
    page = text(client.get(f"/phieu/{ballot}"))
    assert "Bạn chỉ xem được" in page and "Ghi và sang phiếu tiếp" not in page
    assert client.get("/tiep").headers["Location"] == "/dang-nhap?next=/tiep"
    response = client.post(f"/phieu/{ballot}", data={"csrf": csrf_of(client), "ballot": "genuine"})
    assert response.status_code == 403 and decisions(conf) == []
    # The code as typed: any case, spaces; a wrong one is refused.
    code = app.config["CODES"]["Đỗ Văn Minh"]
    wrong = client.post("/dang-nhap", data={"csrf": csrf_of(client), "code": "ABCDE-FGHJK"})
    assert wrong.status_code == 403 and "Mã thành viên không đúng" in text(wrong)
    response = client.post("/dang-nhap?next=/phieu/1", data={"csrf": csrf_of(client),
                                                             "code": f" {code.lower()} "})
    assert response.headers["Location"] == "/phieu/1"
    client.csrf = csrf_of(client)
    assert "Đỗ Văn Minh (Thành viên)" in text(client.get("/"))
    decide(client, ballot, ballot="genuine")
    assert decisions(conf)[0][4] == "Đỗ Văn Minh"  # the code records who decided
    # A logout ends the session, even for a copy of its cookie.
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    assert "Đỗ Văn Minh" in text(copy.get("/"))
    client.post("/dang-xuat", data={"csrf": client.csrf})
    assert "Đỗ Văn Minh" not in text(copy.get("/")) and "Đăng nhập" in text(copy.get("/"))


def test_the_queue_counts_flagged_ballots_by_reason(app, conf):
    page = text(login(app).get("/"))
    assert "2 phiếu chờ xử lý" in page and "0 phiếu đã xử lý" in page
    assert "5 phiếu máy đọc được, không cần xem" in page
    assert "Có dòng không đánh dấu ô nào 1" in page
    assert "Không phải phiếu do Ban Kiểm phiếu phát hành (mã không đúng) 1" in page


def test_next_gives_two_members_different_ballots_and_a_third_none(app, conf):
    first, second, third = (login(app, name) for name, _ in MEMBERS)
    a = first.get("/tiep").headers["Location"]
    b = second.get("/tiep").headers["Location"]
    assert a.startswith("/phieu/") and b.startswith("/phieu/") and a != b
    response = third.get("/tiep", follow_redirects=True)
    assert "đang được thành viên khác xử lý" in text(response)
    # Opening a held ballot shows it read-only, and a decision posted on it is refused.
    page = text(third.get(a))
    assert "Nguyễn Thị Lan đang xử lý phiếu này" in page and "Ghi và sang phiếu tiếp" not in page
    response = third.post(a, data={"csrf": third.csrf, "ballot": "invalid"})
    assert response.status_code == 409 and "chưa được ghi" in text(response)
    assert decisions(conf) == []
    # Back at the queue a reviewer lets go of the ballot they held.
    first.get("/")
    assert third.get(a).status_code == 200 and "đang xử lý" not in text(third.get(a))


def test_resolving_a_blank_row_records_who_when_before_and_after(app, conf):
    flagged, _ = ballots_of(conf)
    ballot = flagged[("blank_row",)]
    client = login(app)
    page = text(client.get(f"/phieu/{ballot}"))
    assert "Có dòng không đánh dấu ô nào" in page and "máy đề xuất: Phiếu hợp lệ" in page
    # The form as shown: the machine's proposal preselected (genuine; the blank row invalid).
    response = decide(client, ballot, ballot="genuine")
    assert response.status_code == 302 and response.headers["Location"] == "/tiep"
    assert decisions(conf) == [(ballot, None, "genuine", "machine:genuine", "Nguyễn Thị Lan"),
                               (ballot, 2, "invalid", "machine:invalid", "Nguyễn Thị Lan")]
    # Sending the same decision again adds nothing.
    decide(client, ballot, ballot="genuine")
    assert len(decisions(conf)) == 2
    # A change is a new decision; the old one stays, and the count follows the latest.
    response = decide(client, ballot, ballot="genuine", **{"row-2": "cao", "then": "stay"})
    assert response.headers["Location"] == f"/phieu/{ballot}"
    assert decisions(conf)[2] == (ballot, 2, "cao", "invalid", "Nguyễn Thị Lan")
    history = text(client.get(f"/phieu/{ballot}")).split("Lịch sử quyết định")[1]
    assert history.count("Nguyễn Thị Lan") == 3 and "Dòng 2" in history
    with Store.open(conf) as store:
        _, results = tally_store(store, Attendance())
        assert results.persons[1].levels["cao"] == 2  # voter 1, and voter 5 as reviewed
        assert [e.kind for e in store.events()[-3:]] == ["decision"] * 3
        assert not store.verify_chain()


def test_a_foreign_sheet_is_confirmed_or_entered_by_hand(app, conf):
    flagged, _ = ballots_of(conf)
    ballot = flagged[("foreign",)]
    client = login(app)
    page = text(client.get(f"/phieu/{ballot}"))
    assert "Máy không đọc được" in page and "máy đề xuất: Phiếu lạ" in page
    # Genuine needs every row, since the machine read none.
    response = decide(client, ballot, ballot="genuine", **{"row-1": "cao", "row-2": "thap"})
    assert response.status_code == 400
    assert "Còn dòng chưa chọn mức tín nhiệm: STT 3, 4, 5." in text(response)
    assert decisions(conf) == []
    decide(client, ballot, ballot="foreign")
    assert decisions(conf) == [(ballot, None, "foreign", "machine:foreign", "Nguyễn Thị Lan")]


@pytest.mark.parametrize("form", [
    {"ballot": "everything"}, {"ballot": "genuine", "row-2": "thap' OR 1=1"}, {},
    {"ballot": "genuine", "csrf": ""}, {"ballot": "genuine", "csrf": "forged"},
])
def test_malformed_or_forged_forms_change_nothing(app, conf, form):
    flagged, _ = ballots_of(conf)
    client = login(app)
    with Store.open(conf) as store:
        events = len(store.events())
    ballot = flagged[("blank_row",)]
    data = {"csrf": client.csrf, "nonce": nonces(client, ballot)[0], **form}
    response = client.post(f"/phieu/{ballot}", data=data)
    assert response.status_code == 400 and "Traceback" not in response.get_data(as_text=True)
    with Store.open(conf) as store:
        assert len(store.events()) == events and store.decisions() == []


@pytest.mark.parametrize("path, code", [
    ("/phieu/999999", 404), ("/phieu/abc", 404), ("/phieu/-1", 404), ("/anh/999999.jpg", 404),
    ("/o/1/1/bogus.png", 404), ("/o/999999/1/cao.png", 404), ("/khong-co", 404),
    ("/tim?file=scan.pdf&page=999", 404),  # no such page: not found
    ("/tim?file=x&page=x", 400),  # a page number that is not one: a bad request
])
def test_bad_ids_and_addresses_give_a_clear_page(app, path, code):
    response = login(app).get(path)
    assert response.status_code == code
    body = response.get_data(as_text=True)
    assert "Về hàng chờ" in body and "Traceback" not in body


def test_search_finds_any_ballot_and_a_reviewer_can_flag_an_accepted_one(app, conf):
    _, accepted = ballots_of(conf)
    client = login(app)
    with Store.open(conf) as store:
        page = store.page(accepted[0])
    response = client.get(f"/tim?file={page.file_name}&page={page.page_index + 1}")
    assert response.headers["Location"] == f"/phieu/{accepted[0]}"
    assert "Máy đã đọc, không cần xem" in text(client.get(f"/phieu/{accepted[0]}"))
    flag(client, accepted[0], "Xem lại ô 3")
    assert "Thành viên Ban Kiểm phiếu đánh dấu để xem lại" in text(client.get("/"))
    assert "3 phiếu chờ xử lý" in text(client.get("/"))
    decide(client, accepted[0], ballot="genuine")
    assert decisions(conf)[-1][2] == "genuine" and "2 phiếu chờ xử lý" in text(client.get("/"))
    assert "Tất cả phiếu (7)" in text(client.get("/phieu"))


def test_pages_and_images_are_never_cached_and_scripts_are_our_own(app, conf):
    client = login(app)
    _, accepted = ballots_of(conf)
    for path in ("/", f"/phieu/{accepted[0]}", f"/anh/{accepted[0]}.jpg", "/thu-vien-o",
                 f"/o/{accepted[0]}/1/cao.png"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"].startswith("no-store")
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    image = cv2.imdecode(np.frombuffer(client.get(f"/anh/{accepted[0]}.jpg").data, np.uint8), 0)
    assert image.shape == (1485, 1050)  # the registered A4 page at 5 px/mm


def test_off_the_loopback_every_page_needs_a_member(conf):
    app = create_app(conf, host="0.0.0.0")
    app.config["CODES"] = {m.name: code for m, code in add_members(conf, MEMBERS)}
    client = app.test_client()
    client.environ_base["HTTP_HOST"] = "192.168.1.20:8080"  # any address of the machine
    assert client.get("/").headers["Location"] == "/dang-nhap?next=/"
    assert client.get("/anh/1.jpg").headers["Location"] == "/dang-nhap?next=/anh/1.jpg"
    assert client.get("/ket-qua").status_code == 302
    login(app, "Hoàng Thu Trang", client=client)
    assert "2 phiếu chờ xử lý" in text(client.get("/"))
    client.post("/dang-xuat", data={"csrf": client.csrf})
    assert client.get("/").headers["Location"] == "/dang-nhap?next=/"
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.20")


def test_the_gallery_shows_every_box_sorted_with_the_thresholds(app, conf):
    client = login(app)
    page = client.get("/thu-vien-o").get_data(as_text=True)
    crops = re.findall(r'class="crop (\w+)" title="([\d.]+) ', page)  # status, ink area
    assert len(crops) == 6 * 5 * 3  # the six ballots of ours, five persons, three boxes
    scores = [float(s) for _, s in crops]
    assert scores == sorted(scores, reverse=True)
    assert sum(status == "mark" for status, _ in crops) == 29  # 30 votes, one row left blank
    assert page.index("Ngưỡng chắc chắn") < page.index("Ngưỡng xem xét")
    urls = re.findall(r'src="(/o/[^"]+)"', page)
    darkest = cv2.imdecode(np.frombuffer(client.get(urls[0]).data, np.uint8), 0)
    lightest = cv2.imdecode(np.frombuffer(client.get(urls[-1]).data, np.uint8), 0)

    def inked(crop):  # how much darker the box's inside is than the paper of its crop (the
        return np.percentile(crop, 95) - crop[12:-12, 12:-12].mean()  # pages' tones differ)

    assert inked(darkest) > inked(lightest) + 10


def test_the_results_page_is_a_draft_until_every_flag_is_resolved(app, conf):
    client = login(app)
    assert "DỰ THẢO: 2 phiếu chưa xử lý" in text(client.get("/ket-qua"))
    assert run("tally", conf, "--present", 7, "--summoned", 8, "--counted", 7).exit_code == 0
    flagged, _ = ballots_of(conf)
    decide(client, flagged[("foreign",)], ballot="foreign")
    decide(client, flagged[("blank_row",)], ballot="genuine")
    page = text(client.get("/ket-qua"))
    assert "Kết quả chính thức" in page and "Phát ra 7 · Thu về 7 · Hợp lệ 6" in page
    assert "Từ 2/3 phiếu thấp trở lên" in page and "71,43 %" in page and "Mức" not in page
    assert "Trong hòm phiếu có 1 phiếu không do Ban Kiểm phiếu phát ra" in page


def test_the_review_command_refuses_a_folder_that_is_not_a_conference(tmp_path):
    result = run("review", tmp_path / "nowhere")
    assert result.exit_code == ExitCode.CONFERENCE and "not a conference folder" in result.output


def test_skipping_a_ballot_moves_on_to_the_next_one(app, conf):
    client = login(app)
    first = client.get("/tiep").headers["Location"]
    ballot = int(first.rsplit("/", 1)[1])
    skipped = client.get(f"/tiep?after={ballot}").headers["Location"]
    assert skipped.startswith("/phieu/") and skipped != first
    assert client.get(f"/tiep?after={int(skipped.rsplit('/', 1)[1])}").headers["Location"] == first


def test_an_internal_error_shows_a_clear_page_and_logs_no_ballot_content(app, conf, monkeypatch,
                                                                          caplog):
    import tally.review.app as review

    def broken(*args):
        raise ValueError("Trần Đức Lợi: cao")  # what a bug might carry: a vote

    monkeypatch.setattr(review, "ballot_view", broken)
    app.config["TESTING"] = False  # errors are handled as in production
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = login(app)
    _, accepted = ballots_of(conf)
    with caplog.at_level("DEBUG"):
        response = client.get(f"/phieu/{accepted[0]}")
    assert response.status_code == 500 and "Lỗi của phần mềm" in text(response)
    assert "Traceback" not in response.get_data(as_text=True)
    assert "internal error: ValueError" in caplog.text and "Trần Đức Lợi" not in caplog.text
