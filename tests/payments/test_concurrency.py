"""The browser's return and the gateway's IPN arriving at the same moment settle once; two
requests creating the fee of one dossier at once make one payment. Real threads, each with its
own database connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from motcua.core.models import AuditEntry
from motcua.payments import services
from motcua.payments.models import Payment, PaymentAttempt
from motcua.payments.signals import payment_settled
from tests.payments.gateway import result_params

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 6


def together(work: Callable[[], Any], count: int = THREADS) -> list[Any]:
    """Run `work` in `count` threads released at once; their results or exceptions."""
    barrier = threading.Barrier(count)
    outcomes: list[Any] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            barrier.wait()
            outcome = work()
        except Exception as error:  # reported to the test
            outcome = error
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(outcomes) == count
    return outcomes


def test_simultaneous_results_settle_once() -> None:
    payment = services.create_payment(reference="H22-RACE-1", purpose="Lệ phí", amount=4000)
    services.start_online_payment(payment=payment, return_url="http://testserver/r")
    attempt = PaymentAttempt.objects.get()
    params = result_params(attempt)
    settled: list[int] = []
    lock = threading.Lock()

    def receiver(sender: Any, payment: Payment, **kwargs: Any) -> None:
        with lock:
            settled.append(payment.pk)

    payment_settled.connect(receiver, weak=False, dispatch_uid="tests.payments.race")
    try:
        outcomes = together(lambda: services.settle_gateway_result(params=params))
    finally:
        payment_settled.disconnect(dispatch_uid="tests.payments.race")
    assert all(isinstance(outcome, PaymentAttempt) for outcome in outcomes), outcomes
    assert {outcome.status for outcome in outcomes} == {PaymentAttempt.Status.SUCCEEDED}
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.PAID
    assert AuditEntry.objects.filter(action="payments.payment.paid_online").count() == 1
    assert AuditEntry.objects.filter(action="payments.attempt.succeeded").count() == 1
    assert settled == [payment.pk]


def test_simultaneous_creations_make_one_payment() -> None:
    outcomes = together(
        lambda: services.create_payment(reference="H22-RACE-2", purpose="Lệ phí", amount=4000)
    )
    assert all(isinstance(outcome, Payment) for outcome in outcomes), outcomes
    assert len({outcome.pk for outcome in outcomes}) == 1
    assert Payment.objects.filter(reference="H22-RACE-2").count() == 1
    assert AuditEntry.objects.filter(action="payments.payment.create").count() == 1
