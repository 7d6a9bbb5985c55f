"""Staff queue pages: the counter console, the rating tablet at the counter, the province's live
view of every service point, and the queue reports. Every write goes through one service of
`motcua.queueing.services`; a refusal is flashed and the page shown again."""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from motcua.core.access import permission_required, principal_of
from motcua.core.errors import MotcuaError, NotFound
from motcua.core.permissions import Principal
from motcua.core.ratelimits import limit_public
from motcua.core.text import spreadsheet_safe
from motcua.dossiers.models import Dossier
from motcua.dossiers.webforms import flash_refusal
from motcua.organisation.models import Counter
from motcua.queueing import reports as queue_reports
from motcua.queueing import selectors, services
from motcua.queueing.models import (
    RATING_CRITERIA,
    CounterService,
    CounterSession,
    QueueService,
    Ticket,
)
from motcua.queueing.numbering import local_day

Status = Ticket.Status

# A finished citizen may rate at the counter's tablet this long.
RATING_WINDOW = dt.timedelta(minutes=10)
# The live view flags service points where someone has waited longer than this.
LONG_WAIT_MINUTES = 30
# Waiting tickets listed on the console (the rest are counted).
WAITING_SHOWN = 60
PAUSE_REASONS = [
    gettext_lazy("Break"),
    gettext_lazy("Meeting"),
    gettext_lazy("Helping a colleague"),
    gettext_lazy("Fetching documents"),
    gettext_lazy("Technical problem"),
]
SCORES = [
    (1, gettext_lazy("Very poor")),
    (2, gettext_lazy("Poor")),
    (3, gettext_lazy("Fair")),
    (4, gettext_lazy("Good")),
    (5, gettext_lazy("Very good")),
]
DOSSIER_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$")


