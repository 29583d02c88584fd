"""The minutes of the count (*Biên bản kiểm phiếu*) as a PDF, and the chart per person.

Same face and official look as the ballots: *MẬT*, the organisation top-left, the national motto
top-right, then the facts the committee signs. A count that is not complete (open ballots,
problems, facts not entered) is printed as *DỰ THẢO* on every page, with what is still open.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from ballotgen import wording
from ballotgen.conference import Conference
from ballotgen.fonts import ballot_family
from ballotgen.vocabulary import LEVELS, Flag, Level
from tally.count import Results
from tally.report import BAND_LABELS, DRAFT, quorum_line, stamp_lines, status_line
from tally.rules import RULE_SETS
from tally.sentences import missing_text, note_text, problem_text

CHART_PERSONS = 20  # persons per chart: a chart stays readable on a page
COPIES_TEXT = "Biên bản được lập thành 03 bản có giá trị như nhau."
LEVEL_COLOURS = {Level.THAP: "#b2182b", Level.TIN_NHIEM: "#92c5de", Level.CAO: "#2166ac"}
INVALID_COLOUR = "#d9d9d9"


@dataclass(frozen=True)
class Member:
    """A member of the counting committee, as signed on the minutes."""

    name: str
    role: str  # "Trưởng ban", "Thành viên"…


def _styles() -> dict[str, ParagraphStyle]:
    family = ballot_family()
    regular, bold, italic = (family.font_name(f) for f in ("regular", "bold", "italic"))
    base = ParagraphStyle("body", fontName=regular, fontSize=12, leading=15.5, alignment=TA_JUSTIFY,
                          spaceAfter=3)
    return {
        "body": base,
        "centre": ParagraphStyle("centre", base, alignment=TA_CENTER, spaceAfter=0),
        "bold_centre": ParagraphStyle("bold_centre", base, fontName=bold, alignment=TA_CENTER,
                                      spaceAfter=0),
        "italic_centre": ParagraphStyle("italic_centre", base, fontName=italic,
                                        alignment=TA_CENTER),
        "title": ParagraphStyle("title", base, fontName=bold, fontSize=15, leading=19,
                                alignment=TA_CENTER, spaceBefore=8),
        "heading": ParagraphStyle("heading", base, fontName=bold, spaceBefore=8),
        "cell": ParagraphStyle("cell", base, fontSize=9, leading=11, alignment=0, spaceAfter=0),
        "cell_centre": ParagraphStyle("cell_centre", base, fontSize=9, leading=11,
                                      alignment=TA_CENTER, spaceAfter=0),
        "head": ParagraphStyle("head", base, fontSize=8, leading=9.5, alignment=TA_CENTER,
                               spaceAfter=0),
        "position": ParagraphStyle("position", base, fontSize=8, leading=9.5, alignment=0,
                                   spaceAfter=0),
        "alert": ParagraphStyle("alert", base, fontName=bold, textColor=colors.HexColor("#c00000")),
        "small": ParagraphStyle("small", base, fontSize=10, leading=12.5),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def chart_png(results: Results, first: int = 0, count: int = CHART_PERSONS) -> bytes:
    """A stacked bar per person: low confidence from the left, then confidence, high, and invalid,
    as shares of the percentage denominator, with the 1/2 and 2/3 lines. PNG at 200 dpi."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    family = ballot_family()
    for path in family.files:
        font_manager.fontManager.addfont(str(path))
    name = font_manager.FontProperties(fname=str(family.files[0])).get_name()
    persons = results.persons[first:first + count]
    height = 0.9 + 0.34 * len(persons)
    with plt.rc_context({"font.family": name, "font.size": 8, "svg.fonttype": "none"}):
        fig, ax = plt.subplots(figsize=(7.0, height), dpi=200, facecolor="white")
        labels = [f"{p.number}. {p.name}" for p in persons]
        ys = range(len(persons))[::-1]
        left = [0.0] * len(persons)
        for level in LEVELS[::-1]:  # low confidence from the left
            shares = [p.levels[level] / p.denominator if p.denominator else 0 for p in persons]
            ax.barh(ys, shares, left=left, color=LEVEL_COLOURS[level], height=0.62,
                    hatch="///" if level == Level.THAP else None, edgecolor="white",
                    linewidth=0.3, label=level.label)
            left = [a + b for a, b in zip(left, shares)]
        rest = [max(0.0, 1 - x) for x in left]
        ax.barh(ys, rest, left=left, color=INVALID_COLOUR, height=0.62,
                label="Không hợp lệ / không ghi phiếu")
        for x, text in ((1 / 2, "1/2"), (2 / 3, "2/3")):
            ax.axvline(x, color="black", linestyle="--", linewidth=0.8)
            ax.text(x, len(persons) - 0.35, text, ha="center", va="bottom", fontsize=8)
        ax.set_yticks(list(ys), labels)
        ax.set_xlim(0, 1)
        ax.set_xticks([0, 0.25, 0.5, 0.75, 1], ["0%", "25%", "50%", "75%", "100%"])
        ax.set_ylim(-0.6, len(persons) - 0.1)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.5 / height), ncol=4, fontsize=7,
                  frameon=False)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=200, facecolor="white")
        plt.close(fig)
    return buffer.getvalue()


