"""Working days around Vietnam's holidays, as the `holidays` package (0.109) lists them.

Each fact was checked against `holidays.country_holidays("VN", years=…)` before asserting it.
"""

from __future__ import annotations

import datetime as dt

import pytest

from motcua.workcalendar.engine import DayReason, Override, WorkingCalendar
from tests.workcalendar.when import day


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        ("2026-02-12", 3, "2026-02-24"),  # Tết 2026: 16–20/2 (Mon–Fri) off
        ("2026-02-13", 1, "2026-02-23"),
        ("2026-02-15", 1, "2026-02-23"),  # from a Sunday just before Tết
        ("2027-02-03", 1, "2027-02-11"),  # Tết 2027: 4/2 (Thu) to 10/2 (Wed) off
        ("2027-02-03", 2, "2027-02-12"),
        ("2026-04-24", 1, "2026-04-28"),  # Hùng Kings on Sunday 26/4 → Monday 27/4 off
        ("2026-04-29", 1, "2026-05-04"),  # 30/4 (Thu) and 1/5 (Fri)
        ("2027-04-29", 1, "2027-05-04"),  # 30/4 (Fri); 1/5 is a Saturday → Monday 3/5 off
        ("2026-08-21", 1, "2026-08-22"),  # Saturday 22/8/2026 is a make-up working day
        ("2026-08-22", 1, "2026-08-24"),
        ("2026-08-28", 1, "2026-09-03"),  # 31/8 off (swapped for 22/8), 1–2/9 National Day
        ("2025-08-29", 1, "2025-09-03"),  # 2025: 1/9 and 2/9
        ("2026-12-31", 1, "2027-01-04"),  # New Year's Day on a Friday
        ("2026-03-02", 5, "2026-03-09"),  # an ordinary week
        ("2026-02-12", 0, "2026-02-12"),  # nothing to add
        ("2026-02-14", 0, "2026-02-14"),  # even on a Saturday
    ],
)
def test_add_working_days_around_holidays(
    calendar: WorkingCalendar, start: str, days: int, expected: str
) -> None:
    assert calendar.add_working_days(day(start), days) == day(expected)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        ("2026-02-24", -3, "2026-02-12"),
        ("2026-02-23", -1, "2026-02-13"),
        ("2026-09-03", -1, "2026-08-28"),
        ("2026-08-24", -1, "2026-08-22"),  # back onto the make-up Saturday
        ("2026-02-15", -1, "2026-02-13"),  # from a Sunday
    ],
)
def test_negative_days_count_back(
    calendar: WorkingCalendar, start: str, days: int, expected: str
) -> None:
    assert calendar.add_working_days(day(start), days) == day(expected)


@pytest.mark.parametrize(
    ("date", "working", "reason", "name"),
    [
        ("2026-02-16", False, DayReason.HOLIDAY, "Giao thừa Tết Nguyên Đán"),
        ("2026-02-17", False, DayReason.HOLIDAY, "Tết Nguyên Đán"),
        ("2026-02-20", False, DayReason.HOLIDAY, "Mùng bốn Tết Nguyên Đán"),
        ("2027-02-04", False, DayReason.HOLIDAY, "29 Tết"),
        ("2027-02-10", False, DayReason.HOLIDAY, "Mùng năm Tết Nguyên Đán"),
        ("2026-04-26", False, DayReason.HOLIDAY, "Ngày Giỗ Tổ Hùng Vương"),
        ("2026-04-27", False, DayReason.HOLIDAY, "Ngày Giỗ Tổ Hùng Vương (nghỉ bù)"),
        ("2026-04-30", False, DayReason.HOLIDAY, "Ngày Chiến thắng"),
        ("2026-05-01", False, DayReason.HOLIDAY, "Ngày Quốc tế Lao động"),
        ("2027-05-03", False, DayReason.HOLIDAY, "Ngày Quốc tế Lao động (nghỉ bù)"),
        ("2026-08-22", True, DayReason.MAKE_UP_DAY, ""),
        ("2026-08-31", False, DayReason.HOLIDAY, "Ngày nghỉ (thay cho ngày 22/08/2026)"),
        ("2026-09-01", False, DayReason.HOLIDAY, "Quốc khánh"),
        ("2026-09-02", False, DayReason.HOLIDAY, "Quốc khánh"),
        ("2026-08-23", False, DayReason.WEEKEND, ""),
        ("2026-08-29", False, DayReason.WEEKEND, ""),
        ("2026-02-13", True, DayReason.WEEKDAY, ""),
    ],
)
def test_each_day_says_why(
    calendar: WorkingCalendar, date: str, working: bool, reason: DayReason, name: str
) -> None:
    info = calendar.day(day(date))
    assert (info.date, info.working, info.reason, info.name) == (day(date), working, reason, name)
    assert calendar.is_working_day(day(date)) is working


