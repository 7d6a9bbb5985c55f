"""Processing API: the inboxes (/api/v1/work), every action on a received dossier, its hand-offs
and its result (/api/v1/dossiers/{code}/...). The same services as the pages; an illegal
transition is a 409 with the reason, an action outside one's agency or point a 403, and a
stale `revision` a 409 (two officers acting at once: one wins)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Literal

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from motcua.core import audit
from motcua.core.access import demand
from motcua.core.errors import MotcuaError, NotFound
from motcua.core.ratelimits import limit_public
from motcua.core.schemas import ErrorOut, responses
from motcua.dossiers import controls, inbox, processing, results, selectors
from motcua.dossiers.api import DossierOut
from motcua.dossiers.models import Dossier, Result, Task
from motcua.organisation.models import Agency

router = Router()
work_router = Router()
public_router = Router()

PDF_RESPONSES = {200: None, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class Revision(Schema):
    revision: int | None = Field(
        None, description="The dossier's revision as read; a stale one is refused (409)."
    )


class AssignIn(Revision):
    assignee: str = Field(description="Username of a handler of the agency.")


class ConsultIn(Revision):
    agencies: list[str] = Field(description="Codes of the agencies to consult, in parallel.")
    question: str = Field(max_length=2000)
    days: int = Field(description="Working days each agency has to reply.")


class ReplyIn(Schema):
    reply: str = Field(max_length=2000)


class ItemsIn(Revision):
    items: list[str] = Field(description="What the applicant must supplement.")


class FinancialIn(Revision):
    amount: int = Field(description="In đồng.")
    note: str = Field(max_length=300, description="What the obligation is.")


class ProposalIn(Revision):
    decision: Literal["grant", "refuse"]
    note: str = Field("", max_length=2000, description="Appraisal; for a refusal, its reasons.")


class NoteIn(Revision):
    note: str = Field(max_length=2000)


class ReturnIn(Revision):
    method: Literal["counter", "post", "online"]


class ExtensionIn(Revision):
    new_due_date: dt.date
    reason: str = Field(max_length=500)


class StopRequestIn(Schema):
    reason: str = Field(max_length=500)


class PublicStopRequestIn(StopRequestIn):
    secret: str = Field(description="The tracking secret printed under the slip's QR code.")


class TaskOut(Schema):
    id: int
    step: str
    name: str
    kind: str
    state: str
    agency: str
    service_point: str | None
    assignee: str | None
    sender: str
    opened_at: dt.datetime
    due_at: dt.datetime | None
    closed_at: dt.datetime | None
    outcome: str
    note: str
    reply: str
    dossier: str

    @staticmethod
    def resolve_agency(obj: Task) -> str:
        return obj.agency.code

    @staticmethod
    def resolve_service_point(obj: Task) -> str | None:
        return obj.service_point.code if obj.service_point else None

    @staticmethod
    def resolve_assignee(obj: Task) -> str | None:
        return obj.assignee.get_username() if obj.assignee else None

    @staticmethod
    def resolve_dossier(obj: Task) -> str:
        return obj.dossier.code


class HandOffOut(Schema):
    sender: str
    receiver: str
    at: dt.datetime
    due_at: dt.datetime | None
    done_at: dt.datetime | None
    result: str = Field(description="early, on_time, late, or empty while open.")
    note: str


class ResultOut(Schema):
    kind: str
    number: str
    title: str
    reasons: list[str]
    agency: str
    approved_at: dt.datetime
    signed_at: dt.datetime | None
    sha256: str
    verify_url: str

    @staticmethod
    def resolve_agency(obj: Result) -> str:
        return obj.agency.code

    @staticmethod
    def resolve_verify_url(obj: Result) -> str:
        return results.verify_url(obj)


class WorkRowOut(Schema):
    dossier: str
    procedure: str
    applicant_name: str
    status: int
    task: TaskOut | None
    due_at: dt.datetime | None


class WorkQuery(Schema):
    filter: Literal["", "due_today", "due_soon", "overdue", "waiting"] = ""
    q: str = Field("", max_length=100)


def _dossier(request: HttpRequest, code: str) -> Dossier:
    principal = demand(request, "dossier.view")
    return selectors.dossier_for(principal, code, request=request)


def _apply(request: HttpRequest, code: str, action: Callable[..., Any], **fields: Any) -> Dossier:
    """Run one processing service on the dossier as the requesting officer (the service checks
    their agency or point), and answer with the dossier as it now is."""
    action(
        dossier=_dossier(request, code), actor=request.user, ip=audit.client_ip(request), **fields
    )
    return _dossier(request, code)


# Inboxes -----------------------------------------------------------------------------------


@work_router.get("", response=responses(dict[str, int]), url_name="work_counts")
def work_counts(request: HttpRequest) -> dict[str, int]:
    """How many items wait in each of the officer's inboxes."""
    return inbox.counts(demand(request, "dossier.view"), request.user.pk)


