"""Document types: detection and field extraction from OCR-like text, validation, identity."""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Iterator

import pytest
from django.utils import translation

from motcua.core.errors import MotcuaError
from motcua.digitisation import doctypes
from motcua.digitisation.doctypes import (
    DOCUMENT_TYPE_CODES,
    DOCUMENT_TYPES,
    Identity,
    card_values,
    detect,
    extract,
    field_problems,
    identity_of,
)
from motcua.dossiers.cccd import parse_cccd_qr

# Typical Tesseract output: labels missing diacritics, odd spacing around ":", blank lines,
# three fields on one line, a date in words, a number in groups.
BIRTH_TEXT = """CONG HOA XA HOI CHU NGHIA VIET NAM
Độc lập - Tự do - Hạnh phúc
Sô: 125   Quyen so : 01/1990

GIAY KHAI SINH

Ho, chu dem, ten : TRẦN THỊ MAI
Ngay, thang, nam sinh :  ngày 12 tháng 5 năm 1990
Gioi tinh:Nữ Dân tộc :Kinh Quốc tịch: Việt Nam
Noi sinh: Bệnh viện Đa khoa tỉnh Quảng Ninh,
phường Hồng Gai
Quê quán:

Số định danh cá nhân: 022 190 000 123
Họ, chữ đệm, tên người mẹ: NGUYỄN THỊ HOA
Năm sinh: 1965 Dân tộc: Tày Quốc tịch: Việt Nam
Nơi cư trú: phường Hồng Gai, tỉnh Quảng Ninh
Họ, chữ đệm, tên người cha: TRẦN VĂN HÙNG
Nơi đăng ký khai sinh: Ủy ban nhân dân phường Hồng Gai, tỉnh Quảng Ninh
Ngày, tháng, năm đăng ký: 20/05/1990
"""

CCCD_TEXT = """CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
SOCIALIST REPUBLIC OF VIET NAM
CĂN CƯỚC CÔNG DÂN
Citizen Identity Card
So / No.: 022190000123
Họ và tên / Full name:

TRẦN THỊ MAI
Ngày sinh / Date of birth: 12/05/1990
Giới tính / Sex: Nữ  Quốc tịch / Nationality: Việt Nam
Quê quán / Place of origin:
phường Hạ Long, tỉnh Quảng Ninh
Nơi thường trú / Place of residence: Tổ 5, khu 3,
phường Hồng Gai, tỉnh Quảng Ninh
Có giá trị đến: 12/05/2030
"""

LAND_TEXT = """GIẤY CHỨNG NHẬN
QUYỀN SỬ DỤNG ĐẤT, QUYỀN SỞ HỮU TÀI SẢN GẮN LIỀN VỚI ĐẤT
1. Người sử dụng đất, chủ sở hữu tài sản gắn liền với đất:

Ông NGUYỄN VĂN AN, năm sinh 1990, Căn cước công dân số: 022090000456
Địa chỉ thường trú: tổ 5, khu 3, phường Hồng Gai, tỉnh Quảng Ninh
a) Thửa đất số: 125; Tờ bản đồ số: 37
b) Dia chi: tổ 7, khu 4, phường Hồng Gai, tỉnh Quảng Ninh
c) Diện tích: 1.234,50 m2
đ) Mục đích sử dụng: Đất ở tại đô thị
e) Thời hạn sử dụng: Lâu dài
Quảng Ninh, ngày 05 tháng 3 năm 2025
TM, ỦY BAN NHÂN DÂN PHƯỜNG HỒNG GAI
Số vào sổ cấp GCN: CS 01234
AA 01234567
"""

MARRIAGE_TEXT = """GIẤY CHỨNG NHẬN KẾT HÔN
Số: 45 Quyển số: 01/2024
Họ, chữ đệm, tên chồng: NGUYỄN VĂN AN
Số định danh cá nhân của chồng: 022090000456
Họ, chữ đệm, tên vợ: TRẦN THỊ MAI
Số định danh cá nhân của vợ: 022190000123
Nơi đăng ký: Ủy ban nhân dân phường Hồng Gai, tỉnh Quảng Ninh
Ngày, tháng, năm đăng ký: 14/02/2024
"""

