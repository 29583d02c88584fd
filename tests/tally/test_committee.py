"""The counting committee: members given once by name and role, each with a personal code shown
once; new codes end the old ones; an audit archive keeps no member's code."""

import sqlite3
import zipfile

from ballotgen.errors import ExitCode
from tally.committee import CODE_CHARS, member_for_code, new_codes, normalise_code
from tally.store import STORE_FILE, Store
from tests.helpers import latest, new_conference, run


def test_members_are_given_once_each_with_a_code_shown_once(tmp_path):
    conf = new_conference(tmp_path / "conf", copies=1)
    result = run("committee", conf, "--member", "Nguyễn Thị Lan:Trưởng ban",
                 "--member", "Đỗ Văn Minh:Thành viên")
    assert result.exit_code == 0, result.output
    codes = dict(line.strip().split(": ") for line in result.output.splitlines()
                 if line.startswith("  "))
    assert set(codes) == {"Nguyễn Thị Lan (Trưởng ban)", "Đỗ Văn Minh (Thành viên)"}
    lan = codes["Nguyễn Thị Lan (Trưởng ban)"]
    assert normalise_code(lan) and len(normalise_code(lan)) == CODE_CHARS
    listed = run("committee", conf)
    assert "Member: Đỗ Văn Minh (Thành viên)" in listed.output and lan not in listed.output
    with Store.open(conf) as store:
        assert member_for_code(store, lan).name == "Nguyễn Thị Lan"
        assert lan.encode() not in (conf / STORE_FILE).read_bytes()  # only its hash is kept
        assert [e.kind for e in store.events()][-2:] == ["member_added"] * 2
    # A name given again, a second chair, or a role that is neither is refused; nothing changes.
    again = run("committee", conf, "--member", "Nguyễn Thị Lan:Thành viên")
    assert again.exit_code == ExitCode.USAGE and "already a member" in again.output
    chair = run("committee", conf, "--member", "Hoàng Thu Trang:Trưởng ban")
    assert chair.exit_code == ExitCode.USAGE and "2 chairs" in chair.output
    role = run("committee", conf, "--member", "Hoàng Thu Trang:Thư ký")
    assert role.exit_code == ExitCode.USAGE and "is not one of" in role.output
    with Store.open(conf) as store:
        assert len(store.members()) == 2


def test_new_codes_end_the_old_ones_and_the_minutes_name_the_committee(tmp_path):
    conf = new_conference(tmp_path / "conf", copies=1)
    first = run("committee", conf, "--member", "Nguyễn Thị Lan:Trưởng ban").output
    old = first.split(": ")[-1].strip()
    ((member, new),) = new_codes(conf)
    with Store.open(conf) as store:
        assert member_for_code(store, old) is None and member_for_code(store, new) == member
    result = run("tally", conf)
    assert result.exit_code == 0, result.output
    from tests.helpers import pdf_text

    assert "Nguyễn Thị Lan — Trưởng ban" in pdf_text(latest(conf) / "bien-ban-kiem-phieu.pdf")


def test_the_audit_archive_keeps_no_members_code(tmp_path):
    conf = new_conference(tmp_path / "conf", copies=1)
    run("committee", conf, "--member", "Nguyễn Thị Lan:Trưởng ban")
    archive = tmp_path / "a.zip"
    assert run("export", conf, "--audit", "-o", archive).exit_code == 0
    with zipfile.ZipFile(archive) as z:
        z.extract(STORE_FILE, tmp_path / "x")
    db = sqlite3.connect(tmp_path / "x" / STORE_FILE)
    assert db.execute("SELECT name, code_sha256 FROM members").fetchall() == \
        [("Nguyễn Thị Lan", None)]
    db.close()
    db = sqlite3.connect(conf / STORE_FILE)  # the folder's own store keeps the code's digest
    ((digest,),) = db.execute("SELECT code_sha256 FROM members").fetchall()
    db.close()
    assert digest.encode() not in (tmp_path / "x" / STORE_FILE).read_bytes()
    result = run("audit", archive, "--jobs", 1)
    assert result.exit_code == 0 and "VERIFIED" in result.output, result.output