@work_router.get("/{box}", response=responses(list[WorkRowOut], 404), url_name="work_box")
def work_box(request: HttpRequest, box: str, query: Query[WorkQuery]) -> list[dict[str, Any]]:
    principal = demand(request, "dossier.view")
    if box not in inbox.BOXES:
        raise NotFound()
    rows = inbox.inbox(principal, request.user.pk, box, filter_name=query.filter, query=query.q)
    found = []
    for row in rows[:200]:
        dossier = row if isinstance(row, Dossier) else row.dossier
        task = row if isinstance(row, Task) else None
        found.append(
            {
                "dossier": dossier.code,
                "procedure": dossier.version.name,
                "applicant_name": dossier.applicant_name,
                "status": dossier.status,
                "task": task,
                "due_at": task.due_at if task else dossier.due_at or dossier.check_due_at,
            }
        )
    return found


# Reading a dossier's processing ------------------------------------------------------------


@router.get("/{code}/tasks", response=responses(list[TaskOut], 404), url_name="dossier_tasks")
def dossier_tasks(request: HttpRequest, code: str) -> list[Task]:
    return selectors.tasks_of(_dossier(request, code))


@router.get(
    "/{code}/control-slip", response=responses(list[HandOffOut], 404), url_name="control_slip"
)
def control_slip(request: HttpRequest, code: str) -> list[Any]:
    """The process control slip's rows: every hand-off, early / on time / late."""
    return controls.rows(_dossier(request, code))


@router.get("/{code}/control-slip.pdf", response=PDF_RESPONSES, url_name="control_slip_pdf")
def control_slip_pdf(request: HttpRequest, code: str) -> HttpResponse:
    return HttpResponse(
        controls.control_slip_pdf(_dossier(request, code)), content_type="application/pdf"
    )


@router.get("/{code}/result", response=responses(ResultOut, 404), url_name="dossier_result")
def dossier_result(request: HttpRequest, code: str) -> Result:
    result = Result.objects.filter(dossier=_dossier(request, code)).first()
    if result is None:
        raise NotFound()
    return result


@router.get("/{code}/result.pdf", response=PDF_RESPONSES, url_name="dossier_result_pdf")
def dossier_result_pdf(request: HttpRequest, code: str) -> HttpResponse:
    """The signed result (PAdES); 404 until it is signed."""
    result = Result.objects.filter(dossier=_dossier(request, code)).first()
    if result is None:
        raise NotFound()
    return HttpResponse(results.result_pdf(result), content_type="application/pdf")


# Actions -----------------------------------------------------------------------------------

ACTION = responses(DossierOut, 404, 409)


@router.post("/{code}/assign", response=ACTION, url_name="dossier_assign")
def assign(request: HttpRequest, code: str, payload: AssignIn) -> Dossier:
    """The competent agency's leader gives the dossier to a handler."""
    assignee = get_user_model().objects.filter(username=payload.assignee, is_active=True).first()
    if assignee is None:
        raise MotcuaError(fields={"assignee": [_("No such officer.")]})
    return _apply(
        request,
        code,
        processing.assign_handler,
        assignee=assignee,
        revision=payload.revision,
    )


