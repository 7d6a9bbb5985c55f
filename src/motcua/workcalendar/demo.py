"""The demo province's working schedule (the defaults: 08:00–12:00, 13:00–17:00, Mon–Fri)."""

from __future__ import annotations

from motcua.organisation.models import Province
from motcua.workcalendar import services
from motcua.workcalendar.models import WorkingSchedule


def load_demo() -> list[str]:
    province = Province.objects.get(code="22")
    if not WorkingSchedule.objects.filter(province=province).exists():
        services.save_schedule(schedule=WorkingSchedule(province=province))
    return []
