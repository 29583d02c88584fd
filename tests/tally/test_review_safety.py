"""What an attacker on the same machine or network tried against the review server (issue 15),
one test per attack, in process: each was shown to work before, and must not now."""

import http.client
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
from waitress import create_server

from tally.committee import add_members
from tally.review import sessions as throttling
from tally.review.app import create_app
from tally.review.guard import MAX_ID, host_allowed
from tally.store import Store
from tests.helpers import MEMBERS, ballots_of, csrf_of, decisions, flag, login, nonces, text


def events(conf):
    with Store.open(conf) as store:
        return len(store.events())


# ---------------------------------------------------------------- 1. DNS rebinding, Origin

@pytest.mark.parametrize("path", ["/", "/phieu/1", "/anh/1.jpg", "/tiep", "/ket-qua",
                                  "/static/review.js", "/dang-nhap"])
def test_a_page_of_another_site_rebound_to_the_loopback_gets_nothing(app, path):
    client = login(app)
    for host in ("evil.example", "evil.example:8080", "127.0.0.1.evil.example", "localhost.",
                 "[::1]@evil.example"):
        response = client.get(path, headers={"Host": host})
        assert response.status_code == 400, (host, response.status_code)
        assert "chỉ mở bằng địa chỉ được in ra" in text(response)
    for host in ("127.0.0.1:8080", "localhost:8080", "LOCALHOST", "[::1]:8080"):
        assert client.get(path, headers={"Host": host}).status_code in (200, 302), host


def test_a_rebound_page_can_neither_log_in_nor_record(app, conf):
    flagged, _ = ballots_of(conf)
    ballot = flagged[("blank_row",)]
    client = login(app)
    nonce = nonces(client, ballot)[0]
    before = events(conf)
    evil = {"Host": "evil.example:8080"}
    client.post(f"/phieu/{ballot}", headers=evil,
                data={"csrf": client.csrf, "nonce": nonce, "ballot": "invalid"})
    client.post("/dang-nhap", headers=evil,
                data={"csrf": client.csrf, "code": app.config["CODES"]["Đỗ Văn Minh"]})
    assert decisions(conf) == [] and events(conf) == before


def test_hosts_allowed_are_the_loopback_names_and_the_address_listened_on():
    assert host_allowed("192.168.1.20:8080", "192.168.1.20")
    assert host_allowed("localhost:8080", "192.168.1.20")
    assert not host_allowed("192.168.1.21:8080", "192.168.1.20")
    assert not host_allowed("tally.evil.example:8080", "192.168.1.20")
    # On every address of the machine, any IP address (it cannot be rebound) but no other name.
    assert host_allowed("10.0.0.7:8080", "0.0.0.0") and host_allowed("[fe80::1]:8080", "::")
    assert not host_allowed("evil.example:8080", "0.0.0.0")
    assert host_allowed("kiem-phieu.local:8080", "kiem-phieu.local")
    for bad in ("", "a b", "x:99999", "x:port", "[::1"):
        assert not host_allowed(bad, "127.0.0.1"), bad


def test_a_post_from_another_site_is_refused(app, conf):
    flagged, _ = ballots_of(conf)
    ballot = flagged[("blank_row",)]
    client = login(app)
    for origin in ("http://evil.example", "http://127.0.0.1:9999", "null"):
        response = client.post(f"/phieu/{ballot}", headers={"Origin": origin},
                               data={"csrf": client.csrf, "nonce": nonces(client, ballot)[0],
                                     "ballot": "invalid"})
        assert response.status_code == 403, origin
    assert decisions(conf) == []
    response = client.post(f"/phieu/{ballot}", headers={"Origin": "http://localhost"},
                           data={"csrf": client.csrf, "nonce": nonces(client, ballot)[0],
                                 "ballot": "invalid"})
    assert response.status_code == 302 and decisions(conf)[0][2] == "invalid"


# ---------------------------------------------------------------- 3. a form sent twice

def test_fifty_parallel_copies_of_one_decision_record_it_once(app, conf):
    flagged, _ = ballots_of(conf)
    ballot = flagged[("foreign",)]
    client = login(app)
    form = {"csrf": client.csrf, "nonce": nonces(client, ballot)[0], "ballot": "invalid"}
    cookie = client.get_cookie("session").value
    start = threading.Barrier(50)

    def send(_):
        copy = app.test_client()
        copy.set_cookie("session", cookie)
        start.wait()
        return copy.post(f"/phieu/{ballot}", data=form).status_code

    with ThreadPoolExecutor(50) as pool:
        codes = list(pool.map(send, range(50)))
    assert sorted(set(codes)) == [302, 303] and codes.count(302) == 1
    assert decisions(conf) == [(ballot, None, "invalid", "machine:foreign", "Nguyễn Thị Lan")]
    with Store.open(conf) as store:
        assert sum(e.kind == "decision" for e in store.events()) == 1


