"""The year's plan: its days up to now, how busy each is (the season, the weekday, Tết, days
off), how many dossiers fall on each, and the transactions they are written in."""

from __future__ import annotations

import copy
import datetime as dt
import functools
import random
from collections import Counter as Tally
from collections.abc import Iterator
from itertools import accumulate

import holidays
from django.utils.translation import gettext as _

from motcua.core.errors import MotcuaError
from motcua.monitoring.contribution import local_day
from motcua.workcalendar.engine import VN_TZ, WorkingCalendar

ONLINE_FROM, ONLINE_TO = 0.15, 0.70  # the share filed online on 1 January and 31 December
CHUNK_DOSSIERS = 20_000  # dossiers per transaction
MINUTE = dt.timedelta(minutes=1)


def days_of(year: int, now: dt.datetime) -> list[dt.date]:
    first, last = dt.date(year, 1, 1), min(dt.date(year, 12, 31), local_day(now))
    if last < first:
        raise MotcuaError(
            _("The year %(year)s has not begun: nothing can have happened in it yet.")
            % {"year": year},
            code="invalid",
        )
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def lunar_new_year(year: int) -> dt.date:
    """The first day of the lunar new year (from the `holidays` package's Vietnamese list)."""
    known = holidays.country_holidays("VN", years=year, language="en_US")
    return next(day for day, name in sorted(known.items()) if name == "Lunar New Year")


# How busy each day is ----------------------------------------------------------------------

MONTH_FACTOR = (1.0, 1.0, 1.0, 0.95, 1.0, 1.05, 1.1, 1.1, 1.0, 1.0, 1.0, 1.1)
WEEKDAY_FACTOR = (1.15, 1.05, 1.0, 1.0, 0.9, 0.8, 0.8)
DAY_OFF_FACTOR = 0.05  # online filings on a weekend or holiday, against a working day


def tet_factor(day: dt.date, tet: dt.date) -> float:
    """The rush before Tết, the week around it nearly empty, and the slow start after it."""
    offset = (day - tet).days
    if -30 <= offset <= -8:
        return 1.45
    if -7 <= offset <= -4:
        return 0.6
    if -3 <= offset <= 7:
        return 0.1
    if 8 <= offset <= 14:
        return 0.6
    return 1.0


def spread(
    rng: random.Random,
    calendar: WorkingCalendar,
    tet: dt.date,
    days: list[dt.date],
    total: int,
    now: dt.datetime,
) -> dict[dt.date, int]:
    """How many dossiers are filed each day: `total` drawn over the days by their weight."""
    weights = []
    local_now = now.astimezone(VN_TZ)
    for day in days:
        working = calendar.is_working_day(day)
        weight = (1.0 if working else DAY_OFF_FACTOR) * MONTH_FACTOR[day.month - 1]
        weight *= WEEKDAY_FACTOR[day.weekday()] * tet_factor(day, tet)
        weight *= rng.uniform(0.9, 1.1)
        if day == local_now.date():  # today: only the part of the day gone by
            if working:
                start = calendar.sessions_on(day)[0][0]
                elapsed = calendar.working_time_between(start, now) / calendar.day_length
                weight *= min(max(elapsed, 0.0), 1.0)
            else:
                weight *= (local_now.hour * 60 + local_now.minute) / 1440
        weights.append(weight)
    drawn = Tally(rng.choices(range(len(days)), cum_weights=list(accumulate(weights)), k=total))
    return {day: drawn.get(index, 0) for index, day in enumerate(days)}


def chunks(days: list[dt.date], counts: dict[dt.date, int]) -> Iterator[list[dt.date]]:
    chunk: list[dt.date] = []
    size = 0
    for day in days:
        chunk.append(day)
        size += counts[day]
        if size >= CHUNK_DOSSIERS:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def memoised(calendar: WorkingCalendar) -> WorkingCalendar:
    """The province's calendar with its answers about days kept: the generator asks about the
    same few hundred days millions of times (the engine itself stays as it is)."""
    fast = copy.copy(calendar)
    fast.day = functools.lru_cache(maxsize=None)(fast.day)  # type: ignore[method-assign]
    fast.sessions_on = functools.lru_cache(maxsize=None)(fast.sessions_on)  # type: ignore[method-assign]
    return fast


def share(start: float, end: float, progress: float) -> float:
    """A share moving from `start` on 1 January to `end` on 31 December."""
    return start + (end - start) * progress
