"""The results as tables: the terminal, ``results.csv`` and ``results.xlsx`` (Vietnamese headers).

One function, :func:`results_frame`, decides the columns; every table output is drawn from it.
"""

from __future__ import annotations

import io

import pandas as pd

from ballotgen import wording
from ballotgen.conference import Conference
from ballotgen.i18n import _
from ballotgen.vocabulary import LEVELS, Level, RowInvalidReason
from tally.count import Results, vn_decimal
from tally.export import csv_text
from tally.rules import RULE_SETS
from tally.sentences import anomaly_text, missing_text, note_text, problem_text

DRAFT = "DỰ THẢO"
VOID = "KHÔNG ĐỦ ĐIỀU KIỆN"
BAND_COLUMN = "Thuộc trường hợp"  # the band, in the rule set's own words
LEVEL_SHORT = dict(zip(LEVELS, ("Cao", "TN", "Thấp")))


def band_label(results: Results, band: int | None) -> str:
    """A band in the words of the results' rule set ("" for none)."""
    return RULE_SETS[results.rules].band_label(band)


def notes_of(results: Results) -> list[str]:
    """Every person's note, "N. text", in the words of the results' version."""
    return [f"{p.number}. {p.name}: {note_text(p.note, results.version, results.rules)}"
            for p in results.persons if p.note]


def anomaly_lines(results: Results) -> list[str]:
    return [anomaly_text(a, results.rules) for a in results.anomalies]


def problem_lines(results: Results) -> list[str]:
    rules = results.rules if results.version > 1 else None
    return [problem_text(p, rules) for p in results.problems]


def status_line(results: Results) -> str:
    """The one-line state of the count, in Vietnamese, on every output."""
    if not results.standing:
        return (f"{VOID}: hội nghị không đủ số người có mặt theo quy định; kết quả kiểm phiếu "
                "không có giá trị.")
    if results.final:
        return "Kết quả chính thức: đã xử lý hết các phiếu cần xem xét."
    parts = []
    if results.open_ballots:
        parts.append(f"{len(results.open_ballots)} phiếu chưa xử lý")
    if results.problems:
        parts.append(f"{len(results.problems)} vấn đề về số phiếu")
    if results.missing:
        parts.append(f"{len(results.missing)} thông tin chưa nhập")
    return f"{DRAFT}: " + ", ".join(parts) + "."


def quorum_line(results: Results) -> str:
    a = results.attendance
    if results.quorum_met is None:
        rules = RULE_SETS[results.rules]
        return ("Quy định này không yêu cầu tỷ lệ người có mặt." if rules.quorum is None
                else "Chưa xác định được tỷ lệ người có mặt (thiếu số liệu).")
    verdict = "đạt" if results.quorum_met else "KHÔNG ĐẠT"
    q = RULE_SETS[results.rules].quorum
    assert q is not None  # quorum_met is None without a quorum rule
    return (f"Có mặt {a.present}/{a.summoned} người được triệu tập: {verdict} tỷ lệ tối thiểu "
            f"{q.numerator}/{q.denominator}.")


def stamp_lines(results: Results) -> list[str]:
    """What the stamp check found (only when the conference requires the stamp), in
    Vietnamese: how many ballots were checked on colour scans and how many lacked the stamp,
    and how many could not be checked (scanned in grey or black and white)."""
    stamp = results.stamp
    if stamp is None:
        return []
    line = (f"Kiểm tra dấu treo trên bản quét màu: {stamp.checked} phiếu; không có dấu treo: "
            f"{stamp.missing} phiếu")
    line += f"; máy không xác định được: {stamp.unclear} phiếu." if stamp.unclear else "."
    lines = [line]
    if stamp.unchecked:
        lines.append(f"Không kiểm tra được dấu treo (quét đen trắng hoặc xám): {stamp.unchecked} "
                     "phiếu.")
    return lines


def results_frame(results: Results) -> pd.DataFrame:
    """Rule 8's line per person, with the band; percentages as text with two decimals."""
    deputies = RULE_SETS[results.rules].percent_denominator == "deputies"
    rows = []
    for p in results.persons:
        row = {"STT": p.number, "Họ và tên": p.name, "Chức vụ": p.position,
               "Số phiếu phát ra": p.issued, "Số phiếu thu về": p.received,
               "Số phiếu hợp lệ": p.valid, "Số phiếu không hợp lệ": p.invalid}
        for level in LEVELS:
            row[f"{level.label} (số phiếu)"] = p.levels[level]
            row[f"{level.label} (%)"] = p.percent(level)
        if deputies:
            row["Tổng số đại biểu"] = p.denominator
            row["Tín nhiệm thấp (% số phiếu thu về)"] = p.percent(Level.THAP, p.received)
            row[f"{BAND_COLUMN} (theo số phiếu thu về)"] = band_label(results,
                                                                      p.band_over_received)
        if p.previous_low is not None or RULE_SETS[results.rules].band1_years > 1:
            row["Tín nhiệm thấp năm trước (%)"] = p.previous_low or ""
        row[BAND_COLUMN] = band_label(results, p.band)
        row["Ghi chú"] = note_text(p.note, results.version, results.rules)
        rows.append(row)
    return pd.DataFrame(rows)


