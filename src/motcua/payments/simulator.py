"""The demo payment gateway: it plays VNPay or PayGov for `DemoGatewayProvider`, served by this
process under /payments/gateway/. It is on only while MOTCUA_PAYMENT_PROVIDER is "demo".

It keeps no state of its own beyond what the merchant's signed request carries, except a cache
entry per transaction reference, so that a second submit of the same order (a double click, the
back button) replays the first answer instead of paying twice.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from motcua.catalogue.presentation import money
from motcua.core.ratelimits import limit_public
from motcua.payments.providers import (
    CANCELLED_BY_CUSTOMER,
    DEMO_MERCHANT,
    EXPIRED,
    SUCCESS,
    gateway_params,
    gateway_time,
    parse_gateway_time,
    payment_secret,
    signature_valid,
    signed,
)
from motcua.payments.tasks import deliver_ipn

DECISIONS = ("pay", "cancel")
# How long the gateway remembers its answer to a transaction reference.
ANSWER_TTL = timedelta(days=1)
REQUIRED = ("gw_txn_ref", "gw_amount", "gw_return_url", "gw_expire_date", "gw_order_info")


@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest) -> HttpResponse:
    """GET: the order page with Pay and Cancel. POST: the citizen's decision, sent back to the
    merchant's return URL (and, by a job, to its IPN endpoint) as a signed result."""
    if settings.PAYMENT_PROVIDER != "demo":
        raise Http404()
    limit_public(request, "payments-gateway")
    source = request.POST if request.method == "POST" else request.GET
    params = gateway_params(source.dict())
    if not _valid_request(params):
        return render(request, "payments/gateway_refused.html", status=400)
    expired = timezone.now() > parse_gateway_time(params["gw_expire_date"])
    if request.method == "GET":
        return render(
            request,
            "payments/gateway_pay.html",
            {
                "params": params,
                "merchant": params["gw_merchant"],
                "order_info": params["gw_order_info"],
                "txn_ref": params["gw_txn_ref"],
                "amount_text": money(int(params["gw_amount"])),
                "expired": expired,
            },
        )
    decision = request.POST.get("decision", "")
    if decision not in DECISIONS:
        return render(request, "payments/gateway_refused.html", status=400)
    answer = _answer(params, decision, expired=expired)
    return_url = params["gw_return_url"]
    separator = "&" if "?" in return_url else "?"
    return HttpResponseRedirect(f"{return_url}{separator}{urlencode(answer)}")


def _valid_request(params: dict[str, str]) -> bool:
    if not signature_valid(params, payment_secret()):
        return False
    if params.get("gw_command") != "pay" or params.get("gw_merchant") != DEMO_MERCHANT:
        return False
    if any(not params.get(name) for name in REQUIRED):
        return False
    if not params["gw_amount"].isdigit() or int(params["gw_amount"]) <= 0:
        return False
    if not params["gw_return_url"].startswith(("http://", "https://")):
        return False
    try:
        parse_gateway_time(params["gw_expire_date"])
    except ValueError:
        return False
    return True


def _answer(params: dict[str, str], decision: str, *, expired: bool) -> dict[str, str]:
    """The signed result of this transaction: the first one given, if it was answered before."""
    key = f"motcua.payments.gateway:{params['gw_merchant']}:{params['gw_txn_ref']}"
    answer = _result(params, decision, expired=expired)
    with transaction.atomic():
        if cache.add(key, answer, timeout=int(ANSWER_TTL.total_seconds())):
            deliver_ipn.enqueue_on_commit(answer)
            return answer
    remembered = cache.get(key)
    return remembered if isinstance(remembered, dict) else answer


def _result(params: dict[str, str], decision: str, *, expired: bool) -> dict[str, str]:
    if expired:
        code, status, number = EXPIRED, "02", "0"
    elif decision == "pay":
        code, status, number = SUCCESS, "00", f"{secrets.randbelow(10**14):014d}"
    else:
        code, status, number = CANCELLED_BY_CUSTOMER, "02", "0"
    return signed(
        {
            "gw_merchant": params["gw_merchant"],
            "gw_txn_ref": params["gw_txn_ref"],
            "gw_amount": params["gw_amount"],
            "gw_order_info": params["gw_order_info"],
            "gw_response_code": code,
            "gw_transaction_no": number,
            "gw_transaction_status": status,
            "gw_bank_code": "MOTCUA",
            "gw_pay_date": gateway_time(timezone.now()),
        },
        payment_secret(),
    )
