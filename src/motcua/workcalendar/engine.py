"""Working-day and working-hour arithmetic for one province (pure: no database access).

Deadlines in Vietnamese administrative procedures count working days and working hours
(8 h = 1 working day), Monday–Friday minus public holidays plus announced make-up days. All
instants are timezone-aware; they are reasoned about in Asia/Ho_Chi_Minh.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MAX_SPAN_DAYS = 3660  # ten years: beyond that a request is a mistake or abuse


class Reason:
    WEEKDAY = "weekday"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"
    MAKE_UP_DAY = "make_up_day"  # a weekend day made a working day by the government
    OVERRIDE_OFF = "override_off"
    OVERRIDE_WORKING = "override_working"


@dataclass(frozen=True)
class Override:
    working: bool
    name: str
    decision: str


@dataclass(frozen=True)
class DayInfo:
    date: dt.date
    working: bool
    reason: str
    name: str = ""
    decision: str = ""


@lru_cache(maxsize=64)
def _package_holidays(year: int, language: str) -> holidays.HolidayBase:
    return holidays.country_holidays("VN", years=year, language=language)


def package_day(day: dt.date, weekdays: frozenset[int], language: str = "vi") -> DayInfo:
    """What the `holidays` package and the weekly schedule say of `day`, before overrides."""
    known = _package_holidays(day.year, "vi" if language == "vi" else "en_US")
    if day in known:
        return DayInfo(day, False, Reason.HOLIDAY, str(known.get(day)))
    if day in getattr(known, "weekend_workdays", ()):
        return DayInfo(day, True, Reason.MAKE_UP_DAY)
    if day.weekday() in weekdays:
        return DayInfo(day, True, Reason.WEEKDAY)
    return DayInfo(day, False, Reason.WEEKEND)


def _parse(value: str) -> dt.time:
    hours, minutes = value.split(":")
    return dt.time(int(hours), int(minutes))


class WorkingCalendar:
    def __init__(
        self,
        *,
        weekdays: frozenset[int],
        sessions: list[list[str]],
        same_day_cutoff: dt.time,
        overrides: Mapping[dt.date, Override] | None = None,
    ) -> None:
        self.weekdays = weekdays
        self.sessions = [(_parse(start), _parse(end)) for start, end in sessions]
        self.same_day_cutoff = same_day_cutoff
        self.overrides = dict(overrides or {})
        self.day_length = sum(
            (
                self._at(dt.date(2000, 1, 3), end) - self._at(dt.date(2000, 1, 3), start)
                for start, end in self.sessions
            ),
            dt.timedelta(),
        )

    # Days -------------------------------------------------------------------------------

    def day(self, day: dt.date, language: str = "vi") -> DayInfo:
        override = self.overrides.get(day)
        if override is not None:
            reason = Reason.OVERRIDE_WORKING if override.working else Reason.OVERRIDE_OFF
            return DayInfo(day, override.working, reason, override.name, override.decision)
        return package_day(day, self.weekdays, language)

    def is_working_day(self, day: dt.date) -> bool:
        return self.day(day).working

    def working_days_after(self, day: dt.date) -> Iterator[dt.date]:
        """The working days after `day`, in order (at most MAX_SPAN_DAYS calendar days on)."""
        for offset in range(1, MAX_SPAN_DAYS + 1):
            candidate = day + dt.timedelta(days=offset)
            if self.is_working_day(candidate):
                yield candidate
        raise ValueError("no working day within ten years")

    def add_working_days(self, day: dt.date, days: int) -> dt.date:
        """The `days`-th working day after `day` (`day` itself not counted; 0 gives `day`)."""
        if days < 0:
            raise ValueError("days must not be negative")
        result = day
        iterator = self.working_days_after(day)
        for _ in range(days):
            result = next(iterator)
        return result

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """How many working days lie after `start`, up to and including `end`."""
        if end < start:
            return -self.working_days_between(end, start)
        if (end - start).days > MAX_SPAN_DAYS:
            raise ValueError("span longer than ten years")
        return sum(
            1
            for offset in range(1, (end - start).days + 1)
            if self.is_working_day(start + dt.timedelta(days=offset))
        )

    # Instants -----------------------------------------------------------------------------

    def _at(self, day: dt.date, time: dt.time) -> dt.datetime:
        return dt.datetime.combine(day, time, tzinfo=VN_TZ)

    def _sessions_of(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        if not self.is_working_day(day):
            return []
        return [(self._at(day, start), self._at(day, end)) for start, end in self.sessions]

    def is_working_time(self, instant: dt.datetime) -> bool:
        local = _local(instant)
        return any(start <= local < end for start, end in self._sessions_of(local.date()))

    def next_working_instant(self, instant: dt.datetime) -> dt.datetime:
        """`instant` if it is inside working time, else the start of the next session."""
        local = _local(instant)
        day = local.date()
        for offset in range(MAX_SPAN_DAYS + 1):
            for start, end in self._sessions_of(day + dt.timedelta(days=offset)):
                if local < end:
                    return max(local, start)
        raise ValueError("no working time within ten years")

    def end_of_working_day(self, day: dt.date) -> dt.datetime:
        """The end of the last session of `day` (its deadline instant)."""
        return self._at(day, self.sessions[-1][1])

    def add_working_hours(self, instant: dt.datetime, hours: float | dt.timedelta) -> dt.datetime:
        """The instant when `hours` of working time have passed since `instant`.

        Work that ends exactly at the end of a session ends there (12:00, 17:00), not at the
        start of the next one.
        """
        remaining = hours if isinstance(hours, dt.timedelta) else dt.timedelta(hours=hours)
        if remaining < dt.timedelta():
            raise ValueError("hours must not be negative")
        current = self.next_working_instant(instant)
        if not remaining:
            return current
        day = current.date()
        for offset in range(MAX_SPAN_DAYS + 1):
            for start, end in self._sessions_of(day + dt.timedelta(days=offset)):
                if end <= current:
                    continue
                begin = max(start, current)
                if remaining <= end - begin:
                    return begin + remaining
                remaining -= end - begin
        raise ValueError("deadline beyond ten years")

    def working_time_between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Working time inside [start, end) (negative when end is before start)."""
        if end < start:
            return -self.working_time_between(end, start)
        first, last = _local(start), _local(end)
        if (last.date() - first.date()).days > MAX_SPAN_DAYS:
            raise ValueError("span longer than ten years")
        total = dt.timedelta()
        for offset in range((last.date() - first.date()).days + 1):
            for s_start, s_end in self._sessions_of(first.date() + dt.timedelta(days=offset)):
                overlap = min(s_end, last) - max(s_start, first)
                if overlap > dt.timedelta():
                    total += overlap
        return total

    def working_days_of(self, duration: dt.timedelta) -> float:
        """A working-time duration in working days (8 h = 1 day with the default sessions)."""
        return duration / self.day_length

    def same_day_due(self, received_at: dt.datetime) -> dt.datetime:
        """Due instant of a same-day procedure: the end of the day of receipt, or of the next
        working day when received after the cut-off or on a day off."""
        local = _local(received_at)
        day = local.date()
        if self.is_working_day(day) and local.time() < self.same_day_cutoff:
            return self.end_of_working_day(day)
        return self.end_of_working_day(next(self.working_days_after(day)))


def _local(instant: dt.datetime) -> dt.datetime:
    if instant.tzinfo is None:
        raise ValueError("instants must be timezone-aware")
    return instant.astimezone(VN_TZ)
