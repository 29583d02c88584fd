"""The minutes of the count (*Biên bản kiểm phiếu*) as a PDF, and the chart per person.

Same face and official look as the ballots: *MẬT*, the organisation top-left, the national motto
top-right, then the facts the committee signs. A count that is not complete (open ballots,
problems, facts not entered) is printed as *DỰ THẢO* on every page, with what is still open.
Without quorum there is no count to state: the document is the record that the count cannot
stand, with the attendance and no results (:func:`no_quorum_story`).

Words and numbers as the committee writes them: the counting body as the rule set names it
(*Tổ kiểm phiếu* under ``annual-2013``), each band in the rule set's own words (never *mức*,
which in the rules means the three levels), percentages with a decimal comma (64,29 %), the
time in the conference's time zone, the town on the date line apart from the venue, the three
copies and their distribution, and room for an initial at the foot of every page.
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
from tally.count import Results, vn_percent
from tally.report import (
    BAND_COLUMN,
    DRAFT,
    VOID,
    anomaly_lines,
    band_label,
    notes_of,
    problem_lines,
    quorum_line,
    stamp_lines,
    status_line,
)
from tally.rules import RULE_SETS, RuleSet
from tally.sentences import missing_text

CHART_PERSONS = 20  # persons per chart: a chart stays readable on a page
COPIES_TEXT = ("Biên bản kiểm phiếu được lập thành 3 bản (2 bản gửi cấp trên trực tiếp; 1 bản "
               "lưu tại cơ quan) và quản lý theo chế độ mật.")
INITIAL_TEXT = "Ký tắt:"  # at the foot of every page, with room for the chair's initials
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
        "heading": ParagraphStyle("heading", base, fontName=bold, spaceBefore=8, keepWithNext=1),
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


def ended_text(conference: Conference, ended: dt.datetime) -> str:
    """When the count ended, as the minutes say it: "17 giờ 38 cùng ngày", or with its own date
    when that is not the conference's day."""
    when = f"{ended:%H} giờ {ended:%M}"
    if ended.date() == conference.date:
        return f"{when} cùng ngày"
    return f"{when}, {wording.long_date(ended.date())}"


def minutes_pdf(conference: Conference, results: Results, *, members: list[Member],
                fingerprint: str, made_at: dt.datetime, number: int = 0) -> bytes:
    """The minutes of the count as PDF bytes; without quorum, the record that the count cannot
    stand. ``made_at``: the end of the count, in the conference's time zone; ``number``: the
    tally's number in the log (shown at the foot of every page)."""
    s = _styles()
    rules = RULE_SETS[results.rules]
    draft = not results.final
    void = not results.standing
    story: list = _heading(conference, rules, s)
    if void:
        story += no_quorum_story(conference, results, rules, members, made_at, s)
    else:
        story += _count_story(conference, results, rules, members, made_at, s)
    story.append(KeepTogether(_signatures(members, rules, s)))
    mark = VOID if void else DRAFT if draft else ""
    return _build(conference, story, fingerprint=fingerprint, mark=mark, number=number)


def _heading(conference: Conference, rules: RuleSet, s: dict[str, ParagraphStyle]) -> list:
    org = "<br/>".join(escape(line) for line in conference.org_lines)
    body = escape(rules.committee_name.upper())
    header = Table([[Paragraph(f"{org}<br/><b>{body}</b>", s["centre"]),
                     Paragraph("<b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><br/>"
                               "<b><u>Độc lập - Tự do - Hạnh phúc</u></b>", s["centre"])]],
                   colWidths=[78 * mm, 102 * mm])
    header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return [header, Spacer(1, 3 * mm),
            _p(wording.date_line(conference.date, conference.place),
               ParagraphStyle("dated", s["italic_centre"], alignment=2))]


def _members_lines(conference: Conference, rules: RuleSet, members: list[Member],
                   s: dict[str, ParagraphStyle]) -> list:
    when = wording.long_date(conference.date)
    venue = f" tại {conference.venue}" if conference.venue else ""
    story = [_p(f"Hôm nay, {when}{venue}, {rules.committee_name} gồm:", s["body"])]
    named = members or [Member("." * 50, "." * 25) for _ in range(3)]
    for i, m in enumerate(named, start=1):
        story.append(_p(f"{i}. {m.name} — {m.role}", s["body"]))
    return story


