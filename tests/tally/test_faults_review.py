"""The review server killed during decisions (issue 16, row 5): a lock cannot outlive its
holder, and a member is never told that she herself holds a ballot. Locks belong to the
committee's members (issue 15), whichever browser window they use."""

import time

from tally.committee import add_members
from tally.review.app import create_app, lock_owner
from tally.store import Store
from tests.helpers import MEMBERS, ballots_of, login, text

LAN = "Nguyễn Thị Lan"


def started(conf, codes):
    """The review server started on ``conf``; its members log in with ``codes``."""
    app = create_app(conf)
    app.config["TESTING"] = True
    app.config["CODES"] = codes
    return app


def test_locks_of_a_killed_server_are_released_when_it_starts(conf):
    """Before, a ballot opened when the server was killed stayed locked for 15 minutes, and its
    reviewer, in her new session, read "Nguyễn Thị Lan đang xử lý phiếu này"."""
    flagged, _ = ballots_of(conf)
    ballot = flagged[("blank_row",)]
    added = add_members(conf, MEMBERS)
    codes = {m.name: code for m, code in added}
    lan = next(m for m, _ in added if m.name == LAN)
    with Store.open(conf) as store:  # what the killed server left: Lan held it
        assert store.claim([ballot], session=lock_owner(lan), reviewer=LAN,
                           now=time.time()) == ballot
    app = started(conf, codes)  # the server starts again
    minh = login(app, "Đỗ Văn Minh")
    assert "đang xử lý phiếu này" not in text(minh.get(f"/phieu/{ballot}"))  # free again
    page = text(login(app, LAN).get(f"/phieu/{ballot}"))
    assert "Đỗ Văn Minh đang xử lý phiếu này" in page  # the right holder, not herself


def test_a_member_takes_back_her_own_lock_from_another_window(conf):
    flagged, _ = ballots_of(conf)
    ballot = flagged[("blank_row",)]
    app = started(conf, {m.name: code for m, code in add_members(conf, MEMBERS)})
    first, second = login(app, LAN), login(app, LAN)  # two windows, two sessions
    assert "đang xử lý phiếu này" not in text(first.get(f"/phieu/{ballot}"))
    assert f"{LAN} đang xử lý phiếu này" not in text(second.get(f"/phieu/{ballot}"))
    other = login(app, "Đỗ Văn Minh")
    assert f"{LAN} đang xử lý phiếu này" in text(other.get(f"/phieu/{ballot}"))  # still hers
