"""Writes to queues: one service per action, for the kiosk, the counter page, the API and
hardware callers alike.

Issuing a ticket is one short transaction (a counter-row upsert, two inserts, a live event);
calling the next one locks the chosen ticket row (`SKIP LOCKED` on PostgreSQL, so twenty
counters calling at once each get a different ticket without waiting on each other). Every
change appends a `TicketEvent` and tells the boards after commit.
"""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, F, IntegerField, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.core import audit
from motcua.core.access import staff_user
from motcua.core.errors import Conflict, MotcuaError, PermissionDenied
from motcua.core.events import publish
from motcua.core.principal import principal_for
from motcua.organisation.models import Counter, ServicePoint
from motcua.queueing.models import (
    RATING_CRITERIA,
    Appointment,
    CounterPause,
    CounterService,
    CounterSession,
    PriorityCategory,
    QueueService,
    Rating,
    Ticket,
    TicketEvent,
)
from motcua.queueing.numbering import local_day, next_sequence

Status = Ticket.Status
Action = TicketEvent.Action

# The calling rules (DESIGN: configurable). A walk-in waiting longer than the cap is called
# before anyone else, so priorities and appointments never starve the queue.
WAIT_CAP = dt.timedelta(minutes=getattr(settings, "QUEUE_WAIT_CAP_MINUTES", 30))
CHECK_IN_EARLY = dt.timedelta(minutes=getattr(settings, "QUEUE_CHECK_IN_EARLY_MINUTES", 30))
CHECK_IN_LATE = dt.timedelta(minutes=getattr(settings, "QUEUE_CHECK_IN_LATE_MINUTES", 15))


# Telling the boards ------------------------------------------------------------------------


def _tell(ticket: Ticket, name: str, **extra: Any) -> None:
    """A live event for the point's boards and phones (public: numbers only) and one for the
    province's live view."""
    data = {
        "ticket": ticket.pk,
        "number": ticket.number,
        "service": ticket.service_id,
        "status": ticket.status,
        **extra,
    }
    publish(f"board.{ticket.service_point_id}", name, data)
    publish(f"province.{ticket.service_point.province.code}", f"queue.{name}", data)


def _event(
    ticket: Ticket, action: str, actor: Any = None, counter: Counter | None = None, note: str = ""
) -> None:
    TicketEvent.objects.create(
        ticket=ticket,
        at=timezone.now(),
        action=action,
        counter=counter,
        officer=staff_user(actor),
        note=note[:300],
    )


# Issuing -----------------------------------------------------------------------------------


def issue_ticket(
    *,
    service: QueueService,
    priority: PriorityCategory | None = None,
    key: str | None = None,
    appointment: Appointment | None = None,
) -> Ticket:
    """A new ticket in `service`'s queue. `key` (the kiosk page's one-time key) makes a double
    tap return the first ticket instead of a second."""
    if key:
        existing = Ticket.objects.filter(issue_key=key).first()
        if existing is not None:
            return existing
    if not service.active or not service.service_point.active:
        raise MotcuaError(
            _("“%(service)s” is not offered here now.") % {"service": service.name},
            code="service_not_offered",
            status=409,
        )
    if priority is not None and not priority.active:
        raise MotcuaError(_("This priority category is no longer used."), code="invalid_priority")
    try:
        return _issue(service, priority, key, appointment)
    except IntegrityError:
        if key and (existing := Ticket.objects.filter(issue_key=key).first()):
            return existing
        raise


@transaction.atomic
def _issue(
    service: QueueService,
    priority: PriorityCategory | None,
    key: str | None,
    appointment: Appointment | None,
) -> Ticket:
    now = timezone.now()
    day = local_day(now)
    sequence = next_sequence(service, day)
    ticket = Ticket.objects.create(
        service_point=service.service_point,
        service=service,
        priority=priority,
        appointment=appointment,
        day=day,
        sequence=sequence,
        number=service.display_number(sequence),
        issued_at=now,
        queued_at=now,
        issue_key=key or None,
    )
    _event(ticket, Action.ISSUED, note=appointment.code if appointment else "")
    _tell(ticket, "ticket.issued")
    return ticket


# Counter sessions --------------------------------------------------------------------------


