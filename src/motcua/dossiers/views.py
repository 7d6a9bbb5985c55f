"""Dossier pages: the citizen's online form and tracking page (public), and the officers' intake
list, counter form and dossier page. Every page calls the same services as the API."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from motcua.catalogue import selectors as catalogue
from motcua.catalogue.models import ProcedureVersion
from motcua.catalogue.presentation import describe_fee, describe_time, money
from motcua.core import audit
from motcua.core.access import permission_required, principal_of
from motcua.core.errors import MotcuaError, NotFound
from motcua.core.ratelimits import limit_public
from motcua.digitisation import selectors as store_selectors
from motcua.digitisation.models import StoredDocument
from motcua.dossiers import (
    eforms,
    files,
    intake,
    printing,
    processing,
    results,
    selectors,
    services,
    webforms,
    workflow,
)
from motcua.dossiers.models import Channel, Dossier, Result, Status
from motcua.dossiers.points import receiving_point_for, receiving_points
from motcua.dossiers.processing_views import processing_context
from motcua.identity import prefill
from motcua.identity.rp import Citizen
from motcua.identity.session import current_citizen, login_url
from motcua.payments import selectors as payment_selectors
from motcua.payments import services as payments
from motcua.payments.tokens import payment_token


def _form_context(
    version: ProcedureVersion,
    province_code: str,
    values: dict[str, Any],
    error: MotcuaError | None,
    verified: dict[str, str] | None = None,
    stored: dict[str, StoredDocument] | None = None,
) -> dict[str, Any]:
    """`verified`: the applicant's fields from the e-ID login; `stored`: the valid copies in the
    applicant's document store, by requirement, which the dossier takes instead of a file."""
    errors = error.fields if error else {}
    stored = stored or {}
    sections = webforms.rows(
        version, values, errors, webforms.commune_choices(province_code), verified
    )
    return {
        "version": version,
        "spec": version.spec,
        "time_text": describe_time(version.time),
        "fee_text": describe_fee(version.fee),
        "sections": sections,
        # The error summary links to each field with a problem (read first by screen readers).
        "error_links": [row for rows in sections.values() for row in rows if row.errors],
        "documents": [
            {
                **document,
                "errors": [str(m) for m in errors.get(f"documents.{document['code']}", ())],
                "stored": stored.get(document["code"]),
            }
            for document in version.documents
        ],
        "error": error,
        "general_errors": [
            str(m) for key in ("__all__", "documents", "data") for m in errors.get(key, ())
        ],
        "form_token": values.get("form_token") or webforms.new_token(),
    }


# Public pages ------------------------------------------------------------------------------


def apply(request: HttpRequest, code: str) -> HttpResponse:
    """The citizen's online form for one procedure, behind an e-ID login of the procedure's
    minimum level: the applicant's fields come from the login, locked."""
    limit_public(request, "online_submission")
    version = catalogue.offered_procedure(code)
    citizen = current_citizen(request)
    needed = intake.required_level(version, Channel.ONLINE)
    if needed > (citizen.level if citizen else 0):
        return _login_needed(request, version, needed, citizen)
    values: dict[str, Any] = {}
    error = None
    if request.method == "POST":
        submission, values = webforms.read_submission(request, version, counter=False)
        try:
            identity = (
                prefill.verified_identity(
                    citizen, for_organisation=values.get("represent") == "organisation"
                )
                if citizen
                else None
            )
            dossier = services.submit_dossier(
                submission=dataclasses.replace(submission, identity=identity),
                channel=Channel.ONLINE,
                key=webforms.submission_key(request, submission.applicant.id_number),
                ip=audit.client_ip(request),
            )
        except MotcuaError as problem:
            error = problem
        else:
            messages.success(
                request,
                _("Dossier %(code)s was submitted. Keep this page's address to follow it.")
                % {"code": dossier.code},
            )
            return redirect(printing.tracking_path(dossier))
    elif citizen:
        values = {"applicant.phone": prefill.national_phone(citizen.phone)}
    context = _form_context(
        version,
        settings.PROVINCE_CODE,
        values,
        error,
        verified=prefill.prefilled(citizen) if citizen else None,
        stored=_stored_copies(version, citizen),
    )
    context |= {"citizen": citizen, "represent": values.get("represent", "")}
    if citizen:
        context["guardian"] = _guardian_of(citizen)
    status = 400 if error else 200
    return render(request, "dossiers/apply.html", context, status=status)


