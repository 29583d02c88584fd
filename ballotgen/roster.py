"""Read a roster (the persons on the ballot) from CSV or XLSX, as offices keep them.

Accepted: CSV in UTF-8 (with or without BOM) or UTF-16 with BOM (Excel's "Unicode text"),
delimited by comma, semicolon or tab; or an Excel workbook (.xlsx, first sheet). The header row
may be preceded by title rows; headers are matched without regard to case, accents or spacing,
in Vietnamese (``STT``, ``Họ và tên``, ``Chức vụ``) or English (``No``, ``Full name``,
``Position``), and in the longer forms offices use (``Họ và tên người được lấy phiếu``,
``Chức vụ, đơn vị``, ``Chức vụ, đơn vị công tác``, ``Chức danh``…). Without an ``STT`` column
the persons are numbered in file order.

Rows below the table that are not persons (a footer "Danh sách có 12 người", "Người lập biểu",
a date and a signature) are notes: they are kept apart (:attr:`Roster.notes`) and shown, never
read as persons. A row is a note only below the last person, and only when it cannot be one: a
single cell of text, or, in a roster numbered in an ``STT`` column, no number there and not both
a name and a position. Anything else that is wrong in the table is refused as before.

Everything else is refused with a :class:`~ballotgen.errors.RosterError` that names the file and
row. The file type is recognised by its bytes, never by its extension.
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ballotgen.conference import Person
from ballotgen.errors import InputFileError, LegacyEncodingError, RosterError
from ballotgen.i18n import N_, _
from ballotgen.vietnamese import encoding_problem, invisible_character, nfc

HEADER_SEARCH_ROWS = 10
"""How many rows from the top may hold titles before the header row."""

# Limits checked before anything is parsed, so a hostile or mistaken file is refused at once
# (a 616 kB zip bomb renamed .xlsx took 39 s and 6.8 GB before it was refused; a 50 MB CSV ran
# for minutes; 100,000 persons were accepted and could not be printed).
MAX_PERSONS = 500  # a ballot of 500 persons is already absurd (rule sets count dozens)
MAX_ROSTER_BYTES = 10_000_000  # 500 persons take some 50 kB as CSV, a little more as .xlsx
MAX_XLSX_UNPACKED_BYTES = 50_000_000  # the workbook's parts, as listed in its zip directory
MAX_ROWS = 10 * MAX_PERSONS  # rows read at most, titles and blank rows included

_HEADERS: dict[str, frozenset[str]] = {
    "number": frozenset({"stt", "tt", "sott", "sothutu", "so", "no", "number", "nr", ""}),
    "name": frozenset({"hovaten", "hoten", "hotendaydu", "ten", "fullname", "name"}),
    "position": frozenset({"chucvu", "chucdanh", "chucvuchucdanh", "position", "title",
                           "jobtitle"}),
}
_HEADER_PREFIXES: dict[str, tuple[str, ...]] = {
    # "Họ và tên người được lấy phiếu", "Chức vụ, đơn vị (công tác)", "Chức danh, đơn vị"…
    "name": ("hovaten", "hoten"),
    "position": ("chucvu", "chucdanh"),
}


@dataclass(frozen=True)
class Roster:
    """What a roster file holds: its persons, and the note rows below the table (row number and
    text), which are not persons."""

    persons: tuple[Person, ...]
    notes: tuple[tuple[int, str], ...] = ()
_LABELS = {"number": "STT", "name": "Họ và tên", "position": "Chức vụ"}

# Remedies, English ids translated where they are raised (the language is known by then).
_CONVERT_REMEDY = N_(
    "Convert the file to Unicode (for example Unikey's 'Công cụ chuyển mã', from TCVN3 or VNI "
    "to Unicode), then save it as 'CSV UTF-8' or .xlsx and try again."
)
_SAVE_AS_REMEDY = N_("Save the roster as 'CSV UTF-8' or as an Excel workbook (.xlsx) and try "
                     "again.")
_INVISIBLE_REMEDY = N_("Retype the cell (such characters come with text copied from a web page "
                       "or a PDF), save the roster and try again.")


def read_roster(path: Path | str) -> tuple[Person, ...]:
    """The persons of the roster at ``path`` (see :func:`read_roster_file`)."""
    return read_roster_file(path).persons


def read_roster_file(path: Path | str) -> Roster:
    """Read and validate the roster at ``path``, keeping the note rows below its table apart.

    Returns
    -------
    Roster
        Its persons in roster order, numbers unique, every name and position present, NFC;
        and the notes below the table.

    Raises
    ------
    InputFileError
        The file cannot be read or is not CSV/XLSX.
    RosterError, LegacyEncodingError
        The content is refused; the message names the row.
    """
    path = Path(path)
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_ROSTER_BYTES + 1)
    except OSError as exc:
        raise InputFileError(path, _("cannot be read ({problem})").format(
            problem=exc.strerror or exc)) from exc
    if len(data) > MAX_ROSTER_BYTES:
        raise InputFileError(path, _("is larger than {mb} MB: not a roster (one of {persons} "
                                     "persons takes well under 1 MB)").format(
                                         mb=MAX_ROSTER_BYTES // 1_000_000, persons=MAX_PERSONS),
                             remedy=_("Check that this is the roster file; {remedy}").format(
                                 remedy=_(_SAVE_AS_REMEDY)))
    rows = _rows_from_bytes(path, data)
    return _persons_from_rows(path, rows)


def roster_rows(path: Path | str) -> list[tuple[int, list[str]]]:
    """The rows of the roster at ``path`` as they are in the file (``(row number, cells)``),
    to show a refused roster with its faulty row marked; empty when the file is not a table
    that can be read at all. Nothing is validated."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_ROSTER_BYTES + 1)
        if len(data) > MAX_ROSTER_BYTES:
            return []
        return _rows_from_bytes(Path(path), data)
    except (OSError, InputFileError):
        return []


