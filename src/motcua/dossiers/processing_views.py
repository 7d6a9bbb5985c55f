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
        "current_step": next(
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


def _revision(request: HttpRequest) -> int | None:
    text = request.POST.get("revision", "")
    return int(text) if text.isdigit() else None


def _assign(request: HttpRequest, dossier: Dossier) -> Any:
    text = request.POST.get("assignee", "")
    assignee = get_user_model().objects.filter(pk=int(text) if text.isdigit() else 0).first()
    if assignee is None:
        raise MotcuaError(_("Choose a handler."), fields={"assignee": [_("Required.")]})
    return processing.assign_handler(
        dossier=dossier,
        assignee=assignee,
        actor=request.user,
        revision=_revision(request),
        ip=audit.client_ip(request),
    )


def _consult(request: HttpRequest, dossier: Dossier) -> Any:
    ids = [int(pk) for pk in request.POST.getlist("agencies") if pk.isdigit()]
    days = request.POST.get("days", "")
    return processing.consult_agencies(
        dossier=dossier,
        agencies=list(Agency.objects.filter(pk__in=ids, active=True)),
        question=request.POST.get("question", ""),
        days=int(days) if days.isdigit() else 0,
        actor=request.user,
        revision=_revision(request),
        ip=audit.client_ip(request),
    )


def _reply(request: HttpRequest, dossier: Dossier) -> Any:
    task = request.POST.get("task", "")
    return processing.reply_consultation(
        dossier=dossier,
        task_id=int(task) if task.isdigit() else 0,
        reply=request.POST.get("reply", ""),
        actor=request.user,
        ip=audit.client_ip(request),
    )


def _supplement(request: HttpRequest, dossier: Dossier) -> Any:
    return processing.request_supplement_after_receipt(
        dossier=dossier,
        items=request.POST.get("items", "").splitlines(),
        actor=request.user,
        revision=_revision(request),
        ip=audit.client_ip(request),
    )


def _financial(request: HttpRequest, dossier: Dossier) -> Any:
    amount = request.POST.get("amount", "").replace(".", "").replace(" ", "")
    return processing.request_financial_obligation(
        dossier=dossier,
        amount=int(amount) if amount.isdigit() else 0,
        note=request.POST.get("note", ""),
        actor=request.user,
        revision=_revision(request),
        ip=audit.client_ip(request),
    )


def _propose(request: HttpRequest, dossier: Dossier) -> Any:
    return processing.propose(
        dossier=dossier,
        decision=request.POST.get("decision", ""),
        note=request.POST.get("note", ""),
        actor=request.user,
        revision=_revision(request),
        ip=audit.client_ip(request),
    )


def _approve(request: HttpRequest, dossier: Dossier) -> Any:
    return processing.approve(
        dossier=dossier,
        actor=request.user,
        revision=_revision(request),
        ip=audit.client_ip(request),
    )


def _send_back(request: HttpRequest, dossier: Dossier) -> Any:
    return processing.send_back(
        dossier=dossier,
        note=request.POST.get("note", ""),
        actor=request.user,
        revision=_revision(request),
        ip=audit.client_ip(request),
    )


def _return(request: HttpRequest, dossier: Dossier) -> Any:
    return processing.return_result(
        dossier=dossier,
        method=request.POST.get("method", ""),
        actor=request.user,
        revision=_revision(request),
        ip=audit.client_ip(request),
    )


def _extend(request: HttpRequest, dossier: Dossier) -> Any:
    try:
        day = dt.date.fromisoformat(request.POST.get("new_due_date", ""))
    except ValueError:
        raise MotcuaError(
            _("Choose the new date."), fields={"new_due_date": [_("A date.")]}
        ) from None
    return processing.extend_deadline(
        dossier=dossier,
        new_due_date=day,
        reason=request.POST.get("reason", ""),
        actor=request.user,
        revision=_revision(request),
        ip=audit.client_ip(request),
    )


def _request_stop(request: HttpRequest, dossier: Dossier) -> Any:
    return processing.request_stop(
        dossier=dossier,
        reason=request.POST.get("reason", ""),
        actor=request.user,
        ip=audit.client_ip(request),
    )


def _stop(request: HttpRequest, dossier: Dossier) -> Any:
    return processing.stop(
        dossier=dossier,
        actor=request.user,
        revision=_revision(request),
        ip=audit.client_ip(request),
    )


ACTIONS: dict[str, tuple[Callable[[HttpRequest, Dossier], Any], Any]] = {
    "assign": (_assign, _("Assigned.")),
    "consult": (_consult, _("The consultation was sent.")),
    "reply": (_reply, _("Your agency's opinion was sent.")),
    "supplement": (_supplement, _("The supplement request was issued.")),
    "financial": (_financial, _("The financial obligation was notified.")),
    "propose": (_propose, _("The proposal was sent for approval.")),
    "approve": (_approve, _("Approved.")),
    "send-back": (_send_back, _("The proposal was sent back.")),
    "return": (_return, _("The result was returned.")),
    "extend": (_extend, _("The apology and the new date were issued.")),
    "request-stop": (_request_stop, _("The request to stop was recorded.")),
    "stop": (_stop, _("The dossier was stopped and the notice issued.")),
}


@require_POST
@permission_required("dossier.view")
def act(request: HttpRequest, code: str, action: str) -> HttpResponse:
    """One processing action on a dossier (the service checks the actor's place and role)."""
    handler = ACTIONS.get(action)
    if handler is None:
        raise NotFound()
    dossier = selectors.dossier_for(principal_of(request), code, request=request)
    try:
        handler[0](request, dossier)
    except MotcuaError as problem:
        webforms.flash_refusal(request, problem)
    else:
        messages.success(request, str(handler[1]))
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
    return _pdf(results.result_pdf(result), f"{dossier.code}-ket-qua.pdf")


def _pdf(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


def verify_result(request: HttpRequest, secret: str) -> HttpResponse:
    """Public: what a result's QR code opens: the result, who signed it, and whether the
    signature of the stored file checks out against the province's CA."""
    limit_public(request, "verify_result")
    result = results.verified_result(secret)
    report = signing.validate_pdf(results.result_pdf(result))
    return render(request, "dossiers/verify_result.html", {"result": result, "report": report})


def verified_result_pdf(request: HttpRequest, secret: str) -> HttpResponse:
    limit_public(request, "verify_result")
    result = results.verified_result(secret)
    return _pdf(results.result_pdf(result), f"{result.dossier.code}-ket-qua.pdf")


def ca_certificate(request: HttpRequest) -> HttpResponse:
    """Public: the provincial CA's certificate, so anyone can check a result with their tool."""
    response = HttpResponse(signing.ca_certificate_pem(), content_type="application/x-pem-file")
    response["Content-Disposition"] = 'attachment; filename="motcua-ca.pem"'
    return response