def _login_needed(
    request: HttpRequest, version: ProcedureVersion, needed: int, citizen: Citizen | None
) -> HttpResponse:
    """The procedure needs a login (or a higher level, "step-up"): say so, offer the login at
    the level needed, and refuse a POST, which changes nothing."""
    return render(
        request,
        "dossiers/apply_login.html",
        {
            "version": version,
            "needed": needed,
            "citizen": citizen,
            "login_url": login_url(request.path, needed),
        },
        status=403 if request.method == "POST" else 200,
    )


def _guardian_of(citizen: Citizen) -> intake.Representation | MotcuaError | None:
    """Who files for a child, or why nobody can."""
    try:
        return prefill.guardian_representation(citizen)
    except MotcuaError as problem:
        return problem


def _stored_copies(version: ProcedureVersion, citizen: Citizen | None) -> dict[str, StoredDocument]:
    """Online, the store's copies are offered only to their owner, logged in with e-ID."""
    if citizen is None:
        return {}
    return store_selectors.reusable_documents(
        version.documents,
        citizen.id_number,
        province_code=settings.PROVINCE_CODE,
        on=timezone.localdate(),
    )


def track(request: HttpRequest) -> HttpResponse:
    """Follow a dossier by its code and the secret printed in the slip's QR code."""
    limit_public(request, "tracking")
    code, secret = request.GET.get("code", "").strip(), request.GET.get("s", "").strip()
    dossier = None
    not_found = False
    if code or secret:
        try:
            dossier = selectors.tracked_dossier(code, secret)
        except MotcuaError:
            not_found = True
    context: dict[str, Any] = {
        "code": code,
        "secret": secret,
        "dossier": dossier,
        "not_found": not_found,
    }
    if dossier is not None:
        payments = payment_selectors.payments_for(dossier.code)
        payment = payments[-1] if payments else None
        obligation = payment_selectors.open_payment(processing.obligation_reference(dossier))
        context |= {
            "events": list(dossier.events.all()),
            "slips": list(dossier.slips.all()),
            "documents": list(dossier.documents.all()),
            "awaits_supplement": dossier.status == Status.SUPPLEMENT,
            "may_ask_to_stop": dossier.status in workflow.STOPPABLE,
            "result": Result.objects.filter(dossier=dossier).exclude(signed_at=None).first()
            if dossier.status in (Status.PROCESSED, Status.RETURNED)
            else None,
            "payment": payment,
            "payment_token": payment_token(payment) if payment else "",
            "obligation": obligation,
            "obligation_token": payment_token(obligation) if obligation else "",
            "fee_text": money(dossier.fee_amount) if dossier.fee_amount else "",
            "return_to": printing.tracking_path(dossier),
        }
    return render(request, "dossiers/track.html", context, status=404 if not_found else 200)


@require_POST
def track_supplement(request: HttpRequest) -> HttpResponse:
    """The applicant uploads what the supplement request asked for."""
    limit_public(request, "online_submission")
    dossier = selectors.tracked_dossier(request.POST.get("code", ""), request.POST.get("s", ""))
    _supplement(request, dossier, actor=None)
    return redirect(printing.tracking_path(dossier))


def _supplement(request: HttpRequest, dossier: Dossier, *, actor: Any) -> None:
    """One supplement from a page: files, and papers handed in at the counter (staff only)."""
    codes = list(dossier.documents.values_list("requirement", flat=True))
    files, on_paper = webforms.handed_in(request, codes, counter=actor is not None)
    try:
        services.supplement_dossier(
            dossier=dossier,
            files=files,
            on_paper=on_paper,
            actor=actor,
            ip=audit.client_ip(request),
        )
    except MotcuaError as problem:
        webforms.flash_refusal(request, problem)
    else:
        messages.success(request, _("The documents were added; the dossier will be checked again."))


def _outcome(request: HttpRequest) -> services.Outcome:
    """The decision buttons' POST: the decision, its one-per-line items, the revision read."""
    decision = request.POST.get("decision", "")
    revision = request.POST.get("revision", "")
    return services.Outcome(
        decision,
        tuple(request.POST.get(f"items_{decision}", "").splitlines()),
        int(revision) if revision.isdigit() else None,
    )