def _rows_from_bytes(path: Path, data: bytes) -> list[tuple[int, list[str]]]:
    """Sniff the file type from its bytes and return ``(row number, cells)`` pairs."""
    if not data.strip():
        raise RosterError(path, _("the file is empty"), remedy=_("Export the roster again."))
    if data.startswith(b"PK\x03\x04"):
        return _xlsx_rows(path, data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputFileError(path, _("is an old Excel 97-2003 workbook (.xls)"),
                             remedy=_(_SAVE_AS_REMEDY))
    for magic, kind in _OTHER_KINDS:
        if data.startswith(magic):
            raise InputFileError(path, _("is {kind}, not a roster").format(kind=_(kind)),
                                 remedy=_(_SAVE_AS_REMEDY))
    return _csv_rows(path, _decode_text(path, data))


_OTHER_KINDS = (
    (b"%PDF", N_("a PDF document")),
    (b"\x89PNG", N_("a PNG image")),
    (b"\xff\xd8\xff", N_("a JPEG image")),
    (b"II*\x00", N_("a TIFF image")),
    (b"MM\x00*", N_("a TIFF image")),
    (b"{\\rtf", N_("an RTF document")),
)


def _decode_text(path: Path, data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data:
        raise InputFileError(path, _("is a binary file, not CSV or XLSX"),
                             remedy=_(_SAVE_AS_REMEDY))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RosterError(
            path,
            _("is not UTF-8 text (probably saved in a Windows code page or a legacy Vietnamese "
              "encoding)"),
            row=line,
            remedy=_(_CONVERT_REMEDY),
        ) from exc


def _csv_rows(path: Path, text: str) -> list[tuple[int, list[str]]]:
    sample = text[:8192]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        return _at_most(path, enumerate(csv.reader(io.StringIO(text), dialect), start=1))
    except csv.Error as exc:
        raise InputFileError(path, _("is not valid CSV ({problem})").format(problem=exc),
                             remedy=_(_SAVE_AS_REMEDY)) from exc


def _at_most(path: Path, rows: Iterable[tuple[int, list[str]]]) -> list[tuple[int, list[str]]]:
    """The rows of ``rows``, refused when there are more than MAX_ROWS."""
    out: list[tuple[int, list[str]]] = []
    for row in rows:
        if len(out) == MAX_ROWS:
            raise RosterError(path, _("has more than {rows} rows: not a roster (at most "
                                      "{persons} persons)").format(rows=MAX_ROWS,
                                                                   persons=MAX_PERSONS),
                              row=row[0],
                              remedy=_("Keep only the persons on the ballot, one row each."))
        out.append(row)
    return out


def _check_unpacked_size(path: Path, archive: zipfile.ZipFile) -> None:
    """Refuse a workbook whose parts unpack to more than MAX_XLSX_UNPACKED_BYTES, from the zip
    directory alone (a zip bomb is refused before a byte of it is inflated)."""
    unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise InputFileError(path, _("unpacks to {mb} MB, more than {limit} MB: not a roster (a "
                                     "damaged or hostile workbook)").format(
                                         mb=f"{unpacked / 1e6:.0f}",
                                         limit=MAX_XLSX_UNPACKED_BYTES // 1_000_000),
                             remedy=_(_SAVE_AS_REMEDY))


def _xlsx_rows(path: Path, data: bytes) -> list[tuple[int, list[str]]]:
    import openpyxl  # imported here: only needed for workbooks, and slow to import

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "xl/workbook.xml" not in archive.namelist():
                raise InputFileError(path, _("is a ZIP archive, not an Excel workbook (.xlsx)"),
                                     remedy=_(_SAVE_AS_REMEDY))
            _check_unpacked_size(path, archive)
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except InputFileError:
        raise
    except Exception as exc:  # openpyxl raises many types for damaged workbooks
        raise InputFileError(
            path, _("cannot be opened as an Excel workbook ({problem})").format(problem=exc),
            remedy=_("Open it in Excel or LibreOffice, save it again as .xlsx.")) from exc
    try:
        sheet = workbook.worksheets[0]
        return _at_most(path, ((i, [_cell_text(value) for value in row])
                               for i, row in enumerate(sheet.iter_rows(values_only=True),
                                                       start=1)))
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _header_key(text: str) -> str:
    """``"Họ và tên"`` → ``"hovaten"``: lower case, no accents, letters and digits only."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed.lower() if ch.isascii() and ch.isalnum())


def _header_field(key: str, cell: str) -> list[str]:
    """The fields a header cell (as :func:`_header_key`) may name, best first."""
    exact = [name for name, keys in _HEADERS.items() if key in keys and (key or
                                                                         cell.strip() == "#")]
    return exact or [name for name, prefixes in _HEADER_PREFIXES.items()
                     if key.startswith(prefixes)]


def _find_header(rows: Sequence[tuple[int, list[str]]]) -> tuple[int, dict[str, int]]:
    """Return the index into ``rows`` of the header row and the column of each field."""
    for index, (__, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns: dict[str, int] = {}
        for col, cell in enumerate(cells):
            key = _header_key(cell)
            for field_name in _header_field(key, cell):
                if field_name not in columns:
                    columns[field_name] = col
                    break
        if "name" in columns and "position" in columns:
            return index, columns
    raise LookupError


def _is_note(cells: list[str], columns: dict[str, int]) -> bool:
    """Whether a row below the table cannot be a person: one cell of text alone, or, in a
    roster numbered in an STT column, no number in it and no name and position both."""
    filled = [c for c in cells if c.strip()]
    if len(filled) == 1:
        return True
    named = all(columns[f] < len(cells) and cells[columns[f]].strip()
                for f in ("name", "position"))
    if "number" in columns and not named:
        col = columns["number"]
        text = (cells[col] if col < len(cells) else "").strip().rstrip(".")
        text = text[:-2] if text.endswith(".0") else text
        return not (text.isascii() and text.isdigit())
    return False


def _table_end(rows: list[tuple[int, list[str]]], columns: dict[str, int]) -> int:
    """The index into ``rows`` where the notes below the table begin (``len(rows)``: none)."""
    end = len(rows)
    while end > 0 and (not any(c.strip() for c in rows[end - 1][1])
                       or _is_note(rows[end - 1][1], columns)):
        end -= 1
    return end


def _persons_from_rows(path: Path, rows: list[tuple[int, list[str]]]) -> Roster:
    try:
        header_index, columns = _find_header(rows)
    except LookupError:
        raise RosterError(
            path,
            _("no header row with the columns 'Họ và tên' and 'Chức vụ' in the first {rows} "
              "rows").format(rows=HEADER_SEARCH_ROWS),
            remedy=_("Add a header row: STT, Họ và tên, Chức vụ (or No, Full name, Position)."),
        ) from None

    persons: list[Person] = []
    first_row_of_number: dict[int, int] = {}
    first_row_of_person: dict[tuple[str, str], int] = {}
    table = rows[header_index + 1:]
    end = _table_end(table, columns)
    notes = tuple((row, " ".join(c.strip() for c in cells if c.strip()))
                  for row, cells in table[end:] if any(c.strip() for c in cells))
    for row_number, cells in table[:end]:
        if not any(cell.strip() for cell in cells):
            continue
        fields = {name: nfc(cells[col]) if col < len(cells) else ""
                  for name, col in columns.items()}
        number = _parse_number(path, row_number, fields.get("number"), default=len(persons) + 1)
        for field_name in ("name", "position"):
            if not fields[field_name]:
                raise RosterError(path, _("missing {column} for STT {number}").format(
                    column=_LABELS[field_name], number=number), row=row_number,
                    remedy=_("Fill in the cell or delete the row."))
            invisible = invisible_character(fields[field_name])
            if invisible:
                raise RosterError(path, _("{column} {text} contains {invisible}").format(
                    column=_LABELS[field_name], text=repr(fields[field_name]),
                    invisible=invisible), row=row_number, remedy=_(_INVISIBLE_REMEDY))
            problem = encoding_problem(fields[field_name])
            if problem:
                raise LegacyEncodingError(
                    path,
                    _("{column} {text} is not Unicode Vietnamese text: {problem}; it looks "
                      "typed with a legacy font (TCVN3/VNI) or garbled by a wrong encoding")
                    .format(column=_LABELS[field_name], text=repr(fields[field_name]),
                            problem=problem),
                    row=row_number,
                    remedy=_(_CONVERT_REMEDY),
                )
        if number in first_row_of_number:
            raise RosterError(path, _("STT {number} is used again (first at row {row})").format(
                number=number, row=first_row_of_number[number]), row=row_number,
                remedy=_("Give every person a different number."))
        identity = (fields["name"].casefold(), fields["position"].casefold())
        if identity in first_row_of_person:
            raise RosterError(path, _("{name} ({position}) is listed twice (first at row {row})")
                              .format(name=fields["name"], position=fields["position"],
                                      row=first_row_of_person[identity]), row=row_number,
                              remedy=_("Delete the duplicate row."))
        first_row_of_number[number] = row_number
        first_row_of_person[identity] = row_number
        if len(persons) == MAX_PERSONS:
            raise RosterError(path, _("lists more than {persons} persons, more than one ballot "
                                      "can sensibly hold").format(persons=MAX_PERSONS),
                              row=row_number,
                              remedy=_("Make one roster per ballot (one conference each)."))
        persons.append(Person(number=number, name=fields["name"], position=fields["position"]))

    if not persons:
        raise RosterError(path, _("the roster lists no persons"),
                          remedy=_("Add one row per person below the header row."))
    return Roster(tuple(persons), notes)


def _parse_number(path: Path, row: int, text: str | None, *, default: int) -> int:
    if text is None:  # no STT column: number in file order
        return default
    cleaned = text.strip().rstrip(".")
    if cleaned.endswith(".0"):
        cleaned = cleaned[:-2]
    if not cleaned:
        raise RosterError(path, _("missing STT (number)"), row=row,
                          remedy=_("Number every person, or remove the STT column to number "
                                   "them in order."))
    if not (cleaned.isascii() and cleaned.isdigit()) or int(cleaned) < 1:  # "²" is a digit too
        raise RosterError(path, _("STT {text} is not a positive whole number").format(
            text=repr(text)), row=row, remedy=_("Use 1, 2, 3, … in the STT column."))
    return int(cleaned)

