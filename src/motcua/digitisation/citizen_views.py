"""The citizen's page of their document store: every document, and who opened or used which,
when and for which dossier. Public pages: signed in by a one-time code (motcua.digitisation.
citizens), rate-limited."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from motcua.core.errors import MotcuaError, NotFound
from motcua.core.ratelimits import limit_public
from motcua.digitisation import citizens, doctypes, selectors, services
from motcua.digitisation.models import Digitisation
from motcua.dossiers import webforms
from motcua.dossiers.intake import UploadedFile
from motcua.organisation.models import ServicePoint


def my_store(request: HttpRequest) -> HttpResponse:
    owner = citizens.signed_in_owner(request)
    if owner is None:
        return render(
            request,
            "digitisation/my_store_sign_in.html",
            {"code_sent": citizens.code_pending(request)},
        )
    names = {code: kind.name for code, kind in doctypes.DOCUMENT_TYPES.items()}
    documents = [
        (document, names.get(document.document_type, "")) for document in selectors.store_of(owner)
    ]
    return render(
        request,
        "digitisation/my_store.html",
        {
            "owner": owner,
            "documents": documents,
            "accesses": selectors.accesses_of(owner)[:200],
            "scans": Digitisation.objects.filter(owner_id=owner)
            .exclude(state__in=[Digitisation.State.CONFIRMED, Digitisation.State.DISCARDED])
            .select_related("service_point"),
        },
    )


def kiosk_scan(request: HttpRequest, point_code: str) -> HttpResponse:
    """Self-service digitisation at a centre's kiosk: the signed-in citizen scans their papers;
    the scan waits at the centre's station until an officer, seeing the paper, confirms it."""
    point = ServicePoint.objects.filter(code=point_code, active=True).first()
    if point is None:
        raise NotFound()
    owner = citizens.signed_in_owner(request)
    if owner is None:
        messages.info(request, _("Sign in to your document store first."))
        return redirect("my_store:home")
    error = None
    if request.method == "POST":
        limit_public(request, "kiosk_scan")
        pages = request.POST.get("declared_pages", "").strip()
        try:
            item = services.start_digitisation(
                owner_id=owner,
                owner_name=citizens.owner_name(owner),
                document_type=request.POST.get("document_type", ""),
                declared_pages=int(pages) if pages.isdigit() else 0,
                files=[
                    UploadedFile(upload.name or "scan", upload.read())
                    for upload in request.FILES.getlist("files")
                ],
                point=point,
                actor=None,
                key=webforms.submission_key(request, owner),
            )
        except MotcuaError as problem:
            error = problem
        else:
            return redirect("my_store:scan_status", pk=item.pk)
    return render(
        request,
        "digitisation/kiosk_scan.html",
        {
            "point": point,
            "types": [(code, kind.name) for code, kind in doctypes.DOCUMENT_TYPES.items()],
            "error": error,
            "errors": error.fields if error else {},
            "form_token": webforms.new_token(),
        },
        status=400 if error else 200,
    )


def scan_status(request: HttpRequest, pk: int) -> HttpResponse:
    owner = citizens.signed_in_owner(request)
    scan = Digitisation.objects.filter(pk=pk, owner_id=owner).first() if owner else None
    if scan is None:
        raise NotFound()
    partial = request.htmx  # type: ignore[attr-defined]
    template = "digitisation/_kiosk_status.html" if partial else "digitisation/kiosk_status.html"
    return render(request, template, {"scan": scan, "active": scan.state in services.ACTIVE})


@require_POST
def ask_code(request: HttpRequest) -> HttpResponse:
    limit_public(request, "store_code")
    try:
        citizens.send_code(request, request.POST.get("id_number", ""))
    except MotcuaError as problem:
        messages.error(request, problem.message)
    else:
        messages.info(
            request,
            _(
                "If this number has a phone or email on a dossier, a code was sent to it. "
                "Enter it below."
            ),
        )
    return redirect("my_store:home")


@require_POST
def enter_code(request: HttpRequest) -> HttpResponse:
    limit_public(request, "store_code")
    try:
        citizens.verify_code(request, request.POST.get("code", ""))
    except MotcuaError as problem:
        messages.error(request, problem.message)
    return redirect("my_store:home")


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    citizens.sign_out(request)
    return redirect("my_store:home")


def my_file(request: HttpRequest, pk: int) -> FileResponse:
    owner = citizens.signed_in_owner(request)
    document = selectors.store_of(owner).filter(pk=pk).first() if owner else None
    if document is None or not document.file:
        raise NotFound()
    return FileResponse(
        document.file.open("rb"), content_type="application/pdf", filename=f"{document.pk}.pdf"
    )
