"""The citizen's side of the queues: the kiosk's touch screen (take a number, or check in with a
booking code), the 80 mm ticket it prints, the phone page that follows a ticket live, and
appointments booked online. Public pages without login; their writes are rate-limited per IP.

The kiosk's second step carries a one-time key, so a double tap returns the first ticket. The
phone page listens to its service point's public board topic and re-fetches its place block on
every event (`?partial=1`); `follow.js` vibrates when the ticket is called.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from motcua.core import audit
from motcua.core.errors import MotcuaError
from motcua.core.ratelimits import limit_public
from motcua.dossiers.slips import qr_data_uri
from motcua.dossiers.webforms import flash_refusal
from motcua.organisation.models import ServicePoint
from motcua.queueing import selectors, services
from motcua.queueing.models import APPOINTMENT_SLOT, Appointment, QueueService, Ticket
from motcua.queueing.numbering import local_day
from motcua.workcalendar.selectors import calendar_for

Status = Ticket.Status

KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")  # the kiosk page's one-time key
NEAR = 3  # this many tickets ahead, or fewer: "almost your turn"
BOOKING_DAYS = 14  # appointments are booked this many days ahead, today included
STEP_IDLE_SECONDS = 30  # a kiosk screen left alone this long returns to the start
START_IDLE_SECONDS = 300  # the start screen reloads itself (fresh services and waiting counts)
LIVE = (Status.WAITING, Status.CALLED, Status.SERVING, Status.HELD)


# The kiosk ---------------------------------------------------------------------------------


def _kiosk_page(
    request: HttpRequest,
    point: ServicePoint,
    *,
    service: QueueService | None = None,
    error: Any = None,
    code: str = "",
    status: int = 200,
) -> HttpResponse:
    """The kiosk's start screen (services and the booking-code box), or its second step for
    `service` (the priority buttons, with a fresh one-time key)."""
    context: dict[str, Any] = {
        "point": point,
        "home_url": reverse("queueing:kiosk", args=[point.code]),
        "error": error,
        "code": code,
    }
    if service is not None:
        context |= {
            "step": "priority",
            "service": service,
            # Reads of reference data the selectors do not have yet (see the report).
            "priorities": list(selectors.active_priorities()),
            "key": secrets.token_urlsafe(16),
            "idle": STEP_IDLE_SECONDS,
        }
    else:
        waiting = selectors.board_state(point).waiting
        context |= {
            "step": "service",
            "services": [
                {"service": offer, "waiting": waiting.get(offer.prefix, 0)}
                for offer in selectors.offered_services(point)
            ],
            "idle": STEP_IDLE_SECONDS if error else START_IDLE_SECONDS,
        }
    return render(request, "queueing/kiosk/kiosk.html", context, status=status)


def _service_at(point: ServicePoint, value: str, *, active_only: bool) -> QueueService | None:
    if not value.isdigit():
        return None
    offered = (
        selectors.offered_services(point)
        if active_only
        else QueueService.objects.filter(service_point=point)
    )
    return offered.filter(pk=int(value)).select_related("service_point").first()


def _print_url(ticket: Ticket) -> str:
    return reverse("queueing:ticket_print", args=[ticket.secret]) + "?kiosk=1"


@never_cache
@require_http_methods(["GET", "POST"])
def kiosk(request: HttpRequest, point: str) -> HttpResponse:
    """The touch screen: choose a service, then "no priority" or a priority group; a ticket."""
    limit_public(request, "kiosk")
    service_point = selectors.public_point(point)
    if request.method == "POST":
        return _issue(request, service_point)
    chosen = request.GET.get("service", "")
    service = _service_at(service_point, chosen, active_only=True) if chosen else None
    if chosen and service is None:
        return _kiosk_page(
            request,
            service_point,
            error=_("This service is not offered here now: choose another."),
            status=404,
        )
    return _kiosk_page(request, service_point, service=service)


def _issue(request: HttpRequest, point: ServicePoint) -> HttpResponse:
    service = _service_at(point, request.POST.get("service", ""), active_only=False)
    key = request.POST.get("key", "")
    if service is None:
        return _kiosk_page(request, point, error=_("Choose a service."), status=400)
    if not KEY.match(key):
        return _kiosk_page(
            request, point, error=_("This screen has expired: please choose again."), status=400
        )
    chosen = request.POST.get("priority", "")
    priority = None
    if chosen:
        priority = (
            selectors.active_priorities().filter(pk=int(chosen) if chosen.isdigit() else 0).first()
        )
        if priority is None:
            return _kiosk_page(
                request, point, error=_("This priority category is no longer used."), status=400
            )
    try:
        ticket = services.issue_ticket(service=service, priority=priority, key=key)
    except MotcuaError as problem:
        return _kiosk_page(request, point, error=problem.message, status=problem.status)
    return redirect(_print_url(ticket))


@never_cache
@require_POST
def check_in(request: HttpRequest, point: str) -> HttpResponse:
    """At the kiosk: the booking code of an appointment gives its ticket."""
    limit_public(request, "kiosk")
    service_point = selectors.public_point(point)
    code = request.POST.get("code", "").strip().upper()[:12]
    if not code:
        return _kiosk_page(
            request,
            service_point,
            error=_("Type the booking code of your appointment."),
            status=400,
        )
    try:
        ticket = services.check_in(code=code, point=service_point)
    except MotcuaError as problem:
        return _kiosk_page(
            request, service_point, error=problem.message, code=code, status=problem.status
        )
    return redirect(_print_url(ticket))


# The printed ticket and the phone page ----------------------------------------------------


def follow_url(ticket: Ticket) -> str:
    """The phone page's absolute address (the ticket's QR code)."""
    return settings.PUBLIC_URL + reverse("queueing:follow", args=[ticket.secret])


@never_cache
@require_GET
def ticket_print(request: HttpRequest, secret: str) -> HttpResponse:
    """The 80 mm thermal ticket. From the kiosk (`?kiosk=1`) it prints itself once, then the
    kiosk returns to its start screen."""
    ticket = selectors.ticket_by_secret(secret)
    url = follow_url(ticket)
    kiosk = request.GET.get("kiosk") == "1"
    context = {
        "ticket": ticket,
        "point": ticket.service_point,
        "place": selectors.place_of(ticket) if ticket.status == Status.WAITING else None,
        "qr": qr_data_uri(url),
        "follow_url": url,
        "kiosk": kiosk,
        "home_url": reverse("queueing:kiosk", args=[ticket.service_point.code]),
        "idle": STEP_IDLE_SECONDS if kiosk else 0,
    }
    return render(request, "queueing/kiosk/print.html", context)


def _place_context(ticket: Ticket) -> dict[str, Any]:
    # A ticket of an earlier day is over, whatever its status says (the day was closed).
    expired = ticket.day != local_day(timezone.now()) and ticket.status in LIVE
    place = selectors.place_of(ticket) if ticket.status == Status.WAITING and not expired else None
    return {
        "ticket": ticket,
        "point": ticket.service_point,
        "place": place,
        "near": place is not None and place.ahead <= NEAR,
        "expired": expired,
        "live": ticket.status in LIVE and not expired,
        "swap_url": reverse("queueing:follow", args=[ticket.secret]) + "?partial=1",
    }


@never_cache
@require_GET
def follow(request: HttpRequest, secret: str) -> HttpResponse:
    """The citizen's phone page: their number, how many are ahead, the counter when called."""
    ticket = selectors.ticket_by_secret(secret)
    context = _place_context(ticket)
    if request.GET.get("partial") == "1" or request.headers.get("HX-Request") == "true":
        return render(request, "queueing/kiosk/_place.html", context)
    context["may_leave"] = context["live"] and ticket.status in (Status.WAITING, Status.HELD)
    return render(request, "queueing/kiosk/follow.html", context)


