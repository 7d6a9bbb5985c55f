"""Queue API (/api/v1/queue): tickets and calls for hardware callers, kiosks and mobile apps,
through the same services as the pages. Issuing at a kiosk and reading a board are public (a
kiosk key makes retries idempotent); calling is for the officer at the counter."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from motcua.core.access import demand
from motcua.core.errors import MotcuaError, NotFound
from motcua.core.ratelimits import limit_public
from motcua.core.schemas import ErrorOut, responses
from motcua.queueing import selectors, services
from motcua.queueing.models import PriorityCategory, QueueService, Ticket

router = Router()


class TicketIn(Schema):
    service_point: str = Field(description="The service point's code, e.g. ttpvhcc-06688.")
    service: str = Field(description="The queue service's code at that point.")
    priority: str | None = Field(None, description="A priority category's code, if any.")
    key: str | None = Field(
        None,
        max_length=64,
        description="The kiosk's one-time key: a retry returns the first ticket.",
    )


class TicketOut(Schema):
    id: int
    number: str
    status: str
    service: str
    service_name: str
    priority: str | None
    issued_at: dt.datetime
    called_at: dt.datetime | None
    counter: int | None
    secret: str = Field(description="Opens the citizen's phone page: /queue/t/{secret}/.")

    @staticmethod
    def resolve_service(obj: Ticket) -> str:
        return obj.service.code

    @staticmethod
    def resolve_service_name(obj: Ticket) -> str:
        return obj.service.name

    @staticmethod
    def resolve_priority(obj: Ticket) -> str | None:
        return obj.priority.code if obj.priority else None

    @staticmethod
    def resolve_counter(obj: Ticket) -> int | None:
        return obj.counter.number if obj.counter else None


class PlaceOut(Schema):
    number: str
    status: str
    ahead: int
    wait_minutes: int
    counter: int | None


class BoardOut(Schema):
    serving: list[dict[str, Any]]
    recent: list[dict[str, Any]]
    waiting: dict[str, int]


class TransferIn(Schema):
    service: str = Field(description="The code of another queue service of the same point.")


class FinishIn(Schema):
    dossier: str = Field("", max_length=60, description="The dossier filed for this visit, if any.")


class PauseIn(Schema):
    reason: str = Field(max_length=200)


class CallOut(Schema):
    ticket: TicketOut | None = Field(description="The ticket called; null when nobody waits.")


def _service(point_code: str, code: str) -> QueueService:
    service = (
        QueueService.objects.select_related("service_point__province")
        .filter(service_point__code=point_code, code=code)
        .first()
    )
    if service is None:
        raise NotFound(_("This service point has no such service."))
    return service


@router.post(
    "/tickets",
    auth=None,
    response={
        201: TicketOut,
        200: TicketOut,
        400: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
        429: ErrorOut,
    },
    url_name="queue_issue",
)
def issue(request: HttpRequest, payload: TicketIn) -> Status:
    """Issue a ticket (a kiosk, a mobile app). 201 for a new ticket, 200 for a retried key."""
    limit_public(request, "kiosk")
    service = _service(payload.service_point, payload.service)
    priority = None
    if payload.priority:
        priority = PriorityCategory.objects.filter(code=payload.priority).first()
        if priority is None:
            raise MotcuaError(fields={"priority": [_("No such priority category.")]})
    started = timezone.now()
    ticket = services.issue_ticket(service=service, priority=priority, key=payload.key)
    # A retried key answers with the ticket issued before this request began.
    return Status(200 if ticket.issued_at < started else 201, ticket)


@router.get(
    "/tickets/{secret}/place",
    auth=None,
    response={200: PlaceOut, 404: ErrorOut, 429: ErrorOut},
    url_name="queue_place",
)
def place(request: HttpRequest, secret: str) -> dict[str, Any]:
    """Where a ticket stands (the citizen's app)."""
    limit_public(request, "tracking")
    ticket = selectors.ticket_by_secret(secret)
    where = selectors.place_of(ticket)
    return {
        "number": ticket.number,
        "status": ticket.status,
        "ahead": where.ahead if ticket.status == Ticket.Status.WAITING else 0,
        "wait_minutes": where.wait_minutes if ticket.status == Ticket.Status.WAITING else 0,
        "counter": ticket.counter.number if ticket.counter else None,
    }


@router.get(
    "/points/{point}/board",
    auth=None,
    response={200: BoardOut, 404: ErrorOut, 429: ErrorOut},
    url_name="queue_board",
)
def board(request: HttpRequest, point: str) -> Any:
    """What the point's display boards show (numbers and counters only)."""
    limit_public(request, "board")
    return selectors.board_state(selectors.public_point(point))


# The counter (an officer with queue.serve at the counter's point) ---------------------------


def _counter(request: HttpRequest, counter_id: int) -> Any:
    return selectors.counter_for(demand(request, "queue.serve"), counter_id)


def _ticket(request: HttpRequest, ticket_id: int) -> Ticket:
    return selectors.ticket_for(demand(request, "queue.serve"), ticket_id)


ACTION = responses(TicketOut, 404, 409)


@router.post(
    "/counters/{counter_id}/open",
    response=responses(dict[str, str], 404, 409),
    url_name="queue_counter_open",
)
def open_counter(request: HttpRequest, counter_id: int) -> dict[str, str]:
    session = services.open_counter(counter=_counter(request, counter_id), actor=request.user)
    return {"state": session.state}


@router.post(
    "/counters/{counter_id}/pause",
    response=responses(dict[str, str], 404, 409),
    url_name="queue_counter_pause",
)
def pause_counter(request: HttpRequest, counter_id: int, payload: PauseIn) -> dict[str, str]:
    session = services.pause_counter(
        counter=_counter(request, counter_id), actor=request.user, reason=payload.reason
    )
    return {"state": session.state}


@router.post(
    "/counters/{counter_id}/resume",
    response=responses(dict[str, str], 404, 409),
    url_name="queue_counter_resume",
)
def resume_counter(request: HttpRequest, counter_id: int) -> dict[str, str]:
    session = services.resume_counter(counter=_counter(request, counter_id), actor=request.user)
    return {"state": session.state}


@router.post(
    "/counters/{counter_id}/close",
    response=responses(dict[str, str], 404, 409),
    url_name="queue_counter_close",
)
def close_counter(request: HttpRequest, counter_id: int) -> dict[str, str]:
    session = services.close_counter(counter=_counter(request, counter_id), actor=request.user)
    return {"state": session.state}


@router.post(
    "/counters/{counter_id}/call-next",
    response=responses(CallOut, 404, 409),
    url_name="queue_call_next",
)
def call_next(request: HttpRequest, counter_id: int) -> dict[str, Any]:
    """Call the next ticket by the calling rules (one code path with the counter page)."""
    ticket = services.call_next(counter=_counter(request, counter_id), actor=request.user)
    return {"ticket": ticket}


def _act(
    request: HttpRequest, counter_id: int, ticket_id: int, action: Any, **extra: Any
) -> Ticket:
    counter = _counter(request, counter_id)
    ticket = _ticket(request, ticket_id)
    return action(ticket=ticket, counter=counter, actor=request.user, **extra)


@router.post(
    "/counters/{counter_id}/tickets/{ticket_id}/call", response=ACTION, url_name="queue_call"
)
def call(request: HttpRequest, counter_id: int, ticket_id: int) -> Ticket:
    return _act(request, counter_id, ticket_id, services.call_ticket)


@router.post(
    "/counters/{counter_id}/tickets/{ticket_id}/recall", response=ACTION, url_name="queue_recall"
)
def recall(request: HttpRequest, counter_id: int, ticket_id: int) -> Ticket:
    return _act(request, counter_id, ticket_id, services.recall)


@router.post(
    "/counters/{counter_id}/tickets/{ticket_id}/start", response=ACTION, url_name="queue_start"
)
def start(request: HttpRequest, counter_id: int, ticket_id: int) -> Ticket:
    return _act(request, counter_id, ticket_id, services.start_service)


@router.post(
    "/counters/{counter_id}/tickets/{ticket_id}/hold", response=ACTION, url_name="queue_hold"
)
def hold(request: HttpRequest, counter_id: int, ticket_id: int) -> Ticket:
    return _act(request, counter_id, ticket_id, services.hold)


@router.post(
    "/counters/{counter_id}/tickets/{ticket_id}/transfer",
    response=ACTION,
    url_name="queue_transfer",
)
def transfer(request: HttpRequest, counter_id: int, ticket_id: int, payload: TransferIn) -> Ticket:
    counter = _counter(request, counter_id)
    ticket = _ticket(request, ticket_id)
    service = QueueService.objects.filter(
        service_point_id=counter.service_point_id, code=payload.service
    ).first()
    if service is None:
        raise MotcuaError(
            _("This service point does not offer that service."),
            code="service_not_offered",
            status=409,
            fields={"service": [_("Choose a service of this service point.")]},
        )
    return services.transfer(ticket=ticket, counter=counter, actor=request.user, service=service)


@router.post(
    "/counters/{counter_id}/tickets/{ticket_id}/no-show", response=ACTION, url_name="queue_no_show"
)
def no_show(request: HttpRequest, counter_id: int, ticket_id: int) -> Ticket:
    return _act(request, counter_id, ticket_id, services.no_show)


@router.post(
    "/counters/{counter_id}/tickets/{ticket_id}/finish", response=ACTION, url_name="queue_finish"
)
def finish(request: HttpRequest, counter_id: int, ticket_id: int, payload: FinishIn) -> Ticket:
    return _act(request, counter_id, ticket_id, services.finish, dossier_code=payload.dossier)