def _require_point(actor: Any, point: ServicePoint) -> None:
    principal = principal_for(actor)
    if not principal.has("queue.serve") or (
        point.pk not in principal.service_point_ids
        and point.province.code not in principal.province_codes
    ):
        raise PermissionDenied(
            _("Only the officers of %(point)s serve at its counters.") % {"point": point.name},
            code="outside_service_point",
        )


def _open_session(counter: Counter, actor: Any, *, lock: bool = True) -> CounterSession:
    sessions = CounterSession.objects.filter(counter=counter, closed_at=None)
    session = (sessions.select_for_update() if lock else sessions).first()
    if session is None or session.officer_id != getattr(actor, "pk", None):
        raise Conflict(
            _("Counter %(n)s is closed: open it first.") % {"n": counter.number},
            code="counter_closed",
        )
    return session


@transaction.atomic
def open_counter(*, counter: Counter, actor: Any) -> CounterSession:
    _require_point(actor, counter.service_point)
    if not counter.active:
        raise Conflict(_("This counter is out of service."), code="counter_inactive")
    current = (
        CounterSession.objects.select_for_update().filter(counter=counter, closed_at=None).first()
    )
    if current is not None:
        if current.officer_id == actor.pk:
            return current  # opening twice changes nothing
        raise Conflict(
            _("Counter %(n)s is already open for %(name)s.")
            % {
                "n": counter.number,
                "name": current.officer.get_full_name() or current.officer.get_username(),
            },
            code="counter_taken",
        )
    if CounterSession.objects.filter(officer=actor, closed_at=None).exists():
        raise Conflict(_("Close your other counter first."), code="officer_elsewhere")
    session = CounterSession.objects.create(
        counter=counter, officer=actor, opened_at=timezone.now()
    )
    _tell_counter(counter, "counter.opened")
    return session


def _tell_counter(counter: Counter, name: str) -> None:
    data = {"counter": counter.number}
    publish(f"board.{counter.service_point_id}", name, data)
    publish(f"province.{counter.service_point.province.code}", f"queue.{name}", data)


@transaction.atomic
def pause_counter(*, counter: Counter, actor: Any, reason: str) -> CounterSession:
    session = _open_session(counter, actor)
    reason = (reason or "").strip()[:200]
    if not reason:
        raise MotcuaError(_("Say why the counter pauses."), fields={"reason": [_("Required.")]})
    if session.paused_since is None:
        now = timezone.now()
        session.paused_since, session.pause_reason = now, reason
        session.save(update_fields=["paused_since", "pause_reason"])
        CounterPause.objects.create(session=session, started_at=now, reason=reason)
        _tell_counter(counter, "counter.paused")
    return session


@transaction.atomic
def resume_counter(*, counter: Counter, actor: Any) -> CounterSession:
    session = _open_session(counter, actor)
    if session.paused_since is not None:
        _end_pause(session, timezone.now())
        _tell_counter(counter, "counter.resumed")
    return session


def _end_pause(session: CounterSession, now: dt.datetime) -> None:
    assert session.paused_since is not None
    session.paused_seconds += int((now - session.paused_since).total_seconds())
    session.paused_since, session.pause_reason = None, ""
    session.save(update_fields=["paused_since", "pause_reason", "paused_seconds"])
    session.pauses.filter(ended_at=None).update(ended_at=now)


@transaction.atomic
def close_counter(*, counter: Counter, actor: Any) -> CounterSession:
    session = _open_session(counter, actor)
    if _current(counter) is not None:
        raise Conflict(
            _("Finish, hold or transfer the ticket being served before closing."),
            code="ticket_open",
        )
    now = timezone.now()
    if session.paused_since is not None:
        _end_pause(session, now)
    session.closed_at = now
    session.save(update_fields=["closed_at"])
    _tell_counter(counter, "counter.closed")
    return session


def _current(counter: Counter) -> Ticket | None:
    return Ticket.objects.filter(
        counter=counter, status__in=[Status.CALLED, Status.SERVING]
    ).first()


# Calling -----------------------------------------------------------------------------------


