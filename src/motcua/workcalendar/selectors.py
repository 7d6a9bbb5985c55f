"""Load a province's working calendar, cached per process until its schedule revision changes."""

from __future__ import annotations

import datetime as dt
import threading

from django.conf import settings

from motcua.workcalendar.engine import Override, WorkingCalendar
from motcua.workcalendar.models import (
    DEFAULT_SESSIONS,
    DEFAULT_WEEKDAYS,
    CalendarOverride,
    WorkingSchedule,
)

_cache: dict[str, tuple[str, WorkingCalendar]] = {}
_lock = threading.Lock()


def calendar_for(province_code: str | None = None) -> WorkingCalendar:
    """The working calendar of a province (default: this deployment's).

    One query per call checks the schedule's revision; overrides are read again only after a
    change, so every web and worker process sees an announced make-up day at once.
    """
    code = province_code or settings.PROVINCE_CODE
    schedule = WorkingSchedule.objects.filter(province__code=code).first()
    revision = str(schedule.revision) if schedule else "none"
    with _lock:
        cached = _cache.get(code)
        if cached is not None and cached[0] == revision:
            return cached[1]
    calendar = _build(code, schedule)
    with _lock:
        _cache[code] = (revision, calendar)
    return calendar


def _build(code: str, schedule: WorkingSchedule | None) -> WorkingCalendar:
    overrides = {
        row.date: Override(row.kind == CalendarOverride.Kind.WORKING_DAY, row.name, row.decision)
        for row in CalendarOverride.objects.filter(province__code=code)
    }
    if schedule is None:
        return WorkingCalendar(
            weekdays=frozenset(DEFAULT_WEEKDAYS),
            sessions=DEFAULT_SESSIONS,
            same_day_cutoff=dt.time(15, 0),
            overrides=overrides,
        )
    return WorkingCalendar(
        weekdays=frozenset(schedule.weekdays),
        sessions=schedule.sessions,
        same_day_cutoff=schedule.same_day_cutoff,
        overrides=overrides,
    )
