"""The citizen identity number (CCCD) is checked against its layout, the date of birth and sex."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from motcua.core.errors import MotcuaError
from motcua.dossiers.cccd import (
    CENTURY_DIGITS,
    PROVINCE_CODES,
    CccdFacts,
    check_cccd,
    describe_cccd,
    normalise_cccd,
)

# Hà Nội, 1900s male, born '85, then six digits.
NUMBER = "001085012345"
DOB = datetime.date(1985, 6, 15)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    # Messages are asserted by their English msgids.
    with translation.override("en"):
        yield


def refused(number: str, **person: object) -> list[str]:
    with pytest.raises(MotcuaError) as caught:
        check_cccd(number, **person)  # type: ignore[arg-type]
    error = caught.value
    assert error.code == "invalid_id_number"
    assert error.status == 400
    messages = [str(m) for m in error.fields["id_number"]]
    assert str(error.message) == messages[0]
    return messages


def build(province: str, dob: datetime.date, sex: str) -> str:
    digit = next(
        d
        for d, (century, s) in CENTURY_DIGITS.items()
        if century == dob.year // 100 * 100 and s == sex
    )
    return f"{province}{digit}{dob.year % 100:02d}123456"


# ---- describe ---------------------------------------------------------------------------------


def test_a_number_is_described() -> None:
    facts = describe_cccd(NUMBER)
    assert facts == CccdFacts(
        province_code="001",
        province_name="Hà Nội",
        century=1900,
        sex="male",
        birth_year_2digits="85",
    )
    assert facts.birth_year == 1985


def test_a_woman_born_in_the_2000s() -> None:
    facts = describe_cccd("079305000001")
    assert (facts.province_name, facts.century, facts.sex, facts.birth_year) == (
        "Hồ Chí Minh",
        2000,
        "female",
        2005,
    )


@pytest.mark.parametrize(
    ("digit", "century", "sex"),
    [
        ("0", 1900, "male"),
        ("1", 1900, "female"),
        ("2", 2000, "male"),
        ("3", 2000, "female"),
        ("4", 2100, "male"),
        ("5", 2100, "female"),
        ("6", 2200, "male"),
        ("7", 2200, "female"),
        ("8", 1800, "male"),
        ("9", 1800, "female"),
    ],
)
def test_the_fourth_digit_gives_century_and_sex(digit: str, century: int, sex: str) -> None:
    facts = describe_cccd(f"022{digit}99000000")
    assert (facts.century, facts.sex, facts.birth_year) == (century, sex, century + 99)


@pytest.mark.parametrize(
    "typed", ["001 085 012345", " 001085012345 ", "0010 8501 2345", "001\t085012345"]
)
def test_spaces_are_ignored(typed: str) -> None:
    assert normalise_cccd(typed) == NUMBER
    assert describe_cccd(typed) == describe_cccd(NUMBER)
    check_cccd(typed, date_of_birth=DOB, sex="male")


def test_the_province_table_has_the_63_pre_merger_codes() -> None:
    assert len(PROVINCE_CODES) == 63
    assert all(len(code) == 3 and code.isdigit() for code in PROVINCE_CODES)
    assert PROVINCE_CODES["022"] == "Quảng Ninh"
    assert PROVINCE_CODES["046"] == "Thừa Thiên Huế"
    assert PROVINCE_CODES["096"] == "Cà Mau"
    assert min(PROVINCE_CODES) == "001"
    assert max(PROVINCE_CODES) == "096"


def test_the_province_table_cannot_be_changed_by_accident() -> None:
    with pytest.raises(TypeError):
        PROVINCE_CODES["003"] = "Nowhere"  # type: ignore[index]


# ---- format -----------------------------------------------------------------------------------

TWELVE = "The citizen identity number must have exactly 12 digits."


@pytest.mark.parametrize(
    "number",
    [
        "",
        "   ",
        "00108501234",  # 11 digits
        "0010850123456",  # 13 digits
        "001085O12345",  # a letter O for a zero
        "001-085-012345",
        "00108501234x",
        "٠٠١٠٨٥٠١٢٣٤٥",  # Arabic-Indic digits: isdigit() says yes, the card says no
        "１２３４５６７８９０１２",  # fullwidth digits
        "123456789",  # an old 9-digit CMND
    ],
)
def test_anything_but_twelve_digits_is_refused(number: str) -> None:
    assert refused(number) == [TWELVE]
    with pytest.raises(MotcuaError):
        describe_cccd(number)


@pytest.mark.parametrize("code", ["000", "003", "097", "099", "100", "999"])
def test_an_unknown_province_code_is_refused(code: str) -> None:
    assert refused(f"{code}085012345") == [
        f"The citizen identity number begins with {code}, which is not a province code."
    ]


# ---- against the person -----------------------------------------------------------------------


def test_a_number_matching_the_person_passes() -> None:
    check_cccd(NUMBER)
    check_cccd(NUMBER, date_of_birth=DOB)
    check_cccd(NUMBER, sex="male")
    check_cccd(NUMBER, date_of_birth=DOB, sex="male")


def test_a_datetime_is_accepted_as_date_of_birth() -> None:
    check_cccd(NUMBER, date_of_birth=datetime.datetime(1985, 6, 15, 8, 30))


def test_a_century_digit_contradicting_the_date_of_birth_is_refused() -> None:
    # Digit 2 means born 2000–2099, and digits 5–6 say '85: but the person was born in 1985.
    assert refused("001285012345", date_of_birth=DOB) == [
        "The fourth digit of the citizen identity number is for someone born in 2000–2099, "
        "but the date of birth is in 1985."
    ]


def test_birth_year_digits_contradicting_the_date_of_birth_are_refused() -> None:
    assert refused("001086012345", date_of_birth=DOB) == [
        "Digits 5 and 6 of the citizen identity number (86) do not match the year of birth 1985."
    ]


def test_a_leading_zero_in_the_year_digits_is_kept_in_the_message() -> None:
    messages = refused("001205012345", date_of_birth=datetime.date(2006, 1, 1))
    assert messages == [
        "Digits 5 and 6 of the citizen identity number (05) do not match the year of birth 2006."
    ]


def test_a_male_number_for_a_woman_is_refused() -> None:
    assert refused(NUMBER, sex="female") == [
        "The citizen identity number is for a male citizen, but the sex is female."
    ]


def test_a_female_number_for_a_man_is_refused() -> None:
    assert refused("001185012345", sex="male") == [
        "The citizen identity number is for a female citizen, but the sex is male."
    ]


def test_every_mismatch_is_reported_at_once() -> None:
    messages = refused("001386012345", date_of_birth=DOB, sex="male")
    assert len(messages) == 3
    assert "born in 2000–2099" in messages[0]
    assert "(86)" in messages[1]
    assert "female citizen" in messages[2]


def test_the_format_is_checked_before_the_person() -> None:
    assert refused("003386012345", date_of_birth=DOB, sex="male") == [
        "The citizen identity number begins with 003, which is not a province code."
    ]


@pytest.mark.parametrize("sex", ["Male", "nam", "other", ""])
def test_an_unknown_sex_value_is_a_programming_error(sex: str) -> None:
    with pytest.raises(ValueError, match="sex must be"):
        check_cccd(NUMBER, sex=sex)


def test_the_error_serialises_for_the_api() -> None:
    with pytest.raises(MotcuaError) as caught:
        check_cccd(NUMBER, sex="female")
    message = "The citizen identity number is for a male citizen, but the sex is female."
    assert caught.value.as_dict() == {
        "error": "invalid_id_number",
        "detail": message,
        "fields": {"id_number": [message]},
    }


def test_messages_are_translated_at_call_time() -> None:
    with translation.override("vi"), pytest.raises(MotcuaError) as caught:
        check_cccd("003085012345")
    # The Vietnamese catalogue may not have this msgid yet: only the substitution is certain.
    assert "003" in str(caught.value.message)


@given(
    province=st.sampled_from(sorted(PROVINCE_CODES)),
    dob=st.dates(min_value=datetime.date(1800, 1, 1), max_value=datetime.date(2299, 12, 31)),
    sex=st.sampled_from(["male", "female"]),
)
def test_any_number_built_from_the_layout_fits_its_person(
    province: str, dob: datetime.date, sex: str
) -> None:
    number = build(province, dob, sex)
    check_cccd(number, date_of_birth=dob, sex=sex)
    facts = describe_cccd(number)
    assert (facts.birth_year, facts.sex, facts.province_code) == (dob.year, sex, province)


@given(
    dob=st.dates(min_value=datetime.date(1800, 1, 1), max_value=datetime.date(2299, 12, 31)),
    other=st.dates(min_value=datetime.date(1800, 1, 1), max_value=datetime.date(2299, 12, 31)),
)
def test_any_other_birth_year_is_refused(dob: datetime.date, other: datetime.date) -> None:
    number = build("001", dob, "female")
    if other.year == dob.year:
        check_cccd(number, date_of_birth=other)
    else:
        with pytest.raises(MotcuaError):
            check_cccd(number, date_of_birth=other)
