"""The due instant of a received dossier, from its procedure version's statutory time."""

from __future__ import annotations

import datetime as dt
from typing import Any

from motcua.workcalendar.engine import WorkingCalendar

HOURS_PER_DAY = 8  # DOMAIN.md: deadlines in hours count 8 h per working day
ELECTRONIC_CHANNELS = {"online", "api"}


def due_at(
    time: dict[str, Any], received_at: dt.datetime, calendar: WorkingCalendar
) -> dt.datetime:
    """Same-day procedures: the end of the day of receipt, or of the next working day after
    the cut-off. Working days: the end of the N-th working day after the day of receipt (the
    day of receipt is not counted). Working hours, and parts of days: working time counted from
    the receipt, or from the next session when received outside working hours."""
    if time["kind"] == "same_day":
        return calendar.same_day_due(received_at)
    value = float(time["value"])
    if time["kind"] == "working_days" and value.is_integer():
        return calendar.due_after_working_days(received_at, int(value))
    hours = value * HOURS_PER_DAY if time["kind"] == "working_days" else value
    return calendar.add_working_hours(received_at, hours)


def check_due_at(channel: str, submitted_at: dt.datetime, calendar: WorkingCalendar) -> dt.datetime:
    """When the check at receipt must be done (NQ 66.7/2025): a supplement request for an online
    dossier within 8 working hours, for one handed in or posted within 1 working day."""
    if channel in ELECTRONIC_CHANNELS:
        return calendar.add_working_hours(submitted_at, 8)
    return calendar.due_after_working_days(submitted_at, 1)


def describe_statutory_time(time: dict[str, Any]) -> str:
    """The processing time as printed on a receipt ("03 ngày làm việc")."""
    if time["kind"] == "same_day":
        return "Trong ngày (ngày làm việc tiếp theo nếu tiếp nhận sau 15 giờ)"
    value = float(time["value"])
    number = f"{int(value):02d}" if value.is_integer() else f"{value:g}".replace(".", ",")
    unit = "ngày làm việc" if time["kind"] == "working_days" else "giờ làm việc"
    return f"{number} {unit}"