def _next_for(counter: Counter, now: dt.datetime) -> Ticket | None:
    """The calling rules, in order: anyone waiting past the cap (longest first); then checked-in
    appointments by slot; then priority categories by weight; then the counter's preferred
    services; then arrival. The chosen row is locked, and rows other counters hold are skipped."""
    weight = CounterService.objects.filter(counter=counter, service=OuterRef("service")).values(
        "weight"
    )[:1]
    candidates = (
        Ticket.objects.filter(
            service_point_id=counter.service_point_id,
            service__in=counter.services.filter(active=True),
            status=Status.WAITING,
            day=local_day(now),
        )
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("service_point__province", "service")
    )
    starved = candidates.filter(queued_at__lte=now - WAIT_CAP).order_by("queued_at", "pk").first()
    if starved is not None:
        return starved
    ranked = candidates.annotate(
        booked=Case(
            When(appointment__isnull=False, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        ),
        priority_weight=Coalesce(F("priority__weight"), Value(0)),
        counter_weight=Coalesce(Subquery(weight), Value(0)),
    )
    return ranked.order_by(
        "booked",
        F("appointment__starts_at").asc(nulls_last=True),
        "-priority_weight",
        "-counter_weight",
        "queued_at",
        "pk",
    ).first()


@transaction.atomic
def call_next(*, counter: Counter, actor: Any) -> Ticket | None:
    """Call the next ticket to `counter` (None when nobody waits)."""
    _require_point(actor, counter.service_point)
    session = _open_session(counter, actor)
    if session.paused_since is not None:
        raise Conflict(_("The counter is paused: resume it to call."), code="counter_paused")
    if _current(counter) is not None:
        raise Conflict(
            _("Finish, hold or transfer the ticket being served first."), code="ticket_open"
        )
    now = timezone.now()
    ticket = _next_for(counter, now)
    if ticket is None:
        return None
    return _call(ticket, counter, actor, now, Action.CALLED)


def _call(ticket: Ticket, counter: Counter, actor: Any, now: dt.datetime, action: str) -> Ticket:
    ticket.status = Status.CALLED
    ticket.called_at = ticket.called_at or now
    ticket.counter = counter
    ticket.officer = staff_user(actor)
    ticket.calls += 1
    ticket.revision += 1
    ticket.save()
    _event(ticket, action, actor, counter)
    _tell(ticket, "ticket.called", counter=counter.number, call=ticket.calls)
    return ticket


def _locked_ticket(ticket: Ticket, allowed: tuple[str, ...], what: str) -> Ticket:
    locked = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("service_point__province", "service", "counter")
        .get(pk=ticket.pk)
    )
    if locked.status not in allowed:
        raise Conflict(
            _("Ticket %(number)s is “%(status)s”: it cannot %(what)s.")
            % {"number": locked.number, "status": locked.get_status_display(), "what": what},
            code="illegal_transition",
        )
    return locked


def _at_counter(ticket: Ticket, counter: Counter, actor: Any) -> None:
    _require_point(actor, counter.service_point)
    _open_session(counter, actor, lock=False)
    if ticket.service_point_id != counter.service_point_id:
        raise PermissionDenied(_("This ticket is for another service point."), code="other_point")


@transaction.atomic
def call_ticket(*, ticket: Ticket, counter: Counter, actor: Any) -> Ticket:
    """Call a given ticket out of order: one on hold, or a waiting one the officer picks."""
    _at_counter(ticket, counter, actor)
    ticket = _locked_ticket(ticket, (Status.WAITING, Status.HELD), _("be called"))
    if _current(counter) is not None:
        raise Conflict(
            _("Finish, hold or transfer the ticket being served first."), code="ticket_open"
        )
    return _call(ticket, counter, actor, timezone.now(), Action.CALLED)


@transaction.atomic
def recall(*, ticket: Ticket, counter: Counter, actor: Any) -> Ticket:
    """Announce the called ticket again."""
    _at_counter(ticket, counter, actor)
    ticket = _locked_ticket(ticket, (Status.CALLED,), _("be called again"))
    _own(ticket, counter)
    return _call(ticket, counter, actor, timezone.now(), Action.RECALLED)


def _own(ticket: Ticket, counter: Counter) -> None:
    if ticket.counter_id != counter.pk:
        raise Conflict(
            _("Ticket %(number)s was called to another counter.") % {"number": ticket.number},
            code="other_counter",
        )


def _move(
    ticket: Ticket,
    to: str,
    action: str,
    actor: Any,
    at_counter: Counter | None,
    note: str = "",
    **fields: Any,
) -> Ticket:
    ticket.status = to
    for name, value in fields.items():
        setattr(ticket, name, value)
    ticket.revision += 1
    ticket.save()
    _event(ticket, action, actor, at_counter, note)
    _tell(ticket, f"ticket.{action}", counter=at_counter.number if at_counter else None)
    return ticket


