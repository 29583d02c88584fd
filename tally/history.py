"""Last year's results, for a rule set whose band 1 needs two years (``annual-2013``).

The committee gives them as a CSV file (``tinnhiem tally --history``); shares are kept as exact
fractions, so a band is never decided on a rounded percentage.
"""

from __future__ import annotations

import csv
import io
from fractions import Fraction
from pathlib import Path

from ballotgen.conference import Person
from ballotgen.errors import InputFileError
from ballotgen.i18n import _


def read_history(path: Path, persons: tuple[Person, ...]) -> dict[int, Fraction]:
    """Last year's low-confidence share per person (``annual-2013``), from a CSV file.

    Columns: ``STT`` and either ``Tỷ lệ tín nhiệm thấp (%)`` (e.g. ``72.5``) or the counts
    ``Tín nhiệm thấp`` and ``Phiếu thu về``. Shares are kept as exact fractions.

    Raises
    ------
    InputFileError
        The file cannot be read, a column is missing, a number is malformed, or a person is unknown.
    """
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(path, _("cannot be read as UTF-8 CSV ({problem})").format(
            problem=exc)) from exc
    rows = list(csv.DictReader(io.StringIO(text)))
    known = {p.number for p in persons}
    previous: dict[int, Fraction] = {}
    for line, row in enumerate(rows, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        try:
            number = int(row["stt"])
            if row.get("tỷ lệ tín nhiệm thấp (%)"):
                share = Fraction(row["tỷ lệ tín nhiệm thấp (%)"].replace(",", ".")) / 100
            else:
                share = Fraction(int(row["tín nhiệm thấp"]), int(row["phiếu thu về"]))
        except (KeyError, ValueError, ZeroDivisionError) as exc:
            raise InputFileError(path, _("row {line}: needs STT and either 'Tỷ lệ tín "
                                         "nhiệm thấp (%)' or 'Tín nhiệm thấp' and "
                                         "'Phiếu thu về' ({problem})").format(
                line=line, problem=exc)) from exc
        if number not in known:
            raise InputFileError(path, _("row {line}: no person number {number} in this "
                                         "conference").format(line=line, number=number))
        if not 0 <= share <= 1:
            raise InputFileError(path, _("row {line}: a share must be between 0 and 100 "
                                         "%").format(line=line))
        previous[number] = share
    return previous
