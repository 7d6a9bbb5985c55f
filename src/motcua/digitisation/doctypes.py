"""The document types the store knows, and how their fields are read from OCR text.

Each type is data: a Vietnamese name, title patterns for detection, a validity rule and its
fields with the label that precedes each on the paper form. The wording follows the real forms:
TT 04/2020/TT-BTP (birth, marriage and marital status certificates), TT 10/2024/TT-BTNMT (land
certificate, with the older TT 23/2014 wording where it differs), the 2021 chip CCCD and the 2024
Căn cước card, and the business registration certificate.

Reading works on two copies of the text. OCR drops or swaps Vietnamese diacritics, above all on
small labels, so labels are matched on a folded copy (lower case, no diacritics, đ → d), while
the value is cut from the original NFC text at the same place, keeping its diacritics.

Pattern notation (all patterns are written against the folded text):
- `FieldSpec.pattern` matches the label. In it a literal space stands for any run of spaces or
  tabs, possibly none, because OCR drops and doubles spaces; write `[^\\S\\n]` for a required
  space. The label may be followed by ":", "." or ";"; the value may start on a later line (the
  CCCD prints names below their labels, and OCR puts blank lines between paragraphs).
- `FieldSpec.value_pattern` matches the value; empty means the default for the field's kind.
  A text value runs to the end of its line (continuing onto the next line after a trailing
  comma, as addresses do) and stops early at the label of another field of the same type, or at
  one of the type's `stops`, since forms print several fields on one line.
"""

from __future__ import annotations

import calendar
import datetime
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import NamedTuple

from django.utils.translation import gettext as _

from motcua.core.errors import MotcuaError
from motcua.dossiers.cccd import CccdCard, check_cccd, normalise_cccd

TEXT = "text"
DATE = "date"
ID_NUMBER = "id_number"
NUMBER = "number"
KINDS = (TEXT, DATE, ID_NUMBER, NUMBER)

# Default value patterns, by kind.
_DEFAULT_VALUES: Mapping[str, str] = MappingProxyType(
    {
        # To the end of the line; a trailing comma continues onto the next line.
        TEXT: r"(?:[^\n]*,[^\S\n]*\n)*[^\n]*",
        # 05/03/2020, 05-03-2020, 05.03.2020, "ngày 05 tháng 3 năm 2020".
        DATE: (
            r"(?:ngay[^\S\n]*)?[0-9]{1,2}[^\S\n]*(?:[/.\-]|thang)[^\S\n]*[0-9]{1,2}"
            r"[^\S\n]*(?:[/.\-]|nam)[^\S\n]*[0-9]{4}"
        ),
        # 12 digits (9 on an old identity card), sometimes printed in groups.
        ID_NUMBER: r"[0-9](?:[ .]?[0-9]){11}(?![0-9])|[0-9]{9}(?![0-9])",
        NUMBER: r"[0-9]+(?:[.,][0-9]+)*",
    }
)
# A name ends at a comma or colon: "Bà TRẦN THỊ MAI, năm sinh 1990, CCCD số: …".
_NAME = r"[^\n,;:(]+"
_SEX = r"(?:nam|nu)\b"
_CODE = r"[0-9a-z][0-9a-z/.\-]*"  # register numbers such as "125", "01/2020", "15-KS"


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str  # Vietnamese, as on the form
    kind: str  # one of KINDS
    required: bool
    pattern: str  # the label, on folded text (see the module docstring)
    value_pattern: str = ""  # "" means the default for the kind


@dataclass(frozen=True)
class DocumentType:
    """A kind of paper document.

    The identity of a stored document is read from its fields: each `*_fields` tuple names the
    fields to try, the first non-empty one wins. A document with `valid_until_fields` empty and
    `validity_months` set expires that many months after its issue date; with neither it never
    expires.
    """

    code: str
    name: str  # Vietnamese
    titles: tuple[str, ...]  # folded patterns of the form's title; a space matches any whitespace
    fields: tuple[FieldSpec, ...]
    validity_months: int | None = None
    stops: tuple[str, ...] = ()  # folded label patterns that end a text value but are no field
    number_fields: tuple[str, ...] = ()
    issuer_fields: tuple[str, ...] = ()
    holder_id_fields: tuple[str, ...] = ()
    issued_on_fields: tuple[str, ...] = ()
    valid_until_fields: tuple[str, ...] = ()
    # (ID number, date of birth, sex) fields of one person, checked against each other.
    person_checks: tuple[tuple[str, str, str], ...] = ()


