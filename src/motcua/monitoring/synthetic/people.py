"""People and their papers: Vietnamese names, identity numbers, addresses, plausible e-form
answers, the reasons officers write, and the one specimen file every digitised document shows.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import hashlib
import random
from itertools import accumulate
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from motcua.catalogue.models import ProcedureVersion
from motcua.dossiers.cccd import CENTURY_DIGITS
from motcua.monitoring.synthetic import GENERATED

if TYPE_CHECKING:
    from motcua.monitoring.synthetic.world import CommuneInfo

SPECIMEN = "generated/tai-lieu-mo-phong.pdf"  # the one file every digitised document shows


def words(text: str, separator: str = " ") -> list[str]:
    """Words of a long literal (a list literal would stand one word a line)."""
    return text.split(separator)


# Vietnamese names: family names with their rough frequency (%), middle and given names.
FAMILY = {
    name: int(weight)
    for name, weight in (
        pair.split(":")
        for pair in words(
            "Nguyễn:38 Trần:11 Lê:9 Phạm:7 Hoàng:5 Vũ:4 Phan:4 Đặng:2 Bùi:2 Đỗ:2 Ngô:2 Đinh:2 "
            "Dương:1 Lý:1 Trịnh:1 Mai:1 Hà:1 Lương:1"
        )
    )
}
FAMILY_NAMES = list(FAMILY)
FAMILY_WEIGHTS = list(accumulate(FAMILY.values()))
MIDDLE = {
    "m": words("Văn Đức Minh Quang Hữu Thanh Xuân Công Mạnh Tiến"),
    "f": words("Thị Thu Ngọc Thanh Minh Hồng Phương Thùy Lan Kim"),
}
GIVEN = {
    "m": words(
        "An Bình Cường Dũng Dương Hải Hiếu Hoàng Hùng Huy Khánh Long Minh Nam Phong Phúc Quân "
        "Sơn Thắng Trung Tuấn Việt"
    ),
    "f": words(
        "Anh Chi Giang Hà Hạnh Hiền Hoa Hương Lan Linh Mai Ngọc Nhung Oanh Phương Quỳnh Tâm "
        "Thảo Trang Vân Yến"
    ),
}
STREETS = words(
    "Lê Thánh Tông|Trần Hưng Đạo|Nguyễn Văn Cừ|Hạ Long|Cao Xanh|Kênh Liêm|Lê Lợi|Bạch Đằng|"
    "Trần Quốc Nghiễn|Nguyễn Du|Tuệ Tĩnh|Anh Đào",
    "|",
)
DOCUMENT_NAMES = words(
    "Giấy khai sinh|Bằng tốt nghiệp|Sổ hộ khẩu (cũ)|Hợp đồng lao động|"
    "Giấy chứng nhận quyền sử dụng đất|Học bạ|Giấy xác nhận cư trú|Quyết định",
    "|",
)
PURPOSES = words(
    "Bổ sung hồ sơ xin việc|Làm thủ tục kết hôn|Đi du học|Hoàn thiện hồ sơ vay vốn|"
    "Bổ túc hồ sơ nhập học|Xuất khẩu lao động",
    "|",
)

REFUSALS = (
    "Thủ tục không thuộc thẩm quyền giải quyết của cơ quan tiếp nhận",
    "Giấy tờ trong hồ sơ đã hết hiệu lực",
    "Người yêu cầu không đủ điều kiện thực hiện thủ tục theo quy định",
)
SUPPLEMENTS = (
    "Bổ sung bản sao giấy tờ chứng minh quan hệ nhân thân",
    "Làm rõ thông tin kê khai tại tờ khai",
    "Bổ sung văn bản ủy quyền có chứng thực",
)
RESULT_REFUSALS = (
    "Không đủ điều kiện giải quyết theo quy định của pháp luật",
    "Thông tin kê khai không khớp với cơ sở dữ liệu chuyên ngành",
)
STOP_REASONS = (
    "Người nộp hồ sơ đề nghị dừng để hoàn thiện giấy tờ",
    "Người nộp hồ sơ không còn nhu cầu giải quyết",
)


# (first year of the century, sex) → the fourth digit, as `dossiers.cccd` reads it.
CENTURY_DIGIT = {facts: digit for digit, facts in CENTURY_DIGITS.items()}


def person_name(rng: random.Random, sex: str | None = None) -> str:
    sex = sex or rng.choice("mf")
    family = FAMILY_NAMES[bisect.bisect(FAMILY_WEIGHTS, rng.random() * FAMILY_WEIGHTS[-1])]
    return f"{family} {rng.choice(MIDDLE[sex])} {rng.choice(GIVEN[sex])}"


def id_number(rng: random.Random, sex: str, birth: dt.date) -> str:
    """A citizen identity number: province of birth, sex and century, year, six digits."""
    century = CENTURY_DIGIT[(birth.year // 100 * 100, "female" if sex == "f" else "male")]
    place = "022" if rng.random() < 0.8 else rng.choice(("001", "030", "031", "034", "038"))
    return f"{place}{century}{birth.year % 100:02d}{rng.randrange(1_000_000):06d}"


def form_data(
    rng: random.Random, version: ProcedureVersion, commune: CommuneInfo, filed: dt.date
) -> dict[str, Any]:
    """Plausible answers to the procedure's e-form, from the field types and names."""
    data: dict[str, Any] = {}
    # In name order: PostgreSQL's jsonb keeps no key order, and the same seed must give the
    # same answers on both databases.
    for name, spec in sorted(version.spec["form"]["schema"].get("properties", {}).items()):
        kind = spec.get("type")
        if "enum" in spec:
            data[name] = rng.choice(spec["enum"])
        elif kind == "integer":
            low = int(spec.get("minimum", 1))
            high = min(int(spec.get("maximum", low + 5)), low + 5)
            data[name] = 50_000_000 if name.startswith("von") else rng.randint(low, high)
        elif spec.get("pattern") == "^[0-9]{5}$":
            data[name] = commune.code
        elif spec.get("pattern") == "^[0-9]{12}$":
            data[name] = f"022{rng.randrange(10**9):09d}"
        elif spec.get("format") == "date":
            data[name] = (filed - dt.timedelta(days=rng.randint(1, 40))).isoformat()
        elif "ho_ten" in name:
            data[name] = person_name(rng)
        elif name.startswith(("dia_chi", "noi_", "dia_diem")):
            data[name] = f"Số {rng.randint(1, 200)} đường {rng.choice(STREETS)}, {commune.name}"
        elif name.startswith("ten_giay_to"):
            data[name] = rng.choice(DOCUMENT_NAMES)
        elif name.startswith("muc_dich"):
            data[name] = rng.choice(PURPOSES)
        elif name.startswith("so_"):
            data[name] = str(rng.randint(1, 900))
        else:
            data[name] = str(spec.get("title", name))[:100]
    data[GENERATED] = True
    return data


def specimen() -> tuple[str, int, str]:
    """The file every generated digitised document points at, written once: its name, size
    and SHA-256."""
    if not default_storage.exists(SPECIMEN):
        default_storage.save(SPECIMEN, ContentFile(_specimen_pdf()))
    with default_storage.open(SPECIMEN, "rb") as stored:
        content = stored.read()
    return SPECIMEN, len(content), hashlib.sha256(content).hexdigest()


@functools.cache
def _specimen_pdf() -> bytes:
    from weasyprint import HTML

    pdf: bytes = HTML(
        string=(
            "<html><body style='font-family: \"DejaVu Sans\", sans-serif'>"
            "<h1>Tài liệu mô phỏng</h1><p>Bản điện tử của giấy tờ trong hồ sơ do "
            "<code>motcua generate</code> tạo ra để trình diễn và đo hiệu năng.</p>"
            "</body></html>"
        )
    ).write_pdf()
    return pdf