def no_quorum_story(conference: Conference, results: Results, rules: RuleSet,
                    members: list[Member], ended: dt.datetime,
                    s: dict[str, ParagraphStyle]) -> list:
    """The record that the count cannot stand: the attendance, the rule, what becomes of the
    ballots; no result, no band, nothing that could be read as official."""
    a = results.attendance
    q = rules.quorum
    assert q is not None and a.present is not None and a.summoned is not None  # quorum known
    story = [_p("BIÊN BẢN", s["title"]),
             _p("Về việc hội nghị không đủ số người có mặt theo quy định — kết quả kiểm phiếu "
                "không có giá trị", s["bold_centre"]),
             _p(conference.title, s["bold_centre"]), Spacer(1, 4 * mm)]
    story += _members_lines(conference, rules, members, s)
    story.append(_p(f"xác nhận: theo {rules.title}, hội nghị lấy phiếu tín nhiệm chỉ được tiến "
                    f"hành khi có ít nhất {q.numerator}/{q.denominator} số người được triệu tập "
                    "có mặt.", s["body"]))
    story.append(_p(f"- Số người được triệu tập: {a.summoned}; có mặt: {a.present} "
                    f"({vn_percent(a.present, a.summoned)}); vắng mặt: {a.absent}.", s["body"]))
    story.append(_p(f"- {quorum_line(results)}", s["alert"]))
    story.append(_p(f"- Số phiếu thu về: {results.received}.", s["body"]))
    story.append(_p("Vì vậy việc lấy phiếu tín nhiệm tại hội nghị này không đủ điều kiện: kết quả "
                    "kiểm phiếu không có giá trị, không được công bố và không dùng để xác định "
                    "mức độ tín nhiệm của người được lấy phiếu. Phiếu đã thu được niêm phong và "
                    f"quản lý theo chế độ mật. {rules.committee_name} báo cáo cấp có thẩm quyền "
                    "để tổ chức lại việc lấy phiếu theo quy định.", s["body"]))
    story.append(Spacer(1, 4 * mm))
    copies = COPIES_TEXT.replace("Biên bản kiểm phiếu", "Biên bản", 1)  # not minutes of a count
    story.append(_p(f"Biên bản lập xong lúc {ended_text(conference, ended)}. {copies}",
                    s["body"]))
    return story


def _count_story(conference: Conference, results: Results, rules: RuleSet,
                 members: list[Member], made_at: dt.datetime,
                 s: dict[str, ParagraphStyle]) -> list:
    a = results.attendance
    draft = not results.final
    story: list = []
    if draft:
        story.append(_p(f"{DRAFT} — CHƯA PHẢI KẾT QUẢ CHÍNH THỨC", s["title"]))
    story.append(_p("BIÊN BẢN KIỂM PHIẾU", s["title"]))
    story.append(_p(conference.title, s["bold_centre"]))
    story.append(Spacer(1, 4 * mm))
    story += _members_lines(conference, rules, members, s)
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
    issued = results.issued if results.issued is not None else unknown
    story.append(_p(f"- Số phiếu đã in: {results.printed}"
                    + (f" ({results.print_runs} lần in)" if results.print_runs > 1 else "")
                    + f"; số phiếu phát ra: {issued}"
                    + (" (bằng số người có mặt)" if results.issued_derived else "") + ".",
                    s["body"]))
    story.append(_p(f"- Số phiếu thu về: {results.received}"
                    + (f" ({rules.committee_name} đếm: {a.counted})" if a.counted is not None
                       else "")
                    + (f", trong đó {results.foreign} phiếu không do {rules.committee_name} "
                       "phát ra" if results.foreign else "") + ".", s["body"]))
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
        story.append(_p(f"- Bản quét {rules.committee_name} không tính (quét trùng, không phải "
                        f"phiếu): {results.excluded}.", s["body"]))
    story.append(_p("Phiếu hợp lệ nhưng không hợp lệ đối với từng người (không đánh dấu, đánh "
                    "dấu nhiều ô) được tính vào số phiếu không hợp lệ của người đó (mục III).",
                    s["small"]))
    anomalies = anomaly_lines(results)
    if anomalies:
        story.append(_p(f"Những điểm bất thường {rules.committee_name} ghi nhận (không làm thay "
                        "đổi kết quả kiểm phiếu):", s["body"]))
        for text in anomalies:
            story.append(_p(f"- {text}", s["body"]))
    for text in problem_lines(results):
        story.append(_p(f"Vấn đề cần giải quyết: {text}", s["alert"]))

    story.append(_p("III. KẾT QUẢ ĐỐI VỚI TỪNG NGƯỜI", s["heading"]))
    story.append(_person_table(results, s))
    if rules.percent_denominator == "deputies":
        story.append(_p("Tỷ lệ tính trên tổng số đại biểu "
                        f"({a.summoned if a.summoned is not None else unknown}).", s["small"]))
    else:
        story.append(_p("Tỷ lệ tính trên tổng số phiếu thu về.", s["small"]))

    story.append(_p("IV. NGƯỜI CÓ TỶ LỆ PHIẾU TÍN NHIỆM THẤP THEO QUY ĐỊNH", s["heading"]))
    story.append(_p(f"Theo {rules.title}, các trường hợp được xem xét là: người có "
                    f"{rules.band1_text}; người có {rules.band2_text}. Việc xem xét, quyết định "
                    "đối với từng trường hợp do cấp có thẩm quyền thực hiện theo quy định.",
                    s["body"]))
    if rules.wording_note:
        story.append(_p(rules.wording_note, s["small"]))
    banded = [p for p in results.persons if p.band]
    if not banded:
        story.append(_p("Không có người nào thuộc các trường hợp trên.", s["body"]))
    for p in banded:
        story.append(_p(f"- {p.number}. {p.name} ({p.position}): {p.levels[Level.THAP]} phiếu "
                        f"tín nhiệm thấp ({vn_percent(p.levels[Level.THAP], p.denominator)}), "
                        f"thuộc trường hợp {rules.band_text(p.band)}.", s["body"]))
    for line in notes_of(results):
        story.append(_p(f"Ghi chú — {line}.", s["small"]))

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
    story.append(_p(f"Việc kiểm phiếu kết thúc lúc {ended_text(conference, made_at)}. "
                    f"{COPIES_TEXT}", s["body"]))
    return story


