"""Queue reports: the day-closing rollup and the report's rows.

A local day (Asia/Ho_Chi_Minh: `Ticket.day` is the local day the ticket was issued) is closed by
`close_day`, which replaces that day's `DailyQueueStat` rows with one row per service point,
queue service and officer (officer None for tickets nobody called), computed from the day's
tickets and their ratings. Closed rows are the history: reports read them for closed days and
read live tickets only for the days not closed yet (today, and a past day in the hour before
the closing job runs), through the same grouped query, so both agree.

What the figures mean:
- issued: tickets of the day (each counted once, under the officer who last called it);
- served: finished; no-shows: called but did not come; cancelled: left or removed;
- wait: from issue to the first call, over the served tickets (`wait_seconds` is their sum,
  `max_wait_seconds` the longest); service time: from start to finish of the served tickets;
- ratings: how many of the day's tickets were rated by the closing, and the sum of their
  averages (a rating given after the day closed is not in the history).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    Q,
    QuerySet,
    Sum,
)
from django.utils import timezone

from motcua.core.permissions import Principal
from motcua.organisation.models import ServicePoint
from motcua.queueing import selectors
from motcua.queueing.models import DailyQueueStat, QueueService, Ticket
from motcua.queueing.numbering import local_day

Status = Ticket.Status

# The longest period a report covers (a year and a day: a leap year's whole year).
MAX_REPORT_DAYS = 366

_WAIT = ExpressionWrapper(F("called_at") - F("issued_at"), output_field=DurationField())
_SERVICE = ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField())
_SERVED = Q(status=Status.FINISHED)


# Figures -----------------------------------------------------------------------------------


@dataclass
class Figures:
    """Sums over tickets (or closed-day rows), with the averages a report shows."""

    issued: int = 0
    served: int = 0
    no_shows: int = 0
    cancelled: int = 0
    wait_seconds: int = 0
    max_wait_seconds: int = 0
    service_seconds: int = 0
    service_count: int = 0  # served tickets with a start and a finish
    ratings: int = 0
    rating_sum: Decimal = Decimal(0)

    def add(self, other: Figures) -> None:
        self.issued += other.issued
        self.served += other.served
        self.no_shows += other.no_shows
        self.cancelled += other.cancelled
        self.wait_seconds += other.wait_seconds
        self.max_wait_seconds = max(self.max_wait_seconds, other.max_wait_seconds)
        self.service_seconds += other.service_seconds
        self.service_count += other.service_count
        self.ratings += other.ratings
        self.rating_sum += other.rating_sum

    @property
    def avg_wait(self) -> int | None:
        """Average wait of the served, in whole minutes (None: nobody served)."""
        return round(self.wait_seconds / self.served / 60) if self.served else None

    @property
    def longest_wait(self) -> int | None:
        return round(self.max_wait_seconds / 60) if self.served else None

    @property
    def avg_service(self) -> int | None:
        count = self.service_count
        return round(self.service_seconds / count / 60) if count else None

    @property
    def avg_rating(self) -> Decimal | None:
        if not self.ratings:
            return None
        return (self.rating_sum / self.ratings).quantize(Decimal("0.01"))

    @property
    def unserved(self) -> int:
        """Issued but neither served, not come nor cancelled (still waiting, or left waiting
        when the day ended)."""
        return max(self.issued - self.served - self.no_shows - self.cancelled, 0)


def _seconds(value: dt.timedelta | int | None) -> int:
    if value is None:
        return 0
    if isinstance(value, dt.timedelta):
        return max(int(value.total_seconds()), 0)
    return max(int(value), 0)


def _ticket_groups(tickets: QuerySet[Ticket], keys: Iterable[str]) -> list[dict[str, Any]]:
    """One grouped query over tickets: the figures per `keys` (ticket fields)."""
    return list(
        tickets.values(*keys)
        .annotate(
            n_issued=Count("pk"),
            n_served=Count("pk", filter=_SERVED),
            n_no_shows=Count("pk", filter=Q(status=Status.NO_SHOW)),
            n_cancelled=Count("pk", filter=Q(status=Status.CANCELLED)),
            s_wait=Sum(_WAIT, filter=_SERVED & Q(called_at__isnull=False)),
            m_wait=Max(_WAIT, filter=_SERVED & Q(called_at__isnull=False)),
            s_service=Sum(
                _SERVICE,
                filter=_SERVED & Q(started_at__isnull=False, finished_at__isnull=False),
            ),
            n_service=Count(
                "pk", filter=_SERVED & Q(started_at__isnull=False, finished_at__isnull=False)
            ),
            n_ratings=Count("rating"),
            s_rating=Sum("rating__average"),
        )
        .order_by()
    )


def _figures_of_tickets(row: dict[str, Any]) -> Figures:
    return Figures(
        issued=row["n_issued"],
        served=row["n_served"],
        no_shows=row["n_no_shows"],
        cancelled=row["n_cancelled"],
        wait_seconds=_seconds(row["s_wait"]),
        max_wait_seconds=_seconds(row["m_wait"]),
        service_seconds=_seconds(row["s_service"]),
        service_count=row["n_service"],
        ratings=row["n_ratings"],
        rating_sum=Decimal(row["s_rating"] or 0),
    )


# Closing a day -----------------------------------------------------------------------------


def day_rows(day: dt.date, points: Iterable[int] | None = None) -> list[DailyQueueStat]:
    """The (unsaved) closing rows of `day`: one per service point, service and officer."""
    tickets = Ticket.objects.filter(day=day)
    if points is not None:
        tickets = tickets.filter(service_point__in=list(points))
    rows = []
    for row in _ticket_groups(tickets, ("service_point", "service", "officer")):
        figures = _figures_of_tickets(row)
        rows.append(
            DailyQueueStat(
                day=day,
                service_point_id=row["service_point"],
                service_id=row["service"],
                officer_id=row["officer"],
                issued=figures.issued,
                served=figures.served,
                no_shows=figures.no_shows,
                cancelled=figures.cancelled,
                wait_seconds=figures.wait_seconds,
                max_wait_seconds=figures.max_wait_seconds,
                # Service time is stored for the served with a start and a finish, which
                # every finished ticket has (finish sets a missing start).
                service_seconds=figures.service_seconds,
                ratings=figures.ratings,
                rating_sum=figures.rating_sum,
            )
        )
    return rows


@transaction.atomic
def close_day(day: dt.date) -> int:
    """Replace the `DailyQueueStat` rows of the local `day` with ones computed from its tickets
    and ratings (idempotent: closing a day twice gives the same rows). Returns how many."""
    rows = day_rows(day)
    DailyQueueStat.objects.filter(day=day).delete()
    DailyQueueStat.objects.bulk_create(rows)
    return len(rows)


def days_to_close(today: dt.date | None = None) -> list[dt.date]:
    """The local days before `today` that have tickets and no closing rows yet, oldest first.

    Days are closed in order, so every day up to the latest closed one is closed: only the
    tickets after it are looked at (the first run looks at them all)."""
    today = today or local_day(timezone.now())
    last = DailyQueueStat.objects.aggregate(last=Max("day"))["last"]
    tickets = Ticket.objects.filter(day__lt=today)
    if last is not None:
        tickets = tickets.filter(day__gt=last)
    candidates = sorted(set(tickets.values_list("day", flat=True).distinct().order_by()))
    closed = set(DailyQueueStat.objects.filter(day__in=candidates).values_list("day", flat=True))
    return [day for day in candidates if day not in closed]


def close_pending_days(today: dt.date | None = None) -> list[dt.date]:
    """Close every local day before today not closed yet (the hourly job)."""
    days = days_to_close(today)
    for day in days:
        close_day(day)
    return days


# The report --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayRow:
    day: dt.date
    point: ServicePoint
    figures: Figures
    live: bool  # computed from today's (or a not yet closed day's) tickets


@dataclass(frozen=True)
class OfficerRow:
    point: ServicePoint
    officer: Any  # a user, or None for tickets nobody called
    figures: Figures

    @property
    def officer_name(self) -> str:
        if self.officer is None:
            return ""
        return str(self.officer.get_full_name() or self.officer.get_username())


@dataclass(frozen=True)
class ServiceRow:
    point: ServicePoint
    service: QueueService
    figures: Figures


@dataclass(frozen=True)
class ReportRows:
    start: dt.date
    end: dt.date
    points: list[ServicePoint]
    days: list[DayRow]  # per day and service point, by day then point
    by_point: list[tuple[ServicePoint, Figures]]  # the period, per service point
    by_service: list[ServiceRow]  # the period, per queue service
    by_officer: list[OfficerRow]  # the period, per service point and officer
    total: Figures = field(default_factory=Figures)
    live_days: tuple[dt.date, ...] = ()


def _stat_groups(stats: QuerySet[DailyQueueStat], keys: Iterable[str]) -> list[dict[str, Any]]:
    return list(
        stats.values(*keys)
        .annotate(
            n_issued=Sum("issued"),
            n_served=Sum("served"),
            n_no_shows=Sum("no_shows"),
            n_cancelled=Sum("cancelled"),
            s_wait=Sum("wait_seconds"),
            m_wait=Max("max_wait_seconds"),
            s_service=Sum("service_seconds"),
            n_service=Sum("served"),
            n_ratings=Sum("ratings"),
            s_rating=Sum("rating_sum"),
        )
        .order_by()
    )


def _grouped(
    stats: QuerySet[DailyQueueStat], tickets: QuerySet[Ticket], keys: tuple[str, ...]
) -> dict[tuple[Any, ...], Figures]:
    """Figures per `keys`, closed rows and live tickets merged."""
    merged: dict[tuple[Any, ...], Figures] = {}
    for rows in (_stat_groups(stats, keys), _ticket_groups(tickets, keys)):
        for row in rows:
            key = tuple(row[k] for k in keys)
            merged.setdefault(key, Figures()).add(_figures_of_tickets(row))
    return merged


def sources(
    point_ids: list[int] | None,
    start: dt.date,
    end: dt.date,
    today: dt.date,
    *,
    officer_ids: list[int] | None = None,
) -> tuple[QuerySet[DailyQueueStat], QuerySet[Ticket]]:
    """What the figures of the local days `start`..`end` are read from: the closing rows of
    the closed days, the tickets of the others (None: every service point, every officer).

    Days are closed in order (`days_to_close`), so the closed days of the range are those up
    to the latest closed one: both reads are date ranges."""
    last_closed = DailyQueueStat.objects.filter(day__lt=today).aggregate(last=Max("day"))["last"]
    closed_until = min(end, last_closed) if last_closed is not None else start - dt.timedelta(1)
    stats = DailyQueueStat.objects.filter(day__gte=start, day__lte=closed_until)
    tickets = Ticket.objects.filter(day__gt=closed_until, day__gte=start, day__lte=end)
    if point_ids is not None:
        stats = stats.filter(service_point__in=point_ids)
        tickets = tickets.filter(service_point__in=point_ids)
    if officer_ids is not None:
        stats = stats.filter(officer__in=officer_ids)
        tickets = tickets.filter(officer__in=officer_ids)
    return stats, tickets


def grouped_figures(
    point_ids: list[int] | None,
    start: dt.date,
    end: dt.date,
    keys: tuple[str, ...],
    *,
    today: dt.date,
    officer_ids: list[int] | None = None,
) -> dict[tuple[Any, ...], Figures]:
    """The figures per `keys` (service_point, service, officer, day) of the service points
    and officers (None: all of them) over the local days `start`..`end`."""
    return _grouped(*sources(point_ids, start, end, today, officer_ids=officer_ids), keys)


def report(
    principal: Principal,
    start: dt.date,
    end: dt.date,
    point_id: int | None = None,
    *,
    now: dt.datetime | None = None,
) -> ReportRows:
    """The queue report of the local days `start`..`end` (inclusive) over the service points
    the principal reaches (or one of them: NotFound outside the jurisdiction)."""
    if end < start:
        start, end = end, start
    if (end - start).days >= MAX_REPORT_DAYS:
        start = end - dt.timedelta(days=MAX_REPORT_DAYS - 1)
    today = local_day(now or timezone.now())
    if point_id is not None:
        points = [selectors.point_for(principal, point_id)]
    else:
        points = list(selectors.points_for(principal).order_by("kind", "name"))
    by_id = {point.pk: point for point in points}
    place = {point.pk: index for index, point in enumerate(points)}
    stats, tickets = sources(list(by_id), start, end, today)
    live_days = tuple(sorted(set(tickets.values_list("day", flat=True).distinct().order_by())))

    per_day = _grouped(stats, tickets, ("day", "service_point"))
    days = [
        DayRow(day, by_id[point_id_], figures, day in live_days)
        for (day, point_id_), figures in per_day.items()
        if point_id_ in by_id
    ]
    days.sort(key=lambda row: (row.day, place[row.point.pk]))

    per_point = _grouped(stats, tickets, ("service_point",))
    by_point = [(point, per_point.get((point.pk,), Figures())) for point in points]

    per_service = _grouped(stats, tickets, ("service_point", "service"))
    services = QueueService.objects.in_bulk([key[1] for key in per_service])
    by_service = [
        ServiceRow(by_id[point], services[service], figures)
        for (point, service), figures in per_service.items()
        if point in by_id and service in services
    ]
    by_service.sort(key=lambda row: (place[row.point.pk], row.service.order, row.service.code))

    per_officer = _grouped(stats, tickets, ("service_point", "officer"))
    users = get_user_model().objects.in_bulk([key[1] for key in per_officer if key[1]])
    by_officer = [
        OfficerRow(by_id[point], users.get(officer) if officer else None, figures)
        for (point, officer), figures in per_officer.items()
        if point in by_id
    ]
    by_officer.sort(
        key=lambda row: (
            place[row.point.pk],
            row.officer is None,
            row.officer_name.casefold(),
        )
    )

    total = Figures()
    for _point, figures in by_point:
        total.add(figures)
    return ReportRows(
        start=start,
        end=end,
        points=points,
        days=days,
        by_point=by_point,
        by_service=by_service,
        by_officer=by_officer,
        total=total,
        live_days=live_days,
    )
