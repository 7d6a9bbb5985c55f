"""Load a province's working calendar, cached per process until its schedule revision changes.

The calendar is public information (every citizen may know when a deadline falls), so these
reads are not narrowed to a jurisdiction.
"""

from __future__ import annotations

import datetime as dt
import threading

from django.conf import settings

from motcua.workcalendar.engine import Override, WorkingCalendar
from motcua.workcalendar.models import CalendarOverride, WorkingSchedule

_cache: dict[str, tuple[str, WorkingCalendar]] = {}
_lock = threading.Lock()


def calendar_for(province_code: str | None = None) -> WorkingCalendar:
    """The working calendar of a province (default: this deployment's `PROVINCE_CODE`).

    Costs one small query: the schedule's revision, which every write to the schedule or its
    overrides renews, so every web and worker process sees an announced make-up day at once.
    The overrides are read again only after such a change. Compute many deadlines with one
    calendar rather than calling this per deadline.
    """
    code = province_code or settings.PROVINCE_CODE
    schedule = WorkingSchedule.objects.filter(province__code=code).first()
    if schedule is None:
        # Nothing to key a cache entry on: a province whose schedule was never saved gets the
        # default week and whatever overrides exist, read each time.
        return WorkingCalendar(overrides=_overrides(code))
    revision = str(schedule.revision)
    with _lock:
        cached = _cache.get(code)
    if cached is not None and cached[0] == revision:
        return cached[1]
    calendar = WorkingCalendar(
        weekdays=schedule.weekdays,
        sessions=schedule.sessions,
        same_day_cutoff=schedule.same_day_cutoff,
        overrides=_overrides(code),
    )
    with _lock:
        _cache[code] = (revision, calendar)
    return calendar


def _overrides(code: str) -> dict[dt.date, Override]:
    return {
        row.date: Override(row.working, row.name, row.decision)
        for row in CalendarOverride.objects.filter(province__code=code)
    }
