"""Online payment end to end over real HTTP: the merchant (this app) and the demo gateway (the
simulator) served by a live server, the citizen's browser played by httpx with its cookies, and
the IPN delivered by the job runner over HTTP."""

from __future__ import annotations

import threading
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from django.urls import reverse
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from motcua.core.jobs import Worker
from motcua.core.models import AuditEntry
from motcua.payments import services
from motcua.payments.models import Payment, PaymentAttempt
from motcua.payments.signals import payment_settled
from motcua.payments.tokens import payment_token

pytestmark = pytest.mark.django_db(transaction=True)


class Forms(HTMLParser):
    """The forms of a page: action, method and the submitted fields (hidden inputs; buttons
    are kept apart, since only the pressed one is sent)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(
                {
                    "action": attributes.get("action", ""),
                    "method": attributes.get("method", "get"),
                    "fields": {},
                    "buttons": {},
                }
            )
        elif tag == "input" and self.forms and "name" in attributes:
            self.forms[-1]["fields"][attributes["name"]] = attributes.get("value", "")
        elif tag == "button" and self.forms and "name" in attributes:
            self.forms[-1]["buttons"][attributes["value"]] = attributes["name"]


def form_to(html: str, action: str) -> dict[str, Any]:
    parser = Forms()
    parser.feed(html)
    matching = [form for form in parser.forms if form["action"] == action]
    assert len(matching) == 1, [form["action"] for form in parser.forms]
    return matching[0]


def submit(citizen: httpx.Client, html: str, action: str, button: str | None = None) -> Any:
    form = form_to(html, action)
    assert form["method"] == "post"
    assert form["fields"].get("csrfmiddlewaretoken")
    data = dict(form["fields"])
    if button is not None:
        data[form["buttons"][button]] = button
    return citizen.post(action, data=data)


def local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def ipn_deliveries() -> Any:
    return DBTaskResult.objects.filter(task_path="motcua.payments.tasks.deliver_ipn")


def run_jobs() -> None:
    Worker(batch=True, interval=0).run()


@pytest.fixture
def site(live_server: Any, settings: Any) -> Any:
    settings.PUBLIC_URL = live_server.url
    return live_server


@pytest.fixture
def citizen(site: Any) -> Any:
    with httpx.Client(
        base_url=site.url, cookies={"django_language": "en"}, follow_redirects=False, timeout=30
    ) as client:
        yield client


@pytest.fixture
def settled() -> Any:
    received: list[int] = []
    lock = threading.Lock()

    def receiver(sender: Any, payment: Payment, **kwargs: Any) -> None:
        with lock:
            received.append(payment.pk)

    payment_settled.connect(receiver, weak=False, dispatch_uid="tests.payments.flow")
    yield received
    payment_settled.disconnect(dispatch_uid="tests.payments.flow")


def open_fee_page(citizen: httpx.Client, payment: Payment, **extra: str) -> str:
    page = citizen.get(
        reverse("payments:payment", args=[payment.pk]),
        params={"token": payment_token(payment), **extra},
    )
    assert page.status_code == 200
    assert "4.000 đ" in page.text
    return page.text


def go_to_gateway(citizen: httpx.Client, payment: Payment, **extra: str) -> tuple[str, str]:
    """From the fee page through "Pay online" to the gateway's page: (its URL, its HTML)."""
    fee_page = open_fee_page(citizen, payment, **extra)
    start = submit(citizen, fee_page, reverse("payments:start", args=[payment.pk]))
    assert start.status_code == 302
    gateway_url = start.headers["location"]
    assert gateway_url.startswith(str(citizen.base_url).rstrip("/") + "/payments/gateway/pay?")
    page = citizen.get(local(gateway_url))
    assert page.status_code == 200
    assert "4.000 đ" in page.text
    assert payment.reference in page.text
    return gateway_url, page.text


def test_pay_online_then_replays_settle_once(citizen: httpx.Client, settled: list[int]) -> None:
    payment = services.create_payment(
        reference="H22.06688-260212-0042", purpose="Lệ phí chứng thực bản sao", amount=4000
    )
    _, gateway_page = go_to_gateway(citizen, payment)

    paid = submit(citizen, gateway_page, reverse("payments:gateway_pay"), button="pay")
    assert paid.status_code == 302
    return_url = paid.headers["location"]
    assert urlsplit(return_url).path == reverse("payments:return")
    result = dict(parse_qsl(urlsplit(return_url).query))
    assert result["gw_response_code"] == "00"

    back = citizen.get(local(return_url))
    assert back.status_code == 200
    assert "Payment successful" in back.text
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PAID
    assert payment.method == Payment.Method.ONLINE
    assert payment.provider_txn == result["gw_transaction_no"]

    # The gateway's IPN, posted by the job runner over HTTP to the live server.
    run_jobs()
    delivery = ipn_deliveries().get()
    assert delivery.status == TaskResultStatus.SUCCESSFUL
    assert delivery.return_value == "00"

    # Replays: the return URL again, the IPN again.
    assert citizen.get(local(return_url)).status_code == 200
    ipn = httpx.post(
        str(citizen.base_url).rstrip("/") + reverse("payments:ipn"),
        data={key: value for key, value in result.items() if key.startswith("gw_")},
    )
    assert ipn.json() == {"RspCode": "00", "Message": "Confirm Success"}
    # Submitting the gateway's form again replays its first answer.
    again = submit(citizen, gateway_page, reverse("payments:gateway_pay"), button="pay")
    assert again.headers["location"] == return_url
    run_jobs()

    payment.refresh_from_db()
    assert payment.status == Payment.Status.PAID
    attempts = list(PaymentAttempt.objects.filter(payment=payment))
    assert [attempt.status for attempt in attempts] == [PaymentAttempt.Status.SUCCEEDED]
    assert AuditEntry.objects.filter(action="payments.payment.paid_online").count() == 1
    assert ipn_deliveries().count() == 1
    assert settled == [payment.pk]


def test_cancel_at_the_gateway_leaves_the_fee_due(citizen: httpx.Client) -> None:
    payment = services.create_payment(
        reference="H22.06688-260212-0043", purpose="Lệ phí chứng thực bản sao", amount=4000
    )
    fee_page = reverse("payments:payment", args=[payment.pk])
    next_url = f"{fee_page}?token={payment_token(payment)}"
    _, gateway_page = go_to_gateway(citizen, payment, next=next_url)

    cancelled = submit(citizen, gateway_page, reverse("payments:gateway_pay"), button="cancel")
    assert cancelled.status_code == 302
    back = citizen.get(local(cancelled.headers["location"]))
    assert back.status_code == 302
    assert back.headers["location"] == next_url  # back to the fee page, with a message
    page = citizen.get(next_url)
    assert "The payment was cancelled" in page.text
    assert 'action="' + reverse("payments:start", args=[payment.pk]) + '"' in page.text

    run_jobs()
    assert ipn_deliveries().get().return_value == "00"
    attempt = PaymentAttempt.objects.get(payment=payment)
    assert attempt.status == PaymentAttempt.Status.CANCELLED
    assert attempt.response_code == "24"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.DUE


def test_a_tampered_gateway_request_is_refused(citizen: httpx.Client) -> None:
    payment = services.create_payment(
        reference="H22.06688-260212-0044", purpose="Lệ phí chứng thực bản sao", amount=4000
    )
    gateway_url, _ = go_to_gateway(citizen, payment)
    cheaper = local(gateway_url).replace("gw_amount=4000", "gw_amount=40")
    assert citizen.get(cheaper).status_code == 400
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.PENDING