def _minutes(delta: dt.timedelta) -> int:
    return max(int(delta.total_seconds() // 60), 0)


# The counter console -----------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    ticket: Ticket
    minutes: int  # in this queue since
    starved: bool  # past the wait cap: called before anyone else


def _call_order(tickets: list[Ticket], weights: dict[int, int], now: dt.datetime) -> list[Any]:
    """Waiting tickets in about the order "call next" takes them (services._next_for): past the
    wait cap first, then appointments by slot, priority, the counter's preferred services,
    arrival."""
    cap = now - services.WAIT_CAP

    def key(ticket: Ticket) -> tuple[Any, ...]:
        if ticket.queued_at <= cap:
            return (0, 0, 0.0, 0, 0, ticket.queued_at.timestamp(), ticket.pk)
        slot = ticket.appointment.starts_at.timestamp() if ticket.appointment else math.inf
        return (
            1,
            0 if ticket.appointment else 1,
            slot,
            -(ticket.priority.weight if ticket.priority else 0),
            -weights.get(ticket.service_id, 0),
            ticket.queued_at.timestamp(),
            ticket.pk,
        )

    return sorted(tickets, key=key)


def _console_context(request: HttpRequest, counter: Counter) -> dict[str, Any]:
    now = timezone.now()
    today = local_day(now)
    point = counter.service_point
    session = (
        CounterSession.objects.filter(counter=counter, closed_at=None)
        .select_related("officer")
        .first()
    )
    mine = session is not None and session.officer_id == request.user.pk
    current = (
        Ticket.objects.filter(counter=counter, status__in=[Status.CALLED, Status.SERVING])
        .select_related("service", "priority", "appointment")
        .first()
    )
    weights = dict(
        CounterService.objects.filter(counter=counter, service__active=True).values_list(
            "service_id", "weight"
        )
    )
    today_at_point = Ticket.objects.filter(service_point=point, day=today).select_related(
        "service", "priority", "appointment", "counter"
    )
    waiting = _call_order(
        list(today_at_point.filter(status=Status.WAITING, service__in=list(weights))),
        weights,
        now,
    )
    held = list(
        today_at_point.filter(status=Status.HELD)
        .filter(Q(counter=counter) | Q(service__in=list(weights)))
        .order_by("queued_at", "pk")
    )
    state = session.state if session else "closed"
    can_call = mine and state == "open" and current is None
    dossiers: list[str] = []
    if current is not None:
        dossiers = list(
            Dossier.objects.filter(
                receiving_point=point,
                queue_ticket=current.number,
                submitted_at__gte=current.issued_at,
            )
            .order_by("submitted_at")
            .values_list("code", flat=True)[:5]
        )
    return {
        "counter": counter,
        "point": point,
        "session": session,
        "mine": mine,
        "state": state,
        "current": current,
        "current_wait": _minutes((current.called_at or now) - current.issued_at)
        if current
        else None,
        "waiting": [
            QueueRow(t, _minutes(now - t.queued_at), t.queued_at <= now - services.WAIT_CAP)
            for t in waiting[:WAITING_SHOWN]
        ],
        "waiting_count": len(waiting),
        "waiting_more": max(len(waiting) - WAITING_SHOWN, 0),
        "held": [QueueRow(t, _minutes(now - t.queued_at), False) for t in held],
        "can_call": can_call,
        "can_act": mine and current is not None,
        "transfer_to": [
            s for s in selectors.offered_services(point) if current and s.pk != current.service_id
        ],
        "pause_reasons": [str(reason) for reason in PAUSE_REASONS],
        "dossiers": dossiers,
        "new_dossier_url": (
            f"{reverse('dossiers:receive_choose')}?ticket={current.number}" if current else ""
        ),
        "may_receive": principal_of(request).has("dossier.receive"),
        "served_today": Ticket.objects.filter(
            counter=counter, day=today, status=Status.FINISHED
        ).count(),
        "wait_cap": int(services.WAIT_CAP.total_seconds() // 60),
    }


@permission_required("queue.serve")
def console(request: HttpRequest, counter: int) -> HttpResponse:
    """One counter's screen: its session, the ticket being served, the queue it calls from."""
    desk = selectors.counter_for(principal_of(request), counter)
    if "dossier" in request.GET:  # "open an existing dossier"
        code = request.GET["dossier"].strip()
        if DOSSIER_CODE.match(code):
            return redirect("dossiers:detail", code=code)
        messages.error(request, _("Type a dossier code, e.g. 000.01.30.H22-260101-0001."))
        return redirect("queueing:console", counter=desk.pk)
    context = _console_context(request, desk)
    part = request.GET.get("part")
    if part == "queue":
        return render(request, "queueing/console/_queue.html", context)
    if part == "current":
        return render(request, "queueing/console/_current.html", context)
    return render(request, "queueing/console/console.html", context)


def _posted_ticket(request: HttpRequest, principal: Principal, counter: Counter) -> Ticket:
    """The ticket a form names (its id), or else the one at the counter now."""
    text = request.POST.get("ticket", "").strip()
    if text.isdigit() and len(text) < 19:
        return selectors.ticket_for(principal, int(text))
    current = Ticket.objects.filter(
        counter=counter, status__in=[Status.CALLED, Status.SERVING]
    ).first()
    if current is None:
        raise MotcuaError(_("No ticket is at this counter now."), code="no_ticket")
    return current


def _ticket_message(ticket: Ticket) -> str:
    return _("Ticket %(number)s: %(status)s.") % {
        "number": ticket.number,
        "status": ticket.get_status_display(),
    }


Act = Callable[[HttpRequest, Principal, Counter], str | None]


def _open(request: HttpRequest, principal: Principal, counter: Counter) -> None:
    services.open_counter(counter=counter, actor=request.user)


def _pause(request: HttpRequest, principal: Principal, counter: Counter) -> None:
    reason = request.POST.get("reason_text", "").strip() or request.POST.get("reason", "").strip()
    services.pause_counter(counter=counter, actor=request.user, reason=reason)


def _resume(request: HttpRequest, principal: Principal, counter: Counter) -> None:
    services.resume_counter(counter=counter, actor=request.user)


def _close(request: HttpRequest, principal: Principal, counter: Counter) -> None:
    services.close_counter(counter=counter, actor=request.user)


def _call_next(request: HttpRequest, principal: Principal, counter: Counter) -> str:
    ticket = services.call_next(counter=counter, actor=request.user)
    if ticket is None:
        messages.info(request, _("Nobody is waiting for this counter."))
        return ""
    return _ticket_message(ticket)


def _ticket_action(name: str, **options: Callable[[HttpRequest], Any]) -> Act:
    """An action on one ticket: the service `name` with the ticket and the counter."""

    def act(request: HttpRequest, principal: Principal, counter: Counter) -> str:
        ticket = _posted_ticket(request, principal, counter)
        extra = {key: read(request) for key, read in options.items()}
        changed = getattr(services, name)(
            ticket=ticket, counter=counter, actor=request.user, **extra
        )
        return _ticket_message(changed)

    return act


def _transfer(request: HttpRequest, principal: Principal, counter: Counter) -> str:
    ticket = _posted_ticket(request, principal, counter)
    text = request.POST.get("service", "")
    service = (
        QueueService.objects.filter(pk=int(text), service_point=counter.service_point).first()
        if text.isdigit() and len(text) < 19
        else None
    )
    if service is None:
        raise MotcuaError(_("Choose a service of this service point."), code="no_service")
    moved = services.transfer(ticket=ticket, counter=counter, actor=request.user, service=service)
    return _("Ticket %(number)s moved to the queue “%(service)s”.") % {
        "number": moved.number,
        "service": service.name,
    }


def _cancel(request: HttpRequest, principal: Principal, counter: Counter) -> str:
    text = request.POST.get("ticket", "").strip()
    if not (text.isdigit() and len(text) < 19):
        raise MotcuaError(_("Choose the ticket to cancel."), code="no_ticket")
    ticket = selectors.ticket_for(principal, int(text))
    return _ticket_message(services.cancel(ticket=ticket, actor=request.user))


ACTIONS: dict[str, Act] = {
    "open": _open,
    "pause": _pause,
    "resume": _resume,
    "close": _close,
    "call-next": _call_next,
    "call": _ticket_action("call_ticket"),
    "recall": _ticket_action("recall"),
    "start": _ticket_action("start_service"),
    "hold": _ticket_action("hold", note=lambda r: r.POST.get("note", "")),
    "transfer": _transfer,
    "no-show": _ticket_action("no_show"),
    "finish": _ticket_action(
        "finish", dossier_code=lambda r: r.POST.get("dossier_code", "").strip()
    ),
    "cancel": _cancel,
}


@permission_required("queue.serve")
@require_POST
def console_act(request: HttpRequest, counter: int, action: str) -> HttpResponse:
    """One button of the console; back to the console with the outcome as a message."""
    act = ACTIONS.get(action)
    if act is None:
        raise NotFound()
    principal = principal_of(request)
    desk = selectors.counter_for(principal, counter)
    try:
        outcome = act(request, principal, desk)
    except MotcuaError as problem:
        flash_refusal(request, problem)
    else:
        if outcome:
            messages.success(request, outcome)
    return redirect("queueing:console", counter=desk.pk)


# Rating ------------------------------------------------------------------------------------


def _to_rate(counter: Counter, now: dt.datetime) -> Ticket | None:
    """The ticket the counter finished last, if within the rating window and not rated."""
    last = (
        Ticket.objects.filter(
            counter=counter, status=Status.FINISHED, finished_at__gte=now - RATING_WINDOW
        )
        .select_related("service", "rating")
        .order_by("-finished_at", "-pk")
        .first()
    )
    if last is None or hasattr(last, "rating"):
        return None
    return last


def rate_tablet(request: HttpRequest, counter: int) -> HttpResponse:
    """The public tablet at a counter: the rating form for the citizen just served there."""
    desk = (
        Counter.objects.select_related("service_point")
        .filter(pk=counter, active=True, service_point__active=True)
        .first()
    )
    if desk is None:
        raise NotFound()
    now = timezone.now()
    ticket = _to_rate(desk, now)
    context = {
        "counter": desk,
        "point": desk.service_point,
        "ticket": ticket,
        "criteria": [(code, str(label)) for code, label in RATING_CRITERIA.items()],
        "scores": [(value, str(label)) for value, label in SCORES],
        "expires_in": (
            max(int((ticket.finished_at + RATING_WINDOW - now).total_seconds()), 1)
            if ticket and ticket.finished_at
            else 0
        ),
        "tablet_url": reverse("queueing:rate_tablet", args=[desk.pk]),
    }
    if request.GET.get("part") == "screen":
        return render(request, "queueing/console/_rate_screen.html", context)
    return render(request, "queueing/console/rate_tablet.html", context)


@require_POST
def rate(request: HttpRequest, secret: str) -> HttpResponse:
    """The citizen's rating of a finished ticket (from the counter's tablet or their phone)."""
    limit_public(request, "rating")
    ticket = selectors.ticket_by_secret(secret)
    scores = {criterion: request.POST.get(criterion, "").strip() for criterion in RATING_CRITERIA}
    try:
        services.rate(ticket=ticket, scores=scores, comment=request.POST.get("comment", ""))
    except MotcuaError as problem:
        flash_refusal(request, problem)
    else:
        messages.success(request, _("Thank you for your rating!"))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("queueing:follow", args=[ticket.secret])
    return redirect(target)


# The province's live view ------------------------------------------------------------------

LIVE_SORTS = {
    "longest_wait": lambda row: (row["longest_wait"] is None, -(row["longest_wait"] or 0)),
    "waiting": lambda row: -row["waiting"],
    "avg_wait": lambda row: (row["avg_wait"] is None, -(row["avg_wait"] or 0)),
}


def _live_topics(principal: Principal, point_ids: list[int]) -> str:
    """The province topics of a province-wide principal; the points' board topics otherwise
    (the stream takes at most 32 topics)."""
    if principal.province_codes:
        return " ".join(f"province.{code}" for code in sorted(principal.province_codes))
    return " ".join(f"board.{pk}" for pk in point_ids[:32])


@permission_required("monitoring.view")
def live(request: HttpRequest) -> HttpResponse:
    """Every service point the principal reaches, now: queues, waits, counters, ratings."""
    principal = principal_of(request)
    rows = selectors.live_overview(principal)
    sort = request.GET.get("sort", "")
    if sort in LIVE_SORTS:
        rows.sort(key=LIVE_SORTS[sort])
    else:
        sort = ""
    for row in rows:
        row["alert"] = (row["longest_wait"] or 0) > LONG_WAIT_MINUTES
    totals = {
        key: sum(row[key] for row in rows)
        for key in ("waiting", "serving", "issued", "finished", "open", "paused")
    }
    query = f"?part=table&sort={sort}" if sort else "?part=table"
    context = {
        "rows": rows,
        "totals": totals,
        "sort": sort,
        "alerts": sum(1 for row in rows if row["alert"]),
        "long_wait": LONG_WAIT_MINUTES,
        "topics": _live_topics(principal, [row["point"].pk for row in rows]),
        "swap_url": reverse("queueing:live") + query,
        "now": timezone.now(),
    }
    if request.GET.get("part") == "table":
        return render(request, "queueing/console/_live_table.html", context)
    return render(request, "queueing/console/live.html", context)


@permission_required("monitoring.view")
def live_point(request: HttpRequest, point: int) -> HttpResponse:
    """One service point now: each counter (who, open or paused and why, the ticket, served
    today, rating), the queues and today's figures per service."""
    principal = principal_of(request)
    place = selectors.point_for(principal, point)
    now = timezone.now()
    today = local_day(now)
    board = selectors.board_state(place, now)
    figures = {
        row.service.pk: row.figures
        for row in queue_reports.report(principal, today, today, place.pk, now=now).by_service
    }
    service_rows = [
        {
            "service": service,
            "waiting": board.waiting.get(service.prefix, 0),
            "figures": figures.get(service.pk, queue_reports.Figures()),
        }
        for service in selectors.offered_services(place)
    ]
    counters = selectors.officers_at(place, now)
    for row in counters:
        session = row["session"]
        row["paused_minutes"] = (
            _minutes(now - session.paused_since) if session and session.paused_since else None
        )
    context = {
        "point": place,
        "counters": counters,
        "services": service_rows,
        "waiting_total": sum(board.waiting.values()),
        "serving": board.serving,
        "may_serve": principal.has("queue.serve"),
        "now": now,
    }
    if request.GET.get("part") == "body":
        return render(request, "queueing/console/_live_point.html", context)
    return render(request, "queueing/console/live_point.html", context)


# Reports -----------------------------------------------------------------------------------


class ReportForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("From"))
    end = forms.DateField(label=gettext_lazy("To"))
    point = forms.TypedChoiceField(
        label=gettext_lazy("Service point"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args: Any, points: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        point_field = self.fields["point"]
        assert isinstance(point_field, forms.TypedChoiceField)
        point_field.choices = [("", _("All service points")), *((p.pk, p.name) for p in points)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The end is before the start."))
            elif (end - start).days >= queue_reports.MAX_REPORT_DAYS:
                self.add_error(
                    "end",
                    _("A report covers at most %(n)d days.") % {"n": queue_reports.MAX_REPORT_DAYS},
                )
        return data


def _csv_report(rows: queue_reports.ReportRows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="queue-report-{rows.start:%Y%m%d}-{rows.end:%Y%m%d}.csv"'
    )
    response.write("\ufeff")  # the BOM: spreadsheets then read Vietnamese as UTF-8
    writer = csv.writer(response)
    measures = [
        _("Issued"),
        _("Served"),
        _("No-shows"),
        _("Cancelled"),
        _("Average wait (min)"),
        _("Longest wait (min)"),
        _("Average service time (min)"),
        _("Ratings"),
        _("Average rating"),
    ]

    def values(figures: queue_reports.Figures) -> list[Any]:
        return [
            figures.issued,
            figures.served,
            figures.no_shows,
            figures.cancelled,
            figures.avg_wait,
            figures.longest_wait,
            figures.avg_service,
            figures.ratings,
            figures.avg_rating,
        ]

    writer.writerow([_("Day"), _("Service point code"), _("Service point"), *measures])
    for day in rows.days:
        writer.writerow(
            [spreadsheet_safe(c) for c in [day.day.isoformat(), day.point.code, day.point.name]]
            + [spreadsheet_safe(v) for v in values(day.figures)]
        )
    writer.writerow([_("Total"), "", "", *[spreadsheet_safe(v) for v in values(rows.total)]])
    writer.writerow([])
    writer.writerow(
        [
            _("Service point code"),
            _("Service point"),
            _("Officer"),
            _("Served"),
            _("Average service time (min)"),
            _("Ratings"),
            _("Average rating"),
        ]
    )
    for row in rows.by_officer:
        if row.officer is None:
            continue  # the tickets nobody called: in the totals above
        writer.writerow(
            [
                spreadsheet_safe(row.point.code),
                spreadsheet_safe(row.point.name),
                spreadsheet_safe(row.officer_name),
                row.figures.served,
                spreadsheet_safe(row.figures.avg_service),
                row.figures.ratings,
                spreadsheet_safe(row.figures.avg_rating),
            ]
        )
    return response


@permission_required("monitoring.view")
def reports(request: HttpRequest) -> HttpResponse:
    """Tickets issued, served, not come and cancelled, waits, service times and ratings per
    day and service point, and per officer, over a period (this month by default)."""
    principal = principal_of(request)
    points = list(selectors.points_for(principal).order_by("kind", "name"))
    today = local_day(timezone.now())
    first = today.replace(day=1)
    data = {"start": first.isoformat(), "end": today.isoformat(), "point": ""}
    data.update({key: request.GET[key] for key in data if key in request.GET})
    form = ReportForm(data, points=points)
    status = 200
    if form.is_valid():
        start, end, point_id = (
            form.cleaned_data["start"],
            form.cleaned_data["end"],
            form.cleaned_data["point"],
        )
    else:
        start, end, point_id = first, today, None
        status = 400
    rows = queue_reports.report(principal, start, end, point_id)
    if request.GET.get("format") == "csv" and status == 200:
        return _csv_report(rows)
    query = request.GET.copy()
    query["format"] = "csv"
    return render(
        request,
        "queueing/console/reports.html",
        {
            "form": form,
            "rows": rows,
            "csv_url": f"{reverse('queueing:reports')}?{query.urlencode()}",
            "several_points": len(rows.points) > 1,
        },
        status=status,
    )