class Identity(NamedTuple):
    """What the store indexes a document by; "" or None where the document does not say."""

    number: str
    issuer: str
    holder_id_number: str
    issued_on: str | None  # ISO date
    valid_until: str | None  # ISO date; None = no expiry known


# Labels shared by several forms.
_FULL_NAME = r"ho(?:,? chu dem,?)? (?:va )?ten(?: khai sinh)?(?! (?:nguoi|cua|cha|me|chong|vo)\b)"
_BIRTH_DATE = r"ngay,? thang,? nam sinh|ngay sinh"
_ETHNICITY = r"dan toc"
_NATIONALITY = r"quoc tich(?: / nationality)?"
_RESIDENCE = r"noi cu tru|noi thuong tru(?: / place of residence)?"
_PERSONAL_ID = r"so dinh danh ca nhan|so cccd|can cuoc cong dan so|cccd so"
_REGISTERED_AT = r"noi dang ky(?: khai sinh| ket hon)?"
_REGISTERED_ON = r"ngay,? thang,? nam dang ky|ngay dang ky"
_NUMBER = r"^ so(?= [:.])"  # "Số:" heading a line; "số" alone is everywhere
_BOOK = r"quyen so"


def _person(role: str) -> str:
    # "Họ, chữ đệm, tên người mẹ", "Họ và tên mẹ", "Họ tên của cha", "Họ, chữ đệm, tên chồng".
    return rf"ho(?:,? chu dem,?)? (?:va )?ten (?:cua )?(?:nguoi )?{role}\b"


def _person_id(role: str) -> str:
    return rf"(?:{_PERSONAL_ID}|giay to tuy than) \(?(?:cua )?(?:nguoi )?{role}\b\)?"


CCCD = DocumentType(
    code="cccd",
    name="Căn cước / Căn cước công dân",
    titles=(r"can cuoc cong dan", r"identity card", r"^ can cuoc $"),  # 2021 card, 2024 card
    fields=(
        FieldSpec(
            "id_number",
            "Số định danh cá nhân",
            ID_NUMBER,
            True,
            r"so dinh danh ca nhan(?: / personal identification number)?|^ so(?: / no\.?)?",
        ),
        FieldSpec("name", "Họ và tên", TEXT, True, rf"(?:{_FULL_NAME})(?: / full name)?", _NAME),
        FieldSpec(
            "birth_date", "Ngày sinh", DATE, True, rf"(?:{_BIRTH_DATE})(?: / date of birth)?"
        ),
        FieldSpec("sex", "Giới tính", TEXT, True, r"gioi tinh(?: / sex)?", _SEX),
        FieldSpec("nationality", "Quốc tịch", TEXT, False, _NATIONALITY),
        FieldSpec("home_town", "Quê quán", TEXT, False, r"que quan(?: / place of origin)?"),
        FieldSpec("residence", "Nơi thường trú", TEXT, False, _RESIDENCE),
        FieldSpec(
            "valid_until",
            "Có giá trị đến",
            DATE,
            False,
            r"co gia tri den(?: / date of expiry)?",
        ),
        FieldSpec(
            "issued_on",
            "Ngày cấp",
            DATE,
            False,
            r"ngay cap|ngay,? thang,? nam(?! sinh)(?: / date,? month,? year)?",
        ),
    ),
    number_fields=("id_number",),
    holder_id_fields=("id_number",),
    issued_on_fields=("issued_on",),
    valid_until_fields=("valid_until",),
    person_checks=(("id_number", "birth_date", "sex"),),
)

