from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from motcua.core.access import demand
from motcua.core.errors import MotcuaError
from motcua.core.schemas import responses
from motcua.workcalendar.engine import VN_TZ
from motcua.workcalendar.selectors import calendar_for

router = Router()
MAX_DAYS_LISTED = 366


def aware(instant: dt.datetime) -> dt.datetime:
    """An instant without a zone is Vietnamese local time."""
    return instant if instant.tzinfo else instant.replace(tzinfo=VN_TZ)


class DayOut(Schema):
    date: dt.date
    working: bool
    reason: str = Field(
        description="weekday, weekend, holiday, make_up_day, override_off, override_working"
    )
    name: str
    decision: str


class DaysQuery(Schema):
    start: dt.date
    end: dt.date


class AddDaysQuery(Schema):
    start: dt.date
    days: int = Field(ge=0, le=3650)


class AddDaysOut(Schema):
    start: dt.date
    days: int
    result: dt.date
    due_at: dt.datetime = Field(description="End of the last session of the result day.")


class AddHoursQuery(Schema):
    start: dt.datetime
    hours: float = Field(ge=0, le=29200, description="Working hours; 8 h = 1 working day.")


class AddHoursOut(Schema):
    start: dt.datetime
    hours: float
    result: dt.datetime


class SpanQuery(Schema):
    start: dt.datetime
    end: dt.datetime


class SpanOut(Schema):
    hours: float
    working_days: float


class SameDayQuery(Schema):
    received_at: dt.datetime


class SameDayOut(Schema):
    received_at: dt.datetime
    due: dt.datetime


@router.get("/days", response=responses(list[DayOut]), url_name="calendar_days")
def days(request: HttpRequest, query: Query[DaysQuery]) -> list[object]:
    demand(request, "calendar.view")
    if not 0 <= (query.end - query.start).days < MAX_DAYS_LISTED:
        raise MotcuaError(
            _("List at most %(n)d days, from start to end.") % {"n": MAX_DAYS_LISTED},
            fields={"end": [_("The end must be after the start and within a year of it.")]},
        )
    calendar = calendar_for()
    span = (query.end - query.start).days + 1
    return [
        calendar.day(query.start + dt.timedelta(days=i), get_language() or "vi")
        for i in range(span)
    ]


@router.get("/add-working-days", response=responses(AddDaysOut), url_name="add_working_days")
def add_working_days(request: HttpRequest, query: Query[AddDaysQuery]) -> dict[str, object]:
    demand(request, "calendar.view")
    calendar = calendar_for()
    result = calendar.add_working_days(query.start, query.days)
    return {
        "start": query.start,
        "days": query.days,
        "result": result,
        "due_at": calendar.end_of_working_day(result),
    }


@router.get("/add-working-hours", response=responses(AddHoursOut), url_name="add_working_hours")
def add_working_hours(request: HttpRequest, query: Query[AddHoursQuery]) -> dict[str, object]:
    demand(request, "calendar.view")
    start = aware(query.start)
    result = calendar_for().add_working_hours(start, query.hours)
    return {"start": start, "hours": query.hours, "result": result}


@router.get("/working-time", response=responses(SpanOut), url_name="working_time")
def working_time(request: HttpRequest, query: Query[SpanQuery]) -> dict[str, float]:
    demand(request, "calendar.view")
    start, end = aware(query.start), aware(query.end)
    if abs((end - start).days) > 3660:
        message = _("The span is longer than ten years.")
        raise MotcuaError(message, fields={"end": [message]})
    calendar = calendar_for()
    duration = calendar.working_time_between(start, end)
    return {
        "hours": duration.total_seconds() / 3600,
        "working_days": calendar.working_days_of(duration),
    }


@router.get("/same-day-due", response=responses(SameDayOut), url_name="same_day_due")
def same_day_due(request: HttpRequest, query: Query[SameDayQuery]) -> dict[str, object]:
    demand(request, "calendar.view")
    received_at = aware(query.received_at)
    return {"received_at": received_at, "due": calendar_for().same_day_due(received_at)}
