"""Reads of queues: a board's state, a citizen's place in the queue, appointment slots, the
province's live view and the reports. Staff reads are narrowed to the principal's service points
(or province); the public reads (boards, a ticket by its secret) carry no names."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, Count, F, Min, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from motcua.core.errors import NotFound
from motcua.core.permissions import Jurisdiction, Principal, scope
from motcua.organisation.models import Counter, ServicePoint
from motcua.queueing.models import (
    APPOINTMENT_SLOT,
    Appointment,
    CounterSession,
    PriorityCategory,
    QueueService,
    Rating,
    Ticket,
    TicketEvent,
)
from motcua.queueing.numbering import local_day
from motcua.workcalendar.selectors import calendar_for

# As the organisation's: a point is reached through its province, commune, the agencies it
# receives for (their leaders watch it), or a membership of the point itself.
POINT_JURISDICTION = Jurisdiction(
    province="province__code", commune="commune__code", agency="agencies", service_point="id"
)
# Without history yet, a service is assumed to take this long (for the estimated wait).
DEFAULT_SERVICE_SECONDS = 8 * 60
RECENT_CALLS = 8


def points_for(principal: Principal) -> QuerySet[ServicePoint]:
    return scope(ServicePoint.objects.filter(active=True), principal, POINT_JURISDICTION)


def point_for(principal: Principal, point_id: int) -> ServicePoint:
    point = points_for(principal).filter(pk=point_id).first()
    if point is None:
        raise NotFound()
    return point


def counter_for(principal: Principal, counter_id: int) -> Counter:
    counter = (
        Counter.objects.select_related("service_point__province")
        .filter(pk=counter_id, service_point__in=points_for(principal))
        .first()
    )
    if counter is None:
        raise NotFound()
    return counter


def ticket_for(principal: Principal, ticket_id: int) -> Ticket:
    ticket = (
        Ticket.objects.select_related("service", "service_point__province", "counter", "priority")
        .filter(pk=ticket_id, service_point__in=points_for(principal))
        .first()
    )
    if ticket is None:
        raise NotFound()
    return ticket


def public_point(code: str) -> ServicePoint:
    point = ServicePoint.objects.filter(code=code, active=True).select_related("province").first()
    if point is None:
        raise NotFound()
    return point


def ticket_by_secret(secret: str) -> Ticket:
    ticket = (
        Ticket.objects.select_related("service", "service_point", "counter", "priority")
        .filter(secret=secret.strip())
        .first()
    )
    if ticket is None:
        raise NotFound()
    return ticket


def active_priorities() -> QuerySet[PriorityCategory]:
    return PriorityCategory.objects.filter(active=True)


def appointment_by_secret(secret: str) -> Appointment:
    appointment = (
        Appointment.objects.select_related("service__service_point")
        .filter(secret=secret.strip())
        .first()
    )
    if appointment is None:
        raise NotFound()
    return appointment


def appointment_ticket(appointment: Appointment) -> Ticket | None:
    """The ticket a checked-in appointment was given (late or on time)."""
    return Ticket.objects.filter(issue_key=appointment_key(appointment)).first()


def appointment_key(appointment: Appointment) -> str:
    """The issue key of an appointment's ticket: checking in twice gives the same ticket."""
    return f"appointment:{appointment.pk}"


def offered_services(point: ServicePoint) -> QuerySet[QueueService]:
    return QueueService.objects.filter(service_point=point, active=True).order_by("order", "code")


# Boards and places in the queue -----------------------------------------------------------


@dataclass(frozen=True)
class BoardState:
    serving: list[dict[str, Any]]  # the ticket now at each counter
    recent: list[dict[str, Any]]  # the latest calls, newest first
    waiting: dict[str, int]  # queue service prefix → tickets waiting


