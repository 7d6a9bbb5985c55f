"""One month of a working calendar, laid out in weeks for the calendar page."""

from __future__ import annotations

import calendar as gregorian
import datetime as dt
from dataclasses import dataclass

from motcua.workcalendar.engine import DayInfo, DayReason, WorkingCalendar
from motcua.workcalendar.limits import EARLIEST, LATEST

# Days whose status the weekly pattern alone does not explain: each is listed with its reason.
NOTABLE = {
    DayReason.HOLIDAY,
    DayReason.MAKE_UP_DAY,
    DayReason.OVERRIDE_OFF,
    DayReason.OVERRIDE_WORKING,
}


@dataclass(frozen=True)
class MonthGrid:
    month: dt.date  # its first day
    weeks: list[list[DayInfo | None]]  # Monday first; None pads the days of other months
    previous: dt.date
    following: dt.date
    notable: list[DayInfo]
    working_days: int


def parse_month(value: str | None, default: dt.date) -> dt.date:
    """'YYYY-MM' → its first day; `default`'s month when missing, malformed or out of range."""
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        if EARLIEST.year <= year <= LATEST.year:
            return dt.date(year, month, 1)
    except ValueError:
        pass
    return default.replace(day=1)


def month_grid(calendar: WorkingCalendar, month: dt.date, language: str) -> MonthGrid:
    first = month.replace(day=1)
    weeks = [
        [calendar.day(day, language) if day.month == first.month else None for day in week]
        for week in gregorian.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    ]
    days = [day for week in weeks for day in week if day is not None]
    return MonthGrid(
        month=first,
        weeks=weeks,
        previous=(first - dt.timedelta(days=1)).replace(day=1),
        following=(first + dt.timedelta(days=31)).replace(day=1),
        notable=[day for day in days if day.reason in NOTABLE],
        working_days=sum(day.working for day in days),
    )
