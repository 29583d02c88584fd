"""Every CSV the product writes keeps a formula typed into a name, a note or a file name as text.

Each file is opened the way a spreadsheet program opens a CSV: a number becomes a number, and a
cell starting with ``=``, ``+``, ``-`` or ``@`` becomes a formula. No cell may be a formula.
"""

import csv
import io
import zipfile

import cv2
import numpy as np
from openpyxl import Workbook

from tally.archive import export_audit
from tally.count import Attendance
from tally.export import readings_csv
from tally.prepare import create_conference, print_ballots
from tally.publish import CSV_FILE, publish
from tally.scan import scan_stack
from tally.store import Store
from tests.helpers import latest

NAME = '+HYPERLINK("http://evil.example","x")'  # what the roster reader accepts as a name
POSITION = "-2+3"
REVIEWER = '=HYPERLINK("http://evil.example","Lan")'
NOTE = "@SUM(1+1)"
FILE_NAME = "=1+2.png"


def formulas(text: str) -> list[str]:
    """The cells of CSV ``text`` that a spreadsheet program opens as formulas (openpyxl's
    ``data_type`` says so; a program takes a leading ``+``, ``-`` or ``@`` for ``=``)."""
    sheet = Workbook().active
    for r, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        for c, cell in enumerate(row, start=1):
            try:
                value = float(cell)
            except ValueError:
                value = "=" + cell[1:] if cell[:1] in "+-@" else cell
            sheet.cell(row=r, column=c, value=value)
    return [cell.value for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]


def test_the_model_of_a_spreadsheet_sees_the_formulas_it_must():
    raw = "name,n\n" + "\n".join(f'"{v}",1' for v in (NAME.replace('"', '""'), POSITION,
                                                         REVIEWER.replace('"', '""'), NOTE))
    assert len(formulas(raw)) == 4 and formulas("a,-3,2.5\n") == []


def test_one_writer_neutralises_formulas_and_keeps_numbers():
    from tally.export import csv_text

    text = csv_text(["a", "b", "c", "d"], [[NAME, "\tTAB", "\rCR", -3], ["-0.5", "+7", None, 2]])
    assert formulas(text) == []
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1] == ["'" + NAME, "'\tTAB", "'\rCR", "-3"] and rows[2] == ["-0.5", "+7", "", "2"]


def test_results_csv_keeps_a_roster_name_that_looks_like_a_formula_as_text(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("STT,Họ và tên,Chức vụ\n" f'1,"{NAME.replace(chr(34), 2 * chr(34))}",'
                      f"{POSITION}\n2,Nguyễn Văn An,Giám đốc\n", encoding="utf-8")
    conf = tmp_path / "conf"
    create_conference(conf, roster=roster, org="SỞ TÀI CHÍNH", title="Hội nghị thử",
                      date=__import__("datetime").date(2026, 12, 15))
    print_ballots(conf, copies=2)
    publish(conf, Attendance(), members=[])
    text = (latest(conf) / CSV_FILE).read_text(encoding="utf-8-sig")
    assert formulas(text) == []
    row = next(csv.reader(io.StringIO(text.splitlines()[1])))
    assert row[1:3] == ["'" + NAME, "'" + POSITION]


def test_readings_and_the_archives_decisions_keep_file_names_and_reviewers_as_text(tmp_path):
    from tests.helpers import new_conference

    conf = new_conference(tmp_path / "conf", copies=2)
    page = tmp_path / FILE_NAME
    cv2.imwrite(str(page), np.full((1169, 827), 255, np.uint8))  # a blank A4 page at 100 dpi
    scan_stack(conf, [page], jobs=1)
    with Store.open(conf) as store:
        (stored,) = store.pages()
        store.record_decisions(stored.id, [(None, "excluded", "machine:none")], reviewer=REVIEWER,
                               note=NOTE)
        readings = readings_csv(store)
    assert formulas(readings) == [] and ("'" + FILE_NAME) in readings
    archive = export_audit(conf, tmp_path / "audit.zip").path
    with zipfile.ZipFile(archive) as z:
        decisions = z.read("decisions.csv").decode("utf-8")
        assert formulas(z.read("readings.csv").decode("utf-8")) == []
    assert formulas(decisions) == []
    row = list(csv.reader(io.StringIO(decisions)))[1]
    assert row[5:7] == ["'" + REVIEWER, "'" + NOTE]
