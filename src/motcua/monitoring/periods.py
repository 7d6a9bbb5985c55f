"""The period a monitoring page, export, report or API answer covers, and the one it is
compared with: one set of rules for all of them.

A period is a kind and a day in it (`period=month&date=2026-03-15`, this month by default) or
custom bounds (`period=custom&start=…&end=…`). A period still running is compared with as many
days of the other period (1–3 December with 1–3 November, not with all of November).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from django.http import QueryDict
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from motcua.core.errors import MotcuaError
from motcua.monitoring import kpis
from motcua.monitoring.kpis import Period
from motcua.queueing import reports as queue_reports

# A custom period covers at most what a queue report does (a year and a day): the service
# points' figures are read through those reports.
MAX_CUSTOM_DAYS = queue_reports.MAX_REPORT_DAYS
# Dates outside these are typing mistakes (and would overflow date arithmetic).
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)

PERIOD_LABELS: dict[str, Any] = {
    "today": gettext_lazy("Today (live)"),
    "day": gettext_lazy("Day"),
    "week": gettext_lazy("Week"),
    "month": gettext_lazy("Month"),
    "quarter": gettext_lazy("Quarter"),
    "year": gettext_lazy("Year"),
    "custom": gettext_lazy("Custom dates"),
}
COMPARE_LABELS: dict[str, Any] = {
    "previous": gettext_lazy("the previous period"),
    "last_year": gettext_lazy("the same period a year earlier"),
}


def read_day(text: str) -> dt.date | None:
    """The day written `YYYY-MM-DD` (None when blank); MotcuaError with the reason otherwise."""
    text = text.strip()
    if not text:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise MotcuaError(
            _("“%(value)s” is not a date: write it as YYYY-MM-DD.") % {"value": text[:20]},
            code="bad_date",
        ) from None
    return within_bounds(day, code="bad_date")


def within_bounds(day: dt.date, *, code: str) -> dt.date:
    """The day, if between EARLIEST and LATEST; MotcuaError (with `code`) otherwise."""
    if not EARLIEST <= day <= LATEST:
        raise MotcuaError(
            _("Choose a date between %(first)s and %(last)s.")
            % {"first": EARLIEST.year, "last": LATEST.year},
            code=code,
        )
    return day


def period_of(
    kind: str,
    *,
    today: dt.date,
    day: dt.date | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Period:
    """The period of a known kind: `today` is live, a custom one has ordered bounds at most
    MAX_CUSTOM_DAYS apart, the others are around `day` (default: today)."""
    if kind == "today":
        return Period.of("today", today)
    if kind != "custom":
        return Period.of(kind, day or today)
    if start is None or end is None:
        raise MotcuaError(_("Custom dates need a start and an end."), code="bad_period")
    if end < start:
        raise MotcuaError(_("The end is before the start."), code="bad_period")
    if (end - start).days >= MAX_CUSTOM_DAYS:
        raise MotcuaError(
            _("Custom dates cover at most %(n)d days.") % {"n": MAX_CUSTOM_DAYS},
            code="bad_period",
        )
    return Period.custom(start, end)


def _year_back(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


@dataclass(frozen=True)
class Selection:
    """The period a page shows and the one it compares with."""

    period: Period
    compare: str = "previous"
    # The day the selection was read on: a period still running is compared with as many
    # days of the other period.
    today: dt.date | None = None

    @classmethod
    def read(cls, query: QueryDict, *, today: dt.date) -> Selection:
        """The selection asked for; MotcuaError (400) with a translated reason otherwise."""
        kind = query.get("period", "").strip() or "month"
        if kind not in kpis.PERIOD_KINDS:
            raise MotcuaError(
                _(
                    "Unknown period “%(value)s”: choose today, a day, week, month, quarter, "
                    "year or custom dates."
                )
                % {"value": kind[:20]},
                code="bad_period",
            )
        compare = query.get("compare", "").strip() or "previous"
        if compare not in COMPARE_LABELS:
            raise MotcuaError(
                _("Compare with the previous period or the same period a year earlier."),
                code="bad_compare",
            )
        if kind == "custom":
            start, end = read_day(query.get("start", "")), read_day(query.get("end", ""))
            period = period_of(kind, today=today, start=start, end=end)
        elif kind == "today":
            period = period_of(kind, today=today)
        else:
            period = period_of(kind, today=today, day=read_day(query.get("date", "")))
        return cls(period, compare, today)

    @property
    def against(self) -> Period:
        other = year_before(self.period) if self.compare == "last_year" else self.period.previous()
        if self.period.kind in ("today", "day") or self.today is None:
            return other
        if not self.period.start <= self.today < self.period.end:
            return other
        elapsed = self.today - self.period.start
        return Period.custom(other.start, min(other.end, other.start + elapsed))

    def includes(self, day: dt.date) -> bool:
        return self.period.start <= day <= self.period.end

    def query(self, **extra: str) -> str:
        """The query string that selects this again (plus `extra`)."""
        period = self.period
        values: dict[str, str] = {"period": period.kind}
        if period.kind == "custom":
            values.update(start=period.start.isoformat(), end=period.end.isoformat())
        elif period.kind != "today":
            values["date"] = period.start.isoformat()
        if self.compare != "previous":
            values["compare"] = self.compare
        values.update(extra)
        return urlencode(values)

    def shifted(self, period: Period) -> Selection:
        return replace(self, period=period)


def this_month(today: dt.date) -> Selection:
    """What a page shows when its query is not a period."""
    return Selection(Period.of("month", today), today=today)


def year_before(period: Period) -> Period:
    if period.kind == "week":
        return Period.of("week", period.start - dt.timedelta(weeks=52))
    if period.kind in ("month", "quarter", "year"):
        return Period.of(period.kind, _year_back(period.start))
    if period.kind in ("today", "day"):
        day = _year_back(period.start)
        return Period("day", day, day)
    return Period.custom(_year_back(period.start), _year_back(period.end))


def following(period: Period) -> Period:
    if period.kind in ("today", "day", "custom"):
        step = dt.timedelta(days=period.days)
        kind = "day" if period.kind == "today" else period.kind
        return Period(kind, period.start + step, period.end + step)
    return Period.of(period.kind, period.end + dt.timedelta(days=1))


def _day(value: dt.date) -> str:
    return formats.date_format(value, "d/m/Y")


def period_label(period: Period) -> str:
    if period.kind == "today":
        return _("Today, %(day)s") % {"day": _day(period.start)}
    if period.kind == "day":
        return _("Day %(day)s") % {"day": _day(period.start)}
    if period.kind == "week":
        return _("Week %(start)s – %(end)s") % {
            "start": _day(period.start),
            "end": _day(period.end),
        }
    if period.kind == "month":
        return _("Month %(month)d/%(year)d") % {
            "month": period.start.month,
            "year": period.start.year,
        }
    if period.kind == "quarter":
        return _("Quarter %(quarter)d/%(year)d") % {
            "quarter": (period.start.month - 1) // 3 + 1,
            "year": period.start.year,
        }
    if period.kind == "year":
        return _("Year %(year)d") % {"year": period.start.year}
    return _("%(start)s to %(end)s") % {"start": _day(period.start), "end": _day(period.end)}