def test_a_flag_sent_twice_is_recorded_once(app, conf):
    _, accepted = ballots_of(conf)
    client = login(app)
    nonce = nonces(client, accepted[0])[1]
    for _ in range(2):
        response = client.post(f"/phieu/{accepted[0]}/danh-dau",
                               data={"csrf": client.csrf, "nonce": nonce, "note": "xem lại"})
    assert response.status_code == 303 and "chỉ được ghi một lần" in \
        text(client.get(response.headers["Location"]))
    assert [d[2] for d in decisions(conf)] == ["flagged"]


# ---------------------------------------------------------------- 4. guessing codes

def wrong(client, code="ABCDE-FGHJK", **kwargs):
    return client.post("/dang-nhap", data={"csrf": csrf_of(client), "code": code}, **kwargs)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clocked(conf):
    clock = Clock()
    app = create_app(conf, clock=clock)
    app.config["CODES"] = {m.name: code for m, code in add_members(conf, MEMBERS)}
    return app, clock


def test_wrong_codes_are_answered_at_once_then_the_client_waits_then_is_locked_out(clocked,
                                                                                  caplog):
    app, clock = clocked
    client = app.test_client()
    client.get("/dang-nhap")
    started = time.monotonic()
    for _ in range(throttling.FREE_TRIES):
        assert wrong(client).status_code == 403
    assert time.monotonic() - started < 0.5  # no sleep in a server thread
    # Now even the right code must wait, and is refused at once with the wait.
    response = wrong(client, app.config["CODES"]["Nguyễn Thị Lan"])
    assert response.status_code == 429 and response.headers["Retry-After"] == \
        str(int(throttling.FIRST_WAIT_SECONDS))
    assert "Hãy thử lại sau 2 giây" in text(response)
    with caplog.at_level("WARNING", logger="tinnhiem.review"):
        for _ in range(throttling.LOCKOUT_FAILURES - throttling.FREE_TRIES):
            clock.now += throttling.MAX_WAIT_SECONDS
            assert wrong(client).status_code == 403
    assert "locked out" in caplog.text and app.config["CODES"]["Nguyễn Thị Lan"] not in \
        caplog.text
    clock.now += throttling.MAX_WAIT_SECONDS
    assert wrong(client, app.config["CODES"]["Nguyễn Thị Lan"]).status_code == 429
    # Another machine is not locked out by this one; after the lockout, the code works again.
    other = {"environ_base": {"REMOTE_ADDR": "192.0.2.7"}}
    assert wrong(client, app.config["CODES"]["Đỗ Văn Minh"], **other).status_code == 302
    clock.now += throttling.LOCKOUT_SECONDS
    assert wrong(client, app.config["CODES"]["Nguyễn Thị Lan"]).status_code == 302


def test_many_clients_guessing_together_make_every_login_wait(clocked, caplog):
    app, clock = clocked
    client = app.test_client()
    client.get("/dang-nhap")
    with caplog.at_level("WARNING", logger="tinnhiem.review"):
        for i in range(throttling.GLOBAL_FAILURES + 1):
            wrong(client, environ_base={"REMOTE_ADDR": f"10.0.{i // 250}.{i % 250}"})
    assert "from all clients" in caplog.text
    response = wrong(client, app.config["CODES"]["Đỗ Văn Minh"],
                     environ_base={"REMOTE_ADDR": "192.0.2.99"})
    assert response.status_code == 429
    clock.now += throttling.GLOBAL_PAUSE_SECONDS
    assert wrong(client, app.config["CODES"]["Đỗ Văn Minh"],
                 environ_base={"REMOTE_ADDR": "192.0.2.99"}).status_code == 302


