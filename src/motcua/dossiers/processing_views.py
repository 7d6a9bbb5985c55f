"""Processing pages: the officers' inboxes, the actions on a dossier, the process control slip,
the result and its public verification. Each action calls the one service the API calls too."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from motcua.core import audit
from motcua.core.access import permission_required, principal_of
from motcua.core.errors import MotcuaError, NotFound
from motcua.core.ratelimits import limit_public
from motcua.dossiers import (
    controls,
    inbox,
    processing,
    results,
    selectors,
    signing,
    webforms,
    workflow,
)
from motcua.dossiers.models import Dossier, Evaluation, Result, Task
from motcua.organisation.models import Agency
from motcua.workcalendar.selectors import calendar_for


@permission_required("dossier.view")
def work(request: HttpRequest) -> HttpResponse:
    """The officer's inboxes, one tab each, with deadline filters and search."""
    principal = principal_of(request)
    boxes = inbox.boxes_for(principal)
    box = request.GET.get("box", "")
    box = box if box in boxes else (boxes[0] if boxes else "")
    filter_name = request.GET.get("filter", "")
    filter_name = filter_name if filter_name in inbox.FILTERS else ""
    query = request.GET.get("q", "")[:100]
    rows = inbox.inbox(principal, request.user.pk, box, filter_name=filter_name, query=query)
    counts = inbox.counts(principal, request.user.pk)
    topics = [f"agency.{pk}" for pk in sorted(principal.agency_ids)[:50]]
    topics += [f"service_point.{pk}" for pk in sorted(principal.service_point_ids)[:50]]
    context = {
        "box": box,
        "tabs": [(name, inbox.BOXES[name], counts[name]) for name in boxes],
        "filters": inbox.FILTERS.items(),
        "filter": filter_name,
        "q": query,
        "page": Paginator(rows, 25).get_page(request.GET.get("page")),
        "now": timezone.now(),
        "live_topics": " ".join(topics),
    }
    template = "dossiers/_work_rows.html" if request.htmx else "dossiers/work.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def processing_context(request: HttpRequest, dossier: Dossier) -> dict[str, Any]:
    """What the dossier page shows of its processing, and the actions open to the officer."""
    principal = principal_of(request)
    actions = selectors.actions_for(principal, request.user.pk, dossier)
    result = Result.objects.filter(dossier=dossier).first()
    context: dict[str, Any] = {
        "actions": actions,
        "result": result,
        "result_verify_url": results.verify_url(result) if result else "",
        "evaluation": Evaluation.objects.filter(dossier=dossier).first(),
        "current_step": _("At another instance")
        if dossier.step == processing.TRANSFERRED_STEP
        else next(
            (s.name for s in workflow.steps_of(dossier.version.spec) if s.code == dossier.step), ""
        ),
    }
    if "assign" in actions:
        context["handlers"] = selectors.handlers_of(actions["assign"].agency_id)
    if "handle" in actions:
        context["agencies"] = selectors.agencies_to_consult(dossier, actions["handle"].agency_id)
    if "approve" in actions:
        context["proposal"] = (
            dossier.tasks.filter(kind=Task.Kind.HANDLE, state=Task.State.DONE)
            .order_by("-closed_at", "-pk")
            .first()
        )
    if "extend" in actions and dossier.due_at:
        context["latest_extension"] = workflow.latest_extension_moment(
            dossier.due_at, calendar_for(dossier.province.code)
        )
    return context


# Actions -----------------------------------------------------------------------------------


def _revision(request: HttpRequest) -> dict[str, Any]:
    """The dossier's revision as the page read it (a stale one is refused by the service)."""
    text = request.POST.get("revision", "")
    return {"revision": int(text) if text.isdigit() else None}


def _number(request: HttpRequest, name: str) -> int:
    text = request.POST.get(name, "").replace(".", "").replace(" ", "")
    return int(text) if text.isdigit() else 0


# Each action's own fields, read from its form; `act` adds the dossier, the actor and the IP.


def _assign(request: HttpRequest) -> dict[str, Any]:
    assignee = get_user_model().objects.filter(pk=_number(request, "assignee")).first()
    if assignee is None:
        raise MotcuaError(_("Choose a handler."), fields={"assignee": [_("Required.")]})
    return {"assignee": assignee, **_revision(request)}


def _consult(request: HttpRequest) -> dict[str, Any]:
    ids = [int(pk) for pk in request.POST.getlist("agencies") if pk.isdigit()]
    return {
        "agencies": list(Agency.objects.filter(pk__in=ids, active=True)),
        "question": request.POST.get("question", ""),
        "days": _number(request, "days"),
        **_revision(request),
    }


def _reply(request: HttpRequest) -> dict[str, Any]:
    return {"task_id": _number(request, "task"), "reply": request.POST.get("reply", "")}


def _supplement(request: HttpRequest) -> dict[str, Any]:
    return {"items": request.POST.get("items", "").splitlines(), **_revision(request)}


