"""The error types every layer uses.

Each user-facing failure is one exception class carrying an :class:`ExitCode` and a message that
names the file (and row or page) and says what to do. Library code raises them; only the command
line (``tally.cli``) catches them, prints the message and exits with the code.

Messages and remedies are given in the user's language: the code that raises translates them
(``_("…")`` of :mod:`ballotgen.i18n`, whose language is chosen before any work starts).
"""

from __future__ import annotations

import enum
from pathlib import Path

from ballotgen.i18n import _


class ExitCode(enum.IntEnum):
    """Exit codes of the ``tinnhiem`` command. Stable: scripts may depend on them."""

    OK = 0
    USAGE = 2  # click's own code for a malformed command line
    INPUT = 3  # an input file (roster, scan) is unusable
    CONFERENCE = 4  # the conference folder is missing, exists already, or is damaged
    FONT = 5  # no usable font, or a character the font cannot draw
    OUTPUT = 6  # an output file could not be written
    ATTENTION = 7  # the work was done, but some files or pages could not be read: see the summary
    AUDIT = 8  # the audit found differences, or the store or its event log is damaged
    NO_SPACE = 9  # the disk is full: what was stored is intact; free space and run again
    READ_ONLY = 10  # the folder or medium is read-only: only status, audit and export run there
    PERMISSION = 11  # the operating system refuses us a file: its owner or permissions
    NO_QUORUM = 12  # tally: the quorum was not met; the record that the count cannot stand
    INTERNAL = 70  # a bug: please report it with the output of ``-v``


class TinnhiemError(Exception):
    """Base of every error the command line reports without a traceback.

    Parameters
    ----------
    message : str
        What is wrong, naming the file, row or page.
    remedy : str, optional
        What the user should do about it.
    """

    exit_code: ExitCode = ExitCode.INTERNAL

    def __init__(self, message: str, *, remedy: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.remedy = remedy

    def __str__(self) -> str:
        return f"{self.message}\n  → {self.remedy}" if self.remedy else self.message


class RequestError(TinnhiemError):
    """The command line is well formed but asks for something impossible (e.g. more voters than
    ballots printed)."""

    exit_code = ExitCode.USAGE


class InputFileError(TinnhiemError):
    """An input file cannot be read or is not of a kind we accept."""

    exit_code = ExitCode.INPUT

    def __init__(self, path: Path | str, problem: str, *, remedy: str = "") -> None:
        super().__init__(f"{path}: {problem}", remedy=remedy)
        self.path = Path(path)
        self.problem = problem  # the message without the file name


class RosterError(InputFileError):
    """A roster file was read but its content is refused (empty, duplicates, missing names…).

    ``row`` is the 1-based row number as the user sees it in a spreadsheet or text editor.
    """

    def __init__(
        self, path: Path | str, problem: str, *, row: int | None = None, remedy: str = ""
    ) -> None:
        where = _("row {row}: ").format(row=row) if row is not None else ""
        super().__init__(path, where + problem, remedy=remedy)
        self.row = row


class LegacyEncodingError(RosterError):
    """Text typed in a legacy Vietnamese encoding (TCVN3, VNI) or garbled by a wrong decoding."""


class ConferenceError(TinnhiemError):
    """The conference folder is missing, already exists, or its store is damaged."""

    exit_code = ExitCode.CONFERENCE


class DamagedStoreError(ConferenceError):
    """The store's file or its event log is damaged: nothing may be appended to it."""

    exit_code = ExitCode.AUDIT


class DiskFullError(TinnhiemError):
    """The disk is full. Everything already stored is intact; nothing half-written remains."""

    exit_code = ExitCode.NO_SPACE


class ReadOnlyError(TinnhiemError):
    """A command that writes was given a folder on a read-only medium, share or mount."""

    exit_code = ExitCode.READ_ONLY


class NoPermissionError(TinnhiemError):
    """The operating system refuses us a file or folder (its owner, mode or immutable flag)."""

    exit_code = ExitCode.PERMISSION


class FontError(TinnhiemError):
    """No usable font was found, or the chosen font lacks a glyph for some text."""

    exit_code = ExitCode.FONT


class OutputError(TinnhiemError):
    """An output file could not be written."""

    exit_code = ExitCode.OUTPUT
