from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language

from motcua.core.access import permission_required
from motcua.workcalendar.engine import VN_TZ, WorkingCalendar
from motcua.workcalendar.forms import DeadlineForm
from motcua.workcalendar.month import month_grid, parse_month
from motcua.workcalendar.selectors import calendar_for


@dataclass(frozen=True)
class Deadline:
    received_at: dt.datetime
    mode: str
    days: int | None
    hours: Decimal | None
    due: dt.datetime


@permission_required("calendar.view")
def calendar(request: HttpRequest) -> HttpResponse:
    """The month grid of the deployment's province and a deadline calculator. The calculator
    is a GET form: HTMX swaps in its result alone, a browser without it reloads the page."""
    working = calendar_for()
    form = DeadlineForm(request.GET if "received_at" in request.GET else None)
    deadline = _deadline(working, form) if form.is_bound and form.is_valid() else None
    context: dict[str, Any] = {"form": form, "deadline": deadline}
    if getattr(request, "htmx", False) and form.is_bound:
        response = render(request, "workcalendar/_deadline.html", context)
    else:
        today = timezone.localdate()
        context |= {
            "grid": month_grid(working, parse_month(request.GET.get("month"), today), _language()),
            "today": today,
            "calendar": working,
        }
        response = render(request, "workcalendar/calendar.html", context)
    # One URL answers with a page or a fragment: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


def _language() -> str:
    return get_language() or "vi"


def _deadline(working: WorkingCalendar, form: DeadlineForm) -> Deadline:
    received = form.cleaned_data["received_at"].astimezone(VN_TZ)
    mode, amount = form.cleaned_data["mode"], form.cleaned_data["amount"]
    if mode == DeadlineForm.SAME_DAY:
        return Deadline(received, mode, None, None, working.same_day_due(received))
    if mode == DeadlineForm.DAYS:
        days = int(amount)
        return Deadline(received, mode, days, None, working.due_after_working_days(received, days))
    due = working.add_working_hours(received, float(amount))
    return Deadline(received, mode, None, amount.normalize(), due)
