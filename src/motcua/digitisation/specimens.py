"""Synthetic paper documents, drawn as 300-dpi page images, for the demo, tests and benchmarks.

Each specimen is a frozen dataclass of facts with synthetic defaults (a woman from Quảng Ninh
whose CCCD number fits her date of birth and sex) and a drawing function. `values()` gives what
`doctypes.extract` should read from an OCR of the drawing: the ground truth of the benchmark.
Every drawing carries the mark "MẪU – DỮ LIỆU GIẢ LẬP" so that no one mistakes it for a real
document. The layouts follow the real forms closely enough for Tesseract `vie` and the field
patterns, but they are not facsimiles: no emblem, no security print.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import segno
from PIL import Image, ImageDraw, ImageFont

DPI = 300
SPECIMEN_MARK = "MẪU – DỮ LIỆU GIẢ LẬP"

_FONT_DIRS = (Path("/usr/share/fonts/truetype/noto"), Path("/usr/share/fonts/truetype/dejavu"))
# Noto first (Debian fonts-noto-core), DejaVu as the fallback; both cover Vietnamese.
_FONT_FILES = {
    ("serif", False): ("NotoSerif-Regular.ttf", "DejaVuSerif.ttf"),
    ("serif", True): ("NotoSerif-Bold.ttf", "DejaVuSerif-Bold.ttf"),
    ("sans", False): ("NotoSans-Regular.ttf", "DejaVuSans.ttf"),
    ("sans", True): ("NotoSans-Bold.ttf", "DejaVuSans-Bold.ttf"),
}
_INK = (20, 20, 20)
_RED = (170, 30, 30)
_GREY = (120, 120, 120)


def _iso(day: datetime.date | None) -> str:
    return day.isoformat() if day else ""


@dataclass(frozen=True)
class BirthCertificateFacts:
    """A birth certificate on the TT 04/2020/TT-BTP form (names printed in capitals)."""

    number: str = "125"
    book_number: str = "01/1990"
    name: str = "Trần Thị Mai"
    birth_date: datetime.date = datetime.date(1990, 5, 12)
    sex: str = "Nữ"
    ethnicity: str = "Kinh"
    nationality: str = "Việt Nam"
    birth_place: str = "Bệnh viện Đa khoa tỉnh Quảng Ninh"
    home_town: str = "phường Hạ Long, tỉnh Quảng Ninh"
    id_number: str = "022190000123"
    mother_name: str = "Nguyễn Thị Hoa"
    mother_birth_year: int = 1965
    father_name: str = "Trần Văn Hùng"
    father_birth_year: int = 1962
    parents_residence: str = "phường Hồng Gai, tỉnh Quảng Ninh"
    registration_place: str = "Ủy ban nhân dân phường Hồng Gai, tỉnh Quảng Ninh"
    registration_date: datetime.date = datetime.date(1990, 5, 20)
    signer: str = "Phạm Văn Bình"

    def values(self) -> dict[str, str]:
        return {
            "number": self.number,
            "book_number": self.book_number,
            "name": self.name.upper(),
            "birth_date": _iso(self.birth_date),
            "sex": self.sex,
            "ethnicity": self.ethnicity,
            "nationality": self.nationality,
            "birth_place": self.birth_place,
            "home_town": self.home_town,
            "id_number": self.id_number,
            "mother_name": self.mother_name.upper(),
            "father_name": self.father_name.upper(),
            "registration_place": self.registration_place,
            "registration_date": _iso(self.registration_date),
        }


@dataclass(frozen=True)
class LandUseCertificateFacts:
    """A land use certificate on the TT 10/2024/TT-BTNMT form, the first and second pages
    drawn as one."""

    serial: str = "AA 01234567"
    register_number: str = "CS 01234"
    owner_title: str = "Bà"
    owner_name: str = "Trần Thị Mai"
    owner_birth_year: int = 1990
    owner_id_number: str = "022190000123"
    owner_address: str = "tổ 5, khu 3, phường Hồng Gai, tỉnh Quảng Ninh"
    parcel_number: str = "125"
    map_sheet: str = "37"
    parcel_address: str = "tổ 7, khu 4, phường Hồng Gai, tỉnh Quảng Ninh"
    area: str = "120,5"  # as printed: decimal comma
    land_use_purpose: str = "Đất ở tại đô thị"
    issued_on: datetime.date = datetime.date(2025, 3, 5)
    issuer: str = "Ủy ban nhân dân phường Hồng Gai"
    signer: str = "Phạm Văn Bình"

    def values(self) -> dict[str, str]:
        return {
            "serial": self.serial,
            "register_number": self.register_number,
            "owner_name": self.owner_name.upper(),
            "owner_id_number": self.owner_id_number,
            "parcel_number": self.parcel_number,
            "map_sheet": self.map_sheet,
            "parcel_address": self.parcel_address,
            "area": self.area.replace(".", "").replace(",", "."),
            "land_use_purpose": self.land_use_purpose,
            "issued_on": _iso(self.issued_on),
            "issuer": self.issuer.upper(),
        }


@dataclass(frozen=True)
class CccdCardFacts:
    """The front of a 2021 chip CCCD card, with the QR code in its top right corner."""

    id_number: str = "022190000123"
    old_id_number: str = "100987654"
    name: str = "Trần Thị Mai"
    birth_date: datetime.date = datetime.date(1990, 5, 12)
    sex: str = "Nữ"
    nationality: str = "Việt Nam"
    home_town: str = "phường Hạ Long, tỉnh Quảng Ninh"
    residence: str = "Tổ 5, khu 3, phường Hồng Gai, tỉnh Quảng Ninh"
    issued_on: datetime.date = datetime.date(2021, 8, 15)

    @property
    def valid_until(self) -> datetime.date | None:
        """The card must be renewed at 25, 40 and 60; one issued less than two years before
        such a birthday lasts to the next (Luật Căn cước công dân 2014 Đ21)."""
        for age in (25, 40, 60):
            birthday = _years_after(self.birth_date, age)
            if self.issued_on < _years_after(birthday, -2):
                return birthday
        return None

    def qr_payload(self) -> str:
        return "|".join(
            (
                self.id_number,
                self.old_id_number,
                self.name,
                self.birth_date.strftime("%d%m%Y"),
                self.sex,
                self.residence,
                self.issued_on.strftime("%d%m%Y"),
            )
        )

    def values(self) -> dict[str, str]:
        return {
            "id_number": self.id_number,
            "name": self.name.upper(),
            "birth_date": _iso(self.birth_date),
            "sex": self.sex,
            "nationality": self.nationality,
            "home_town": self.home_town,
            "residence": self.residence,
            "valid_until": _iso(self.valid_until),
            "issued_on": "",  # printed on the back
        }


def birth_certificate(facts: BirthCertificateFacts | None = None, **changes: Any) -> Image.Image:
    """An A4 birth certificate; `changes` replace single facts of `facts` (or the defaults)."""
    f = replace(facts or BirthCertificateFacts(), **changes)
    page = _Page(210, 297, family="serif")
    page.border(_RED)
    y = page.national_heading(200)
    page.text(180, y + 30, f"Số: {f.number}", 42)
    page.text(180, y + 95, f"Quyển số: {f.book_number}", 42)
    y = page.centred(y + 230, "GIẤY KHAI SINH", 76, bold=True, fill=_RED)
    y = page.fields(
        y + 60,
        [
            [("Họ, chữ đệm, tên", f.name.upper())],
            [("Ngày, tháng, năm sinh", f.birth_date.strftime("%d/%m/%Y"))],
            [("Giới tính", f.sex), ("Dân tộc", f.ethnicity), ("Quốc tịch", f.nationality)],
            [("Nơi sinh", f.birth_place)],
            [("Quê quán", f.home_town)],
            [("Số định danh cá nhân", f.id_number)],
            [("Họ, chữ đệm, tên người mẹ", f.mother_name.upper())],
            [
                ("Năm sinh", str(f.mother_birth_year)),
                ("Dân tộc", "Kinh"),
                ("Quốc tịch", "Việt Nam"),
            ],
            [("Nơi cư trú", f.parents_residence)],
            [("Họ, chữ đệm, tên người cha", f.father_name.upper())],
            [
                ("Năm sinh", str(f.father_birth_year)),
                ("Dân tộc", "Kinh"),
                ("Quốc tịch", "Việt Nam"),
            ],
            [("Nơi cư trú", f.parents_residence)],
            [("Nơi đăng ký khai sinh", f.registration_place)],
            [("Ngày, tháng, năm đăng ký", f.registration_date.strftime("%d/%m/%Y"))],
        ],
    )
    page.signature(y + 80, ["NGƯỜI KÝ GIẤY KHAI SINH", "Phó Chủ tịch"], f.signer)
    page.mark()
    return page.image


def land_use_certificate(
    facts: LandUseCertificateFacts | None = None, **changes: Any
) -> Image.Image:
    """An A4 land use certificate; `changes` replace single facts of `facts` (or the defaults)."""
    f = replace(facts or LandUseCertificateFacts(), **changes)
    page = _Page(210, 297, family="serif")
    page.border((30, 110, 60))
    y = page.national_heading(200)
    y = page.centred(y + 70, "GIẤY CHỨNG NHẬN", 64, bold=True, fill=_RED)
    y = page.centred(
        y + 10, "QUYỀN SỬ DỤNG ĐẤT, QUYỀN SỞ HỮU TÀI SẢN GẮN LIỀN VỚI ĐẤT", 44, bold=True
    )
    y = page.fields(
        y + 60,
        [
            [("1. Người sử dụng đất, chủ sở hữu tài sản gắn liền với đất", "")],
            [
                (f.owner_title, f"{f.owner_name.upper()}, năm sinh {f.owner_birth_year}, "),
                ("CCCD số", f.owner_id_number),
            ],
            [("Địa chỉ thường trú", f.owner_address)],
            [("2. Thông tin thửa đất", "")],
            [("a) Thửa đất số", f"{f.parcel_number};"), ("Tờ bản đồ số", f.map_sheet)],
            [("b) Địa chỉ", f.parcel_address)],
            [("c) Diện tích", f"{f.area} m²")],
            [("d) Hình thức sử dụng", "Sử dụng riêng")],
            [("đ) Mục đích sử dụng", f.land_use_purpose)],
            [("e) Thời hạn sử dụng", "Lâu dài")],
            [("g) Nguồn gốc sử dụng", "Nhà nước công nhận quyền sử dụng đất")],
            [("3. Tài sản gắn liền với đất", "Không")],
            [("4. Ghi chú", "Không")],
        ],
    )
    place_date = f"Quảng Ninh, ngày {f.issued_on.day:02d} tháng {f.issued_on.month} năm "
    page.signature(
        y + 70,
        [place_date + str(f.issued_on.year), "TM. " + f.issuer.upper(), "CHỦ TỊCH"],
        f.signer,
    )
    page.fields(page.height - 420, [[("Số vào sổ cấp Giấy chứng nhận", f.register_number)]])
    page.text(page.width - 700, page.height - 300, f.serial, 48, bold=True, fill=_RED)
    page.mark()
    return page.image


def cccd_card(facts: CccdCardFacts | None = None, **changes: Any) -> Image.Image:
    """The front of a CCCD card (85.6 × 54 mm) with the QR code of `CccdCardFacts.qr_payload`."""
    f = replace(facts or CccdCardFacts(), **changes)
    page = _Page(85.6, 54, family="sans", background=(236, 244, 238))
    draw = page.draw
    draw.rounded_rectangle((4, 4, page.width - 5, page.height - 5), 36, outline=_GREY, width=3)
    draw.ellipse((40, 40, 150, 150), fill=(200, 40, 40))  # where the emblem is printed
    for line, (text, size, bold) in enumerate(
        [
            ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 25, True),
            ("Độc lập - Tự do - Hạnh phúc", 23, True),
            ("SOCIALIST REPUBLIC OF VIET NAM", 19, False),
            ("Independence - Freedom - Happiness", 19, False),
        ]
    ):
        page.text(180, 30 + line * 32, text, size, bold=bold)
    page.text(300, 170, "CĂN CƯỚC CÔNG DÂN", 36, bold=True, fill=_RED)
    page.text(330, 212, "Citizen Identity Card", 22)
    qr = _qr_image(f.qr_payload(), scale=3)
    page.image.paste(qr, (page.width - qr.width - 30, 24))
    draw.rectangle((40, 250, 240, 500), fill=(205, 215, 225), outline=_GREY)
    valid_until = f.valid_until.strftime("%d/%m/%Y") if f.valid_until else "Không thời hạn"
    lines = [
        (f"Số / No.: {f.id_number}", 30, True),
        ("Họ và tên / Full name:", 21, False),
        (f.name.upper(), 28, True),
        (f"Ngày sinh / Date of birth: {f.birth_date:%d/%m/%Y}", 21, False),
        (f"Giới tính / Sex: {f.sex}    Quốc tịch / Nationality: {f.nationality}", 21, False),
        ("Quê quán / Place of origin:", 21, False),
        (f.home_town, 21, False),
    ]
    # The address wraps after a comma, as the card prints it; a comma ends a continued line.
    first, rest = _wrap(f"Nơi thường trú / Place of residence: {f.residence}", page.font(21), 700)
    lines += [(first, 21, False), (rest, 21, False)]
    y = 250
    for text, size, bold in lines:
        page.text(270, y, text, size, bold=bold)
        y += size + 8
    page.text(40, 558, f"Có giá trị đến / Date of expiry: {valid_until}", 22)
    page.text(40, 596, SPECIMEN_MARK, 18, fill=_RED)
    return page.image


def png_bytes(image: Image.Image) -> bytes:
    """The image as PNG, keeping its resolution so that OCR sizes the text right."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=image.info.get("dpi", (DPI, DPI)))
    return buffer.getvalue()


