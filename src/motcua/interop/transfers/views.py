"""Transfer endpoints. Between instances (no session, no CSRF: the signed envelope is the only
credential): the public keys, the inbox for dossiers, the status endpoint for dossiers sent
out and the applicant's answers (supplements, payments) for dossiers received. For staff: the
transfer page of a dossier."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from motcua.core import audit
from motcua.core.access import permission_required, principal_of
from motcua.core.errors import MotcuaError
from motcua.core.middleware import same_in_every_language
from motcua.dossiers import selectors as dossier_selectors
from motcua.dossiers import webforms
from motcua.interop.transfers import content, keys, selectors, services

# The documents plus the envelope and the multipart framing.
MAX_REQUEST_BYTES = content.MAX_DOCUMENTS_BYTES + 1024 * 1024


@require_GET
@cache_control(public=True, max_age=3600)
def jwks(request: HttpRequest) -> HttpResponse:
    return same_in_every_language(JsonResponse(keys.public_jwks()))


def _from_peer(request: HttpRequest, receive: Callable[..., dict[str, Any]]) -> HttpResponse:
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_REQUEST_BYTES:
        error = MotcuaError(_("The transfer is too large."), code="too_large", status=413)
        return JsonResponse(error.as_dict(), status=error.status)
    parts = {upload.name: upload.read() for upload in request.FILES.getlist("document")}
    try:
        answer = receive(token=request.POST.get("envelope", ""), parts=parts)
    except MotcuaError as refusal:
        return JsonResponse(refusal.as_dict(), status=refusal.status)
    return JsonResponse(answer)


@csrf_exempt
@require_POST
def inbox(request: HttpRequest) -> HttpResponse:
    """A peer's dossier: answered with a signed ack or a signed rejection."""
    return _from_peer(request, _transfer_answer)


def _transfer_answer(*, token: str, parts: dict[str, bytes]) -> dict[str, Any]:
    return {"envelope": services.receive_transfer(token=token, parts=parts)}


@csrf_exempt
@require_POST
def status(request: HttpRequest) -> HttpResponse:
    """A status change at the peer of a dossier transferred to it."""
    return _from_peer(request, services.receive_status)


@csrf_exempt
@require_POST
def applicant(request: HttpRequest) -> HttpResponse:
    """What the applicant did at the peer for a dossier transferred here: a supplement
    handed in, a financial obligation settled."""
    return _from_peer(request, services.receive_forwarded)


@permission_required("dossier.view")
def transfer(request: HttpRequest, code: str) -> HttpResponse:
    """Choose the peer instance to transfer the dossier to (the service checks the actor)."""
    dossier = dossier_selectors.dossier_for(principal_of(request), code, request=request)
    peers = selectors.active_peers()
    if request.method == "POST":
        peer = peers.filter(pk=request.POST.get("peer") or 0).first()
        try:
            if peer is None:
                raise MotcuaError(fields={"peer": [_("Choose a peer instance.")]})
            services.transfer_dossier(
                dossier=dossier,
                peer=peer,
                actor=request.user,
                note=request.POST.get("note", ""),
                ip=audit.client_ip(request),
            )
        except MotcuaError as problem:
            webforms.flash_refusal(request, problem)
            return redirect("transfers:transfer", code=code)
        messages.success(request, _("The dossier is being sent to %(peer)s.") % {"peer": peer})
        return redirect("dossiers:detail", code=code)
    return render(
        request,
        "transfers/transfer.html",
        {"dossier": dossier, "peers": peers, "transfers": selectors.transfers_of(dossier)},
    )
