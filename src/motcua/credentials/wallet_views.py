"""The citizen's wallet page: the credentials of their results, and an offer that puts one
into their wallet app (QR code or deep link, plus the transaction code to type in)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from motcua.core.errors import MotcuaError
from motcua.core.ratelimits import limit_public
from motcua.credentials import offers, selectors
from motcua.dossiers.slips import qr_data_uri
from motcua.identity.rp import Citizen
from motcua.identity.session import current_citizen, login_url


def _login(request: HttpRequest) -> HttpResponse:
    return redirect(login_url(reverse("credentials:wallet")))


def _wallet_page(
    request: HttpRequest, citizen: Citizen, error: MotcuaError | None = None
) -> HttpResponse:
    return render(
        request,
        "credentials/wallet.html",
        {
            "citizen": citizen,
            "credentials": selectors.credentials_of(citizen.id_number),
            "error": error,
        },
        status=error.status if error else 200,
    )


@require_GET
def wallet(request: HttpRequest) -> HttpResponse:
    citizen = current_citizen(request)
    if citizen is None:
        return _login(request)
    return _wallet_page(request, citizen)


@require_POST
def offer(request: HttpRequest, pk: int) -> HttpResponse:
    """A new offer of one of the citizen's credentials (a POST: it replaces the older offer)."""
    limit_public(request, "wallet_offer")
    citizen = current_citizen(request)
    if citizen is None:
        return _login(request)
    credential = selectors.credential_of(citizen.id_number, pk)
    try:
        offer_json, deep_link, tx_code = offers.create_offer(credential)
    except MotcuaError as problem:
        return _wallet_page(request, citizen, problem)
    response = render(
        request,
        "credentials/wallet_offer.html",
        {
            "credential": credential,
            "deep_link": deep_link,
            "qr": qr_data_uri(deep_link),
            "tx_code": tx_code,
            "expires_at": credential.offers.latest("created_at").expires_at,
            "issuer": offer_json["credential_issuer"],
        },
    )
    # The page shows a live code: never from a cache, nor the back button of a shared phone.
    response["Cache-Control"] = "no-store"
    return response