@transaction.atomic
def start_service(*, ticket: Ticket, counter: Counter, actor: Any) -> Ticket:
    _at_counter(ticket, counter, actor)
    ticket = _locked_ticket(ticket, (Status.CALLED,), _("start being served"))
    _own(ticket, counter)
    return _move(ticket, Status.SERVING, Action.STARTED, actor, counter, started_at=timezone.now())


@transaction.atomic
def hold(*, ticket: Ticket, counter: Counter, actor: Any, note: str = "") -> Ticket:
    """Park the ticket (the citizen fetches a paper, say); the counter calls it back later."""
    _at_counter(ticket, counter, actor)
    ticket = _locked_ticket(ticket, (Status.CALLED, Status.SERVING), _("be put on hold"))
    _own(ticket, counter)
    return _move(ticket, Status.HELD, Action.HELD, actor, counter, note)


@transaction.atomic
def transfer(*, ticket: Ticket, counter: Counter, actor: Any, service: QueueService) -> Ticket:
    """Send the ticket to the back of another queue of the same service point."""
    _at_counter(ticket, counter, actor)
    ticket = _locked_ticket(
        ticket, (Status.CALLED, Status.SERVING, Status.HELD), _("be transferred")
    )
    if service.service_point_id != ticket.service_point_id or not service.active:
        raise MotcuaError(
            _("This service point does not offer that service."),
            code="service_not_offered",
            fields={"service": [_("Choose a service of this service point.")]},
        )
    if service.pk == ticket.service_id:
        raise MotcuaError(_("The ticket is already in that queue."), code="same_service")
    return _move(
        ticket,
        Status.WAITING,
        Action.TRANSFERRED,
        actor,
        counter,
        service.name,
        service=service,
        queued_at=timezone.now(),
        counter=None,
        officer=None,
    )


@transaction.atomic
def no_show(*, ticket: Ticket, counter: Counter, actor: Any) -> Ticket:
    _at_counter(ticket, counter, actor)
    ticket = _locked_ticket(ticket, (Status.CALLED,), _("be marked as not come"))
    _own(ticket, counter)
    return _move(ticket, Status.NO_SHOW, Action.NO_SHOW, actor, counter, finished_at=timezone.now())


@transaction.atomic
def finish(*, ticket: Ticket, counter: Counter, actor: Any, dossier_code: str = "") -> Ticket:
    """The service is done (the dossier filed, if any, is linked); the rating tablet asks."""
    _at_counter(ticket, counter, actor)
    ticket = _locked_ticket(ticket, (Status.CALLED, Status.SERVING), _("be finished"))
    _own(ticket, counter)
    now = timezone.now()
    return _move(
        ticket,
        Status.FINISHED,
        Action.FINISHED,
        actor,
        counter,
        dossier_code,
        finished_at=now,
        started_at=ticket.started_at or now,
        dossier_code=dossier_code[:60] or ticket.dossier_code,
    )


@transaction.atomic
def cancel(*, ticket: Ticket, actor: Any = None) -> Ticket:
    """The citizen leaves (from their phone) or staff remove the ticket."""
    if staff_user(actor) is not None:
        # Staff remove tickets of their own service points only.
        _require_point(actor, ticket.service_point)
    ticket = _locked_ticket(ticket, (Status.WAITING, Status.HELD), _("be cancelled"))
    return _move(
        ticket, Status.CANCELLED, Action.CANCELLED, actor, None, finished_at=timezone.now()
    )


# Ratings -----------------------------------------------------------------------------------


@transaction.atomic
def rate(*, ticket: Ticket, scores: dict[str, Any], comment: str = "") -> Rating:
    """The citizen rates the service once, each criterion 1 (very poor) to 5 (very good)."""
    ticket = _locked_ticket(ticket, (Status.FINISHED,), _("be rated"))
    if Rating.objects.filter(ticket=ticket).exists():
        raise Conflict(_("This service was rated already. Thank you!"), code="already_rated")
    clean: dict[str, int] = {}
    problems: dict[str, list[str]] = {}
    for criterion in RATING_CRITERIA:
        value = scores.get(criterion)
        if (
            not (isinstance(value, int) or (isinstance(value, str) and value.isdigit()))
            or not 1 <= int(value) <= 5
        ):
            problems[criterion] = [_("Choose from 1 to 5.")]
        else:
            clean[criterion] = int(value)
    if problems:
        raise MotcuaError(
            _("Rate every criterion from 1 to 5."), code="invalid_rating", fields=problems
        )
    rating = Rating.objects.create(
        ticket=ticket,
        officer=ticket.officer,
        counter=ticket.counter,
        scores=clean,
        average=Decimal(sum(clean.values())) / len(clean),
        comment=(comment or "").strip()[:500],
        rated_at=timezone.now(),
    )
    _event(ticket, Action.RATED, note=f"{rating.average:.2f}")
    return rating