MARITAL_TEXT = """GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN
Số: 12/2024/XNTTHN
Họ, chữ đệm, tên: TRẦN THỊ MAI
Ngày, tháng, năm sinh: 12/05/1990 Giới tính: Nữ
Giấy tờ tùy thân: 022190000123
Nơi cư trú: phường Hồng Gai, tỉnh Quảng Ninh
Tình trạng hôn nhân: Chưa đăng ký kết hôn với ai
Giấy này được cấp để: làm thủ tục đăng ký kết hôn
Hồng Gai, ngày 31 tháng 8 năm 2024
TM. ỦY BAN NHÂN DÂN PHƯỜNG HỒNG GAI
"""

BUSINESS_TEXT = """SỞ TÀI CHÍNH TỈNH QUẢNG NINH
PHÒNG ĐĂNG KÝ KINH DOANH
GIẤY CHỨNG NHẬN ĐĂNG KÝ DOANH NGHIỆP
CÔNG TY TRÁCH NHIỆM HỮU HẠN MỘT THÀNH VIÊN
Mã số doanh nghiệp: 0101234567
Đăng ký lần đầu: ngày 02 tháng 01 năm 2020
Đăng ký thay đổi lần thứ: 3, ngày 15 tháng 6 năm 2024
1. Tên công ty viết bằng tiếng Việt: CÔNG TY TNHH MAI HOA
2. Địa chỉ trụ sở chính: Số 10 phố Cây Tháp, phường Hồng Gai, tỉnh Quảng Ninh
Họ và tên: TRẦN THỊ MAI Giới tính: Nữ
Số định danh cá nhân: 022190000123
"""


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def test_the_registry_holds_the_known_types_as_data() -> None:
    assert DOCUMENT_TYPE_CODES == (
        "cccd",
        "birth_certificate",
        "marriage_certificate",
        "land_use_certificate",
        "marital_status_certificate",
        "business_registration",
        "other",
    )
    assert tuple(DOCUMENT_TYPES) == DOCUMENT_TYPE_CODES
    assert DOCUMENT_TYPES["birth_certificate"].name == "Giấy khai sinh"
    assert DOCUMENT_TYPES["marital_status_certificate"].validity_months == 6
    assert DOCUMENT_TYPES["land_use_certificate"].validity_months is None
    for doctype in DOCUMENT_TYPES.values():
        names = [spec.name for spec in doctype.fields]
        assert len(names) == len(set(names)), doctype.code
        assert all(spec.kind in doctypes.KINDS for spec in doctype.fields)
        mentioned = {
            *doctype.number_fields,
            *doctype.issuer_fields,
            *doctype.holder_id_fields,
            *doctype.issued_on_fields,
            *doctype.valid_until_fields,
            *(name for check in doctype.person_checks for name in check),
        }
        assert mentioned <= set(names), doctype.code
        # Every pattern compiles and finds nothing in an empty text.
        assert extract(doctype.code, "") == dict.fromkeys(names, "")


def test_birth_certificate_from_noisy_text() -> None:
    assert extract("birth_certificate", BIRTH_TEXT) == {
        "number": "125",
        "book_number": "01/1990",
        "name": "TRẦN THỊ MAI",
        "birth_date": "1990-05-12",
        "sex": "Nữ",
        "ethnicity": "Kinh",
        "nationality": "Việt Nam",
        "birth_place": "Bệnh viện Đa khoa tỉnh Quảng Ninh, phường Hồng Gai",
        "home_town": "",  # empty on the form: the next label is not taken as its value
        "id_number": "022190000123",
        "mother_name": "NGUYỄN THỊ HOA",
        "father_name": "TRẦN VĂN HÙNG",
        "registration_place": "Ủy ban nhân dân phường Hồng Gai, tỉnh Quảng Ninh",
        "registration_date": "1990-05-20",
    }


