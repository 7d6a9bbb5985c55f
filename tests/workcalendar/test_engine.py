"""Working-day arithmetic: fixed cases around Vietnamese holidays and properties."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from motcua.workcalendar.engine import VN_TZ, Override, Reason, WorkingCalendar


def make(overrides: dict[dt.date, Override] | None = None) -> WorkingCalendar:
    return WorkingCalendar(
        weekdays=frozenset(range(5)),
        sessions=[["08:00", "12:00"], ["13:00", "17:00"]],
        same_day_cutoff=dt.time(15, 0),
        overrides=overrides,
    )


CAL = make()


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=VN_TZ)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        ("2026-02-12", 3, "2026-02-24"),  # Tết 2026: 16–20/2 off
        ("2026-02-13", 1, "2026-02-23"),
        ("2026-02-12", 0, "2026-02-12"),
        ("2027-02-03", 1, "2027-02-11"),  # Tết 2027: 4–10/2 off
        ("2026-04-24", 1, "2026-04-28"),  # Hùng Kings on Sunday 26/4 → Monday 27/4 off
        ("2026-04-29", 1, "2026-05-04"),  # 30/4 and 1/5
        ("2026-08-31", 1, "2026-09-03"),  # 31/8 off (swap for 22/8), 1–2/9 National Day
        ("2026-08-21", 1, "2026-08-22"),  # Saturday 22/8/2026 is a make-up working day
        ("2026-11-23", 1, "2026-11-25"),  # 24/11 Vietnamese Culture Day (from 2026)
        ("2026-12-31", 1, "2027-01-04"),  # New Year's Day
    ],
)
def test_add_working_days_around_holidays(start: str, days: int, expected: str) -> None:
    assert CAL.add_working_days(dt.date.fromisoformat(start), days) == dt.date.fromisoformat(
        expected
    )


def test_days_say_why() -> None:
    tet = CAL.day(dt.date(2026, 2, 17))
    assert (tet.working, tet.reason, tet.name) == (False, Reason.HOLIDAY, "Tết Nguyên Đán")
    assert CAL.day(dt.date(2026, 4, 27)).reason == Reason.HOLIDAY
    assert CAL.day(dt.date(2026, 8, 22)).reason == Reason.MAKE_UP_DAY
    assert CAL.day(dt.date(2026, 8, 23)).reason == Reason.WEEKEND
    assert CAL.day(dt.date(2026, 2, 17), "en").name == "Lunar New Year"


def test_an_override_beats_the_package() -> None:
    calendar = make(
        {
            dt.date(2026, 11, 24): Override(True, "Làm việc", "QĐ 1/2026"),
            dt.date(2026, 11, 27): Override(False, "Nghỉ bão", "CĐ 2/2026"),
        }
    )
    assert calendar.is_working_day(dt.date(2026, 11, 24))
    assert not calendar.is_working_day(dt.date(2026, 11, 27))
    assert calendar.day(dt.date(2026, 11, 27)).decision == "CĐ 2/2026"
    assert calendar.add_working_days(dt.date(2026, 11, 23), 4) == dt.date(2026, 11, 30)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        ("2026-02-13T14:59", "2026-02-13T17:00"),
        ("2026-02-13T15:00", "2026-02-23T17:00"),  # after the cut-off, then Tết
        ("2026-02-14T09:00", "2026-02-23T17:00"),  # Saturday
        ("2026-03-02T07:00", "2026-03-02T17:00"),  # before opening counts as that day
        ("2026-08-21T16:30", "2026-08-22T17:00"),  # the make-up Saturday
    ],
)
def test_same_day_cut_off(received: str, due: str) -> None:
    assert CAL.same_day_due(at(received)) == at(due)


def test_working_hours_walk_the_sessions() -> None:
    assert CAL.add_working_hours(at("2026-03-02T08:00"), 8) == at("2026-03-02T17:00")
    assert CAL.add_working_hours(at("2026-03-02T11:00"), 2) == at("2026-03-02T14:00")
    assert CAL.add_working_hours(at("2026-03-02T08:00"), 4) == at("2026-03-02T12:00")
    assert CAL.add_working_hours(at("2026-03-02T12:30"), 1) == at("2026-03-02T14:00")
    assert CAL.add_working_hours(at("2026-02-13T16:00"), 8) == at("2026-02-23T16:00")
    assert CAL.add_working_hours(at("2026-02-14T10:00"), 0) == at("2026-02-23T08:00")
    assert CAL.working_time_between(at("2026-02-13T16:00"), at("2026-02-23T16:00")) == (
        dt.timedelta(hours=8)
    )
    assert CAL.is_working_time(at("2026-03-02T08:00"))
    assert not CAL.is_working_time(at("2026-03-02T12:00"))
    assert not CAL.is_working_time(at("2026-02-17T10:00"))
    assert CAL.working_days_of(dt.timedelta(hours=12)) == 1.5


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.is_working_time(dt.datetime(2026, 3, 2, 9))


dates = st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2028, 12, 31))
instants = st.builds(
    lambda d, minutes: (
        dt.datetime.combine(d, dt.time(), tzinfo=VN_TZ) + dt.timedelta(minutes=minutes)
    ),
    dates,
    st.integers(min_value=0, max_value=24 * 60 - 1),
)


@settings(max_examples=150, deadline=None)
@given(start=dates, n=st.integers(min_value=0, max_value=300))
def test_adding_then_counting_gives_n_back(start: dt.date, n: int) -> None:
    end = CAL.add_working_days(start, n)
    assert CAL.working_days_between(start, end) == n
    if n:
        assert CAL.is_working_day(end)


@settings(max_examples=150, deadline=None)
@given(start=dates, n=st.integers(min_value=0, max_value=200))
def test_adding_days_is_monotonic(start: dt.date, n: int) -> None:
    assert CAL.add_working_days(start, n) < CAL.add_working_days(start, n + 1)


@settings(max_examples=150, deadline=None)
@given(start=instants, minutes=st.integers(min_value=1, max_value=60 * 8 * 40))
def test_hours_added_are_measured_back(start: dt.datetime, minutes: int) -> None:
    duration = dt.timedelta(minutes=minutes)
    end = CAL.add_working_hours(start, duration)
    assert CAL.working_time_between(start, end) == duration
    assert CAL.is_working_day(end.date())
    assert CAL.is_working_time(end - dt.timedelta(microseconds=1))


@settings(max_examples=100, deadline=None)
@given(received=instants)
def test_same_day_due_is_a_working_day_end_after_receipt(received: dt.datetime) -> None:
    due = CAL.same_day_due(received)
    assert due > received
    assert CAL.is_working_day(due.date())
    assert due.timetz().replace(tzinfo=None) == dt.time(17, 0)