BIRTH_CERTIFICATE = DocumentType(
    code="birth_certificate",
    name="Giấy khai sinh",
    titles=(r"giay khai sinh", r"trich luc khai sinh"),
    fields=(
        FieldSpec("number", "Số", TEXT, True, _NUMBER, _CODE),
        FieldSpec("book_number", "Quyển số", TEXT, False, _BOOK, _CODE),
        FieldSpec("name", "Họ, chữ đệm, tên", TEXT, True, _FULL_NAME, _NAME),
        FieldSpec("birth_date", "Ngày, tháng, năm sinh", DATE, True, _BIRTH_DATE),
        FieldSpec("sex", "Giới tính", TEXT, True, r"gioi tinh", _SEX),
        FieldSpec("ethnicity", "Dân tộc", TEXT, False, _ETHNICITY),
        FieldSpec("nationality", "Quốc tịch", TEXT, False, _NATIONALITY),
        FieldSpec("birth_place", "Nơi sinh", TEXT, True, r"noi sinh"),
        FieldSpec("home_town", "Quê quán", TEXT, False, r"que quan"),
        FieldSpec("id_number", "Số định danh cá nhân", ID_NUMBER, False, _PERSONAL_ID),
        FieldSpec("mother_name", "Họ, chữ đệm, tên người mẹ", TEXT, False, _person("me"), _NAME),
        FieldSpec("father_name", "Họ, chữ đệm, tên người cha", TEXT, False, _person("cha"), _NAME),
        FieldSpec("registration_place", "Nơi đăng ký", TEXT, True, _REGISTERED_AT),
        FieldSpec("registration_date", "Ngày, tháng, năm đăng ký", DATE, True, _REGISTERED_ON),
    ),
    stops=(r"ghi bang chu", r"nam sinh", _RESIDENCE, r"giay to tuy than", _person("di khai sinh")),
    number_fields=("number",),
    issuer_fields=("registration_place",),
    holder_id_fields=("id_number",),
    issued_on_fields=("registration_date",),
    person_checks=(("id_number", "birth_date", "sex"),),
)

MARRIAGE_CERTIFICATE = DocumentType(
    code="marriage_certificate",
    name="Giấy chứng nhận kết hôn",
    titles=(r"giay chung nhan ket hon", r"trich luc (?:dang ky )?ket hon"),
    fields=(
        FieldSpec("number", "Số", TEXT, True, _NUMBER, _CODE),
        FieldSpec("book_number", "Quyển số", TEXT, False, _BOOK, _CODE),
        FieldSpec("husband_name", "Họ, chữ đệm, tên chồng", TEXT, True, _person("chong"), _NAME),
        FieldSpec(
            "husband_id_number", "Giấy tờ tùy thân của chồng", ID_NUMBER, False, _person_id("chong")
        ),
        FieldSpec("wife_name", "Họ, chữ đệm, tên vợ", TEXT, True, _person("vo"), _NAME),
        FieldSpec("wife_id_number", "Giấy tờ tùy thân của vợ", ID_NUMBER, False, _person_id("vo")),
        FieldSpec("registration_place", "Nơi đăng ký", TEXT, True, _REGISTERED_AT),
        FieldSpec("registration_date", "Ngày, tháng, năm đăng ký", DATE, True, _REGISTERED_ON),
    ),
    stops=(_BIRTH_DATE, _ETHNICITY, _NATIONALITY, _RESIDENCE),
    number_fields=("number",),
    issuer_fields=("registration_place",),
    holder_id_fields=("husband_id_number", "wife_id_number"),
    issued_on_fields=("registration_date",),
)

