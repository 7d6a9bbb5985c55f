"""The demo province's working schedule: the defaults (Monday–Friday, 08:00–12:00 and
13:00–17:00, same-day cut-off 15:00). Overrides are left to real announcements."""

from __future__ import annotations

from motcua.organisation.models import Province
from motcua.workcalendar import services
from motcua.workcalendar.models import WorkingSchedule


def load_demo() -> list[str]:
    province = Province.objects.get(code="22")
    if not WorkingSchedule.objects.filter(province=province).exists():
        services.update_schedule(province=province)
    return []