@require_POST
def follow_cancel(request: HttpRequest, secret: str) -> HttpResponse:
    """The citizen leaves the queue from their phone."""
    limit_public(request, "follow")
    ticket = selectors.ticket_by_secret(secret)
    try:
        services.cancel(ticket=ticket, actor=None)
    except MotcuaError as problem:
        flash_refusal(request, problem)
    else:
        messages.success(
            request,
            _("You left the queue: ticket %(number)s is cancelled.") % {"number": ticket.number},
        )
    return redirect("queueing:follow", secret=ticket.secret)


# Appointments ------------------------------------------------------------------------------


def _booking_days(point: ServicePoint, now: dt.datetime) -> list[dt.date]:
    """The working days of the next two weeks; today only while a slot is still ahead."""
    calendar = calendar_for(point.province.code)
    today = local_day(now)
    days = []
    for offset in range(BOOKING_DAYS):
        day = today + dt.timedelta(days=offset)
        sessions = calendar.sessions_on(day)
        if sessions and sessions[-1][1] - APPOINTMENT_SLOT > now:
            days.append(day)
    return days


def _parse_slot(value: str) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


@never_cache
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, point: str) -> HttpResponse:
    """Book an appointment: a service, a working day of the next two weeks, a free slot, a name
    and a phone number. The booking code is then typed at the kiosk on arrival."""
    service_point = selectors.public_point(point)
    data = request.POST if request.method == "POST" else request.GET
    offered = list(selectors.offered_services(service_point).filter(appointment_capacity__gt=0))
    chosen = data.get("service", "")
    service = next((s for s in offered if str(s.pk) == chosen), None)
    days = _booking_days(service_point, timezone.now()) if service else []
    day = next((d for d in days if d.isoformat() == data.get("day", "")), None)
    error: MotcuaError | None = None
    values = {"name": "", "phone": "", "slot": ""}
    if request.method == "POST":
        limit_public(request, "booking")
        values = {name: request.POST.get(name, "").strip() for name in values}
        starts_at = _parse_slot(values["slot"])
        if service is None or day is None or starts_at is None:
            error = MotcuaError(
                _("Choose a service, a day and a time."),
                fields={"slot": [_("Choose a free time.")]},
            )
        else:
            try:
                appointment = services.book_appointment(
                    service=service,
                    starts_at=starts_at,
                    name=values["name"],
                    phone=values["phone"],
                    ip=audit.client_ip(request),
                )
            except MotcuaError as problem:
                error = problem
            else:
                return redirect("queueing:booking", secret=appointment.secret)
    slots = selectors.slots_of(service, day) if service and day else []
    context = {
        "point": service_point,
        "services": offered,
        "service": service,
        "days": days,
        "day": day,
        "slots": [
            {"starts_at": slot.starts_at, "value": slot.starts_at.isoformat(), "free": slot.free}
            for slot in slots
        ],
        "error": error,
        "errors": error.fields if error else {},
        "values": values,
    }
    return render(
        request, "queueing/kiosk/book.html", context, status=error.status if error else 200
    )


@never_cache
@require_http_methods(["GET", "POST"])
def booking(request: HttpRequest, secret: str) -> HttpResponse:
    """The booked appointment: its code (typed at the kiosk), the slot, the service point; a
    POST cancels it."""
    appointment = selectors.appointment_by_secret(secret)
    error = None
    if request.method == "POST":
        limit_public(request, "booking")
        try:
            appointment = services.cancel_appointment(
                appointment=appointment, ip=audit.client_ip(request)
            )
        except MotcuaError as problem:
            error = problem
    ticket = None
    if appointment.status == Appointment.Status.CHECKED_IN:
        ticket = selectors.appointment_ticket(appointment)
    context = {
        "appointment": appointment,
        "point": appointment.service.service_point,
        "opens": appointment.starts_at - services.CHECK_IN_EARLY,
        "closes": appointment.starts_at + services.CHECK_IN_LATE,
        "ticket": ticket,
        "error": error,
    }
    return render(
        request, "queueing/kiosk/booking.html", context, status=error.status if error else 200
    )