LAND_USE_CERTIFICATE = DocumentType(
    code="land_use_certificate",
    name="Giấy chứng nhận quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất",
    titles=(r"giay chung nhan quyen su dung dat",),
    fields=(
        # Two capitals and 6 (TT 23/2014: "CS 123456") or 8 digits (TT 10/2024: "AA 01234567"),
        # labelled, or alone on its line at the foot of the page.
        FieldSpec(
            "serial",
            "Số phát hành",
            TEXT,
            True,
            r"so phat hanh|so seri|^ (?=[a-z]{2} [0-9]{6,8} $)",
            r"[a-z]{2} ?[0-9]{6,8}(?![0-9])",
        ),
        FieldSpec(
            "register_number",
            "Số vào sổ cấp Giấy chứng nhận",
            TEXT,
            False,
            r"so vao so cap (?:giay chung nhan|gcn)",
            r"[0-9a-z][0-9a-z/.\-]*(?:[^\S\n][0-9][0-9a-z/.\-]*)?",
        ),
        # "Bà Trần Thị Mai, năm sinh 1990, CCCD số: …" on its own line, or after the label.
        FieldSpec(
            "owner_name",
            "Người sử dụng đất, chủ sở hữu tài sản gắn liền với đất",
            TEXT,
            True,
            r"nguoi su dung dat(?:,? chu so huu tai san gan lien voi dat)? :?\s*(?:(?:ong|ba)\b)?"
            r"|^ (?:ong|ba)\b",
            _NAME,
        ),
        FieldSpec(
            "owner_id_number",
            "Số định danh cá nhân",
            ID_NUMBER,
            False,
            rf"{_PERSONAL_ID}|can cuoc so|cmnd so|cmnd",
        ),
        FieldSpec("parcel_number", "Thửa đất số", NUMBER, True, r"thua dat so|thua so"),
        FieldSpec("map_sheet", "Tờ bản đồ số", NUMBER, True, r"to ban do so"),
        FieldSpec(
            "parcel_address",
            "Địa chỉ thửa đất",
            TEXT,
            True,
            r"dia chi(?! (?:thuong tru|lien he|tru so|cu tru))(?: thua dat)?",
        ),
        FieldSpec("area", "Diện tích (m²)", NUMBER, True, r"dien tich(?: dat)?(?! (?:xay|san))"),
        FieldSpec("land_use_purpose", "Mục đích sử dụng", TEXT, True, r"muc dich su dung(?: dat)?"),
        # The place and date above the signature: "Hạ Long, ngày 05 tháng 3 năm 2020".
        FieldSpec("issued_on", "Ngày cấp", DATE, True, r"ngay cap|(?<=,)(?= ngay [0-9])"),
        # The issuing body heads the signature block, below the date.
        FieldSpec(
            "issuer",
            "Cơ quan cấp",
            TEXT,
            True,
            r"co quan cap|^ (?:tm[.,]? )?(?=(?:uy ban nhan dan|so tai nguyen|so nong nghiep"
            r"|(?:chi nhanh )?van phong dang ky))",
        ),
    ),
    stops=(r"nam sinh", r"dia chi", r"hinh thuc su dung", r"thoi han su dung", r"nguon goc"),
    number_fields=("serial",),
    issuer_fields=("issuer",),
    holder_id_fields=("owner_id_number",),
    issued_on_fields=("issued_on",),
)

MARITAL_STATUS_CERTIFICATE = DocumentType(
    code="marital_status_certificate",
    name="Giấy xác nhận tình trạng hôn nhân",
    titles=(r"giay xac nhan tinh trang hon nhan",),
    fields=(
        FieldSpec("number", "Số", TEXT, False, _NUMBER, _CODE),
        FieldSpec("name", "Họ, chữ đệm, tên", TEXT, True, _FULL_NAME, _NAME),
        FieldSpec("birth_date", "Ngày, tháng, năm sinh", DATE, True, _BIRTH_DATE),
        FieldSpec("sex", "Giới tính", TEXT, False, r"gioi tinh", _SEX),
        FieldSpec(
            "id_number", "Giấy tờ tùy thân", ID_NUMBER, False, rf"{_PERSONAL_ID}|giay to tuy than"
        ),
        FieldSpec("residence", "Nơi cư trú", TEXT, False, _RESIDENCE),
        FieldSpec(
            "marital_status",
            "Tình trạng hôn nhân",
            TEXT,
            True,
            r"tinh trang hon nhan(?= [:.])",  # the colon tells it from the title
        ),
        FieldSpec(
            "purpose",
            "Mục đích sử dụng",
            TEXT,
            False,
            r"giay nay duoc (?:cap|su dung) de|muc dich su dung",
        ),
        FieldSpec("issued_on", "Ngày cấp", DATE, True, r"ngay cap|(?<=,)(?= ngay [0-9])"),
        FieldSpec(
            "issuer", "Cơ quan cấp", TEXT, False, r"co quan cap|^ (?:tm[.,]? )?(?=uy ban nhan dan)"
        ),
    ),
    stops=(_ETHNICITY, _NATIONALITY),
    # Valid until the marital status changes, or 6 months from issue, whichever comes first
    # (NĐ 123/2015/NĐ-CP Đ23; TT 04/2020/TT-BTP Đ12 k2).
    validity_months=6,
    number_fields=("number",),
    issuer_fields=("issuer",),
    holder_id_fields=("id_number",),
    issued_on_fields=("issued_on",),
    person_checks=(("id_number", "birth_date", "sex"),),
)