def test_decomposed_text_gives_composed_values() -> None:
    values = extract("birth_certificate", unicodedata.normalize("NFD", BIRTH_TEXT))
    assert values["name"] == "TRẦN THỊ MAI"
    assert unicodedata.is_normalized("NFC", values["registration_place"])


def test_cccd_front_with_values_below_labels() -> None:
    assert extract("cccd", CCCD_TEXT) == {
        "id_number": "022190000123",
        "name": "TRẦN THỊ MAI",
        "birth_date": "1990-05-12",
        "sex": "Nữ",
        "nationality": "Việt Nam",
        "home_town": "phường Hạ Long, tỉnh Quảng Ninh",
        "residence": "Tổ 5, khu 3, phường Hồng Gai, tỉnh Quảng Ninh",
        "valid_until": "2030-05-12",
        "issued_on": "",
    }


def test_land_use_certificate() -> None:
    assert extract("land_use_certificate", LAND_TEXT) == {
        "serial": "AA 01234567",
        "register_number": "CS 01234",
        "owner_name": "NGUYỄN VĂN AN",
        "owner_id_number": "022090000456",
        "parcel_number": "125",
        "map_sheet": "37",
        # Not the owner's "Địa chỉ thường trú" above it.
        "parcel_address": "tổ 7, khu 4, phường Hồng Gai, tỉnh Quảng Ninh",
        "area": "1234.5",
        "land_use_purpose": "Đất ở tại đô thị",
        "issued_on": "2025-03-05",
        "issuer": "ỦY BAN NHÂN DÂN PHƯỜNG HỒNG GAI",
    }


def test_marriage_certificate() -> None:
    values = extract("marriage_certificate", MARRIAGE_TEXT)
    assert values == {
        "number": "45",
        "book_number": "01/2024",
        "husband_name": "NGUYỄN VĂN AN",
        "husband_id_number": "022090000456",
        "wife_name": "TRẦN THỊ MAI",
        "wife_id_number": "022190000123",
        "registration_place": "Ủy ban nhân dân phường Hồng Gai, tỉnh Quảng Ninh",
        "registration_date": "2024-02-14",
    }
    assert field_problems("marriage_certificate", values) == {}


def test_marital_status_certificate_expires_after_six_months() -> None:
    values = extract("marital_status_certificate", MARITAL_TEXT)
    assert values["name"] == "TRẦN THỊ MAI"
    assert values["sex"] == "Nữ"
    assert values["marital_status"] == "Chưa đăng ký kết hôn với ai"
    assert values["purpose"] == "làm thủ tục đăng ký kết hôn"
    assert values["issuer"] == "ỦY BAN NHÂN DÂN PHƯỜNG HỒNG GAI"
    assert field_problems("marital_status_certificate", values) == {}
    # 31 August + 6 months: there is no 31 February, so the end of February.
    assert identity_of("marital_status_certificate", values) == Identity(
        number="12/2024/XNTTHN",
        issuer="ỦY BAN NHÂN DÂN PHƯỜNG HỒNG GAI",
        holder_id_number="022190000123",
        issued_on="2024-08-31",
        valid_until="2025-02-28",
    )