def test_sixty_four_guessers_do_not_slow_a_member_down(conf):
    add_members(conf, MEMBERS)
    server = create_server(create_app(conf), host="127.0.0.1", port=0, threads=8)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()

    def request(method, path, body="", cookie=""):
        connection = http.client.HTTPConnection("127.0.0.1", server.effective_port, timeout=30)
        connection.request(method, path, body, {
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
        response = connection.getresponse()
        page = response.read().decode()
        connection.close()
        return response, page

    try:
        # The guessers' session, with its form token, as a browser holds them.
        response, page = request("GET", "/dang-nhap")
        cookie = response.getheader("Set-Cookie").split(";")[0]
        token = re.search(r'name="csrf" value="([^"]+)"', page)[1]
        guess = urlencode({"code": "ABCDE-FGHJK", "csrf": token})
        with ThreadPoolExecutor(64) as pool:
            futures = [pool.submit(request, "POST", "/dang-nhap", guess, cookie)
                       for _ in range(64)]
            time.sleep(0.1)
            started = time.monotonic()
            assert request("GET", "/")[0].status == 200  # a member's normal request
            elapsed = time.monotonic() - started
            statuses = [f.result()[0].status for f in futures]
        assert elapsed < 1.5, elapsed  # behind 64 sleeping guesses it took seconds
        assert statuses.count(403) == throttling.FREE_TRIES and statuses.count(429) == 61
    finally:
        server.close()
        thread.join(timeout=5)


# ---------------------------------------------------------------- 6. open redirect

@pytest.mark.parametrize("target", ["/%09/evil.example", "//evil.example", "/\\evil.example",
                                    "https://evil.example/", "/\t/evil.example", "/khong-co",
                                    "/%0d%0a/evil.example", "javascript:alert(1)"])
def test_after_logging_in_no_address_leads_elsewhere(app, target):
    client = app.test_client()
    client.get("/dang-nhap")
    response = client.post(f"/dang-nhap?next={target}", data={
        "csrf": csrf_of(client), "code": app.config["CODES"]["Nguyễn Thị Lan"]})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_after_logging_in_a_page_of_ours_is_followed(app):
    client = app.test_client()
    client.get("/dang-nhap")
    response = client.post("/dang-nhap?next=/phieu/3", data={
        "csrf": csrf_of(client), "code": app.config["CODES"]["Nguyễn Thị Lan"]})
    assert response.headers["Location"] == "/phieu/3"


# ---------------------------------------------------------------- 7. ids, tokens and codes

@pytest.fixture
def production(app):
    app.config["TESTING"] = False  # errors are handled as in production
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


@pytest.mark.parametrize("path", [f"/anh/{2**63}.jpg", f"/o/{2**63}/1/cao.png",
                                  f"/o/1/{2**64}/cao.png", f"/phieu/{2**63}", f"/anh/{MAX_ID}.jpg",
                                  "/anh/0.jpg"])
def test_an_id_beyond_the_store_is_not_found(production, path):
    response = login(production).get(path)
    assert response.status_code == 404 and "Về hàng chờ" in text(response)


def test_a_token_or_code_that_is_not_ascii_is_a_bad_request(production, conf):
    flagged, _ = ballots_of(conf)
    client = login(production)
    response = client.post(f"/phieu/{flagged[('blank_row',)]}", data={"csrf": "tôken",
                                                                      "ballot": "genuine"})
    assert response.status_code == 400 and "hết hạn" in text(response)
    other = production.test_client()
    other.get("/dang-nhap")
    for code in ("Mã-sai-ở-đây", "ÄBCDE-FGHJK", "x" * 10_000):
        response = wrong(other, code)
        assert response.status_code == 400 and "Mã thành viên không đúng" in text(response)
    response = other.post("/dang-nhap", data={"csrf": "ấ", "code": "ABCDE-FGHJK"})
    assert response.status_code == 400
    assert decisions(conf) == []


# ---------------------------------------------------------------- 8. members, not names

def test_nobody_records_under_a_name_they_type(app, conf):
    flagged, _ = ballots_of(conf)
    client = app.test_client()
    client.get("/")
    assert client.post("/ten", data={"csrf": csrf_of(client), "name": "Nguyễn Thị Lan"}) \
        .status_code in (404, 405)
    response = client.post(f"/phieu/{flagged[('foreign',)]}",
                           data={"csrf": csrf_of(client), "ballot": "foreign",
                                 "reviewer": "Nguyễn Thị Lan"})
    assert response.status_code == 403
    response = client.post(f"/phieu/{flagged[('foreign',)]}/danh-dau",
                           data={"csrf": csrf_of(client), "note": "x"})
    assert response.status_code == 403 and decisions(conf) == []


def test_flagging_respects_another_members_lock(app, conf):
    _, accepted = ballots_of(conf)
    lan, minh = login(app, "Nguyễn Thị Lan"), login(app, "Đỗ Văn Minh")
    assert "đang xử lý" not in text(lan.get(f"/phieu/{accepted[0]}"))  # Lan holds it now
    response = minh.post(f"/phieu/{accepted[0]}/danh-dau", data={"csrf": minh.csrf, "note": "x"})
    assert response.status_code == 409 and "Nguyễn Thị Lan đang xử lý" in text(response)
    assert decisions(conf) == []
    flag(lan, accepted[0], "xem lại")
    assert decisions(conf)[0][2:] == ("flagged", "machine:genuine", "Nguyễn Thị Lan")


def test_throwaway_cookies_lock_no_ballot_and_a_member_holds_one(app, conf):
    flagged, _ = ballots_of(conf)
    for _ in range(10):
        client = app.test_client()
        client.get("/tiep")
        for ballot in flagged.values():
            client.get(f"/phieu/{ballot}")
    with Store.open(conf) as store:
        assert all(store.lock_holder(b, now=time.time()) is None for b in flagged.values())
    lan = login(app)
    other = login(app)  # the same member in a second browser
    for ballot in flagged.values():
        lan.get(f"/phieu/{ballot}")
    other.get("/tiep")
    with Store.open(conf) as store:
        held = [store.lock_holder(b, now=time.time()) for b in flagged.values()]
    assert [h for h in held if h] == [("member:1", "Nguyễn Thị Lan")]
