"""The 12-digit citizen identity number (CCCD, số định danh cá nhân).

Layout: 3-digit province code of the birth registration + 1 century/sex digit + the last 2 digits
of the birth year + 6 random digits. There is no check digit, so a well-formed number can still be
wrong: comparing it with the date of birth and sex catches most typing errors at the counter.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from django.utils.translation import gettext as _

from motcua.core.errors import MotcuaError

Sex = Literal["male", "female"]

# Place-of-birth-registration codes of Thông tư 59/2021/TT-BCA (the 63 provinces before the 2025
# merger). Numbers issued after the merger keep these codes, so this table, not the 34-province
# list, is the source. DOMAIN.md marks the CCCD layout [S] (secondary source).
PROVINCE_CODES: Mapping[str, str] = MappingProxyType(
    {
        "001": "Hà Nội",
        "002": "Hà Giang",
        "004": "Cao Bằng",
        "006": "Bắc Kạn",
        "008": "Tuyên Quang",
        "010": "Lào Cai",
        "011": "Điện Biên",
        "012": "Lai Châu",
        "014": "Sơn La",
        "015": "Yên Bái",
        "017": "Hòa Bình",
        "019": "Thái Nguyên",
        "020": "Lạng Sơn",
        "022": "Quảng Ninh",
        "024": "Bắc Giang",
        "025": "Phú Thọ",
        "026": "Vĩnh Phúc",
        "027": "Bắc Ninh",
        "030": "Hải Dương",
        "031": "Hải Phòng",
        "033": "Hưng Yên",
        "034": "Thái Bình",
        "035": "Hà Nam",
        "036": "Nam Định",
        "037": "Ninh Bình",
        "038": "Thanh Hóa",
        "040": "Nghệ An",
        "042": "Hà Tĩnh",
        "044": "Quảng Bình",
        "045": "Quảng Trị",
        "046": "Thừa Thiên Huế",
        "048": "Đà Nẵng",
        "049": "Quảng Nam",
        "051": "Quảng Ngãi",
        "052": "Bình Định",
        "054": "Phú Yên",
        "056": "Khánh Hòa",
        "058": "Ninh Thuận",
        "060": "Bình Thuận",
        "062": "Kon Tum",
        "064": "Gia Lai",
        "066": "Đắk Lắk",
        "067": "Đắk Nông",
        "068": "Lâm Đồng",
        "070": "Bình Phước",
        "072": "Tây Ninh",
        "074": "Bình Dương",
        "075": "Đồng Nai",
        "077": "Bà Rịa – Vũng Tàu",
        "079": "Hồ Chí Minh",
        "080": "Long An",
        "082": "Tiền Giang",
        "083": "Bến Tre",
        "084": "Trà Vinh",
        "086": "Vĩnh Long",
        "087": "Đồng Tháp",
        "089": "An Giang",
        "091": "Kiên Giang",
        "092": "Cần Thơ",
        "093": "Hậu Giang",
        "094": "Sóc Trăng",
        "095": "Bạc Liêu",
        "096": "Cà Mau",
    }
)

# The 4th digit: (first year of the birth century, sex). Even digits are male, odd female.
CENTURY_DIGITS: Mapping[str, tuple[int, Sex]] = MappingProxyType(
    {
        "0": (1900, "male"),
        "1": (1900, "female"),
        "2": (2000, "male"),
        "3": (2000, "female"),
        "4": (2100, "male"),
        "5": (2100, "female"),
        "6": (2200, "male"),
        "7": (2200, "female"),
        "8": (1800, "male"),
        "9": (1800, "female"),
    }
)

# re.ASCII: str.isdigit() and a bare \d would accept other scripts' digits such as "١٢٣".
_TWELVE_DIGITS = re.compile(r"[0-9]{12}", re.ASCII)
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class CccdFacts:
    province_code: str
    province_name: str
    century: int  # first year of the birth century: 1900 for someone born in 1900–1999
    sex: Sex
    birth_year_2digits: str

    @property
    def birth_year(self) -> int:
        return self.century + int(self.birth_year_2digits)


def normalise_cccd(number: str) -> str:
    """The number without the spaces people type to group its digits."""
    return _WHITESPACE.sub("", number)


def describe_cccd(number: str) -> CccdFacts:
    """What a well-formed number says; raises `MotcuaError(code="invalid_id_number")`."""
    digits = normalise_cccd(number)
    if not _TWELVE_DIGITS.fullmatch(digits):
        raise _invalid(_("The citizen identity number must have exactly 12 digits."))
    province_code = digits[:3]
    province_name = PROVINCE_CODES.get(province_code)
    if province_name is None:
        raise _invalid(
            _("The citizen identity number begins with %(code)s, which is not a province code.")
            % {"code": province_code}
        )
    century, sex = CENTURY_DIGITS[digits[3]]
    return CccdFacts(
        province_code=province_code,
        province_name=province_name,
        century=century,
        sex=sex,
        birth_year_2digits=digits[4:6],
    )


def check_cccd(
    number: str,
    *,
    date_of_birth: datetime.date | None = None,
    sex: str | None = None,
) -> None:
    """Raise `MotcuaError(code="invalid_id_number")` unless the number fits the person.

    `sex` is "male", "female" or None (not known); any other value is a programming error.
    Every mismatch with the date of birth and sex is reported at once.
    """
    if sex not in (None, "male", "female"):
        raise ValueError(f"sex must be 'male', 'female' or None, not {sex!r}")
    facts = describe_cccd(number)
    problems: list[str] = []
    if date_of_birth is not None:
        year = date_of_birth.year
        if year // 100 * 100 != facts.century:
            problems.append(
                _(
                    "The fourth digit of the citizen identity number is for someone born in "
                    "%(first)s–%(last)s, but the date of birth is in %(year)s."
                )
                % {"first": facts.century, "last": facts.century + 99, "year": year}
            )
        if year % 100 != int(facts.birth_year_2digits):
            problems.append(
                _(
                    "Digits 5 and 6 of the citizen identity number (%(digits)s) do not match "
                    "the year of birth %(year)s."
                )
                % {"digits": facts.birth_year_2digits, "year": year}
            )
    if sex is not None and sex != facts.sex:
        if facts.sex == "male":
            message = _("The citizen identity number is for a male citizen, but the sex is female.")
        else:
            message = _("The citizen identity number is for a female citizen, but the sex is male.")
        problems.append(message)
    if problems:
        raise _invalid(*problems)


def _invalid(*messages: str) -> MotcuaError:
    # The first problem is the summary; the field lists every problem found.
    return MotcuaError(messages[0], code="invalid_id_number", fields={"id_number": list(messages)})


# The QR on the chip card: ID|old ID|name|DOB ddmmyyyy|sex|permanent address|issue date ddmmyyyy.
# Cards seen in the wild also carry a 6-field variant without the old ID (research/wallet.md).
# The code is unsigned, so a parsed card is a fast way to fill a form, never proof of identity.
_QR_SEX_WORDS: Mapping[str, Sex] = MappingProxyType({"nam": "male", "nữ": "female"})
_QR_DATE = re.compile(r"[0-9]{8}", re.ASCII)
_OLD_ID = re.compile(r"[0-9]{9}|[0-9]{12}", re.ASCII)


@dataclass(frozen=True)
class CccdCard:
    id_number: str
    old_id_number: str  # "" when the card shows none
    name: str
    birth_date: datetime.date
    sex: Sex
    address: str
    issued_on: datetime.date | None  # None when the code leaves it empty


def parse_cccd_qr(payload: str) -> CccdCard:
    """The card behind a CCCD QR text; raises `MotcuaError(code="invalid_cccd_qr")`.

    Accepts NFC or NFD text and the Enter a keyboard-wedge scanner appends. The ID number must
    fit the date of birth and sex in the same code: a mismatch means a misread or a forged code.
    Every problem found is listed in `fields["qr"]`.
    """
    parts = [part.strip() for part in unicodedata.normalize("NFC", payload).strip().split("|")]
    if len(parts) == 6:
        parts.insert(1, "")
    if len(parts) != 7:
        raise _invalid_qr(
            _(
                "This is not a citizen identity card QR code: it has %(count)s fields "
                "separated by “|” instead of 6 or 7."
            )
            % {"count": len(parts)}
        )
    id_number, old_id_number, name, birth_text, sex_text, address, issued_text = parts
    name = _WHITESPACE.sub(" ", name)
    problems: list[str] = []
    if old_id_number and not _OLD_ID.fullmatch(old_id_number):
        problems.append(_("The old identity card number in the QR code must have 9 or 12 digits."))
    if not name:
        problems.append(_("The QR code has no full name."))
    birth_date = _qr_date(birth_text)
    if birth_date is None:
        problems.append(
            _("The date of birth in the QR code (%(value)s) is not a valid ddmmyyyy date.")
            % {"value": birth_text}
        )
    sex = _QR_SEX_WORDS.get(sex_text.casefold())
    if sex is None:
        problems.append(
            _("The sex in the QR code (%(value)s) is neither “Nam” nor “Nữ”.") % {"value": sex_text}
        )
    issued_on = _qr_date(issued_text) if issued_text else None
    if issued_text and issued_on is None:
        problems.append(
            _("The issue date in the QR code (%(value)s) is not a valid ddmmyyyy date.")
            % {"value": issued_text}
        )
    elif issued_on is not None and birth_date is not None and issued_on < birth_date:
        problems.append(_("The issue date in the QR code is before the date of birth."))
    try:
        check_cccd(id_number, date_of_birth=birth_date, sex=sex)
    except MotcuaError as error:
        problems.extend(error.fields["id_number"])
    if problems or birth_date is None or sex is None:
        raise _invalid_qr(*problems)
    return CccdCard(
        id_number=normalise_cccd(id_number),
        old_id_number=old_id_number,
        name=name,
        birth_date=birth_date,
        sex=sex,
        address=_WHITESPACE.sub(" ", address),
        issued_on=issued_on,
    )


def _qr_date(text: str) -> datetime.date | None:
    if not _QR_DATE.fullmatch(text):
        return None
    try:
        return datetime.date(int(text[4:]), int(text[2:4]), int(text[:2]))
    except ValueError:
        return None


def _invalid_qr(*messages: str) -> MotcuaError:
    return MotcuaError(messages[0], code="invalid_cccd_qr", fields={"qr": list(messages)})