def _build(conference: Conference, story: list, *, fingerprint: str, mark: str,
           number: int) -> bytes:
    """The PDF of ``story``: MẬT at the top of every page; at the foot the page, the tally's
    number and fingerprint, and room for an initial; ``mark`` (DỰ THẢO, KHÔNG ĐỦ ĐIỀU KIỆN)
    across every page."""
    buffer = io.BytesIO()
    family = ballot_family()

    def decorate(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(family.font_name("bold"), 13)
        canvas.drawString(15 * mm, A4[1] - 10 * mm, "MẬT")
        canvas.setFont(family.font_name("regular"), 8)
        footer = f"Trang {doc.page} — {'Lần ' + str(number) + ' — ' if number else ''}" \
                 f"Mã kiểm tra {fingerprint}"
        if mark:
            footer = f"{mark} — {footer}"
        canvas.drawString(15 * mm, 8 * mm, footer)
        canvas.drawString(A4[0] - 55 * mm, 8 * mm, INITIAL_TEXT)
        canvas.setLineWidth(0.4)
        canvas.rect(A4[0] - 44 * mm, 5.5 * mm, 29 * mm, 8 * mm)  # the box for the initials
        if mark:
            canvas.setFont(family.font_name("bold"), 70 if mark == DRAFT else 40)
            canvas.setFillColor(colors.Color(0.75, 0, 0, alpha=0.12))
            canvas.translate(A4[0] / 2, A4[1] / 2)
            canvas.rotate(45)
            canvas.drawCentredString(0, 0, mark)
        canvas.restoreState()

    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm,
                            topMargin=15 * mm, bottomMargin=17 * mm,
                            title=f"Biên bản kiểm phiếu — {conference.title}",
                            author=RULE_SETS[conference.rules].committee_name, creator="tinnhiem")
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()


def _person_table(results: Results, s: dict[str, ParagraphStyle]) -> Table:
    head = ["STT", "Họ và tên", "Chức vụ", "Phát ra", "Thu về", "Hợp lệ", "Không hợp lệ"]
    for level in LEVELS:
        head += [level.label, ""]
    head.append(BAND_COLUMN)
    sub = [""] * 7 + ["Phiếu", "%"] * 3 + [""]
    data = [[_p(h, s["head"]) for h in head], [_p(h, s["head"]) for h in sub]]
    for p in results.persons:
        cells = [str(p.number), p.name, p.position, "-" if p.issued is None else str(p.issued),
                 str(p.received), str(p.valid), str(p.invalid)]
        for level in LEVELS:
            cells += [str(p.levels[level]), vn_percent(p.levels[level], p.denominator)[:-2]]
        cells.append(band_label(results, p.band))
        data.append([_p(c, s["cell"] if i == 1 else s["position"] if i == 2 else s["cell_centre"])
                     for i, c in enumerate(cells)])
    widths = [7, 28, 30, 9, 9, 9, 10, 9, 10, 9, 10, 9, 10, 21]  # 180 mm
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


def _signatures(members: list[Member], rules: RuleSet, s: dict[str, ParagraphStyle]) -> Table:
    chair = next((m for m in members if m.role.lower().startswith(("trưởng", "tổ trưởng"))),
                 None)
    others = [m for m in members if m is not chair]
    body = rules.committee_name.upper()
    left = [_p(f"CÁC THÀNH VIÊN {body}", s["bold_centre"]),
            _p("(Ký, ghi rõ họ tên)", s["italic_centre"]), Spacer(1, 18 * mm)]
    for m in others:
        left += [_p(m.name, s["bold_centre"]), Spacer(1, 14 * mm)]
    right = [_p("TỔ TRƯỞNG TỔ KIỂM PHIẾU" if body.startswith("TỔ") else f"TRƯỞNG {body}",
                s["bold_centre"]),
             _p("(Ký, ghi rõ họ tên)", s["italic_centre"]), Spacer(1, 18 * mm)]
    if chair:
        right.append(_p(chair.name, s["bold_centre"]))
    table = Table([[left, right]], colWidths=[90 * mm, 90 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table