# Appointments ------------------------------------------------------------------------------


def new_booking_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at the kiosk
    return "".join(secrets.choice(alphabet) for _ in range(6))


@transaction.atomic
def book_appointment(
    *, service: QueueService, starts_at: dt.datetime, name: str, phone: str, ip: str | None = None
) -> Appointment:
    """Book a 30-minute slot of `service` (its capacity checked under the service's row lock)."""
    from motcua.queueing.selectors import slots_of

    service = (
        QueueService.objects.select_for_update()
        .select_related("service_point__province")
        .get(pk=service.pk)
    )
    name, phone = (name or "").strip()[:100], (phone or "").replace(" ", "")[:20]
    fields: dict[str, list[str]] = {}
    if not name:
        fields["name"] = [_("Required.")]
    if not phone.lstrip("+").isdigit() or len(phone) < 9:
        fields["phone"] = [_("A phone number, e.g. 0912345678.")]
    if fields:
        raise MotcuaError(_("Please correct the booking."), fields=fields)
    day = local_day(starts_at)
    free = {slot.starts_at: slot.free for slot in slots_of(service, day)}
    if free.get(starts_at, 0) <= 0:
        raise Conflict(
            _("This slot is no longer free: choose another."),
            code="slot_taken",
            fields={"starts_at": [_("Choose a free slot.")]},
        )
    appointment = Appointment.objects.create(
        service=service, starts_at=starts_at, name=name, phone=phone, code=new_booking_code()
    )
    audit.record(actor=None, action="queue.book", obj=appointment, new={"slot": starts_at}, ip=ip)
    return appointment


@transaction.atomic
def check_in(*, code: str, point: ServicePoint | None = None) -> Ticket:
    """At the kiosk of `point`: an appointment checked in within its window gets a ticket
    called by slot; one too late joins the walk-in queue (its slot is gone, its visit is not)."""
    from motcua.queueing.selectors import appointment_key, appointment_ticket

    appointment = (
        Appointment.objects.select_for_update()
        .select_related("service__service_point")
        .filter(code=code.strip().upper())
        .first()
    )
    if appointment is None or appointment.status == Appointment.Status.CANCELLED:
        raise MotcuaError(
            _("No appointment has this code."), code="unknown_appointment", status=404
        )
    booked_at = appointment.service.service_point
    if point is not None and booked_at.pk != point.pk:
        raise Conflict(
            _("This appointment is at %(point)s.") % {"point": booked_at.name}, code="other_point"
        )
    if appointment.status == Appointment.Status.CHECKED_IN:
        ticket = appointment_ticket(appointment)
        assert ticket is not None
        return ticket
    now = timezone.now()
    if now < appointment.starts_at - CHECK_IN_EARLY:
        raise Conflict(
            _("Check-in opens at %(time)s.")
            % {
                "time": timezone.localtime(appointment.starts_at - CHECK_IN_EARLY).strftime("%H:%M")
            },
            code="too_early",
        )
    late = now > appointment.starts_at + CHECK_IN_LATE
    appointment.status = Appointment.Status.CHECKED_IN
    appointment.save(update_fields=["status"])
    return issue_ticket(
        service=appointment.service,
        appointment=None if late else appointment,
        key=appointment_key(appointment),
    )


@transaction.atomic
def cancel_appointment(*, appointment: Appointment, ip: str | None = None) -> Appointment:
    """The citizen cancels a booking not yet checked in: its place in the slot is free again."""
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status != Appointment.Status.BOOKED:
        raise Conflict(
            _("This appointment can no longer be cancelled (%(status)s).")
            % {"status": appointment.get_status_display()},
            code="illegal_transition",
        )
    appointment.status = Appointment.Status.CANCELLED
    appointment.save(update_fields=["status"])
    audit.record(actor=None, action="queue.cancel_booking", obj=appointment, ip=ip)
    return appointment
