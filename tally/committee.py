"""The counting committee (*Ban Kiểm phiếu*): its members and their personal codes.

Members are given to the conference once, by name and role. Each receives a personal code, shown
once, which they enter on the review page: the code, not a typed name, is what records their
decisions. The store keeps only the SHA-256 of each code (codes are random, 50 bits, so a fast
hash is enough), and an audit archive keeps not even that.
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

from ballotgen.errors import RequestError
from ballotgen.i18n import _
from tally.store import Member, Store

ROLES = ("Trưởng ban", "Thành viên")  # the chair, and the other members
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # easy to read aloud and type: no 0/O, 1/I
CODE_CHARS = 10  # 50 bits
CODE_GROUP = 5  # shown as two groups of five: "K7M2P-9QXAB"
MAX_CODE_INPUT = 40  # characters of typed input looked at, at most


def new_code() -> str:
    """A fresh personal code, as shown to its member."""
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_CHARS))
    return f"{code[:CODE_GROUP]}-{code[CODE_GROUP:]}"


def normalise_code(text: str) -> str | None:
    """The code as typed (any case, spaces and dashes ignored), or None when it cannot be one."""
    if len(text) > MAX_CODE_INPUT:
        return None
    code = "".join(text.split()).replace("-", "").upper()
    if len(code) != CODE_CHARS or any(c not in CODE_ALPHABET for c in code):
        return None
    return code


def code_sha256(code: str) -> str:
    """What the store keeps of a code (normalised first)."""
    normal = normalise_code(code)
    if normal is None:
        raise ValueError("not a member code")
    return hashlib.sha256(normal.encode("ascii")).hexdigest()


def member_for_code(store: Store, text: str) -> Member | None:
    """The member whose code ``text`` is, or None (a wrong or malformed code)."""
    code = normalise_code(text)
    return store.member_by_code(code_sha256(code)) if code else None


def add_members(folder: Path, members: list[tuple[str, str]]) -> list[tuple[Member, str]]:
    """Give the committee's members (``(name, role)``) to the conference in ``folder``; each new
    member with their code, to be shown once.

    Raises
    ------
    RequestError
        A role is not one of :data:`ROLES`, or the committee would have two chairs.
    ConferenceError
        A name is already a member's.
    """
    for name, role in members:
        if role not in ROLES:
            raise RequestError(_("{name}: the role {role!r} is not one of {roles}").format(
                                   name=name, role=role, roles=", ".join(ROLES)),
                               remedy=_("Give each member as 'NAME:Trưởng ban' or "
                                        "'NAME:Thành viên'."))
    with Store.open(folder) as store:
        chairs = [m for m in store.members() if m.role == ROLES[0]] + \
            [m for m in members if m[1] == ROLES[0]]
        if len(chairs) > 1:
            raise RequestError(_("the committee would have {n} chairs ({role})").format(
                                   n=len(chairs), role=ROLES[0]),
                               remedy=_("Give one member the role Trưởng ban, the "
                                        "others Thành viên."))
        codes = [new_code() for _ in members]
        added = store.add_members([(name, role, code_sha256(code))
                                   for (name, role), code in zip(members, codes)])
    return list(zip(added, codes))


def new_codes(folder: Path) -> list[tuple[Member, str]]:
    """A new code for every member of the committee; the old codes stop working."""
    with Store.open(folder) as store:
        members = store.members()
        codes = {m.id: new_code() for m in members}
        store.replace_member_codes({i: code_sha256(c) for i, c in codes.items()})
    return [(m, codes[m.id]) for m in members]


def members_of(folder: Path) -> list[Member]:
    with Store.open(folder, readonly=True) as store:
        return store.members()