@require_POST
def track_stop(request: HttpRequest) -> HttpResponse:
    """The applicant asks to stop the processing of their dossier."""
    limit_public(request, "tracking")
    dossier = selectors.tracked_dossier(request.POST.get("code", ""), request.POST.get("s", ""))
    try:
        processing.request_stop(
            dossier=dossier, reason=request.POST.get("reason", ""), ip=audit.client_ip(request)
        )
    except MotcuaError as problem:
        webforms.flash_refusal(request, problem)
    else:
        messages.success(request, _("Your request to stop was sent to the service point."))
    return redirect(printing.tracking_path(dossier))


def tracked_result(request: HttpRequest) -> HttpResponse:
    """The applicant downloads their signed result (delivered online)."""
    limit_public(request, "tracking")
    dossier = selectors.tracked_dossier(request.GET.get("code", ""), request.GET.get("s", ""))
    result = Result.objects.filter(dossier=dossier).exclude(signed_at=None).first()
    if result is None or dossier.status not in (Status.PROCESSED, Status.RETURNED):
        raise NotFound()
    return results.result_response(result)


def tracked_slip(request: HttpRequest, slip_id: int) -> HttpResponse:
    limit_public(request, "tracking")
    dossier = selectors.tracked_dossier(request.GET.get("code", ""), request.GET.get("s", ""))
    return printing.slip_response(dossier, slip_id)


# Staff pages -------------------------------------------------------------------------------


@permission_required("dossier.view")
def dossier_list(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request)
    status_text = request.GET.get("status", "")
    status = (
        int(status_text) if status_text.isdigit() and int(status_text) in Status.values else None
    )
    query = request.GET.get("q", "")[:100]
    found = selectors.dossiers_for(principal, status=status, query=query)
    page = Paginator(found, 25).get_page(request.GET.get("page"))
    points = receiving_points(principal)
    context = {
        "page": page,
        "q": query,
        "status": status,
        "statuses": Status.choices,
        "waiting": selectors.awaiting_receipt(principal).count(),
        "now": timezone.now(),
        "may_receive": principal.has("dossier.receive") and bool(points),
        # New and decided dossiers of the officer's points refresh the list as they happen.
        "live_topics": " ".join(f"service_point.{point.pk}" for point in points),
    }
    template = "dossiers/_results.html" if request.htmx else "dossiers/list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@permission_required("dossier.receive")
def receive_choose(request: HttpRequest) -> HttpResponse:
    """The counter: pick the procedure of the walk-in's request."""
    query = request.GET.get("q", "")[:100]
    return render(
        request,
        "dossiers/receive_choose.html",
        {
            "q": query,
            "procedures": catalogue.offered_procedures(query=query)[:50],
            # The queue ticket of the citizen at the counter (from the counter console).
            "ticket": request.GET.get("ticket", "").strip()[:20],
        },
    )


@permission_required("dossier.receive")
def receive(request: HttpRequest, code: str) -> HttpResponse:
    """The counter form: the applicant, the procedure's data, the documents checklist, and the
    officer's decision, filed as one action."""
    principal = principal_of(request)
    version = catalogue.offered_procedure(code)
    points = receiving_points(principal)
    values: dict[str, Any] = {}
    error = None
    if request.method == "POST":
        submission, values = webforms.read_submission(request, version, counter=True)
        try:
            point_text = values.get("service_point", "")
            point = receiving_point_for(
                principal, int(point_text) if point_text.isdigit() else None
            )
            dossier = services.submit_dossier(
                submission=submission,
                channel=Channel.POST
                if request.POST.get("channel") == Channel.POST
                else Channel.COUNTER,
                actor=request.user,
                point=point,
                key=webforms.submission_key(request, submission.applicant.id_number),
                outcome=_outcome(request),
                ip=audit.client_ip(request),
            )
        except MotcuaError as problem:
            error = problem
        else:
            messages.success(
                request,
                _("Dossier %(code)s: %(status)s.")
                % {"code": dossier.code, "status": dossier.get_status_display()},
            )
            return redirect("dossiers:detail", code=dossier.code)
    if not values and points:
        values = {"commune": points[0].commune.code if points[0].commune else ""}
    if request.method == "GET":
        values["queue_ticket"] = request.GET.get("ticket", "").strip()[:20]
    context = _form_context(version, points[0].province.code if points else "", values, error)
    context["points"] = points
    context["selected_point"] = values.get("service_point", "")
    context["queue_ticket"] = values.get("queue_ticket", "")
    return render(request, "dossiers/receive.html", context, status=400 if error else 200)


