"""Working hours (8 h = 1 working day), working time and the same-day cut-off."""

from __future__ import annotations

import datetime as dt

import pytest

from motcua.workcalendar.engine import VN_TZ, WorkingCalendar
from tests.workcalendar.when import at

HOUR = dt.timedelta(hours=1)


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        ("2026-03-02T08:00", 8, "2026-03-02T17:00"),  # one working day
        ("2026-03-02T08:00", 4, "2026-03-02T12:00"),  # ends at the end of the morning
        ("2026-03-02T11:00", 2, "2026-03-02T14:00"),  # walks over lunch
        ("2026-03-02T12:30", 1, "2026-03-02T14:00"),  # starts at the next session
        ("2026-03-02T06:00", 1, "2026-03-02T09:00"),  # before opening
        ("2026-03-02T18:00", 1, "2026-03-03T09:00"),  # after closing
        ("2026-03-02T16:30", 0.5, "2026-03-02T17:00"),
        ("2026-03-02T16:30", 1, "2026-03-03T08:30"),
        ("2026-02-13T16:00", 8, "2026-02-23T16:00"),  # over Tết 2026
        ("2026-02-14T10:00", 0, "2026-02-23T08:00"),  # from a Saturday before Tết
        ("2026-03-02T08:00", 24, "2026-03-04T17:00"),  # three working days
        ("2026-08-21T16:00", 2, "2026-08-22T09:00"),  # onto the make-up Saturday
        ("2026-08-28T16:00", 2, "2026-09-03T09:00"),  # over 31/8 and 1–2/9
    ],
)
def test_add_working_hours_walks_the_sessions(
    calendar: WorkingCalendar, start: str, hours: float, expected: str
) -> None:
    assert calendar.add_working_hours(at(start), hours) == at(expected)


def test_hours_may_be_a_timedelta_and_never_negative(calendar: WorkingCalendar) -> None:
    start = at("2026-03-02T08:00")
    assert calendar.add_working_hours(start, dt.timedelta(minutes=90)) == at("2026-03-02T09:30")
    with pytest.raises(ValueError, match="negative"):
        calendar.add_working_hours(start, -1)


def test_instants_in_another_zone_are_answered_in_vietnamese_time(
    calendar: WorkingCalendar,
) -> None:
    start = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)  # 08:00 in Hà Nội
    result = calendar.add_working_hours(start, 8)
    assert result == at("2026-03-02T17:00")
    assert result.utcoffset() == dt.timedelta(hours=7)


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        ("2026-03-02T08:00", "2026-03-02T17:00", 8),
        ("2026-03-02T10:00", "2026-03-02T14:00", 3),
        ("2026-03-02T12:00", "2026-03-02T13:00", 0),
        ("2026-02-13T16:00", "2026-02-23T16:00", 8),  # Tết counts nothing
        ("2026-03-06T17:00", "2026-03-09T08:00", 0),  # a weekend
        ("2026-08-21T08:00", "2026-08-24T08:00", 16),  # Friday and the make-up Saturday
        ("2026-03-02T17:00", "2026-03-02T08:00", -8),  # backwards is negative
    ],
)
def test_working_time_between_counts_sessions_only(
    calendar: WorkingCalendar, start: str, end: str, hours: float
) -> None:
    assert calendar.working_time_between(at(start), at(end)) == hours * HOUR


def test_working_time_reads_as_working_days(calendar: WorkingCalendar) -> None:
    assert calendar.working_days_of(dt.timedelta(hours=12)) == 1.5


