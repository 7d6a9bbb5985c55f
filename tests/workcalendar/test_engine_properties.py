"""Properties of the calendar arithmetic, over random dates, instants and overrides."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from motcua.workcalendar.engine import VN_TZ, Override, WorkingCalendar

dates = st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2028, 12, 31))
instants = st.builds(
    lambda date, minutes: (
        dt.datetime.combine(date, dt.time(), tzinfo=VN_TZ) + dt.timedelta(minutes=minutes)
    ),
    dates,
    st.integers(min_value=0, max_value=24 * 60 - 1),
)
overrides = st.dictionaries(
    dates, st.builds(Override, st.booleans(), st.just("Ngày thử"), st.just("TB 1/2026"))
)
calendars = st.builds(lambda o: WorkingCalendar(overrides=o), overrides)
durations = st.integers(min_value=0, max_value=60 * 8 * 60).map(lambda m: dt.timedelta(minutes=m))

# The engine walks day by day: keep the examples many but each one small.
examples = settings(max_examples=200, deadline=None)


@examples
@given(calendar=calendars, start=dates, n=st.integers(min_value=-300, max_value=300))
def test_adding_n_working_days_then_counting_gives_n(
    calendar: WorkingCalendar, start: dt.date, n: int
) -> None:
    end = calendar.add_working_days(start, n)
    assert calendar.working_days_between(start, end) == n


@examples
@given(calendar=calendars, start=dates, n=st.integers(min_value=-300, max_value=300))
def test_adding_working_days_is_strictly_monotonic(
    calendar: WorkingCalendar, start: dt.date, n: int
) -> None:
    assert calendar.add_working_days(start, n) < calendar.add_working_days(start, n + 1)


@examples
@given(calendar=calendars, start=dates, n=st.integers(min_value=-300, max_value=300))
def test_adding_working_days_never_lands_on_a_day_off(
    calendar: WorkingCalendar, start: dt.date, n: int
) -> None:
    if n:
        assert calendar.is_working_day(calendar.add_working_days(start, n))


@examples
@given(calendar=calendars, start=instants, duration=durations)
def test_working_time_measures_back_the_hours_added(
    calendar: WorkingCalendar, start: dt.datetime, duration: dt.timedelta
) -> None:
    end = calendar.add_working_hours(start, duration)
    assert end >= start
    assert calendar.working_time_between(start, end) == duration
    if duration:
        assert calendar.is_working_time(end - dt.timedelta(microseconds=1))


@examples
@given(calendar=calendars, start=instants, end=instants)
def test_adding_the_working_time_between_reaches_the_end(
    calendar: WorkingCalendar, start: dt.datetime, end: dt.datetime
) -> None:
    if end < start:
        start, end = end, start
    reached = calendar.add_working_hours(start, calendar.working_time_between(start, end))
    assert reached <= max(end, calendar.next_working_instant(start))
    assert calendar.working_time_between(reached, end) == dt.timedelta()


@examples
@given(calendar=calendars, start=instants, end=instants)
def test_working_time_is_antisymmetric_and_bounded(
    calendar: WorkingCalendar, start: dt.datetime, end: dt.datetime
) -> None:
    forward = calendar.working_time_between(start, end)
    assert calendar.working_time_between(end, start) == -forward
    assert abs(forward) <= abs(end - start)


@examples
@given(calendar=calendars, instant=instants)
def test_the_next_working_instant_is_working_time(
    calendar: WorkingCalendar, instant: dt.datetime
) -> None:
    following = calendar.next_working_instant(instant)
    assert following >= instant
    assert calendar.is_working_time(following)
    assert calendar.working_time_between(instant, following) == dt.timedelta()
    assert calendar.next_working_instant(following) == following


@examples
@given(calendar=calendars, received=instants)
def test_a_same_day_procedure_is_due_at_the_end_of_a_working_day(
    calendar: WorkingCalendar, received: dt.datetime
) -> None:
    due = calendar.same_day_due(received)
    assert due > received
    assert calendar.is_working_day(due.date())
    assert due == calendar.end_of_working_day(due.date())
    # Never later than the end of the first working day after the day of receipt.
    assert due.date() <= calendar.add_working_days(received.date(), 1)
