"""The merchant's endpoints and the simulator through Django's test client: tokens, the start
redirect, the return page, IPN answers, and the simulator's refusal of a tampered request."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from motcua.payments import services
from motcua.payments.models import Payment, PaymentAttempt
from motcua.payments.providers import gateway_time
from motcua.payments.tokens import payment_token
from tests.payments.gateway import result_params

pytestmark = pytest.mark.django_db


@pytest.fixture
def payment() -> Payment:
    return services.create_payment(
        reference="H22.06688-260212-0007", purpose="Lệ phí chứng thực", amount=4000
    )


@pytest.fixture
def client() -> Client:
    english = Client()
    english.cookies["django_language"] = "en"
    return english


def query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def started(client: Client, payment: Payment, **extra: str) -> str:
    response = client.post(
        reverse("payments:start", args=[payment.pk]),
        {"token": payment_token(payment), **extra},
    )
    assert response.status_code == 302, response.content
    return str(response["Location"])


def gateway_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


# -- the fee page and the start ---------------------------------------------------------------


def test_the_fee_page_needs_the_token(client: Client, payment: Payment) -> None:
    url = reverse("payments:payment", args=[payment.pk])
    page = client.get(url, {"token": payment_token(payment)})
    assert page.status_code == 200
    html = page.content.decode()
    assert "4.000 đ" in html
    assert payment.reference in html
    assert reverse("payments:start", args=[payment.pk]) in html
    assert client.get(url).status_code == 404
    assert client.get(url, {"token": "forged"}).status_code == 404
    other = reverse("payments:payment", args=[payment.pk + 1])
    assert client.get(other, {"token": payment_token(payment)}).status_code == 404


def test_the_fee_page_is_vietnamese_first(payment: Payment) -> None:
    page = Client().get(
        reverse("payments:payment", args=[payment.pk]), {"token": payment_token(payment)}
    )
    assert page["Content-Language"] == "vi"


def test_start_needs_the_token_and_a_post(client: Client, payment: Payment) -> None:
    url = reverse("payments:start", args=[payment.pk])
    assert client.post(url).status_code == 404
    assert client.post(url, {"token": "x"}).status_code == 404
    assert client.get(url, {"token": payment_token(payment)}).status_code == 405
    assert not PaymentAttempt.objects.exists()


def test_start_redirects_to_the_gateway_with_a_signed_request(
    client: Client, payment: Payment, settings: Any
) -> None:
    location = started(client, payment, next="/payments/somewhere")
    assert location.startswith(settings.PUBLIC_URL + reverse("payments:gateway_pay") + "?")
    params = query(location)
    attempt = PaymentAttempt.objects.get()
    assert params["gw_txn_ref"] == attempt.txn_ref
    assert params["gw_amount"] == "4000"
    assert params["gw_return_url"] == (
        settings.PUBLIC_URL + reverse("payments:return") + "?next=%2Fpayments%2Fsomewhere"
    )


def test_start_drops_a_next_that_leaves_the_site(client: Client, payment: Payment) -> None:
    params = query(started(client, payment, next="https://evil.example/phish"))
    assert "next=" not in params["gw_return_url"]


def test_start_of_a_paid_payment_is_a_conflict(
    client: Client, payment: Payment, officer: Any
) -> None:
    services.record_counter_payment(payment=payment, method="cash", actor=officer)
    response = client.post(
        reverse("payments:start", args=[payment.pk]), {"token": payment_token(payment)}
    )
    assert response.status_code == 409
    assert "already been paid" in response.content.decode()


def test_start_keeps_csrf_protection(payment: Payment) -> None:
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        reverse("payments:start", args=[payment.pk]), {"token": payment_token(payment)}
    )
    assert response.status_code == 403


# -- the simulator ----------------------------------------------------------------------------


def test_the_simulator_shows_the_order(client: Client, payment: Payment) -> None:
    page = client.get(gateway_path(started(client, payment)))
    assert page.status_code == 200
    html = page.content.decode()
    assert "4.000 đ" in html
    assert payment.reference in html
    assert "MOTCUA01" in html
    assert 'name="decision" value="pay"' in html
    assert 'name="decision" value="cancel"' in html


@pytest.mark.parametrize(
    "change",
    [
        {"gw_amount": "400"},
        {"gw_return_url": "https://evil.example/"},
        {"gw_txn_ref": "OTHER"},
        {"gw_secure_hash": "00"},
        {"gw_secure_hash": ""},
    ],
)
def test_the_simulator_refuses_a_tampered_request(
    client: Client, payment: Payment, change: dict[str, str]
) -> None:
    params = query(started(client, payment)) | change
    response = client.get(reverse("payments:gateway_pay"), params)
    assert response.status_code == 400
    assert "Payment request refused" in response.content.decode()
    assert 'name="decision" value="pay"' not in response.content.decode()
    posted = client.post(reverse("payments:gateway_pay"), params | {"decision": "pay"})
    assert posted.status_code == 400
    assert not DBTaskResult.objects.exists()


def test_the_simulator_answers_once_and_sends_the_ipn_once(
    client: Client, payment: Payment, django_capture_on_commit_callbacks: Any
) -> None:
    params = query(started(client, payment))
    url = reverse("payments:gateway_pay")
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, params | {"decision": "pay"})
        second = client.post(url, params | {"decision": "cancel"})
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]  # the first answer, replayed
    answer = query(first["Location"])
    assert answer["gw_response_code"] == "00"
    assert answer["gw_amount"] == "4000"
    assert len(answer["gw_transaction_no"]) == 14
    job = DBTaskResult.objects.get()
    assert job.task_path == "motcua.payments.tasks.deliver_ipn"
    assert job.args_kwargs["args"][0] == {k: v for k, v in answer.items() if k.startswith("gw_")}


def test_the_simulator_answers_expired_for_an_old_request(
    client: Client, payment: Payment, time_machine: Any
) -> None:
    params = query(started(client, payment))
    time_machine.move_to(params_time(params["gw_expire_date"], minutes=1))
    page = client.get(reverse("payments:gateway_pay"), params)
    assert page.status_code == 200
    assert 'name="decision" value="pay"' not in page.content.decode()
    posted = client.post(reverse("payments:gateway_pay"), params | {"decision": "pay"})
    assert query(posted["Location"])["gw_response_code"] == "11"


def params_time(text: str, *, minutes: int) -> Any:
    from datetime import timedelta

    from motcua.payments.providers import parse_gateway_time

    return parse_gateway_time(text) + timedelta(minutes=minutes)


def test_the_simulator_is_off_with_a_real_provider(
    client: Client, payment: Payment, settings: Any
) -> None:
    params = query(started(client, payment))
    settings.PAYMENT_PROVIDER = "motcua.payments.providers.DemoGatewayProvider"
    settings.PAYMENT_SECRET = "a-real-gateway-secret"
    assert client.get(reverse("payments:gateway_pay"), params).status_code == 404


# -- the return -------------------------------------------------------------------------------


def test_return_settles_and_shows_the_result(client: Client, payment: Payment) -> None:
    started(client, payment)
    attempt = PaymentAttempt.objects.get()
    response = client.get(reverse("payments:return"), result_params(attempt))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Payment successful" in html
    assert attempt.txn_ref in html
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.PAID
    again = client.get(reverse("payments:return"), result_params(attempt))
    assert again.status_code == 200
    assert PaymentAttempt.objects.get().status == PaymentAttempt.Status.SUCCEEDED


def test_return_goes_on_to_a_safe_next(client: Client, payment: Payment) -> None:
    started(client, payment)
    attempt = PaymentAttempt.objects.get()
    fee_page = (
        reverse("payments:payment", args=[payment.pk])
        + "?"
        + urlencode({"token": payment_token(payment)})
    )
    params = result_params(attempt, code="24")
    response = client.get(reverse("payments:return"), params | {"next": fee_page})
    assert response.status_code == 302
    assert response["Location"] == fee_page
    page = client.get(fee_page)
    assert "The payment was cancelled" in page.content.decode()
    evil = client.get(reverse("payments:return"), params | {"next": "https://evil.example/"})
    assert evil.status_code == 200  # the result page, not a redirect off the site


def test_return_refuses_a_forged_result(client: Client, payment: Payment) -> None:
    started(client, payment)
    attempt = PaymentAttempt.objects.get()
    params = result_params(attempt, code="24") | {"gw_response_code": "00"}
    response = client.get(reverse("payments:return"), params)
    assert response.status_code == 400
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.PENDING


# -- the IPN ----------------------------------------------------------------------------------


def test_ipn_confirms_idempotently_and_needs_no_csrf_token(payment: Payment) -> None:
    gateway = Client(enforce_csrf_checks=True)
    services.start_online_payment(payment=payment, return_url="http://testserver/r")
    attempt = PaymentAttempt.objects.get()
    url = reverse("payments:ipn")
    params = result_params(attempt)
    assert gateway.post(url, params).json() == {"RspCode": "00", "Message": "Confirm Success"}
    assert gateway.post(url, params).json() == {"RspCode": "00", "Message": "Confirm Success"}
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PAID
    assert gateway.get(url, params).status_code == 405


def test_ipn_answers_errors_like_vnpay(payment: Payment) -> None:
    gateway = Client(enforce_csrf_checks=True)
    services.start_online_payment(payment=payment, return_url="http://testserver/r")
    attempt = PaymentAttempt.objects.get()
    url = reverse("payments:ipn")
    good = result_params(attempt)
    assert gateway.post(url, good | {"gw_amount": "1"}).json()["RspCode"] == "97"
    assert gateway.post(url, result_params(attempt, amount=1)).json()["RspCode"] == "04"
    attempt.txn_ref = "UNKNOWN"
    assert gateway.post(url, result_params(attempt)).json()["RspCode"] == "01"
    assert gateway.post(url, {}).json()["RspCode"] == "97"
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.PENDING


def test_gateway_time_is_vietnam_time() -> None:
    from datetime import UTC, datetime

    assert gateway_time(datetime(2026, 2, 12, 2, 30, tzinfo=UTC)) == "20260212093000"
