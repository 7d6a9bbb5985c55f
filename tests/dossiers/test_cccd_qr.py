"""The CCCD QR payload is parsed into a card, and every inconsistency is refused with a reason."""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Iterator

import pytest
from django.utils import translation

from motcua.core.errors import MotcuaError
from motcua.dossiers.cccd import CccdCard, parse_cccd_qr

# Quảng Ninh (022), 1900s female (1), born '90.
ADDRESS = "Tổ 5, khu 3, phường Hồng Gai, tỉnh Quảng Ninh"
PAYLOAD = f"022190000123|123456789|Trần Thị Mai|12051990|Nữ|{ADDRESS}|15082021"


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def refused(payload: str) -> list[str]:
    with pytest.raises(MotcuaError) as caught:
        parse_cccd_qr(payload)
    error = caught.value
    assert error.code == "invalid_cccd_qr"
    assert error.status == 400
    messages = [str(m) for m in error.fields["qr"]]
    assert str(error.message) == messages[0]
    return messages


def test_seven_fields() -> None:
    assert parse_cccd_qr(PAYLOAD) == CccdCard(
        id_number="022190000123",
        old_id_number="123456789",
        name="Trần Thị Mai",
        birth_date=datetime.date(1990, 5, 12),
        sex="female",
        address=ADDRESS,
        issued_on=datetime.date(2021, 8, 15),
    )


def test_empty_old_id_and_six_field_variant() -> None:
    with_empty = parse_cccd_qr(f"022190000123||Trần Thị Mai|12051990|Nữ|{ADDRESS}|15082021")
    without = parse_cccd_qr(f"022190000123|Trần Thị Mai|12051990|Nữ|{ADDRESS}|15082021")
    assert with_empty == without
    assert with_empty.old_id_number == ""
    assert with_empty.issued_on == datetime.date(2021, 8, 15)


def test_empty_issue_date_is_none() -> None:
    assert parse_cccd_qr(f"022190000123||Trần Thị Mai|12051990|Nữ|{ADDRESS}|").issued_on is None


def test_nfd_input_scanner_enter_and_sex_in_any_case() -> None:
    payload = unicodedata.normalize("NFD", "  022090000456||Nguyễn  Văn An|01021990|NAM|Hạ Long|")
    card = parse_cccd_qr(payload + "\r\n")
    assert card.sex == "male"
    assert card.name == "Nguyễn Văn An"
    assert unicodedata.is_normalized("NFC", card.name)
    assert parse_cccd_qr(unicodedata.normalize("NFD", PAYLOAD.replace("Nữ", "NỮ"))).sex == "female"


@pytest.mark.parametrize("payload", ["hello", "a|b|c|d|e", PAYLOAD + "|extra"])
def test_wrong_number_of_fields(payload: str) -> None:
    (message,) = refused(payload)
    assert "instead of 6 or 7" in message


def test_id_must_fit_birth_date_and_sex() -> None:
    messages = refused(PAYLOAD.replace("12051990", "12051991").replace("Nữ", "Nam"))
    assert any("do not match the year of birth 1991" in m for m in messages)
    assert any("for a female citizen, but the sex is male" in m for m in messages)


def test_malformed_id() -> None:
    messages = refused(PAYLOAD.replace("022190000123", "02219000012"))
    assert messages == ["The citizen identity number must have exactly 12 digits."]


@pytest.mark.parametrize(
    ("birth", "issued", "expected"),
    [
        ("31021990", "15082021", "The date of birth in the QR code (31021990) is not a valid"),
        ("1990-05-12", "15082021", "The date of birth in the QR code (1990-05-12) is not a valid"),
        ("12051990", "32082021", "The issue date in the QR code (32082021) is not a valid"),
        ("12051990", "01011989", "The issue date in the QR code is before the date of birth."),
    ],
)
def test_bad_dates(birth: str, issued: str, expected: str) -> None:
    messages = refused(PAYLOAD.replace("12051990", birth).replace("15082021", issued))
    assert any(m.startswith(expected) for m in messages)


def test_unknown_sex_word_and_other_problems_are_listed_together() -> None:
    messages = refused("022190000123|12345|   |12051990|F|Hạ Long|15082021")
    assert messages == [
        "The old identity card number in the QR code must have 9 or 12 digits.",
        "The QR code has no full name.",
        "The sex in the QR code (F) is neither “Nam” nor “Nữ”.",
    ]
