"""A workspace: a folder whose sub-folders are conferences (each made as ``tinnhiem init``
makes one), and the rosters uploaded to the console while a conference is being created.

Only folders listed here are conferences the console shows or opens: a name from an address
is looked up among them, never joined to the workspace's path as it comes.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ballotgen.errors import TinnhiemError
from ballotgen.i18n import _
from tally.facts import FactError
from tally.files import os_failure, write_private
from tally.status import Status, conference_status
from tally.store import STORE_FILE

UPLOADS = ".tinnhiem-tai-len"  # rosters uploaded and not yet made into a conference
TOKEN = re.compile(r"[0-9a-f]{32}")
NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,59}")  # the folders the console makes
MAX_NAME_WORDS = 6  # of the title, in a suggested folder name


@dataclass(frozen=True)
class Entry:
    """A conference of the workspace: its folder's name, and its state, or why it cannot be
    read (a damaged store: ``problem``)."""

    name: str
    folder: Path
    status: Status | None
    problem: str | None = None


def conference_names(workspace: Path) -> list[str]:
    """The names of the workspace's conference folders (those holding a store; hidden folders,
    a killed ``init``'s staging among them, left out), sorted."""
    try:
        entries = list(Path(workspace).iterdir())
    except OSError as exc:
        raise os_failure(workspace, exc) from exc
    return sorted(e.name for e in entries if not e.name.startswith(".") and e.is_dir()
                  and (e / STORE_FILE).is_file())


def conference_folder(workspace: Path, name: str) -> Path | None:
    """The folder of the conference ``name`` (as in an address), or None if it is not one."""
    return Path(workspace) / name if name in conference_names(workspace) else None


def conferences(workspace: Path) -> list[Entry]:
    """Every conference of the workspace with its state, the latest date first."""
    found = []
    for name in conference_names(workspace):
        folder = Path(workspace) / name
        try:
            found.append(Entry(name, folder, conference_status(folder)))
        except TinnhiemError as exc:
            found.append(Entry(name, folder, None, str(exc)))
    return sorted(found, key=lambda e: (e.status.conference.date if e.status else dt.date.min,
                                        e.name), reverse=True)


def suggest_name(workspace: Path, title: str, date: dt.date) -> str:
    """A new folder name for a conference: its date and the first words of its title without
    accents ("2026-12-15-hoi-nghi-lay-phieu-tin-nhiem"), numbered if it is taken."""
    words = re.findall(r"[a-z0-9]+", _ascii(title).lower())[:MAX_NAME_WORDS]
    base = "-".join([date.isoformat(), *words])[:50].rstrip("-")
    name, n = base, 1
    while (Path(workspace) / name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def check_name(workspace: Path, name: str) -> str:
    """``name`` if it can be a new conference folder of the workspace, else FactError."""
    if not NAME.fullmatch(name):
        raise FactError(_("{name} is not a folder name the console makes: use lower-case "
                          "letters without accents, digits and '-' (at most 60).").format(
                              name=repr(name)))
    if (Path(workspace) / name).exists():
        raise FactError(_("the folder {name} exists already in the workspace; choose another "
                          "name.").format(name=name))
    return name


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if c.isascii())


# ---------------------------------------------------------------------- rosters uploaded

def safe_file_name(name: str) -> str:
    """The last part of an uploaded file's name, kept to letters, digits and ``.-_`` (the
    name the roster's messages show)."""
    name = re.split(r"[\\/]", name)[-1].strip()
    kept = "".join(c if c.isalnum() or c in ".-_ " else "_" for c in name).strip(" .")
    return kept[:80] or "danh-sach"


def save_upload(workspace: Path, file_name: str, data: bytes) -> str:
    """Keep an uploaded roster (readable by its owner only) until the conference is made or the
    upload is discarded; returns its token."""
    token = secrets.token_hex(16)
    folder = Path(workspace) / UPLOADS / token
    try:
        folder.mkdir(mode=0o700, parents=True)
        (Path(workspace) / UPLOADS).chmod(0o700)
    except OSError as exc:
        raise os_failure(folder, exc) from exc
    write_private(folder / safe_file_name(file_name), data)
    return token


def upload(workspace: Path, token: str) -> Path | None:
    """The roster uploaded as ``token``, or None (no such upload, or not a token)."""
    if not TOKEN.fullmatch(token):
        return None
    folder = Path(workspace) / UPLOADS / token
    files = sorted(p for p in folder.iterdir() if not p.name.startswith(".")) \
        if folder.is_dir() else []  # a partial a killed upload left is hidden
    return files[0] if len(files) == 1 and files[0].is_file() else None


def discard_upload(workspace: Path, token: str) -> None:
    if TOKEN.fullmatch(token):
        shutil.rmtree(Path(workspace) / UPLOADS / token, ignore_errors=True)