BUSINESS_REGISTRATION = DocumentType(
    code="business_registration",
    name="Giấy chứng nhận đăng ký doanh nghiệp",
    titles=(r"giay chung nhan dang ky doanh nghiep",),
    fields=(
        # The enterprise code is also the tax code: 10 digits, leading zeros kept.
        FieldSpec(
            "enterprise_code",
            "Mã số doanh nghiệp",
            NUMBER,
            True,
            r"ma so doanh nghiep",
            r"[0-9]{10}(?![0-9])",
        ),
        FieldSpec(
            "company_name",
            "Tên công ty viết bằng tiếng Việt",
            TEXT,
            True,
            r"ten (?:cong ty|doanh nghiep)(?: viet bang tieng viet)?",
        ),
        FieldSpec("head_office", "Địa chỉ trụ sở chính", TEXT, False, r"dia chi tru so(?: chinh)?"),
        FieldSpec("first_registered_on", "Đăng ký lần đầu", DATE, True, r"dang ky lan dau"),
        FieldSpec(
            "changed_on",
            "Đăng ký thay đổi",
            DATE,
            False,
            r"dang ky thay doi lan thu [:.]? [0-9]+ ,?",
        ),
        FieldSpec(
            "representative_name", "Người đại diện theo pháp luật", TEXT, False, _FULL_NAME, _NAME
        ),
        FieldSpec(
            "representative_id_number",
            "Số định danh cá nhân của người đại diện",
            ID_NUMBER,
            False,
            rf"{_PERSONAL_ID}|so giay to phap ly(?: cua ca nhan)?",
        ),
        FieldSpec(
            "issuer", "Cơ quan cấp", TEXT, False, r"co quan cap|^ (?=phong dang ky kinh doanh)"
        ),
    ),
    stops=(r"gioi tinh", r"sinh ngay", r"chuc danh", _ETHNICITY, _NATIONALITY),
    number_fields=("enterprise_code",),
    issuer_fields=("issuer",),
    holder_id_fields=("representative_id_number",),
    issued_on_fields=("changed_on", "first_registered_on"),
)

# Any other paper: the officer types what identifies it.
OTHER = DocumentType(
    code="other",
    name="Giấy tờ khác",
    titles=(),
    fields=(
        FieldSpec("number", "Số", TEXT, False, _NUMBER, _CODE),
        FieldSpec("issuer", "Cơ quan cấp", TEXT, False, r"co quan cap|noi cap"),
        FieldSpec("holder_id_number", "Số định danh cá nhân", ID_NUMBER, False, _PERSONAL_ID),
        FieldSpec("issued_on", "Ngày cấp", DATE, False, r"ngay cap|(?<=,)(?= ngay [0-9])"),
        FieldSpec("valid_until", "Có giá trị đến", DATE, False, r"co gia tri den"),
    ),
    number_fields=("number",),
    issuer_fields=("issuer",),
    holder_id_fields=("holder_id_number",),
    issued_on_fields=("issued_on",),
    valid_until_fields=("valid_until",),
)

DOCUMENT_TYPES: Mapping[str, DocumentType] = MappingProxyType(
    {
        t.code: t
        for t in (
            CCCD,
            BIRTH_CERTIFICATE,
            MARRIAGE_CERTIFICATE,
            LAND_USE_CERTIFICATE,
            MARITAL_STATUS_CERTIFICATE,
            BUSINESS_REGISTRATION,
            OTHER,
        )
    }
)
DOCUMENT_TYPE_CODES: tuple[str, ...] = tuple(DOCUMENT_TYPES)

# A title on the page outweighs any number of labels; without a title, three labels are needed.
_TITLE_SCORE = 10
_MIN_SCORE = 3


def document_type(code: str) -> DocumentType:
    """The type with this code; raises `MotcuaError(code="unknown_document_type")`."""
    try:
        return DOCUMENT_TYPES[code]
    except KeyError:
        message = _("“%(code)s” is not a known document type.") % {"code": code}
        raise MotcuaError(
            message, code="unknown_document_type", fields={"document_type": [message]}
        ) from None


def detect(text: str) -> str | None:
    """The code of the most likely type of the OCR text, or None when nothing fits.

    Scores a title match and each field label found; `other` is never detected.
    """
    folded = _Folded.of(text).text
    best: tuple[int, str] | None = None
    for doctype in DOCUMENT_TYPES.values():
        score = _TITLE_SCORE if any(p.search(folded) for p in _titles(doctype.code)) else 0
        score += sum(1 for spec in doctype.fields if _label(spec.pattern).search(folded))
        if doctype.titles and score >= _MIN_SCORE and (best is None or score > best[0]):
            best = (score, doctype.code)
    return best[1] if best else None