def invalid_frame(results: Results) -> pd.DataFrame:
    """The invalid-ballot breakdown: whole ballots by reason, then invalid rows per person."""
    rows = [{"Loại": "Cả phiếu", "STT": "", "Họ và tên": "", "Lý do": key.label,
             "Số phiếu": n} for key, n in sorted(results.void.items())]
    if results.excluded:
        rows.append({"Loại": "Không tính", "STT": "", "Họ và tên": "",
                     "Lý do": "Bản quét trùng hoặc không phải phiếu (Ban Kiểm phiếu loại)",
                     "Số phiếu": results.excluded})
    for p in results.persons:
        for key, n in sorted(p.invalid_reasons.items()):
            if key != RowInvalidReason.VOID:
                rows.append({"Loại": "Từng người", "STT": p.number, "Họ và tên": p.name,
                             "Lý do": key.label, "Số phiếu": n})
    return pd.DataFrame(rows, columns=["Loại", "STT", "Họ và tên", "Lý do", "Số phiếu"])


def results_csv(results: Results) -> bytes:
    """``results.csv``: UTF-8 with a byte-order mark, so spreadsheet programs read the accents."""
    frame = results_frame(results)
    cells = frame.astype(object).where(frame.notna(), None)  # a column only some persons have
    return csv_text(frame.columns, cells.itertuples(index=False)).encode("utf-8-sig")


def results_xlsx(conference: Conference, results: Results, fingerprint: str) -> bytes:
    """``results.xlsx``: a results sheet and an invalid-ballot sheet, headed and formatted."""
    from openpyxl.styles import Alignment, Font, PatternFill

    heading = [conference.title, f"{wording.short_date_line(conference.date, conference.place)}"
               f" — {RULE_SETS[results.rules].title}",
               status_line(results), quorum_line(results), f"Mã kiểm tra: {fingerprint}"]
    top = len(heading) + 1
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in (("Kết quả", results_frame(results)),
                            ("Phiếu không hợp lệ", invalid_frame(results))):
            frame.to_excel(writer, sheet_name=name, index=False, startrow=top)
            sheet = writer.sheets[name]
            for i, text in enumerate(heading, start=1):
                sheet.cell(row=i, column=1, value=text).font = Font(
                    bold=i in (1, 3), color="C00000" if i == 3 and not results.final else None)
            for cell in sheet[top + 1]:
                cell.font = Font(bold=True)
                cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
                cell.fill = PatternFill("solid", fgColor="DDEBF7")
            for column in sheet.iter_cols(min_row=top + 1):
                header = str(column[0].value or "")
                if "%" in header:  # shown with two decimals; the exact counts are beside them
                    for cell in column[1:]:
                        if isinstance(cell.value, str) and cell.value not in ("-", ""):
                            cell.value, cell.number_format = float(cell.value), "0.00"
                width = max([len(header) // 2 + 2] +
                            [len(str(c.value or "")) + 2 for c in column[1:]])
                sheet.column_dimensions[column[0].column_letter].width = min(max(width, 8), 40)
            sheet.freeze_panes = sheet.cell(row=top + 2, column=4 if name == "Kết quả" else 1)
    return buffer.getvalue()


OPEN_SHOWN = 20  # ballots not resolved listed by the summary


def terminal_table(results: Results) -> str:
    """A plain-text table of the results for the terminal, in the user's language (the levels and
    the bands in the rule set's own words, as in the minutes)."""
    header = [_("No."), _("Full name"), _("Valid"), _("Inv.")] + \
             [f"{LEVEL_SHORT[level]}" for level in LEVELS] + [BAND_COLUMN]
    lines = [header]
    for p in results.persons:
        lines.append([str(p.number), p.name[:28], str(p.valid), str(p.invalid)] +
                     [f"{p.levels[level]} ({vn_decimal(p.percent(level))} %)"
                      for level in LEVELS] +
                     [band_label(results, p.band) + (" *" if p.note else "")])
    widths = [max(len(row[i]) for row in lines) for i in range(len(header))]
    out = ["  ".join(cell.ljust(w) if i == 1 else cell.rjust(w)
                     for i, (cell, w) in enumerate(zip(row, widths))) for row in lines]
    out.insert(1, "-" * len(out[0]))
    notes = [f"  * {line}" for line in notes_of(results)]
    return "\n".join(out + notes)


def summary_lines(results: Results) -> list[str]:
    """The ballot totals, quorum, problems and open items for the terminal. Its own words are in
    the user's language; the sentences it shares with the minutes are the minutes' (Vietnamese)."""
    void = sum(results.void.values())
    issued = results.issued if results.issued is not None else "?"
    ballots = (_("Printed {printed}, issued {issued} (the number present), received {received}")
               if results.issued_derived else
               _("Printed {printed}, issued {issued}, received {received}")).format(
        printed=results.printed, issued=issued, received=results.received)
    if not results.standing:  # no count: nothing but the sheets
        return [status_line(results), ballots + ".", quorum_line(results)]
    counted = _(", valid {valid}, invalid {invalid}").format(valid=results.counted, invalid=void)
    excluded = _(", not counted {n}").format(n=results.excluded) if results.excluded else ""
    lines = [status_line(results), ballots + counted + excluded + ".", quorum_line(results)]
    lines += [f"  {k.label}: {n}" for k, n in sorted(results.void.items())]
    lines += stamp_lines(results)
    lines += [_("Anomaly: {text}").format(text=text) for text in anomaly_lines(results)]
    lines += [_("Problem: {text}").format(text=text) for text in problem_lines(results)]
    lines += [_("Missing: {text}").format(text=missing_text(m)) for m in results.missing]
    for b in results.open_ballots[:OPEN_SHOWN]:
        lines.append(_("Not resolved: ballot {number} ({file}, page {page}): {reasons}").format(
            number=b.number, file=b.file, page=b.page,
            reasons="; ".join(r.label for r in b.reasons)))
    if len(results.open_ballots) > OPEN_SHOWN:
        lines.append(_("… and {n} more ballots not resolved.").format(
            n=len(results.open_ballots) - OPEN_SHOWN))
    return lines