@router.post("/{code}/consultations", response=ACTION, url_name="dossier_consult")
def consult(request: HttpRequest, code: str, payload: ConsultIn) -> Dossier:
    """Consult other agencies in parallel, each with its own deadline."""
    agencies = list(Agency.objects.filter(code__in=payload.agencies, active=True))
    if len(agencies) != len(set(payload.agencies)):
        raise MotcuaError(fields={"agencies": [_("An agency code is not known.")]})
    return _apply(
        request,
        code,
        processing.consult_agencies,
        agencies=agencies,
        question=payload.question,
        days=payload.days,
        revision=payload.revision,
    )


@router.post(
    "/{code}/consultations/{task_id}/reply", response=ACTION, url_name="dossier_consult_reply"
)
def reply(request: HttpRequest, code: str, task_id: int, payload: ReplyIn) -> Dossier:
    return _apply(
        request,
        code,
        processing.reply_consultation,
        task_id=task_id,
        reply=payload.reply,
    )


@router.post("/{code}/supplement-request", response=ACTION, url_name="dossier_supplement_request")
def supplement_request(request: HttpRequest, code: str, payload: ItemsIn) -> Dossier:
    """Ask for a supplement after receipt: the time restarts from zero once it is in."""
    return _apply(
        request,
        code,
        processing.request_supplement_after_receipt,
        items=payload.items,
        revision=payload.revision,
    )


@router.post("/{code}/financial-obligation", response=ACTION, url_name="dossier_financial")
def financial(request: HttpRequest, code: str, payload: FinancialIn) -> Dossier:
    return _apply(
        request,
        code,
        processing.request_financial_obligation,
        amount=payload.amount,
        note=payload.note,
        revision=payload.revision,
    )


@router.post("/{code}/proposal", response=ACTION, url_name="dossier_propose")
def propose(request: HttpRequest, code: str, payload: ProposalIn) -> Dossier:
    return _apply(
        request,
        code,
        processing.propose,
        decision=payload.decision,
        note=payload.note,
        revision=payload.revision,
    )


@router.post("/{code}/approval", response=ACTION, url_name="dossier_approve")
def approve(request: HttpRequest, code: str, payload: Revision) -> Dossier:
    """Approve; at the last approving step the result is issued and signed after commit."""
    return _apply(request, code, processing.approve, revision=payload.revision)


@router.post("/{code}/send-back", response=ACTION, url_name="dossier_send_back")
def send_back(request: HttpRequest, code: str, payload: NoteIn) -> Dossier:
    return _apply(request, code, processing.send_back, note=payload.note, revision=payload.revision)


@router.post("/{code}/return", response=ACTION, url_name="dossier_return")
def return_result(request: HttpRequest, code: str, payload: ReturnIn) -> Dossier:
    return _apply(
        request,
        code,
        processing.return_result,
        method=payload.method,
        revision=payload.revision,
    )


@router.post("/{code}/extension", response=ACTION, url_name="dossier_extend")
def extend(request: HttpRequest, code: str, payload: ExtensionIn) -> Dossier:
    """Move the due date once, with the apology slip, at least a working day before it."""
    return _apply(
        request,
        code,
        processing.extend_deadline,
        new_due_date=payload.new_due_date,
        reason=payload.reason,
        revision=payload.revision,
    )


@router.post("/{code}/stop-request", response=ACTION, url_name="dossier_stop_request")
def stop_request(request: HttpRequest, code: str, payload: StopRequestIn) -> Dossier:
    """Record the applicant's request to stop (made at the counter)."""
    return _apply(request, code, processing.request_stop, reason=payload.reason)


@router.post("/{code}/stop", response=ACTION, url_name="dossier_stop")
def stop(request: HttpRequest, code: str, payload: Revision) -> Dossier:
    return _apply(request, code, processing.stop, revision=payload.revision)


@public_router.post(
    "/dossiers/{code}/stop-request",
    auth=None,
    response={200: dict[str, Any], 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    url_name="public_stop_request",
)
def public_stop_request(
    request: HttpRequest, code: str, payload: PublicStopRequestIn
) -> dict[str, Any]:
    """The applicant asks to stop the processing of their dossier."""
    limit_public(request, "tracking")
    dossier = selectors.tracked_dossier(code, payload.secret)
    processing.request_stop(dossier=dossier, reason=payload.reason, ip=audit.client_ip(request))
    return {"code": code, "status": 7}