@pytest.mark.parametrize(
    ("instant", "inside"),
    [
        ("2026-03-02T08:00", True),
        ("2026-03-02T11:59", True),
        ("2026-03-02T12:00", False),  # a session is [start, end)
        ("2026-03-02T12:30", False),
        ("2026-03-02T16:59", True),
        ("2026-03-02T17:00", False),
        ("2026-02-17T10:00", False),  # Tết
        ("2026-08-22T10:00", True),  # the make-up Saturday
        ("2026-08-23T10:00", False),
    ],
)
def test_is_working_time(calendar: WorkingCalendar, instant: str, inside: bool) -> None:
    assert calendar.is_working_time(at(instant)) is inside


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        ("2026-03-02T09:15", "2026-03-02T09:15"),
        ("2026-03-02T12:00", "2026-03-02T13:00"),
        ("2026-03-02T17:00", "2026-03-03T08:00"),
        ("2026-02-13T17:30", "2026-02-23T08:00"),
        ("2026-08-21T17:00", "2026-08-22T08:00"),
    ],
)
def test_next_working_instant(calendar: WorkingCalendar, instant: str, expected: str) -> None:
    assert calendar.next_working_instant(at(instant)) == at(expected)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        ("2026-03-02T09:00", "2026-03-02T17:00"),
        ("2026-03-02T14:59", "2026-03-02T17:00"),
        ("2026-03-02T15:00", "2026-03-02T17:00"),  # at the cut-off is not after it
        ("2026-03-02T15:01", "2026-03-03T17:00"),
        ("2026-03-02T07:00", "2026-03-02T17:00"),  # before opening counts as that day
        ("2026-03-02T19:00", "2026-03-03T17:00"),
        ("2026-02-13T15:30", "2026-02-23T17:00"),  # after the cut-off, then Tết
        ("2026-02-14T09:00", "2026-02-23T17:00"),  # a Saturday
        ("2026-02-17T09:00", "2026-02-23T17:00"),  # Tết itself
        ("2026-08-21T16:30", "2026-08-22T17:00"),  # the make-up Saturday
        ("2026-08-22T10:00", "2026-08-22T17:00"),
        ("2026-08-28T15:30", "2026-09-03T17:00"),  # over 31/8 and 1–2/9
    ],
)
def test_same_day_cut_off(calendar: WorkingCalendar, received: str, due: str) -> None:
    assert calendar.same_day_due(at(received)) == at(due)


def test_the_cut_off_follows_the_schedule() -> None:
    calendar = WorkingCalendar(same_day_cutoff=dt.time(16, 0))
    assert calendar.same_day_due(at("2026-03-02T15:30")) == at("2026-03-02T17:00")
    assert calendar.same_day_due(at("2026-03-02T16:30")) == at("2026-03-03T17:00")


@pytest.mark.parametrize(
    ("received", "days", "due"),
    [
        ("2026-02-12T10:00", 3, "2026-02-24T17:00"),
        ("2026-02-12T16:45", 3, "2026-02-24T17:00"),  # the hour of receipt does not matter
        ("2026-02-14T10:00", 1, "2026-02-23T17:00"),  # received on a Saturday
        ("2026-04-24T09:00", 1, "2026-04-28T17:00"),
    ],
)
def test_due_after_working_days_ends_with_the_last_day(
    calendar: WorkingCalendar, received: str, days: int, due: str
) -> None:
    assert calendar.due_after_working_days(at(received), days) == at(due)


def test_due_after_working_days_needs_a_day(calendar: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="at least one working day"):
        calendar.due_after_working_days(at("2026-03-02T09:00"), 0)


def test_sessions_follow_the_schedule() -> None:
    calendar = WorkingCalendar(sessions=[["07:30", "11:30"], ["13:30", "17:00"]])
    assert calendar.add_working_hours(at("2026-03-02T07:30"), 4.5) == at("2026-03-02T14:00")
    assert calendar.end_of_working_day(dt.date(2026, 3, 2)) == at("2026-03-02T17:00")
    assert calendar.sessions_on(dt.date(2026, 3, 1)) == []


@pytest.mark.parametrize(
    "call",
    [
        lambda c, t: c.is_working_time(t),
        lambda c, t: c.next_working_instant(t),
        lambda c, t: c.add_working_hours(t, 1),
        lambda c, t: c.working_time_between(t, t),
        lambda c, t: c.same_day_due(t),
        lambda c, t: c.due_after_working_days(t, 1),
    ],
)
def test_naive_instants_are_refused(calendar: WorkingCalendar, call: object) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call(calendar, dt.datetime(2026, 3, 2, 9))  # type: ignore[operator]


def test_results_are_aware_and_in_vietnamese_time(calendar: WorkingCalendar) -> None:
    result = calendar.same_day_due(at("2026-03-02T09:00"))
    assert result.tzinfo == VN_TZ