def board_state(point: ServicePoint, now: dt.datetime | None = None) -> BoardState:
    """What a display board shows: numbers and counters only."""
    day = local_day(now or timezone.now())
    today = Ticket.objects.filter(service_point=point, day=day)
    serving = [
        {"number": t.number, "counter": t.counter.number if t.counter else None, "status": t.status}
        for t in today.filter(status__in=[Ticket.Status.CALLED, Ticket.Status.SERVING])
        .select_related("counter")
        .order_by("counter__number")
    ]
    calls = (
        TicketEvent.objects.filter(
            ticket__service_point=point,
            ticket__day=day,
            action__in=[TicketEvent.Action.CALLED, TicketEvent.Action.RECALLED],
        )
        .select_related("ticket", "counter")
        .order_by("-at", "-pk")[:RECENT_CALLS]
    )
    recent = [
        {"number": e.ticket.number, "counter": e.counter.number if e.counter else None, "at": e.at}
        for e in calls
    ]
    waiting = {
        row["service__prefix"]: row["n"]
        for row in today.filter(status=Ticket.Status.WAITING)
        .values("service__prefix")
        .annotate(n=Count("pk"))
        .order_by()
    }
    return BoardState(serving=serving, recent=recent, waiting=waiting)


@dataclass(frozen=True)
class Place:
    ahead: int  # tickets to be called before this one (an estimate: priorities may pass)
    wait_minutes: int
    counters_open: int


def place_of(ticket: Ticket, now: dt.datetime | None = None) -> Place:
    """Where a waiting ticket stands in its queue, and about how long until it is called."""
    now = now or timezone.now()
    queue = Ticket.objects.filter(
        service=ticket.service, day=ticket.day, status=Ticket.Status.WAITING
    )
    weight = ticket.priority.weight if ticket.priority else 0
    ranked = queue.annotate(weight=Coalesce(F("priority__weight"), Value(0)))
    ahead = ranked.filter(
        Q(weight__gt=weight) | Q(weight=weight, queued_at__lt=ticket.queued_at)
    ).count()
    counters = (
        CounterSession.objects.filter(
            closed_at=None, paused_since=None, counter__services=ticket.service
        )
        .values("counter")
        .distinct()
        .count()
    )
    served = Ticket.objects.filter(
        service=ticket.service, day=ticket.day, status=Ticket.Status.FINISHED
    ).exclude(started_at=None)
    average = DEFAULT_SERVICE_SECONDS
    durations = [
        (t.finished_at - t.started_at).total_seconds()
        for t in served.order_by("-finished_at")[:20]
        if t.finished_at and t.started_at
    ]
    if durations:
        average = int(sum(durations) / len(durations))
    minutes = round(ahead * average / max(counters, 1) / 60)
    return Place(ahead=ahead, wait_minutes=minutes, counters_open=counters)


# Appointments -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    starts_at: dt.datetime
    free: int


def slots_of(service: QueueService, day: dt.date) -> list[Slot]:
    """The 30-minute slots of a working day at the service point, with the places left; none
    on a day off, in the past, or for a service without appointments."""
    if service.appointment_capacity <= 0:
        return []
    calendar = calendar_for(service.service_point.province.code)
    now = timezone.now()
    booked = dict(
        Appointment.objects.filter(service=service, starts_at__date=day)
        .exclude(status=Appointment.Status.CANCELLED)
        .values_list("starts_at")
        .annotate(n=Count("pk"))
        .order_by()
    )
    slots = []
    for start, end in calendar.sessions_on(day):
        moment = start
        while moment + APPOINTMENT_SLOT <= end:
            if moment > now:
                taken = booked.get(moment, 0)
                slots.append(Slot(moment, max(service.appointment_capacity - taken, 0)))
            moment += APPOINTMENT_SLOT
    return slots


# The province's live view ------------------------------------------------------------------