def test_business_registration_is_dated_by_its_latest_change() -> None:
    values = extract("business_registration", BUSINESS_TEXT)
    assert values == {
        "enterprise_code": "0101234567",  # leading zero kept
        "company_name": "CÔNG TY TNHH MAI HOA",
        "head_office": "Số 10 phố Cây Tháp, phường Hồng Gai, tỉnh Quảng Ninh",
        "first_registered_on": "2020-01-02",
        "changed_on": "2024-06-15",
        "representative_name": "TRẦN THỊ MAI",
        "representative_id_number": "022190000123",
        "issuer": "PHÒNG ĐĂNG KÝ KINH DOANH",
    }
    identity = identity_of("business_registration", values)
    assert (identity.number, identity.issued_on, identity.valid_until) == (
        "0101234567",
        "2024-06-15",
        None,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (BIRTH_TEXT, "birth_certificate"),
        (CCCD_TEXT, "cccd"),
        # It names the owner's "Căn cước công dân" but is a land certificate.
        (LAND_TEXT, "land_use_certificate"),
        (MARRIAGE_TEXT, "marriage_certificate"),
        (MARITAL_TEXT, "marital_status_certificate"),
        (BUSINESS_TEXT, "business_registration"),
        # No title, but enough labels of one form.
        ("Ho va ten: A\nNgay sinh: 01/01/2000\nGioi tinh: Nam\nQuoc tich: Viet Nam", "cccd"),
        ("Biên lai thu tiền phí, lệ phí\nSố tiền: 50.000 đồng", None),
        ("", None),
    ],
)
def test_detect(text: str, expected: str | None) -> None:
    assert detect(text) == expected


def test_confirmed_values_are_validated() -> None:
    values = extract("birth_certificate", BIRTH_TEXT)
    assert field_problems("birth_certificate", values) == {}
    broken = values | {
        "name": " ",
        "birth_date": "12/05/1990",
        "registration_date": "1990-02-30",
        "id_number": "0221900001",
        "colour": "blue",
    }
    assert field_problems("birth_certificate", broken) == {
        "colour": ["This document type has no such field."],
        "name": ["This field is required."],
        "birth_date": ["Enter a valid date (yyyy-mm-dd)."],
        "registration_date": ["Enter a valid date (yyyy-mm-dd)."],
        "id_number": ["The citizen identity number must have exactly 12 digits."],
    }


def test_id_number_must_fit_the_holder() -> None:
    values = extract("cccd", CCCD_TEXT) | {"sex": "Nam", "birth_date": "1991-05-12"}
    problems = field_problems("cccd", values)
    assert problems.keys() == {"id_number"}
    assert any("year of birth 1991" in m for m in problems["id_number"])
    assert any("for a female citizen, but the sex is male" in m for m in problems["id_number"])


def test_numbers_and_old_identity_card_numbers() -> None:
    values = extract("land_use_certificate", LAND_TEXT)
    assert field_problems("land_use_certificate", values) == {}
    assert field_problems(
        "land_use_certificate", values | {"area": "1.234,5", "owner_id_number": "100987654"}
    ) == {"area": ["Enter a number, with “.” as the decimal point."]}


def test_identity_of_reads_the_type_s_fields() -> None:
    values = extract("cccd", CCCD_TEXT)
    assert identity_of("cccd", values) == Identity(
        number="022190000123",
        issuer="",
        holder_id_number="022190000123",
        issued_on=None,
        valid_until="2030-05-12",
    )
    marriage = extract("marriage_certificate", MARRIAGE_TEXT)
    assert identity_of(
        "marriage_certificate", marriage | {"husband_id_number": ""}
    ).holder_id_number == ("022190000123")


def test_card_values_fill_valid_cccd_fields() -> None:
    card = parse_cccd_qr("022190000123||Trần Thị Mai|12051990|Nữ|Tổ 5, phường Hồng Gai|")
    values = card_values(card)
    assert values == {
        "id_number": "022190000123",
        "name": "Trần Thị Mai",
        "birth_date": "1990-05-12",
        "sex": "Nữ",
        "residence": "Tổ 5, phường Hồng Gai",
    }
    assert field_problems("cccd", values) == {}
    dated = card_values(parse_cccd_qr("022190000123||Trần Thị Mai|12051990|Nữ|Hạ Long|15082021"))
    assert dated["issued_on"] == datetime.date(2021, 8, 15).isoformat()


def test_unknown_document_type() -> None:
    for call in (lambda: extract("passport", ""), lambda: field_problems("passport", {})):
        with pytest.raises(MotcuaError) as caught:
            call()
        assert caught.value.code == "unknown_document_type"
        assert caught.value.fields == {
            "document_type": ["“passport” is not a known document type."]
        }