def _financial(request: HttpRequest) -> dict[str, Any]:
    return {
        "amount": _number(request, "amount"),
        "note": request.POST.get("note", ""),
        **_revision(request),
    }


def _propose(request: HttpRequest) -> dict[str, Any]:
    return {
        "decision": request.POST.get("decision", ""),
        "note": request.POST.get("note", ""),
        **_revision(request),
    }


def _note(request: HttpRequest) -> dict[str, Any]:
    return {"note": request.POST.get("note", ""), **_revision(request)}


def _return(request: HttpRequest) -> dict[str, Any]:
    return {"method": request.POST.get("method", ""), **_revision(request)}


def _extend(request: HttpRequest) -> dict[str, Any]:
    try:
        day = dt.date.fromisoformat(request.POST.get("new_due_date", ""))
    except ValueError:
        raise MotcuaError(
            _("Choose the new date."), fields={"new_due_date": [_("A date.")]}
        ) from None
    return {"new_due_date": day, "reason": request.POST.get("reason", ""), **_revision(request)}


def _reason(request: HttpRequest) -> dict[str, Any]:
    return {"reason": request.POST.get("reason", "")}


# action → (the service, its fields from the form, what the officer is told when it is done)
ACTIONS: dict[str, tuple[Callable[..., Any], Callable[[HttpRequest], dict[str, Any]], Any]] = {
    "assign": (processing.assign_handler, _assign, _("Assigned.")),
    "consult": (processing.consult_agencies, _consult, _("The consultation was sent.")),
    "reply": (processing.reply_consultation, _reply, _("Your agency's opinion was sent.")),
    "supplement": (
        processing.request_supplement_after_receipt,
        _supplement,
        _("The supplement request was issued."),
    ),
    "financial": (
        processing.request_financial_obligation,
        _financial,
        _("The financial obligation was notified."),
    ),
    "propose": (processing.propose, _propose, _("The proposal was sent for approval.")),
    "approve": (processing.approve, _revision, _("Approved.")),
    "send-back": (processing.send_back, _note, _("The proposal was sent back.")),
    "return": (processing.return_result, _return, _("The result was returned.")),
    "extend": (
        processing.extend_deadline,
        _extend,
        _("The apology and the new date were issued."),
    ),
    "request-stop": (processing.request_stop, _reason, _("The request to stop was recorded.")),
    "stop": (processing.stop, _revision, _("The dossier was stopped and the notice issued.")),
}


@require_POST
@permission_required("dossier.view")
def act(request: HttpRequest, code: str, action: str) -> HttpResponse:
    """One processing action on a dossier (the service checks the actor's place and role)."""
    if action not in ACTIONS:
        raise NotFound()
    service, fields, done = ACTIONS[action]
    dossier = selectors.dossier_for(principal_of(request), code, request=request)
    try:
        service(dossier=dossier, actor=request.user, ip=audit.client_ip(request), **fields(request))
    except MotcuaError as problem:
        webforms.flash_refusal(request, problem)
    else:
        messages.success(request, str(done))
    return redirect("dossiers:detail", code=code)


# The process control slip and the result ---------------------------------------------------


@permission_required("dossier.view")
def control_slip(request: HttpRequest, code: str) -> HttpResponse:
    dossier = selectors.dossier_for(principal_of(request), code, request=request)
    return render(
        request,
        "dossiers/control_slip.html",
        {"dossier": dossier, "rows": controls.rows(dossier)},
    )


@permission_required("dossier.view")
def control_slip_pdf(request: HttpRequest, code: str) -> HttpResponse:
    dossier = selectors.dossier_for(principal_of(request), code, request=request)
    response = HttpResponse(controls.control_slip_pdf(dossier), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{dossier.code}-kiem-soat.pdf"'
    return response


@permission_required("dossier.view")
def result_pdf(request: HttpRequest, code: str) -> HttpResponse:
    dossier = selectors.dossier_for(principal_of(request), code, request=request)
    result = getattr(dossier, "result", None)
    if result is None:
        raise NotFound()
    return results.result_response(result)


def verify_result(request: HttpRequest, secret: str) -> HttpResponse:
    """Public: what a result's QR code opens: the result, who signed it, and whether the
    signature of the stored file checks out against the province's CA."""
    limit_public(request, "verify_result")
    result = results.verified_result(secret)
    report = signing.validate_pdf(results.result_pdf(result))
    return render(request, "dossiers/verify_result.html", {"result": result, "report": report})


def verified_result_pdf(request: HttpRequest, secret: str) -> HttpResponse:
    limit_public(request, "verify_result")
    return results.result_response(results.verified_result(secret))


def ca_certificate(request: HttpRequest) -> HttpResponse:
    """Public: the provincial CA's certificate, so anyone can check a result with their tool."""
    response = HttpResponse(signing.ca_certificate_pem(), content_type="application/x-pem-file")
    response["Content-Disposition"] = 'attachment; filename="motcua-ca.pem"'
    return response