# --- Drawing -------------------------------------------------------------------------------


@cache
def _font(family: str, size: int, bold: bool) -> ImageFont.FreeTypeFont:
    for name in _FONT_FILES[(family, bold)]:
        for folder in _FONT_DIRS:
            if (folder / name).exists():
                return ImageFont.truetype(str(folder / name), size)
    raise FileNotFoundError(f"no {family} font with Vietnamese glyphs in {_FONT_DIRS}")


def _qr_image(payload: str, *, scale: int) -> Image.Image:
    buffer = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(buffer, kind="png", scale=scale, border=2)
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: float) -> tuple[str, str]:
    """Split after the last comma that leaves the first part narrower than `width`."""
    cut = len(text)
    while font.getlength(text[:cut]) > width and (comma := text.rfind(",", 0, cut - 1)) > 0:
        cut = comma + 1
    return text[:cut], text[cut:].strip()


def _years_after(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a common year
        return day.replace(year=day.year + years, day=28)


class _Page:
    def __init__(
        self,
        width_mm: float,
        height_mm: float,
        *,
        family: str,
        background: tuple[int, int, int] = (255, 255, 255),
    ) -> None:
        self.width = round(width_mm / 25.4 * DPI)
        self.height = round(height_mm / 25.4 * DPI)
        self.family = family
        self.image = Image.new("RGB", (self.width, self.height), background)
        self.image.info["dpi"] = (DPI, DPI)
        self.draw = ImageDraw.Draw(self.image)

    def font(self, size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
        return _font(self.family, size, bold)

    def text(
        self,
        x: float,
        y: float,
        text: str,
        size: int,
        *,
        bold: bool = False,
        fill: tuple[int, int, int] = _INK,
    ) -> float:
        """Draw one line with its top left at (x, y); return the x where it ends."""
        font = self.font(size, bold)
        self.draw.text((x, y), text, font=font, fill=fill)
        return x + self.draw.textlength(text, font=font)

    def centred(
        self,
        y: float,
        text: str,
        size: int,
        *,
        bold: bool = False,
        fill: tuple[int, int, int] = _INK,
        centre: float | None = None,
    ) -> float:
        """Draw one line centred on `centre` (the page's middle); return the next line's y."""
        width = self.draw.textlength(text, font=self.font(size, bold))
        middle = self.width / 2 if centre is None else centre
        self.text(middle - width / 2, y, text, size, bold=bold, fill=fill)
        return y + size * 1.45

    def border(self, colour: tuple[int, int, int]) -> None:
        inset = 90
        box = (inset, inset, self.width - inset, self.height - inset)
        self.draw.rectangle(box, outline=colour, width=10)
        inner = (inset + 22, inset + 22, self.width - inset - 22, self.height - inset - 22)
        self.draw.rectangle(inner, outline=colour, width=3)

    def national_heading(self, y: float) -> float:
        y = self.centred(y, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 46, bold=True)
        y = self.centred(y, "Độc lập - Tự do - Hạnh phúc", 44, bold=True)
        self.draw.line(
            (self.width / 2 - 260, y + 12, self.width / 2 + 260, y + 12), fill=_INK, width=3
        )
        return y + 27

    def fields(self, y: float, rows: list[list[tuple[str, str]]], size: int = 42) -> float:
        """Draw rows of "label: value" pairs, the values in bold; return the next line's y.

        A pair with an empty value is a heading ("2. Thông tin thửa đất:"); one whose label
        has no colon after it is a title before a name ("Bà TRẦN THỊ MAI").
        """
        for row in rows:
            x = 180.0
            for label, value in row:
                titled = label in ("Ông", "Bà")
                x = self.text(x, y, label if titled else f"{label}: ", size)
                if titled:
                    x += size / 3
                x = self.text(x, y, value, size, bold=True) + size * 1.5
            y += size * 1.85
        return y

    def signature(self, y: float, title_lines: list[str], signer: str) -> None:
        centre = self.width * 0.68
        for index, line in enumerate(title_lines):
            is_place_date = index == 0 and "ngày" in line
            y = self.centred(y, line, 40, bold=not is_place_date, centre=centre)
        self.centred(y + 260, signer, 42, bold=True, centre=centre)

    def mark(self) -> None:
        self.centred(self.height - 190, SPECIMEN_MARK, 32, bold=True, fill=_RED)