def minutes_pdf(conference: Conference, results: Results, *, members: list[Member],
                fingerprint: str, made_at: dt.datetime) -> bytes:
    """The minutes of the count as PDF bytes."""
    s = _styles()
    rules = RULE_SETS[results.rules]
    a = results.attendance
    draft = not results.final
    story: list = []

    org = "<br/>".join(escape(line) for line in conference.org_lines)
    header = Table([[Paragraph(f"{org}<br/><b>BAN KIỂM PHIẾU</b>", s["centre"]),
                     Paragraph("<b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><br/>"
                               "<b><u>Độc lập - Tự do - Hạnh phúc</u></b>", s["centre"])]],
                   colWidths=[78 * mm, 102 * mm])
    header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    story += [header, Spacer(1, 3 * mm)]
    when = wording.long_date(conference.date)
    story.append(_p(wording.date_line(conference.date, conference.place),
                    ParagraphStyle("dated", s["italic_centre"], alignment=2)))
    if draft:
        story.append(_p(f"{DRAFT} — CHƯA PHẢI KẾT QUẢ CHÍNH THỨC", s["title"]))
    story.append(_p("BIÊN BẢN KIỂM PHIẾU", s["title"]))
    story.append(_p(conference.title, s["bold_centre"]))
    story.append(Spacer(1, 4 * mm))

    place = f" tại {conference.place}" if conference.place else ""
    story.append(_p(f"Hôm nay, {when}{place}, Ban Kiểm phiếu gồm:", s["body"]))
    named = members or [Member("." * 50, "." * 25) for _ in range(3)]
    for i, m in enumerate(named, start=1):
        story.append(_p(f"{i}. {m.name} — {m.role}", s["body"]))
    story.append(_p(f"đã tiến hành kiểm phiếu lấy phiếu tín nhiệm theo {rules.title}. "
                    "Kết quả như sau:", s["body"]))

    story.append(_p("I. THÀNH PHẦN", s["heading"]))
    unknown = "....."
    summoned = a.summoned if a.summoned is not None else unknown
    story.append(_p(f"- Số người được triệu tập: {summoned}"
                    f"; có mặt: {a.present if a.present is not None else unknown}; vắng mặt: "
                    f"{a.absent if a.absent is not None else unknown}.", s["body"]))
    story.append(_p(f"- {quorum_line(results)}",
                    s["alert"] if results.quorum_met is False else s["body"]))

    story.append(_p("II. SỐ PHIẾU", s["heading"]))
    void = sum(results.void.values())
    story.append(_p(f"- Số phiếu phát ra: {results.issued}; số phiếu thu về: {results.received}"
                    + (f" (Ban Kiểm phiếu đếm: {a.counted})" if a.counted is not None else "")
                    + ".", s["body"]))
    story.append(_p(f"- Số phiếu hợp lệ: {results.counted}; số phiếu không hợp lệ (cả phiếu): "
                    f"{void}" + (", trong đó:" if void else "."), s["body"]))
    for key, n in sorted(results.void.items()):
        story.append(_p(f"    + {key.label}: {n}", s["body"]))
    for line in stamp_lines(results):
        story.append(_p(f"- {line}", s["body"]))
    if results.noted.get(Flag.WRITE_IN):
        story.append(_p(f"- Phiếu có ghi thêm tên hoặc chữ ngoài danh sách (phần ghi thêm không "
                        f"được tính, phiếu vẫn hợp lệ): {results.noted[Flag.WRITE_IN]}.",
                        s["body"]))
    if results.excluded:
        story.append(_p(f"- Bản quét Ban Kiểm phiếu không tính (quét trùng, không phải phiếu): "
                        f"{results.excluded}.", s["body"]))
    story.append(_p("Phiếu hợp lệ nhưng không hợp lệ đối với từng người (không đánh dấu, đánh "
                    "dấu nhiều ô) được tính vào số phiếu không hợp lệ của người đó (mục III).",
                    s["small"]))
    for problem in results.problems:
        story.append(_p(f"Vấn đề cần giải quyết: {problem_text(problem)}", s["alert"]))

    story.append(_p("III. KẾT QUẢ ĐỐI VỚI TỪNG NGƯỜI", s["heading"]))
    story.append(_person_table(results, s))
    if rules.percent_denominator == "deputies":
        story.append(_p("Tỷ lệ tính trên tổng số đại biểu "
                        f"({a.summoned if a.summoned is not None else unknown}).", s["small"]))
    else:
        story.append(_p("Tỷ lệ tính trên tổng số phiếu thu về.", s["small"]))

    story.append(_p("IV. MỨC TÍN NHIỆM THẤP", s["heading"]))
    story.append(_p(f"Mức 1: {rules.band1_text}. Mức 2: {rules.band2_text}. Việc xem xét, "
                    "quyết định đối với người có mức tín nhiệm thấp do cấp có thẩm quyền thực "
                    "hiện theo quy định.", s["body"]))
    banded = [p for p in results.persons if p.band]
    if not banded:
        story.append(_p("Không có người nào thuộc Mức 1 hoặc Mức 2.", s["body"]))
    for p in banded:
        story.append(_p(f"- {p.number}. {p.name} ({p.position}): {BAND_LABELS[p.band]}, "
                        f"{p.levels[Level.THAP]} phiếu tín nhiệm thấp "
                        f"({p.percent(Level.THAP)}%).",
                        s["body"]))
    for p in results.persons:
        if p.note:
            story.append(_p(f"Ghi chú — {p.number}. {p.name}: {note_text(p.note)}.",
                            s["small"]))

    story.append(_p("V. BIỂU ĐỒ", s["heading"]))
    for first in range(0, len(results.persons), CHART_PERSONS):
        png = chart_png(results, first)
        chart = Image(io.BytesIO(png))
        scale = 178 * mm / chart.imageWidth
        chart.drawWidth, chart.drawHeight = chart.imageWidth * scale, chart.imageHeight * scale
        story.append(chart)

    if draft:
        story.append(_p("CÒN PHẢI XỬ LÝ TRƯỚC KHI CÓ KẾT QUẢ CHÍNH THỨC", s["heading"]))
        story.append(_p(status_line(results), s["alert"]))
        for item in results.missing:
            story.append(_p(f"- {missing_text(item)}", s["body"]))
        for b in results.open_ballots:
            story.append(_p(f"- Phiếu {b.number} ({b.file}, trang {b.page}): "
                            + "; ".join(r.label for r in b.reasons), s["body"]))

    story.append(Spacer(1, 4 * mm))
    story.append(_p(f"Việc kiểm phiếu kết thúc lúc {made_at:%H} giờ {made_at:%M} cùng ngày. "
                    f"{COPIES_TEXT}", s["body"]))
    story.append(KeepTogether(_signatures(members, s)))

    buffer = io.BytesIO()
    family = ballot_family()

    def decorate(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(family.font_name("bold"), 13)
        canvas.drawString(15 * mm, A4[1] - 10 * mm, "MẬT")
        canvas.setFont(family.font_name("regular"), 8)
        footer = f"Trang {doc.page} — Mã kiểm tra {fingerprint}"
        if draft:
            footer = f"{DRAFT} — {footer}"
        canvas.drawCentredString(A4[0] / 2, 8 * mm, footer)
        if draft:
            canvas.setFont(family.font_name("bold"), 70)
            canvas.setFillColor(colors.Color(0.75, 0, 0, alpha=0.12))
            canvas.translate(A4[0] / 2, A4[1] / 2)
            canvas.rotate(45)
            canvas.drawCentredString(0, 0, DRAFT)
        canvas.restoreState()

    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm,
                            topMargin=15 * mm, bottomMargin=15 * mm,
                            title=f"Biên bản kiểm phiếu — {conference.title}",
                            author="Ban Kiểm phiếu", creator="tinnhiem")
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()