def live_overview(principal: Principal, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Each service point the principal reaches, today: waiting, being served, average and
    longest wait, average service time, counters open / paused, ratings. One grouped query
    per measure over today's tickets (indexed by point and day), never a scan of history."""
    now = now or timezone.now()
    day = local_day(now)
    points = list(points_for(principal).order_by("kind", "name"))
    today = Ticket.objects.filter(service_point__in=points, day=day)
    by_point: dict[int, dict[str, Any]] = {
        p.pk: {
            "point": p,
            "waiting": 0,
            "serving": 0,
            "issued": 0,
            "finished": 0,
            "avg_wait": None,
            "longest_wait": None,
            "avg_service": None,
            "open": 0,
            "paused": 0,
            "rating": None,
        }
        for p in points
    }
    for row in (
        today.values("service_point")
        .annotate(
            issued=Count("pk"),
            waiting=Count("pk", filter=Q(status=Ticket.Status.WAITING)),
            serving=Count("pk", filter=Q(status__in=[Ticket.Status.CALLED, Ticket.Status.SERVING])),
            finished=Count("pk", filter=Q(status=Ticket.Status.FINISHED)),
            first_queued=Min("queued_at", filter=Q(status=Ticket.Status.WAITING)),
        )
        .order_by()
    ):
        entry = by_point[row["service_point"]]
        entry.update({k: row[k] for k in ("issued", "waiting", "serving", "finished")})
        if row["first_queued"]:
            entry["longest_wait"] = int((now - row["first_queued"]).total_seconds() // 60)
    for point_id, issued, called, started, finished in today.exclude(called_at=None).values_list(
        "service_point", "issued_at", "called_at", "started_at", "finished_at"
    ):
        entry = by_point[point_id]
        if called:
            entry.setdefault("_waits", []).append((called - issued).total_seconds())
        if started and finished:
            entry.setdefault("_services", []).append((finished - started).total_seconds())
    for sessions in (
        CounterSession.objects.filter(closed_at=None, counter__service_point__in=points)
        .values("counter__service_point")
        .annotate(
            open=Count("pk", filter=Q(paused_since=None)),
            paused=Count("pk", filter=~Q(paused_since=None)),
        )
        .order_by()
    ):
        by_point[sessions["counter__service_point"]].update(
            open=sessions["open"], paused=sessions["paused"]
        )
    for rated in (
        Rating.objects.filter(ticket__service_point__in=points, ticket__day=day)
        .values("ticket__service_point")
        .annotate(avg=Avg("average"))
        .order_by()
    ):
        by_point[rated["ticket__service_point"]]["rating"] = rated["avg"]
    for entry in by_point.values():
        waits, services = entry.pop("_waits", []), entry.pop("_services", [])
        entry["avg_wait"] = round(sum(waits) / len(waits) / 60) if waits else None
        entry["avg_service"] = round(sum(services) / len(services) / 60) if services else None
    return list(by_point.values())


def officers_at(point: ServicePoint, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The counters of one point, today: who is at each, open or paused (and why), what they
    serve now, how many they served and their average rating."""
    day = local_day(now or timezone.now())
    sessions = {
        s.counter_id: s
        for s in CounterSession.objects.filter(
            counter__service_point=point, closed_at=None
        ).select_related("officer")
    }
    current = {
        t.counter_id: t
        for t in Ticket.objects.filter(
            service_point=point, day=day, status__in=[Ticket.Status.CALLED, Ticket.Status.SERVING]
        )
    }
    served = dict(
        Ticket.objects.filter(service_point=point, day=day, status=Ticket.Status.FINISHED)
        .values_list("officer")
        .annotate(n=Count("pk"))
        .order_by()
    )
    ratings = dict(
        Rating.objects.filter(ticket__service_point=point, ticket__day=day)
        .values_list("officer")
        .annotate(a=Avg("average"))
        .order_by()
    )
    rows = []
    for counter in point.counters.filter(active=True).order_by("number"):
        session = sessions.get(counter.pk)
        officer = session.officer if session else None
        rows.append(
            {
                "counter": counter,
                "session": session,
                "officer": officer,
                "state": session.state if session else "closed",
                "ticket": current.get(counter.pk),
                "served": served.get(officer.pk, 0) if officer else 0,
                "rating": ratings.get(officer.pk) if officer else None,
            }
        )
    return rows