def extract(code: str, text: str) -> dict[str, str]:
    """Every field of the type read from the OCR text, normalised; "" where not found.

    Dates come out as ISO yyyy-mm-dd, numbers with "." as the decimal point and no grouping,
    ID numbers as bare digits. A date that is not a real one (31/02) is returned as read, so
    that the officer sees it and `field_problems` names it.
    """
    doctype = document_type(code)
    source = _Folded.of(text)
    values: dict[str, str] = {}
    for spec in doctype.fields:
        match = _field_regex(spec).search(source.text)
        if match is None:
            values[spec.name] = ""
            continue
        start, end = match.span("value")
        if spec.kind == TEXT:
            end = _cut_at_stop(source.text, start, end, _stops(code, spec.name))
        values[spec.name] = _normalise(spec.kind, source.original(start, end))
    return values


def field_problems(code: str, values: Mapping[str, str]) -> dict[str, list[str]]:
    """What is wrong with officer-confirmed values, by field name; empty when all is well.

    Values are the normalised forms `extract` returns (ISO dates, bare digits).
    """
    doctype = document_type(code)
    specs = {spec.name: spec for spec in doctype.fields}
    problems: dict[str, list[str]] = {}
    for name in values:
        if name not in specs:
            problems[name] = [_("This document type has no such field.")]
    for spec in doctype.fields:
        value = values.get(spec.name, "").strip()
        if not value:
            if spec.required:
                problems[spec.name] = [_("This field is required.")]
            continue
        message = _value_problem(spec.kind, value)
        if message:
            problems[spec.name] = [message]
    for id_field, birth_field, sex_field in doctype.person_checks:
        if problems.keys() & {id_field, birth_field, sex_field}:
            continue  # one problem at a time: the cross-check needs valid values
        number = values.get(id_field, "").strip()
        if len(number) != 12:
            continue
        birth = values.get(birth_field, "").strip()
        try:
            check_cccd(
                number,
                date_of_birth=datetime.date.fromisoformat(birth) if birth else None,
                sex=_sex_of(values.get(sex_field, "")),
            )
        except MotcuaError as error:
            problems[id_field] = list(error.fields["id_number"])
    return problems


def identity_of(code: str, values: Mapping[str, str]) -> Identity:
    """The number, issuer, holder's ID number, issue date and expiry of a confirmed document.

    `valid_until` is the printed expiry where the type has one, else the issue date plus the
    type's validity in months (the same day of the month, or the month's last day: Bộ luật
    Dân sự 2015 Đ148), else None.
    """
    doctype = document_type(code)

    def first(names: tuple[str, ...]) -> str:
        return next((v for n in names if (v := values.get(n, "").strip())), "")

    issued_on = first(doctype.issued_on_fields) or None
    valid_until = first(doctype.valid_until_fields) or None
    if valid_until is None and issued_on and doctype.validity_months:
        issued = datetime.date.fromisoformat(issued_on)
        valid_until = _add_months(issued, doctype.validity_months).isoformat()
    return Identity(
        number=first(doctype.number_fields),
        issuer=first(doctype.issuer_fields),
        holder_id_number=first(doctype.holder_id_fields),
        issued_on=issued_on,
        valid_until=valid_until,
    )


def card_values(card: CccdCard) -> dict[str, str]:
    """The `cccd` fields a parsed card QR fills, in the form `extract` returns.

    Only what the code holds: merged over the OCR values, it replaces their misreadings
    and keeps what only the card's face shows (nationality, place of origin, expiry).
    """
    values = {
        "id_number": card.id_number,
        "name": card.name,
        "birth_date": card.birth_date.isoformat(),
        "sex": "Nam" if card.sex == "male" else "Nữ",
        "residence": card.address,
    }
    if card.issued_on is not None:
        values["issued_on"] = card.issued_on.isoformat()
    return values


# --- Folding -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Folded:
    """A folded copy of a text, with each folded character's index in the original."""

    source: str
    text: str
    origin: tuple[int, ...]

    @classmethod
    def of(cls, text: str) -> _Folded:
        source = unicodedata.normalize("NFC", text)
        chars: list[str] = []
        origin: list[int] = []
        for index, char in enumerate(source):
            folded = _fold_char(char)
            chars.append(folded)
            origin.extend([index] * len(folded))
        return cls(source=source, text="".join(chars), origin=tuple(origin))

    def original(self, start: int, end: int) -> str:
        if start >= end:
            return ""
        return self.source[self.origin[start] : self.origin[end - 1] + 1]


