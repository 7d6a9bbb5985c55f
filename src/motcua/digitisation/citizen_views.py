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
from motcua.digitisation import citizens, doctypes, selectors


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
        {"owner": owner, "documents": documents, "accesses": selectors.accesses_of(owner)[:200]},
    )


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
