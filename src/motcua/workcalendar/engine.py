"""Working-day and working-hour arithmetic for one province (pure: no database access).

Deadlines of Vietnamese administrative procedures count working days, or working hours with
8 h = 1 working day: Monday–Friday minus the public holidays of the `holidays` package (Tết,
Hùng Kings, 30/4, 1/5, 2/9 with its adjacent day, compensatory days) plus its government
make-up Saturdays, and, on top, the province's announced overrides, which beat the package.

Every instant is timezone-aware, reasoned about in Asia/Ho_Chi_Minh and returned in it; a naive
instant is a programming error (ValueError), never silently guessed.

Build a `WorkingCalendar` once (`motcua.workcalendar.selectors.calendar_for` does, with the
province's schedule and overrides) and ask it as often as needed: no call touches the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

DEFAULT_WEEKDAYS = (0, 1, 2, 3, 4)  # Monday–Friday (QĐ 188/1999/QĐ-TTg: 40 h, Mon–Fri)
DEFAULT_SESSIONS = (("08:00", "12:00"), ("13:00", "17:00"))
DEFAULT_SAME_DAY_CUTOFF = dt.time(15, 0)

# A run this long without a working day means a broken calendar, not a distant deadline: stop
# there instead of walking the calendar for ever.
MAX_DAYS_OFF_IN_A_ROW = 366

ONE_DAY = dt.timedelta(days=1)
NO_TIME = dt.timedelta()


class DayReason(StrEnum):
    """Why a day is, or is not, a working day."""

    WEEKDAY = "weekday"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"  # a public or compensatory holiday of the `holidays` package
    MAKE_UP_DAY = "make_up_day"  # a weekend day the government made a working day
    OVERRIDE_OFF = "override_off"  # the province's override: an extra day off
    OVERRIDE_WORKING = "override_working"  # the province's override: an extra working day


@dataclass(frozen=True)
class Override:
    """An announced change to one day: working or not, its name and the deciding document."""

    working: bool
    name: str
    decision: str


@dataclass(frozen=True)
class DayInfo:
    date: dt.date
    working: bool
    reason: DayReason
    name: str = ""
    decision: str = ""


@lru_cache(maxsize=256)
def _public_holidays(year: int, language: str) -> holidays.HolidayBase:
    # One object per year and language, built once per process. `expand=False` keeps it
    # read-only after construction (a lookup outside its year does not populate another year),
    # so threads may share it.
    return holidays.country_holidays("VN", years=year, language=language, expand=False)


def _package_language(language: str) -> str:
    return "en_US" if language.startswith("en") else "vi"


def base_day(day: dt.date, weekdays: Container[int], language: str = "vi") -> DayInfo:
    """What the `holidays` package and the weekly schedule say of `day`, before overrides."""
    known = _public_holidays(day.year, _package_language(language))
    name = known.get(day)
    if name is not None:
        return DayInfo(day, False, DayReason.HOLIDAY, str(name))
    if day in known.weekend_workdays:
        return DayInfo(day, True, DayReason.MAKE_UP_DAY)
    if day.weekday() in weekdays:
        return DayInfo(day, True, DayReason.WEEKDAY)
    return DayInfo(day, False, DayReason.WEEKEND)


def parse_time(value: str) -> dt.time:
    """'HH:MM' → time (ValueError for anything else)."""
    hours, minutes = value.split(":")
    if len(hours) != 2 or len(minutes) != 2:
        raise ValueError(f"not HH:MM: {value!r}")
    return dt.time(int(hours), int(minutes))


def parse_sessions(sessions: Sequence[Sequence[str]]) -> tuple[tuple[dt.time, dt.time], ...]:
    """[["08:00", "12:00"], …] → time pairs; ValueError unless each ends after it starts and
    they come in order without overlapping."""
    parsed = tuple((parse_time(start), parse_time(end)) for start, end in sessions)
    if not parsed:
        raise ValueError("at least one session is needed")
    previous_end = dt.time.min
    for start, end in parsed:
        if not previous_end <= start < end:
            raise ValueError("sessions must be ordered, non-empty and not overlapping")
        previous_end = end
    return parsed


def _local(instant: dt.datetime) -> dt.datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("instants must be timezone-aware")
    return instant.astimezone(VN_TZ)


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=VN_TZ)


class WorkingCalendar:
    """The working days and working hours of one province."""

    def __init__(
        self,
        *,
        weekdays: Iterable[int] = DEFAULT_WEEKDAYS,
        sessions: Sequence[Sequence[str]] = DEFAULT_SESSIONS,
        same_day_cutoff: dt.time = DEFAULT_SAME_DAY_CUTOFF,
        overrides: Mapping[dt.date, Override] | None = None,
    ) -> None:
        self.weekdays = frozenset(weekdays)
        if not self.weekdays <= set(range(7)):
            raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")
        self.sessions = parse_sessions(sessions)
        self.same_day_cutoff = same_day_cutoff
        self.overrides = dict(overrides or {})
        self.day_length = sum(
            (
                dt.datetime.combine(dt.date.min, end) - dt.datetime.combine(dt.date.min, start)
                for start, end in self.sessions
            ),
            NO_TIME,
        )

    # Days ---------------------------------------------------------------------------------

    def day(self, day: dt.date, language: str = "vi") -> DayInfo:
        """Whether `day` is a working day and why (holiday names in `language`: vi or en)."""
        override = self.overrides.get(day)
        if override is None:
            return base_day(day, self.weekdays, language)
        reason = DayReason.OVERRIDE_WORKING if override.working else DayReason.OVERRIDE_OFF
        return DayInfo(day, override.working, reason, override.name, override.decision)

    def is_working_day(self, day: dt.date) -> bool:
        return self.day(day).working

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The `days`-th working day after `start`, which is not counted (the period starts on
        the following day, Bộ luật Dân sự 2015 Đ147); negative `days` count back before it.
        0 gives `start` itself, working or not."""
        step = ONE_DAY if days >= 0 else -ONE_DAY
        day = start
        for _ in range(abs(days)):
            day = self._next_working_day(day, step)
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """The working days after `start` up to and including `end`: the inverse of
        `add_working_days` (negative, counting [end, start), when `end` is before `start`)."""
        if end < start:
            return -sum(1 for day in _days(end, start) if self.is_working_day(day))
        return sum(1 for day in _days(start + ONE_DAY, end + ONE_DAY) if self.is_working_day(day))

    def _next_working_day(self, day: dt.date, step: dt.timedelta) -> dt.date:
        for _ in range(MAX_DAYS_OFF_IN_A_ROW):
            day += step
            if self.is_working_day(day):
                return day
        raise ValueError(f"no working day within {MAX_DAYS_OFF_IN_A_ROW} days of {day}")

    # Instants -----------------------------------------------------------------------------

    def sessions_on(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The working sessions of `day` as aware instants (none on a day off)."""
        if not self.is_working_day(day):
            return []
        return [(_at(day, start), _at(day, end)) for start, end in self.sessions]

    def _sessions_from(self, day: dt.date) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """The sessions of `day` and of every later day, in order."""
        days_off = 0
        while days_off < MAX_DAYS_OFF_IN_A_ROW:
            sessions = self.sessions_on(day)
            days_off = 0 if sessions else days_off + 1
            yield from sessions
            day += ONE_DAY
        raise ValueError(f"no working day within {MAX_DAYS_OFF_IN_A_ROW} days of {day}")

    def is_working_time(self, instant: dt.datetime) -> bool:
        """Whether `instant` falls inside a session (a session is [start, end))."""
        local = _local(instant)
        return any(start <= local < end for start, end in self.sessions_on(local.date()))

    def next_working_instant(self, instant: dt.datetime) -> dt.datetime:
        """`instant` itself inside working time, else the start of the next session."""
        local = _local(instant)
        sessions = self._sessions_from(local.date())
        return next(max(local, start) for start, end in sessions if local < end)

    def end_of_working_day(self, day: dt.date) -> dt.datetime:
        """The end of the last session of `day`: a deadline falling on `day` is due then."""
        return _at(day, self.sessions[-1][1])

    def due_after_working_days(self, received_at: dt.datetime, days: int) -> dt.datetime:
        """Due instant of a procedure taking `days` working days (≥ 1) from receipt: the end of
        the `days`-th working day after the day of `received_at`."""
        if days < 1:
            raise ValueError("a procedure takes at least one working day; see same_day_due")
        return self.end_of_working_day(self.add_working_days(_local(received_at).date(), days))

    def add_working_hours(self, instant: dt.datetime, hours: float | dt.timedelta) -> dt.datetime:
        """The instant at which `hours` of working time have passed since `instant`.

        Time outside the sessions does not count; an instant outside working time starts at the
        next session. Work that ends exactly at the end of a session ends there (12:00, 17:00),
        not at the start of the next one.
        """
        remaining = hours if isinstance(hours, dt.timedelta) else dt.timedelta(hours=hours)
        if remaining < NO_TIME:
            raise ValueError("hours must not be negative")
        current = self.next_working_instant(instant)
        sessions = self._sessions_from(current.date())
        while True:
            start, end = next(sessions)
            if end <= current:
                continue
            begin = max(start, current)
            if remaining <= end - begin:
                return begin + remaining
            remaining -= end - begin

    def working_time_between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """The working time inside [start, end) (negative when `end` is before `start`)."""
        first, last = _local(start), _local(end)
        if last < first:
            return -self.working_time_between(last, first)
        total = NO_TIME
        for day in _days(first.date(), last.date() + ONE_DAY):
            for session_start, session_end in self.sessions_on(day):
                total += max(NO_TIME, min(session_end, last) - max(session_start, first))
        return total

    def working_days_of(self, duration: dt.timedelta) -> float:
        """A working-time duration in working days (8 h = 1 day with the default sessions)."""
        return duration / self.day_length

    def same_day_due(self, received_at: dt.datetime) -> dt.datetime:
        """Due instant of a same-day procedure ("ngay trong ngày, hoặc ngày làm việc tiếp theo
        nếu tiếp nhận sau 15 giờ"): the end of the day of receipt, or the end of the next
        working day when received after the cut-off or on a day off. Received exactly at the
        cut-off is not after it."""
        local = _local(received_at)
        day = local.date()
        if self.is_working_day(day) and local.time() <= self.same_day_cutoff:
            return self.end_of_working_day(day)
        return self.end_of_working_day(self.add_working_days(day, 1))


def _days(start: dt.date, stop: dt.date) -> Iterator[dt.date]:
    """The days of [start, stop)."""
    for offset in range((stop - start).days):
        yield start + dt.timedelta(days=offset)