def _person_table(results: Results, s: dict[str, ParagraphStyle]) -> Table:
    head = ["STT", "Họ và tên", "Chức vụ", "Phát ra", "Thu về", "Hợp lệ", "Không hợp lệ"]
    for level in LEVELS:
        head += [level.label, ""]
    head.append("Mức")
    sub = [""] * 7 + ["Phiếu", "%"] * 3 + [""]
    data = [[_p(h, s["head"]) for h in head], [_p(h, s["head"]) for h in sub]]
    for p in results.persons:
        cells = [str(p.number), p.name, p.position, str(p.issued), str(p.received), str(p.valid),
                 str(p.invalid)]
        for level in LEVELS:
            cells += [str(p.levels[level]), p.percent(level)]
        cells.append(BAND_LABELS[p.band])
        data.append([_p(c, s["cell"] if i == 1 else s["position"] if i == 2 else s["cell_centre"])
                     for i, c in enumerate(cells)])
    widths = [7, 30, 34, 9, 9, 9, 10, 9, 10, 9, 10, 9, 10, 9]  # 174 mm of 180
    table = Table(data, colWidths=[w * mm for w in widths], repeatRows=2)
    style = [("GRID", (0, 0), (-1, -1), 0.5, colors.black),
             ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
             ("LEFTPADDING", (0, 0), (-1, -1), 1.5), ("RIGHTPADDING", (0, 0), (-1, -1), 1.5),
             ("BACKGROUND", (0, 0), (-1, 1), colors.HexColor("#eeeeee"))]
    for col in (0, 1, 2, 3, 4, 5, 6, 13):
        style.append(("SPAN", (col, 0), (col, 1)))
    for col in (7, 9, 11):
        style.append(("SPAN", (col, 0), (col + 1, 0)))
    for row, p in enumerate(results.persons, start=2):
        if p.band:
            style.append(("BACKGROUND", (0, row), (-1, row), colors.HexColor("#fde2e2")))
    table.setStyle(TableStyle(style))
    return table


def _signatures(members: list[Member], s: dict[str, ParagraphStyle]) -> Table:
    chair = next((m for m in members if m.role.lower().startswith("trưởng")), None)
    others = [m for m in members if m is not chair]
    left = [_p("CÁC THÀNH VIÊN BAN KIỂM PHIẾU", s["bold_centre"]),
            _p("(Ký, ghi rõ họ tên)", s["italic_centre"]), Spacer(1, 18 * mm)]
    for m in others:
        left += [_p(m.name, s["bold_centre"]), Spacer(1, 14 * mm)]
    right = [_p("TRƯỞNG BAN KIỂM PHIẾU", s["bold_centre"]),
             _p("(Ký, ghi rõ họ tên)", s["italic_centre"]), Spacer(1, 18 * mm)]
    if chair:
        right.append(_p(chair.name, s["bold_centre"]))
    table = Table([[left, right]], colWidths=[90 * mm, 90 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table
