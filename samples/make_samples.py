"""Regenerate the sample rosters in this folder (invented people; deterministic).

    python samples/make_samples.py

The names are combinations of common Vietnamese family, middle and given names chosen to use every
tone and every modified vowel (ă â ê ô ơ ư đ), in capitals too (Đ, Ư, Ấ, Ý…). They are invented:
no roster of a real agency was used.
"""

import csv
import random
from pathlib import Path

import openpyxl

HERE = Path(__file__).parent
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi",
          "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Lương", "Trịnh", "Quách", "Khổng", "Ưng",
          "Tạ", "Lưu", "Châu", "Mạc", "Thạch", "Kiều", "Âu", "Ông"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quốc", "Xuân", "Thuỳ", "Bảo",
          "Hoài", "Diệu", "Trọng", "Mỹ", "Thế", "Khắc", "Ánh", "Duy", "Phước"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Đạt", "Giang", "Hạnh", "Hiếu", "Huệ", "Khải", "Lợi",
         "Mẫn", "Nguyệt", "Oanh", "Phượng", "Quyết", "Sương", "Thắng", "Thuỷ", "Uyên", "Vỹ",
         "Xuyến", "Yến", "Ẩn", "Ý", "Ước", "Ổn", "Ửng", "Ấn", "Nhã", "Tuấn", "Khuê", "Lộc",
         "Tường", "Vượng", "Ngữ", "Sỹ", "Kỷ", "Dậu", "Quỳnh"]
UNITS = ["Tài chính", "Kế hoạch và Đầu tư", "Tài nguyên và Môi trường", "Giáo dục và Đào tạo",
         "Nông nghiệp và Phát triển nông thôn", "Lao động - Thương binh và Xã hội", "Y tế",
         "Xây dựng", "Giao thông vận tải", "Văn hoá, Thể thao và Du lịch", "Nội vụ", "Tư pháp",
         "Khoa học và Công nghệ", "Thông tin và Truyền thông", "Công Thương"]
ROLES = ["Giám đốc Sở {u}", "Phó Giám đốc Sở {u}", "Chánh Văn phòng Sở {u}",
         "Trưởng phòng Tổ chức - Cán bộ, Sở {u}",
         "Phó Giám đốc Sở {u}, phụ trách công tác tổ chức cán bộ và thi đua, khen thưởng",
         "Trưởng ban Quản lý dự án đầu tư xây dựng các công trình thuộc Sở {u}"]


def people(count: int, seed: int) -> list[tuple[int, str, str]]:
    rng = random.Random(seed)
    seen: set[str] = set()
    rows = []
    while len(rows) < count:
        name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        if name in seen:
            continue
        seen.add(name)
        rows.append((len(rows) + 1, name, rng.choice(ROLES).format(u=rng.choice(UNITS))))
    return rows


def main() -> None:
    small = [
        (1, "Nguyễn Thị Ánh Tuyết", "Giám đốc Sở Kế hoạch và Đầu tư"),
        (2, "Trần Đức Lợi", "Phó Giám đốc Sở Kế hoạch và Đầu tư"),
        (3, "Ưng Hoàng Phượng", "Phó Giám đốc Sở, phụ trách công tác tổ chức cán bộ, "
                                "thi đua, khen thưởng và cải cách hành chính"),
        (4, "Đặng Thuỳ Dương", "Chánh Văn phòng Sở"),
        (5, "Lê Quý Ẩn", "Trưởng phòng Đăng ký kinh doanh"),
    ]
    with open(HERE / "roster-small.csv", "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["STT", "Họ và tên", "Chức vụ"])
        writer.writerows(small)

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Danh sách"
    sheet.append(["ỦY BAN NHÂN DÂN TỈNH BÌNH AN"])
    sheet.append(["DANH SÁCH NGƯỜI ĐƯỢC LẤY PHIẾU TÍN NHIỆM NĂM 2026"])
    sheet.append([])
    sheet.append(["STT", "Họ và tên", "Chức vụ"])
    for row in people(55, seed=2026):
        sheet.append(list(row))
    book.save(HERE / "roster-large.xlsx")


if __name__ == "__main__":
    main()