@cache
def _fold_char(char: str) -> str:
    if char in "đĐ":
        return "d"
    # Stray combining marks (OCR's doubled accents) vanish; "²" and the like stay.
    base = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
    return base.lower()


# --- Patterns ------------------------------------------------------------------------------

_FLAGS = re.IGNORECASE | re.MULTILINE


def _label_source(pattern: str) -> str:
    # A label starts a word ("so" must not match inside "hoso") and a space is optional.
    return r"(?<![0-9a-z])(?:" + pattern.replace(" ", r"[^\S\n]*") + ")"


@cache
def _label(pattern: str) -> re.Pattern[str]:
    return re.compile(_label_source(pattern), _FLAGS)


@cache
def _field_regex(spec: FieldSpec) -> re.Pattern[str]:
    value = spec.value_pattern or _DEFAULT_VALUES[spec.kind]
    # The value may be on a later line: OCR puts blank lines between a label and its value.
    separator = r"[^\S\n]*[:.;]?\s*"
    return re.compile(rf"{_label_source(spec.pattern)}{separator}(?P<value>{value})", _FLAGS)


@cache
def _titles(code: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(t.replace(" ", r"\s*"), _FLAGS) for t in DOCUMENT_TYPES[code].titles)


@cache
def _stops(code: str, field_name: str) -> tuple[re.Pattern[str], ...]:
    # A field's own label is no stop: the serial's label is a lookahead at its value.
    doctype = DOCUMENT_TYPES[code]
    labels = (s.pattern for s in doctype.fields if s.name != field_name)
    return tuple(_label(p) for p in (*labels, *doctype.stops))


def _cut_at_stop(folded: str, start: int, end: int, stops: tuple[re.Pattern[str], ...]) -> int:
    # A value starting with a label means the field was empty and the next one followed.
    for stop in stops:
        match = stop.search(folded, start, end)
        if match:
            end = match.start()
    return end


# --- Values --------------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")
_DATE_PARTS = re.compile(r"([0-9]{1,2})\D+?([0-9]{1,2})\D+?([0-9]{4})")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_PLAIN_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?", re.ASCII)
_THOUSANDS = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+", re.ASCII)
_SEX_WORDS = MappingProxyType({"nam": "male", "nu": "female"})


def _normalise(kind: str, raw: str) -> str:
    value = _SPACES.sub(" ", raw).strip(" .,;:-–")
    if kind == DATE:
        return _iso_date(value)
    if kind == ID_NUMBER:
        return normalise_cccd(value).replace(".", "")
    if kind == NUMBER:
        return _plain_number(value)
    return value


def _iso_date(value: str) -> str:
    parts = _DATE_PARTS.search(value)
    if parts is None:
        return value
    day, month, year = (int(p) for p in parts.groups())
    try:
        return datetime.date(year, month, day).isoformat()
    except ValueError:
        return value


def _plain_number(value: str) -> str:
    # Vietnamese print "1.234,5": a comma is the decimal point, dots group thousands. A lone dot
    # followed by other than three digits ("120.5") is a decimal point.
    if "," in value:
        value = value.replace(".", "").replace(",", ".")
    elif _THOUSANDS.fullmatch(value):
        value = value.replace(".", "")
    if "." in value:
        value = value.rstrip("0").rstrip(".")
    return value


def _value_problem(kind: str, value: str) -> str:
    if kind == DATE:
        try:
            if _ISO_DATE.fullmatch(value):
                datetime.date.fromisoformat(value)
                return ""
        except ValueError:
            pass
        return _("Enter a valid date (yyyy-mm-dd).")
    if kind == NUMBER and not _PLAIN_NUMBER.fullmatch(value):
        return _("Enter a number, with “.” as the decimal point.")
    if kind == ID_NUMBER:
        if len(value) == 9 and value.isascii() and value.isdigit():
            return ""  # an old identity card (CMND) number, printed on older papers
        try:
            check_cccd(value)
        except MotcuaError as error:
            return str(error.message)
    return ""


def _sex_of(value: str) -> str | None:
    return _SEX_WORDS.get(_Folded.of(value.strip()).text)


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )
