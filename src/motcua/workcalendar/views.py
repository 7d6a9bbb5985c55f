from __future__ import annotations

import calendar as month_calendar
import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language

from motcua.core.access import permission_required
from motcua.workcalendar.engine import VN_TZ, WorkingCalendar
from motcua.workcalendar.forms import DeadlineForm
from motcua.workcalendar.selectors import calendar_for


@permission_required("calendar.view")
def calendar(request: HttpRequest) -> HttpResponse:
    working = calendar_for()
    form = DeadlineForm(request.GET if "received_at" in request.GET else None)
    result = _deadline(working, form) if form.is_bound and form.is_valid() else None
    context = {"form": form, "result": result}
    if getattr(request, "htmx", False) and form.is_bound:
        return render(request, "workcalendar/_deadline.html", context)
    today = timezone.localdate()
    month = _month(request.GET.get("month"), today)
    context |= _month_grid(working, month, today)
    return render(request, "workcalendar/calendar.html", context)


def _month(value: str | None, today: dt.date) -> dt.date:
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        return dt.date(year, month, 1)
    except ValueError:
        return today.replace(day=1)


def _month_grid(working: WorkingCalendar, month: dt.date, today: dt.date) -> dict[str, Any]:
    language = get_language() or "vi"
    weeks = [
        [working.day(day, language) if day.month == month.month else None for day in week]
        for week in month_calendar.Calendar(firstweekday=0).monthdatescalendar(
            month.year, month.month
        )
    ]
    previous = (month - dt.timedelta(days=1)).replace(day=1)
    following = (month + dt.timedelta(days=32)).replace(day=1)
    notable = [day for week in weeks for day in week if day is not None and day.name]
    return {
        "month": month,
        "weeks": weeks,
        "today": today,
        "previous_month": f"{previous:%Y-%m}",
        "next_month": f"{following:%Y-%m}",
        "notable_days": notable,
        "working_day_count": sum(1 for w in weeks for d in w if d is not None and d.working),
    }


def _deadline(working: WorkingCalendar, form: DeadlineForm) -> dict[str, Any]:
    received = form.cleaned_data["received_at"].astimezone(VN_TZ)
    mode = form.cleaned_data["mode"]
    amount = form.cleaned_data["amount"]
    if mode == "same_day":
        due = working.same_day_due(received)
    elif mode == "days":
        due = working.end_of_working_day(working.add_working_days(received.date(), int(amount)))
    else:
        due = working.add_working_hours(received, float(amount))
    return {"received_at": received, "due": due, "mode": mode, "amount": amount}