@permission_required("dossier.view")
def detail(request: HttpRequest, code: str) -> HttpResponse:
    principal = principal_of(request)
    dossier = selectors.dossier_for(principal, code, request=request)
    return render(
        request,
        "dossiers/detail.html",
        {
            "dossier": dossier,
            "verified": bool(dossier.eid_level) and intake.still_verified(dossier),
            "data_rows": [
                (field.title, dossier.data[field.name])
                for field in eforms.form_fields(dossier.version.spec["form"])
                if field.name in dossier.data
            ],
            "documents": list(dossier.documents.all()),
            "events": list(dossier.events.select_related("actor")),
            "slips": list(dossier.slips.all()),
            "payments": payment_selectors.payments_for(dossier.code),
            "open_payment": payment_selectors.open_payment(dossier.code),
            "open_obligation": payment_selectors.open_payment(
                processing.obligation_reference(dossier)
            ),
            "may_collect": principal.has("dossier.receive"),
            # TT 01/2023 exempts dossiers filed online (they are electronic already).
            "may_digitise": principal.has("document.digitise")
            and dossier.channel != Channel.ONLINE
            and dossier.receiving_point_id in principal.service_point_ids,
            "may_decide": principal.has("dossier.receive")
            and dossier.status in services.AWAITING_RECEIPT
            and dossier.received_at is None,
            "may_supplement": principal.has("dossier.receive")
            and dossier.status == Status.SUPPLEMENT,
            # The page (interop.transfers) checks the agency; this only offers the link.
            "may_transfer": principal.has("dossier.approve")
            and dossier.status in workflow.IN_PROCESS
            and dossier.step != processing.TRANSFERRED_STEP
            and not dossier.origin_code,
            "fee_text": money(dossier.fee_amount)
            if dossier.fee_amount is not None
            else _("set by the province"),
            "tracking_url": printing.tracking_url(dossier),
            **processing_context(request, dossier),
        },
    )


@require_POST
@permission_required("dossier.receive")
def decide(request: HttpRequest, code: str) -> HttpResponse:
    principal = principal_of(request)
    dossier = selectors.dossier_for(principal, code, request=request)
    try:
        services.decide(
            dossier=dossier,
            outcome=_outcome(request),
            actor=request.user,
            ip=audit.client_ip(request),
        )
    except MotcuaError as problem:
        webforms.flash_refusal(request, problem)
    return redirect("dossiers:detail", code=code)


@require_POST
@permission_required("dossier.receive")
def supplement(request: HttpRequest, code: str) -> HttpResponse:
    dossier = selectors.dossier_for(principal_of(request), code, request=request)
    _supplement(request, dossier, actor=request.user)
    return redirect("dossiers:detail", code=code)


@require_POST
@permission_required("dossier.receive")
def settle_fee(request: HttpRequest, code: str) -> HttpResponse:
    """The counter collects the fee (cash or card) or records an exemption with its reason."""
    dossier = selectors.dossier_for(principal_of(request), code, request=request)
    # The fee, or (asked for during processing) the financial obligation.
    obligation = request.POST.get("obligation") == "1"
    reference = processing.obligation_reference(dossier) if obligation else dossier.code
    payment = payment_selectors.open_payment(reference)
    how = request.POST.get("method", "")
    try:
        if payment is None:
            raise MotcuaError(
                _("No fee is owed for this dossier."), code="nothing_owed", status=409
            )
        if how == "exempt":
            payments.exempt_payment(
                payment=payment,
                reason=request.POST.get("reason", ""),
                actor=request.user,
                ip=audit.client_ip(request),
            )
        else:
            payments.record_counter_payment(
                payment=payment, method=how, actor=request.user, ip=audit.client_ip(request)
            )
    except MotcuaError as problem:
        webforms.flash_refusal(request, problem)
    else:
        messages.success(request, _("The fee of dossier %(code)s is settled.") % {"code": code})
    return redirect("dossiers:detail", code=code)


@permission_required("dossier.view")
def document_file(request: HttpRequest, code: str, document_id: int) -> FileResponse:
    """An uploaded or scanned document of a dossier of the officer's jurisdiction (the read is
    audited with the dossier's)."""
    dossier = selectors.dossier_for(principal_of(request), code, request=request)
    document = dossier.documents.filter(pk=document_id).exclude(file="").first()
    if document is None:
        raise NotFound()
    return files.document_response(document)


@permission_required("dossier.view")
def slip_pdf(request: HttpRequest, code: str, slip_id: int) -> HttpResponse:
    dossier = selectors.dossier_for(principal_of(request), code, request=request)
    return printing.slip_response(dossier, slip_id)