def test_holiday_names_follow_the_language(calendar: WorkingCalendar) -> None:
    assert calendar.day(day("2026-02-17"), "en").name == "Lunar New Year"
    assert calendar.day(day("2026-04-27"), "en").name == "Hung Kings' Commemoration Day (observed)"
    assert calendar.day(day("2026-02-17"), "vi").name == "Tết Nguyên Đán"


def test_working_days_between_counts_after_start_up_to_end(calendar: WorkingCalendar) -> None:
    assert calendar.working_days_between(day("2026-02-12"), day("2026-02-24")) == 3
    assert calendar.working_days_between(day("2026-02-12"), day("2026-02-12")) == 0
    assert calendar.working_days_between(day("2026-02-24"), day("2026-02-12")) == -3
    assert calendar.working_days_between(day("2026-08-21"), day("2026-08-24")) == 2


def test_an_override_beats_the_package() -> None:
    calendar = WorkingCalendar(
        overrides={
            day("2026-08-22"): Override(False, "Hoãn làm bù", "TB 12/TB-BNV"),
            day("2026-08-31"): Override(True, "Làm việc", "TB 12/TB-BNV"),
            day("2026-11-27"): Override(False, "Nghỉ tránh bão", "CĐ 5/CĐ-UBND"),
            day("2026-11-28"): Override(True, "Làm bù", "QĐ 9/QĐ-UBND"),
        }
    )
    cancelled = calendar.day(day("2026-08-22"))
    assert (cancelled.working, cancelled.reason) == (False, DayReason.OVERRIDE_OFF)
    assert (cancelled.name, cancelled.decision) == ("Hoãn làm bù", "TB 12/TB-BNV")
    assert calendar.day(day("2026-08-31")).reason == DayReason.OVERRIDE_WORKING
    assert calendar.is_working_day(day("2026-08-31"))
    assert not calendar.is_working_day(day("2026-11-27"))
    assert calendar.is_working_day(day("2026-11-28"))
    assert calendar.add_working_days(day("2026-08-21"), 1) == day("2026-08-24")
    assert calendar.add_working_days(day("2026-08-28"), 1) == day("2026-08-31")
    assert calendar.add_working_days(day("2026-11-26"), 1) == day("2026-11-28")


def test_a_six_day_week_counts_saturdays_but_not_holidays() -> None:
    calendar = WorkingCalendar(weekdays=range(6))
    assert calendar.add_working_days(day("2026-03-06"), 1) == day("2026-03-07")
    assert calendar.add_working_days(day("2026-02-14"), 1) == day("2026-02-21")


def test_a_calendar_without_working_days_stops_instead_of_looping() -> None:
    calendar = WorkingCalendar(weekdays=[])
    # Only the government's make-up Saturdays would be working days: the next one is 22/8/2026.
    assert calendar.add_working_days(day("2026-03-02"), 1) == day("2026-08-22")
    with pytest.raises(ValueError, match="no working day"):
        calendar.add_working_days(day("2027-03-01"), 1)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"weekdays": [7]},
        {"sessions": []},
        {"sessions": [["12:00", "08:00"]]},
        {"sessions": [["08:00", "12:00"], ["11:00", "17:00"]]},
        {"sessions": [["8:00", "12:00"]]},
        {"sessions": [["13:00", "17:00"], ["08:00", "12:00"]]},
    ],
)
def test_a_malformed_week_is_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 — the constructor's own messages vary
        WorkingCalendar(**kwargs)  # type: ignore[arg-type]


def test_a_day_lasts_as_long_as_its_sessions(calendar: WorkingCalendar) -> None:
    assert calendar.day_length == dt.timedelta(hours=8)
    shorter = WorkingCalendar(sessions=[["07:30", "11:30"], ["13:30", "17:00"]])
    assert shorter.day_length == dt.timedelta(hours=7, minutes=30)
