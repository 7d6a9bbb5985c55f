"""Calendar API (/api/v1/calendar): the deployment province's working days and deadline
arithmetic. Instants without a zone are read as Vietnamese time; answers are in +07:00."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Self

from django.http import HttpRequest
from django.utils.translation import get_language
from ninja import Field, Query, Router, Schema
from pydantic import AfterValidator, model_validator

from motcua.core.access import demand
from motcua.core.schemas import responses
from motcua.workcalendar.engine import VN_TZ, DayInfo, DayReason
from motcua.workcalendar.limits import (
    EARLIEST,
    LATEST,
    MAX_LISTED_DAYS,
    MAX_SPAN_DAYS,
    MAX_WORKING_DAYS,
    MAX_WORKING_HOURS,
)
from motcua.workcalendar.selectors import calendar_for

router = Router()


def _supported_instant(value: dt.datetime) -> dt.datetime:
    local = value.astimezone(VN_TZ) if value.tzinfo else value.replace(tzinfo=VN_TZ)
    if not EARLIEST <= local.date() <= LATEST:
        raise ValueError(f"must fall between {EARLIEST} and {LATEST}")
    return local


SupportedDate = Annotated[
    dt.date, Field(ge=EARLIEST, le=LATEST, description=f"From {EARLIEST} to {LATEST}.")
]
SupportedInstant = Annotated[
    dt.datetime,
    AfterValidator(_supported_instant),
    Field(
        description=f"ISO 8601, from {EARLIEST} to {LATEST}; without an offset it is "
        "Vietnamese time (+07:00)."
    ),
]


class DaysQuery(Schema):
    start: SupportedDate
    end: SupportedDate = Field(description=f"At most {MAX_LISTED_DAYS} days after start.")

    @model_validator(mode="after")
    def _within_a_year(self) -> Self:
        if not 0 <= (self.end - self.start).days < MAX_LISTED_DAYS:
            raise ValueError(
                f"end must be on or after start and less than {MAX_LISTED_DAYS} days on"
            )
        return self


class DayOut(Schema):
    date: dt.date
    working: bool
    reason: DayReason
    name: str = Field(description="The holiday's or the override's name.")
    decision: str = Field(description="The document that announced an override.")


class AddDaysQuery(Schema):
    start: SupportedDate = Field(description="The day of receipt (not counted).")
    days: int = Field(ge=1, le=MAX_WORKING_DAYS)


class AddDaysOut(Schema):
    start: dt.date
    days: int
    result: dt.date
    due_at: dt.datetime = Field(description="The end of the last session of the result day.")


class AddHoursQuery(Schema):
    start: SupportedInstant
    hours: float = Field(ge=0, le=MAX_WORKING_HOURS, description="8 h = 1 working day.")


class AddHoursOut(Schema):
    start: dt.datetime
    hours: float
    result: dt.datetime


class SpanQuery(Schema):
    start: SupportedInstant
    end: SupportedInstant

    @model_validator(mode="after")
    def _within_ten_years(self) -> Self:
        if abs(self.end - self.start) > dt.timedelta(days=MAX_SPAN_DAYS):
            raise ValueError(f"start and end must lie within {MAX_SPAN_DAYS} days of each other")
        return self


class SpanOut(Schema):
    start: dt.datetime
    end: dt.datetime
    hours: float = Field(description="Working time in hours (negative when end is before start).")
    working_days: float = Field(description="The same in working days (8 h = 1 day).")


class SameDayQuery(Schema):
    received_at: SupportedInstant


class SameDayOut(Schema):
    received_at: dt.datetime
    due: dt.datetime


@router.get("/days", response=responses(list[DayOut]), url_name="calendar_days")
def days(request: HttpRequest, query: Query[DaysQuery]) -> list[DayInfo]:
    """Each day from start to end: working or not, and why."""
    demand(request, "calendar.view")
    calendar, language = calendar_for(), get_language() or "vi"
    count = (query.end - query.start).days + 1
    return [calendar.day(query.start + dt.timedelta(days=i), language) for i in range(count)]


@router.get("/add-working-days", response=responses(AddDaysOut), url_name="add_working_days")
def add_working_days(request: HttpRequest, query: Query[AddDaysQuery]) -> AddDaysOut:
    """The working day `days` working days after `start`, and the instant it ends."""
    demand(request, "calendar.view")
    calendar = calendar_for()
    result = calendar.add_working_days(query.start, query.days)
    return AddDaysOut(
        start=query.start,
        days=query.days,
        result=result,
        due_at=calendar.end_of_working_day(result),
    )


@router.get("/add-working-hours", response=responses(AddHoursOut), url_name="add_working_hours")
def add_working_hours(request: HttpRequest, query: Query[AddHoursQuery]) -> AddHoursOut:
    """The instant at which `hours` of working time have passed since `start`."""
    demand(request, "calendar.view")
    result = calendar_for().add_working_hours(query.start, query.hours)
    return AddHoursOut(start=query.start, hours=query.hours, result=result)


@router.get("/working-time", response=responses(SpanOut), url_name="working_time")
def working_time(request: HttpRequest, query: Query[SpanQuery]) -> SpanOut:
    """The working time between two instants."""
    demand(request, "calendar.view")
    calendar = calendar_for()
    duration = calendar.working_time_between(query.start, query.end)
    return SpanOut(
        start=query.start,
        end=query.end,
        hours=duration / dt.timedelta(hours=1),
        working_days=calendar.working_days_of(duration),
    )


@router.get("/same-day-due", response=responses(SameDayOut), url_name="same_day_due")
def same_day_due(request: HttpRequest, query: Query[SameDayQuery]) -> SameDayOut:
    """When a same-day procedure received at `received_at` is due (the cut-off rule)."""
    demand(request, "calendar.view")
    due = calendar_for().same_day_due(query.received_at)
    return SameDayOut(received_at=query.received_at, due=due)
