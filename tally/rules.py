"""Rule sets: every matter of interpretation in ``shared/domain.md`` as a setting, never as code.

Thresholds are exact fractions, compared with integers (``2·low > R``), never rounded percentages.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Literal


@dataclass(frozen=True)
class Threshold:
    """A share of low confidence: ``low / denominator`` above (or at, if inclusive) ``fraction``."""

    fraction: Fraction
    inclusive: bool

    def reached(self, low: int, denominator: int) -> bool:
        """Exact integer comparison: ``low·q > p·denominator`` (or ``>=``) for fraction p/q."""
        left = low * self.fraction.denominator
        right = self.fraction.numerator * denominator
        return left >= right if self.inclusive else left > right


@dataclass(frozen=True)
class RuleSet:
    """The settings that differ between the regulations (see the table in domain.md)."""

    name: str
    title: str
    percent_denominator: Literal["received", "deputies"]
    band1: Threshold  # band 1 is reached at this share and ends where band 2 starts
    band2: Threshold
    band1_years: int  # consecutive years band 1 must be reached (annual-2013: 2)
    write_in: Literal["ignore", "ballot_invalid"]
    crossed_name: Literal["ballot", "row"]
    quorum: Fraction | None  # share of the summoned that must be present, or None
    band1_text: str  # how the minutes state the bands (Vietnamese), in the rule set's words
    band2_text: str
    band1_label: str = ""  # the same, short, for a table's cell
    band2_label: str = ""
    committee_name: str = "Ban Kiểm phiếu"  # the counting body, as the rule set names it
    band2_words: str = ""  # the guideline's own ambiguous words for band 2, if any

    @property
    def wording_note(self) -> str:
        """How the minutes read the rule set's ambiguous words for band 2 ("" when it has
        none): the reading is the setting ``band2.inclusive``, and the minutes say which."""
        if not self.band2_words:
            return ""
        share = f"{float(self.band2.fraction * 100):g}%"
        reading = (f"từ {share} trở lên (đúng {share} cũng thuộc trường hợp này)"
                   if self.band2.inclusive else
                   f"trên {share} (đúng {share} không thuộc trường hợp này)")
        return f"Hướng dẫn ghi “{self.band2_words}”; biên bản này tính {reading}."

    def band_label(self, band: int | None) -> str:
        """A band in the rule set's own short words ("" for none): never "Mức", which in the
        rules means the three levels."""
        return {1: self.band1_label, 2: self.band2_label}.get(band, "")  # type: ignore[arg-type]

    def band_text(self, band: int | None) -> str:
        return {1: self.band1_text, 2: self.band2_text}.get(band, "")  # type: ignore[arg-type]


RULE_SETS: dict[str, RuleSet] = {
    rs.name: rs
    for rs in (
        RuleSet("qd96-2023", "Quy định 96-QĐ/TW ngày 02/02/2023", "received",
                Threshold(Fraction(1, 2), False), Threshold(Fraction(2, 3), True), 1,
                "ignore", "ballot", Fraction(2, 3),
                "trên 1/2 đến dưới 2/3 số phiếu tín nhiệm thấp",
                "từ 2/3 trở lên số phiếu tín nhiệm thấp",
                "Trên 1/2 đến dưới 2/3 phiếu thấp", "Từ 2/3 phiếu thấp trở lên"),
        RuleSet("qd262-2014", "Quy định 262-QĐ/TW ngày 08/10/2014", "received",
                Threshold(Fraction(1, 2), False), Threshold(Fraction(2, 3), True), 1,
                "ballot_invalid", "ballot", Fraction(2, 3),
                "trên 1/2 số phiếu tín nhiệm thấp", "từ 2/3 trở lên số phiếu tín nhiệm thấp",
                "Trên 1/2 phiếu thấp", "Từ 2/3 phiếu thấp trở lên"),
        RuleSet("nq96-2023", "Nghị quyết 96/2023/QH15 (Quốc hội, Hội đồng nhân dân)", "deputies",
                Threshold(Fraction(1, 2), False), Threshold(Fraction(2, 3), True), 1,
                "ignore", "ballot", None,
                "trên 1/2 đến dưới 2/3 tổng số đại biểu đánh giá tín nhiệm thấp",
                "từ 2/3 trở lên tổng số đại biểu đánh giá tín nhiệm thấp",
                "Trên 1/2 đến dưới 2/3 đại biểu đánh giá thấp",
                "Từ 2/3 đại biểu đánh giá thấp trở lên"),
        RuleSet("annual-2013", "Hướng dẫn lấy phiếu tín nhiệm hằng năm (ngành)", "received",
                Threshold(Fraction(7, 10), True), Threshold(Fraction(4, 5), True), 2,
                "ignore", "ballot", None,
                "từ 70% trở lên số phiếu tín nhiệm thấp trong hai năm liên tiếp",
                "từ 80% trở lên số phiếu tín nhiệm thấp trong một năm",
                "Từ 70% phiếu thấp, 2 năm liền", "Từ 80% phiếu thấp, 1 năm",
                committee_name="Tổ kiểm phiếu",
                band2_words="trên 80% trở lên"),
    )
}
DEFAULT_RULES = "qd96-2023"
