"""The merchant's side of online payment: the citizen's fee page, the start (redirect to the
gateway), the browser's return, and the gateway's IPN. All public: citizens pay without a
login, and reach a payment only with its signed token."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from motcua.catalogue.presentation import money
from motcua.core.audit import client_ip
from motcua.core.errors import MotcuaError, NotFound
from motcua.core.ratelimits import limit_public
from motcua.payments import selectors, services
from motcua.payments.models import Payment, PaymentAttempt
from motcua.payments.providers import BadSignature
from motcua.payments.tokens import payment_token

# The merchant's answers to the IPN, as VNPay expects them (a protocol, not UI text).
IPN_CONFIRMED = {"RspCode": "00", "Message": "Confirm Success"}
IPN_NOT_FOUND = {"RspCode": "01", "Message": "Order not found"}
IPN_BAD_AMOUNT = {"RspCode": "04", "Message": "Invalid amount"}
IPN_BAD_SIGNATURE = {"RspCode": "97", "Message": "Invalid signature"}
IPN_ERROR = {"RspCode": "99", "Message": "Unknown error"}


@require_GET
def payment(request: HttpRequest, payment_id: int) -> HttpResponse:
    """The citizen's page of one fee (linked with its token): amount, state, "Pay online"."""
    limit_public(request, "payments")
    token = request.GET.get("token", "")
    found = selectors.payment_by_token(payment_id, token)
    return render(
        request,
        "payments/payment.html",
        {
            "payment": found,
            "amount_text": money(found.amount),
            "token": token,
            "next": _safe_next(request, request.GET.get("next", "")),
        },
    )


@require_POST
def start(request: HttpRequest, payment_id: int) -> HttpResponse:
    """Open an online attempt for a due payment and send the browser to the gateway."""
    limit_public(request, "payments")
    found = selectors.payment_by_token(payment_id, request.POST.get("token", ""))
    next_url = _safe_next(request, request.POST.get("next", ""))
    return_url = settings.PUBLIC_URL + reverse("payments:return")
    if next_url:
        return_url += "?" + urlencode({"next": next_url})
    gateway_url = services.start_online_payment(
        payment=found, return_url=return_url, ip=client_ip(request)
    )
    return HttpResponseRedirect(gateway_url)


@require_GET
def gateway_return(request: HttpRequest) -> HttpResponse:
    """The gateway sends the browser back here with its signed result: settle, then go on to
    `next` or show the result."""
    limit_public(request, "payments")
    attempt = services.settle_gateway_result(params=request.GET.dict(), ip=client_ip(request))
    found = attempt.payment
    paid = found.status == Payment.Status.PAID
    if attempt.status == PaymentAttempt.Status.SUCCEEDED:
        text = _("Payment successful.")
    elif attempt.status == PaymentAttempt.Status.CANCELLED:
        text = _("The payment was cancelled. The fee is still due.")
    else:
        text = _("The payment did not go through. The fee is still due.")
    next_url = _safe_next(request, request.GET.get("next", ""))
    if next_url:
        messages.add_message(request, messages.SUCCESS if paid else messages.WARNING, text)
        return HttpResponseRedirect(next_url)
    return render(
        request,
        "payments/result.html",
        {
            "attempt": attempt,
            "payment": found,
            "paid": paid,
            "text": text,
            "amount_text": money(found.amount),
            "payment_url": _payment_url(found),
        },
    )


@csrf_exempt
@require_POST
def ipn(request: HttpRequest) -> JsonResponse:
    """The gateway's server-to-server result (form-encoded). Idempotent: a result applied
    before is confirmed again without a second change."""
    try:
        services.settle_gateway_result(params=request.POST.dict(), ip=client_ip(request))
    except BadSignature:
        return JsonResponse(IPN_BAD_SIGNATURE)
    except NotFound:
        return JsonResponse(IPN_NOT_FOUND)
    except MotcuaError as error:
        return JsonResponse(IPN_BAD_AMOUNT if error.code == "amount_mismatch" else IPN_ERROR)
    return JsonResponse(IPN_CONFIRMED)


def _payment_url(found: Payment) -> str:
    return (
        reverse("payments:payment", args=[found.pk])
        + "?"
        + urlencode({"token": payment_token(found)})
    )


def _safe_next(request: HttpRequest, url: str) -> str:
    """`url` if it stays on this site (here or at PUBLIC_URL), else ""."""
    hosts = {request.get_host(), urlsplit(settings.PUBLIC_URL).netloc}
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts=hosts, require_https=request.is_secure()
    ):
        return url
    return ""
