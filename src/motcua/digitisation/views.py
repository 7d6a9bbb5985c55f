"""Pages of the digitisation station (scan, watch the OCR, confirm the fields) and of the
document store (search, open a document and its access log). Each calls one service or
selector, the same ones as the API."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from motcua.catalogue import selectors as catalogue
from motcua.core import audit
from motcua.core.access import permission_required, principal_of
from motcua.core.errors import MotcuaError, NotFound
from motcua.digitisation import doctypes, national, selectors, services, store
from motcua.digitisation.models import Digitisation, DocumentAccess, StoredDocument
from motcua.dossiers import selectors as dossier_selectors
from motcua.dossiers import webforms
from motcua.dossiers.intake import UploadedFile
from motcua.dossiers.models import Dossier
from motcua.dossiers.points import receiving_point_for, receiving_points

LISTED = 50


def _type_choices() -> list[tuple[str, str]]:
    return [(code, kind.name) for code, kind in doctypes.DOCUMENT_TYPES.items()]


@permission_required("document.digitise")
def station(request: HttpRequest) -> HttpResponse:
    """The station: a new scan (for a dossier's paper, or straight into a store) and the
    point's scans under way or waiting for confirmation."""
    principal = principal_of(request)
    points = receiving_points(principal)
    dossier, requirement = _dossier_document(request)
    values: dict[str, Any] = _initial(dossier, requirement)
    error = None
    if request.method == "POST":
        values = {key: request.POST.get(key, "") for key in request.POST}
        files = [
            UploadedFile(upload.name or "scan", upload.read())
            for upload in request.FILES.getlist("files")
        ]
        pages_text = values.get("declared_pages", "").strip()
        try:
            point_text = values.get("service_point", "")
            item = services.start_digitisation(
                owner_id=values.get("owner_id", ""),
                owner_name=values.get("owner_name", ""),
                document_type=values.get("document_type", ""),
                declared_pages=int(pages_text) if pages_text.isdigit() else 0,
                files=files,
                point=receiving_point_for(
                    principal, int(point_text) if point_text.isdigit() else None
                ),
                actor=request.user,
                dossier=dossier,
                requirement=requirement,
                key=_key(request),
                ip=audit.client_ip(request),
            )
        except MotcuaError as problem:
            error = problem
        else:
            return redirect("digitisation:item", pk=item.pk)
    items = selectors.digitisations_for(principal).exclude(
        state__in=[Digitisation.State.CONFIRMED, Digitisation.State.DISCARDED]
    )[:LISTED]
    context = {
        "points": points,
        "values": values,
        "error": error,
        "errors": error.fields if error else {},
        "types": _type_choices(),
        "dossier": dossier,
        "requirement": requirement,
        "requirement_name": _requirement_name(dossier, requirement),
        "items": items,
        "form_token": values.get("form_token") or webforms.new_token(),
    }
    return render(request, "digitisation/station.html", context, status=400 if error else 200)


def _dossier_document(request: HttpRequest) -> tuple[Dossier | None, str]:
    """The dossier and the document of it a scan is for (?dossier=CODE&requirement=CODE)."""
    code = (request.POST.get("dossier") or request.GET.get("dossier", "")).strip()
    if not code:
        return None, ""
    dossier = dossier_selectors.dossier_for(principal_of(request), code, request=request)
    requirement = (request.POST.get("requirement") or request.GET.get("requirement", "")).strip()
    return dossier, requirement


def _initial(dossier: Dossier | None, requirement: str) -> dict[str, Any]:
    if dossier is None:
        return {}
    accepts: list[str] = next(
        (d.get("accepts", []) for d in dossier.version.documents if d["code"] == requirement), []
    )
    return {
        "owner_id": dossier.applicant_id_number,
        "owner_name": dossier.applicant_name,
        "document_type": accepts[0] if accepts else "",
    }


def _requirement_name(dossier: Dossier | None, requirement: str) -> str:
    if dossier is None:
        return ""
    return next((d["name"] for d in dossier.version.documents if d["code"] == requirement), "")


def _key(request: HttpRequest) -> str | None:
    # The form's one-time token: a double click or a resent form finds the first scan.
    return webforms.submission_key(request, "scan")


@permission_required("document.digitise")
def item(request: HttpRequest, pk: int) -> HttpResponse:
    """One scan: its progress while read, then its fields to confirm."""
    scan = selectors.digitisation_for(principal_of(request), pk)
    type_code = request.GET.get("type", "") or scan.detected_type or scan.document_type
    if type_code not in doctypes.DOCUMENT_TYPES:
        type_code = "other"
    context = _item_context(scan, type_code, _suggested(scan, type_code), None)
    template = "digitisation/_item_status.html" if request.htmx else "digitisation/item.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def _suggested(scan: Digitisation, type_code: str) -> dict[str, str]:
    """The fields as read: for another type than recognised, read again from the text."""
    if type_code == scan.detected_type:
        return dict(scan.fields)
    return doctypes.extract(type_code, scan.text)


def _item_context(
    scan: Digitisation, type_code: str, values: dict[str, str], error: MotcuaError | None
) -> dict[str, Any]:
    errors = error.fields if error else {}
    kind = doctypes.DOCUMENT_TYPES[type_code]
    return {
        "scan": scan,
        "type_code": type_code,
        "types": _type_choices(),
        "fields": [
            {
                "name": spec.name,
                "label": spec.label,
                "kind": spec.kind,
                "required": spec.required,
                "value": values.get(spec.name, ""),
                "errors": [str(m) for m in errors.get(f"fields.{spec.name}", ())],
            }
            for spec in kind.fields
        ],
        "error": error,
        "active": scan.state in services.ACTIVE,
        "percent": round(100 * scan.pages_done / scan.pages_total) if scan.pages_total else 0,
    }


@require_POST
@permission_required("document.digitise")
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    scan = selectors.digitisation_for(principal_of(request), pk)
    type_code = request.POST.get("document_type", "")
    values = {
        key[len("field.") :]: request.POST.get(key, "").strip()
        for key in request.POST
        if key.startswith("field.")
    }
    revision = request.POST.get("revision", "")
    try:
        document = services.confirm_digitisation(
            item=scan,
            document_type=type_code,
            values=values,
            actor=request.user,
            revision=int(revision) if revision.isdigit() else None,
            ip=audit.client_ip(request),
        )
    except MotcuaError as problem:
        if type_code not in doctypes.DOCUMENT_TYPES:
            type_code = "other"
        context = _item_context(scan, type_code, values, problem)
        return render(request, "digitisation/item.html", context, status=problem.status)
    messages.success(
        request, _("Stored in the document store of %(owner)s.") % {"owner": document.owner_name}
    )
    if scan.dossier is not None:
        return redirect("dossiers:detail", code=scan.dossier.code)
    return redirect("digitisation:document", pk=document.pk)


@require_POST
@permission_required("document.digitise")
def retry(request: HttpRequest, pk: int) -> HttpResponse:
    scan = selectors.digitisation_for(principal_of(request), pk)
    try:
        services.retry_digitisation(item=scan, actor=request.user, ip=audit.client_ip(request))
    except MotcuaError as problem:
        webforms.flash_refusal(request, problem)
    return redirect("digitisation:item", pk=pk)


@require_POST
@permission_required("document.digitise")
def discard(request: HttpRequest, pk: int) -> HttpResponse:
    scan = selectors.digitisation_for(principal_of(request), pk)
    try:
        services.discard_digitisation(item=scan, actor=request.user, ip=audit.client_ip(request))
    except MotcuaError as problem:
        webforms.flash_refusal(request, problem)
        return redirect("digitisation:item", pk=pk)
    messages.success(request, _("The scan was discarded."))
    return redirect("digitisation:station")


@permission_required("document.digitise")
def searchable_pdf(request: HttpRequest, pk: int) -> FileResponse:
    """The searchable PDF/A as read, for the officer to compare with the paper."""
    scan = selectors.digitisation_for(principal_of(request), pk)
    if not scan.searchable:
        raise NotFound()
    return FileResponse(
        scan.searchable.open("rb"), content_type="application/pdf", filename=f"scan-{pk}.pdf"
    )


@permission_required("document.view")
def documents(request: HttpRequest) -> HttpResponse:
    """Search the store of one's jurisdiction by text (with or without diacritics), owner and
    type."""
    principal = principal_of(request)
    query = request.GET.get("q", "")[:200]
    owner_id = request.GET.get("owner", "")[:14]
    type_code = request.GET.get("type", "")
    searched = bool(query.strip() or owner_id.strip() or type_code)
    found = (
        list(
            selectors.documents_for(
                principal, query=query, owner_id=owner_id, document_type=type_code
            )[: selectors.SEARCH_LIMIT]
        )
        if searched
        else []
    )
    if searched:
        store.log_search(
            actor=request.user,
            criteria={"q": query, "owner": owner_id, "type": type_code},
            hits=len(found),
            ip=audit.client_ip(request),
        )
    context = {
        "q": query,
        "owner": owner_id,
        "type": type_code,
        "types": _type_choices(),
        "searched": searched,
        "found": found,
        "limit": selectors.SEARCH_LIMIT,
        "may_fetch": principal.has("document.digitise"),
    }
    return render(request, "digitisation/documents.html", context)


@permission_required("document.view")
def document(request: HttpRequest, pk: int) -> HttpResponse:
    stored = selectors.document_for(principal_of(request), pk)
    store.record_access(stored, request.user, DocumentAccess.Purpose.VIEW)
    return render(
        request,
        "digitisation/document.html",
        {
            "document": stored,
            "type_name": _type_name(stored),
            "field_rows": _field_rows(stored),
            "accesses": stored.accesses.select_related("dossier")[:100],
            "uses": stored.uses.select_related("dossier")[:100],
            "may_withdraw": principal_of(request).has("document.digitise")
            and stored.revoked_at is None,
        },
    )


def _type_name(stored: StoredDocument) -> str:
    kind = doctypes.DOCUMENT_TYPES.get(stored.document_type)
    return kind.name if kind else stored.document_type


def _field_rows(stored: StoredDocument) -> list[tuple[str, str]]:
    kind = doctypes.DOCUMENT_TYPES.get(stored.document_type)
    specs = {spec.name: spec for spec in kind.fields} if kind else {}
    rows = []
    for name, value in stored.fields.items():
        spec = specs.get(name)
        if not value:
            continue
        rows.append((spec.label if spec else name, _shown(spec, str(value))))
    return rows


@require_POST
@permission_required("document.digitise")
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    stored = selectors.document_for(principal_of(request), pk)
    try:
        store.withdraw_document(
            document=stored,
            reason=request.POST.get("reason", ""),
            actor=request.user,
            ip=audit.client_ip(request),
        )
    except MotcuaError as problem:
        webforms.flash_refusal(request, problem)
    else:
        messages.success(request, _("The document is withdrawn: no dossier will take it now."))
    return redirect("digitisation:document", pk=pk)


def _shown(spec: doctypes.FieldSpec | None, value: str) -> str:
    """Dates as Vietnamese write them; anything else as stored."""
    if spec is None or spec.kind != doctypes.DATE:
        return value
    try:
        return date_format(dt.date.fromisoformat(value), "d/m/Y")
    except ValueError:
        return value


@permission_required("document.view")
def document_file(request: HttpRequest, pk: int) -> FileResponse:
    stored = selectors.document_for(principal_of(request), pk)
    if not stored.file:
        raise NotFound()
    store.record_access(stored, request.user, DocumentAccess.Purpose.DOWNLOAD)
    return FileResponse(
        stored.file.open("rb"), content_type="application/pdf", filename=f"{stored.pk}.pdf"
    )


@require_POST
@permission_required("document.digitise")
def fetch_national(request: HttpRequest) -> HttpResponse:
    """Fetch the owner's civil status or business registration records into the store."""
    principal = principal_of(request)
    owner_id = request.POST.get("owner", "").strip()[:14]
    try:
        point = receiving_point_for(principal, None)
        stored = store.store_national_records(
            owner_id=owner_id,
            databases=national.national_databases(),
            province=point.province,
            actor=request.user,
        )
    except MotcuaError as problem:
        webforms.flash_refusal(request, problem)
    else:
        messages.success(
            request,
            _("%(count)s records of the national databases are in the store.")
            % {"count": len(stored)},
        )
    return redirect(f"{reverse('digitisation:documents')}?{urlencode({'owner': owner_id})}")


@permission_required("dossier.receive")
def reusable(request: HttpRequest) -> HttpResponse:
    """The counter form's note of what the applicant's store already holds for the chosen
    procedure: those documents are attached without asking for them again."""
    principal = principal_of(request)
    version = catalogue.offered_procedure(request.GET.get("procedure", ""))
    owner_id = request.GET.get("applicant.id_number", "").replace(" ", "")[:14]
    points = receiving_points(principal)
    matches: list[tuple[dict[str, Any], StoredDocument]] = []
    if owner_id and points:
        held = selectors.reusable_documents(
            version.documents,
            owner_id,
            province_code=points[0].province.code,
            on=timezone.localdate(),
        )
        matches = [(d, held[d["code"]]) for d in version.documents if d["code"] in held]
        for stored in {stored.pk: stored for _r, stored in matches}.values():
            store.record_access(stored, request.user, DocumentAccess.Purpose.LOOKUP)
    return render(request, "digitisation/_reusable.html", {"matches": matches})
