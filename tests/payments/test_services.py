"""Payment services: one open payment per dossier, the counter, exemptions, illegal transitions,
the gateway's results applied once, audit rows and the `payment_settled` signal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.functional import Promise

from motcua.core.errors import Conflict, MotcuaError, NotFound
from motcua.core.models import AuditEntry
from motcua.payments import selectors, services
from motcua.payments.models import Payment, PaymentAttempt
from motcua.payments.signals import payment_settled
from motcua.payments.tokens import payment_token, token_valid
from tests.payments.gateway import result_params

pytestmark = pytest.mark.django_db

RETURN_URL = "http://testserver/payments/return"


def make(reference: str = "H22.06688-260212-0001", amount: int = 4000) -> Payment:
    return services.create_payment(
        reference=reference, purpose="Lệ phí chứng thực bản sao", amount=amount
    )


def actions(payment: Payment) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_type="payments.payment", object_id=str(payment.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )


def fields_of(payment: Payment) -> dict[str, Any]:
    fresh = Payment.objects.get(pk=payment.pk)
    return {
        name: getattr(fresh, name)
        for name in ["status", "method", "settled_at", "exemption_reason", "provider_txn"]
    }


@pytest.fixture
def settled() -> Iterator[list[tuple[int, str]]]:
    """(payment id, status) of every payment_settled signal, as sent after commit."""
    received: list[tuple[int, str]] = []

    def receiver(sender: Any, payment: Payment, status: str, **kwargs: Any) -> None:
        received.append((payment.pk, status))

    payment_settled.connect(receiver, weak=False, dispatch_uid="tests.payments")
    yield received
    payment_settled.disconnect(dispatch_uid="tests.payments")


def start(payment: Payment) -> PaymentAttempt:
    services.start_online_payment(payment=payment, return_url=RETURN_URL)
    return PaymentAttempt.objects.filter(payment=payment).order_by("-pk")[0]


# -- creation ---------------------------------------------------------------------------------


def test_create_is_idempotent_per_reference() -> None:
    first = make()
    again = make()
    assert again.pk == first.pk
    assert Payment.objects.count() == 1
    assert first.status == Payment.Status.DUE
    assert first.method == Payment.Method.NONE
    assert actions(first) == ["payments.payment.create"]
    other = make(reference="H22.06688-260212-0002")
    assert other.pk != first.pk


def test_create_with_another_amount_while_one_is_open_is_a_conflict() -> None:
    make(amount=4000)
    with pytest.raises(Conflict):
        make(amount=5000)
    assert Payment.objects.count() == 1


@pytest.mark.parametrize("amount", [0, -2000, True])
def test_a_free_procedure_gets_no_payment(amount: int) -> None:
    with pytest.raises(MotcuaError) as refused:
        make(amount=amount)
    assert "amount" in refused.value.fields
    assert not Payment.objects.exists()


def test_reference_is_required_and_bounded() -> None:
    with pytest.raises(MotcuaError):
        make(reference="  ")
    with pytest.raises(MotcuaError):
        make(reference="X" * 61)


def test_after_a_settled_payment_the_dossier_may_owe_a_new_one(officer: Any) -> None:
    first = make()
    services.record_counter_payment(payment=first, method="cash", actor=officer)
    second = make(amount=2000)
    assert second.pk != first.pk
    assert selectors.balance(first.reference) == {"due": 2000, "paid": 4000, "exempt": 0}


def test_the_database_keeps_one_open_payment_per_reference() -> None:
    payment = make()
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(reference=payment.reference, purpose="again", amount=4000)


def test_the_database_refuses_a_zero_amount() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(reference="R", purpose="free", amount=0)


# -- counter and exemption --------------------------------------------------------------------


def test_counter_payment_pays_audits_and_announces(
    officer: Any, settled: list[tuple[int, str]], django_capture_on_commit_callbacks: Any
) -> None:
    payment = make()
    with django_capture_on_commit_callbacks(execute=True):
        paid = services.record_counter_payment(
            payment=payment, method="card", actor=officer, ip="10.1.2.3"
        )
    assert paid.status == Payment.Status.PAID
    assert paid.method == Payment.Method.CARD
    assert paid.recorded_by == officer
    assert paid.settled_at is not None
    assert settled == [(payment.pk, "paid")]
    entry = AuditEntry.objects.get(action="payments.payment.counter")
    assert entry.actor_label == "thu_ngan"
    assert entry.ip == "10.1.2.3"
    assert entry.old_values["status"] == "due"
    assert entry.new_values["status"] == "paid"
    assert entry.new_values["method"] == "card"


def test_counter_payment_needs_cash_or_card(officer: Any) -> None:
    payment = make()
    with pytest.raises(MotcuaError) as refused:
        services.record_counter_payment(payment=payment, method="online", actor=officer)
    assert "method" in refused.value.fields
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.DUE


def test_exemption_needs_a_reason_and_is_announced(
    officer: Any, settled: list[tuple[int, str]], django_capture_on_commit_callbacks: Any
) -> None:
    payment = make()
    with pytest.raises(MotcuaError):
        services.exempt_payment(payment=payment, reason="   ", actor=officer)
    with django_capture_on_commit_callbacks(execute=True):
        exempt = services.exempt_payment(
            payment=payment, reason="Người có công với cách mạng", actor=officer
        )
    assert exempt.status == Payment.Status.EXEMPT
    assert exempt.method == Payment.Method.NONE
    assert exempt.exemption_reason == "Người có công với cách mạng"
    assert settled == [(payment.pk, "exempt")]
    assert actions(payment) == ["payments.payment.create", "payments.payment.exempt"]
    assert selectors.balance(payment.reference) == {"due": 0, "paid": 0, "exempt": 4000}


def test_a_payment_taken_by_another_system_settles_once_for_its_amount(
    settled: list[tuple[int, str]], django_capture_on_commit_callbacks: Any
) -> None:
    payment = make(amount=500_000)
    elsewhere = {
        "status": "paid",
        "method": "cash",
        "reason": "",
        "provider": "motcua:3",
        "receipt": "H22.06688-260212-0001#41",
    }
    with pytest.raises(Conflict) as wrong:
        services.record_settled_elsewhere(payment=payment, amount=400_000, **elsewhere)
    assert wrong.value.code == "amount_mismatch"
    with pytest.raises(MotcuaError):
        services.record_settled_elsewhere(
            payment=payment, amount=500_000, **(elsewhere | {"status": "due"})
        )
    assert fields_of(payment)["status"] == Payment.Status.DUE
    with django_capture_on_commit_callbacks(execute=True):
        paid = services.record_settled_elsewhere(payment=payment, amount=500_000, **elsewhere)
    assert (paid.status, paid.method, paid.provider, paid.provider_txn) == (
        Payment.Status.PAID,
        Payment.Method.CASH,
        "motcua:3",
        "H22.06688-260212-0001#41",
    )
    assert paid.recorded_by is None
    assert settled == [(payment.pk, "paid")]
    assert actions(payment) == ["payments.payment.create", "payments.payment.elsewhere"]
    with pytest.raises(Conflict):
        services.record_settled_elsewhere(payment=payment, amount=500_000, **elsewhere)
    # One receipt settles one payment.
    other = make(reference="H22.06688-260212-0002", amount=500_000)
    with pytest.raises(IntegrityError), transaction.atomic():
        services.record_settled_elsewhere(payment=other, amount=500_000, **elsewhere)
    assert fields_of(other)["status"] == Payment.Status.DUE


def test_no_signal_when_the_transaction_rolls_back(
    officer: Any, settled: list[tuple[int, str]], django_capture_on_commit_callbacks: Any
) -> None:
    payment = make()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                services.record_counter_payment(payment=payment, method="cash", actor=officer)
                raise RuntimeError("the caller failed after paying")
        except RuntimeError:
            pass
    assert callbacks == []
    assert settled == []
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.DUE


ILLEGAL = [
    ("paid", "pay"),
    ("paid", "exempt"),
    ("paid", "start"),
    ("paid", "cancel"),
    ("exempt", "pay"),
    ("exempt", "exempt"),
    ("exempt", "start"),
    ("cancelled", "pay"),
    ("cancelled", "exempt"),
    ("cancelled", "start"),
]


@pytest.mark.parametrize(("state", "action"), ILLEGAL)
def test_illegal_transitions_are_conflicts_and_change_nothing(
    officer: Any, state: str, action: str
) -> None:
    payment = make()
    if state == "paid":
        services.record_counter_payment(payment=payment, method="cash", actor=officer)
    elif state == "exempt":
        services.exempt_payment(payment=payment, reason="Hộ nghèo", actor=officer)
    else:
        services.cancel_payment(payment=payment, reason="Rút hồ sơ", actor=officer)
    before = fields_of(payment)
    audit_rows = AuditEntry.objects.count()
    calls = {
        "pay": lambda: services.record_counter_payment(
            payment=payment, method="cash", actor=officer
        ),
        "exempt": lambda: services.exempt_payment(payment=payment, reason="x", actor=officer),
        "start": lambda: services.start_online_payment(payment=payment, return_url=RETURN_URL),
        "cancel": lambda: services.cancel_payment(payment=payment, reason="x", actor=officer),
    }
    with pytest.raises(Conflict) as refused:
        calls[action]()
    assert refused.value.status == 409
    assert str(refused.value.message)  # a reason for the officer, in the active language
    assert fields_of(payment) == before
    assert AuditEntry.objects.count() == audit_rows
    assert not PaymentAttempt.objects.exists()


def test_conflict_reasons_are_translatable(officer: Any) -> None:
    payment = make()
    services.record_counter_payment(payment=payment, method="cash", actor=officer)
    with pytest.raises(Conflict) as refused:
        services.exempt_payment(payment=payment, reason="x", actor=officer)
    # Lazy: rendered in the language of whoever reads it (the officer's page, the API).
    assert isinstance(refused.value.message, Promise)
    with translation.override("en"):
        assert str(refused.value.message) == "This fee has already been paid."


def test_a_stale_instance_cannot_pay_twice(officer: Any) -> None:
    payment = make()
    stale = Payment.objects.get(pk=payment.pk)
    services.record_counter_payment(payment=payment, method="cash", actor=officer)
    with pytest.raises(Conflict):
        services.record_counter_payment(payment=stale, method="card", actor=officer)
    assert Payment.objects.get(pk=payment.pk).method == Payment.Method.CASH


# -- online ----------------------------------------------------------------------------------


def test_start_online_opens_an_attempt_and_returns_the_gateway_url() -> None:
    payment = make()
    url = services.start_online_payment(payment=payment, return_url=RETURN_URL)
    attempt = PaymentAttempt.objects.get()
    assert url.startswith(settings.PUBLIC_URL + "/payments/gateway/pay?")
    assert f"gw_txn_ref={attempt.txn_ref}" in url
    assert "gw_amount=4000" in url
    assert "gw_secure_hash=" in url
    assert attempt.amount == 4000
    assert attempt.status == PaymentAttempt.Status.STARTED
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING
    assert payment.provider == "demo"
    assert actions(payment)[-1] == "payments.payment.start_online"
    assert selectors.open_payment(payment.reference) == payment


def test_a_successful_result_pays_once(
    settled: list[tuple[int, str]], django_capture_on_commit_callbacks: Any
) -> None:
    payment = make()
    attempt = start(payment)
    params = result_params(attempt)
    with django_capture_on_commit_callbacks(execute=True):
        first = services.settle_gateway_result(params=params)
    assert first.status == PaymentAttempt.Status.SUCCEEDED
    assert first.response_code == "00"
    assert first.finished_at is not None
    assert first.raw_result["gw_transaction_no"] == "14012345678901"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PAID
    assert payment.method == Payment.Method.ONLINE
    assert payment.provider_txn == "14012345678901"
    rows = AuditEntry.objects.count()
    finished_at = first.finished_at
    with django_capture_on_commit_callbacks(execute=True):
        again = services.settle_gateway_result(params=params)
    assert again.pk == first.pk
    assert again.finished_at == finished_at
    assert AuditEntry.objects.count() == rows
    assert settled == [(payment.pk, "paid")]
    assert actions(payment)[-1] == "payments.payment.paid_online"
    assert AuditEntry.objects.filter(action="payments.attempt.succeeded").count() == 1


def test_a_cancelled_result_leaves_the_fee_due() -> None:
    payment = make()
    attempt = start(payment)
    done = services.settle_gateway_result(params=result_params(attempt, code="24"))
    assert done.status == PaymentAttempt.Status.CANCELLED
    payment.refresh_from_db()
    assert payment.status == Payment.Status.DUE
    assert payment.provider_txn == ""
    assert selectors.balance(payment.reference)["due"] == 4000


def test_a_failed_result_leaves_the_fee_payable() -> None:
    payment = make()
    attempt = start(payment)
    done = services.settle_gateway_result(params=result_params(attempt, code="51"))
    assert done.status == PaymentAttempt.Status.FAILED
    payment.refresh_from_db()
    assert payment.status == Payment.Status.FAILED
    assert payment.is_open
    retry = start(payment)
    services.settle_gateway_result(params=result_params(retry))
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PAID
    assert [a.status for a in payment.attempts.order_by("pk")] == ["failed", "succeeded"]


def test_a_late_failure_of_an_older_attempt_does_not_touch_the_newer_one() -> None:
    payment = make()
    old = start(payment)
    start(payment)
    services.settle_gateway_result(params=result_params(old, code="24"))
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING


def test_paid_twice_is_recorded_for_a_refund(officer: Any) -> None:
    payment = make()
    attempt = start(payment)
    services.record_counter_payment(payment=payment, method="cash", actor=officer)
    done = services.settle_gateway_result(params=result_params(attempt))
    assert done.status == PaymentAttempt.Status.SUCCEEDED
    payment.refresh_from_db()
    assert payment.method == Payment.Method.CASH
    entry = AuditEntry.objects.get(action="payments.payment.paid_twice")
    assert entry.new_values["refund"] == 4000


def flip_last(digest: str) -> str:
    return digest[:-1] + ("1" if digest[-1] == "0" else "0")


def test_a_forged_or_altered_result_changes_nothing() -> None:
    payment = make()
    attempt = start(payment)
    good = result_params(attempt)
    rows = AuditEntry.objects.count()
    forged = [
        good | {"gw_amount": "1000"},
        good | {"gw_response_code": "00", "gw_txn_ref": attempt.txn_ref + "X"},
        good | {"gw_secure_hash": "0" * 128},
        good | {"gw_secure_hash": flip_last(good["gw_secure_hash"])},
        {key: value for key, value in good.items() if key != "gw_secure_hash"},
        good | {"gw_extra": "injected"},
        result_params(attempt, code="24") | {"gw_response_code": "00"},
    ]
    for params in forged:
        with pytest.raises(MotcuaError) as refused:
            services.settle_gateway_result(params=params)
        assert refused.value.code == "bad_signature", params
    attempt.refresh_from_db()
    assert attempt.status == PaymentAttempt.Status.STARTED
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.PENDING
    assert AuditEntry.objects.count() == rows


def test_a_signed_result_with_another_amount_is_refused() -> None:
    payment = make()
    attempt = start(payment)
    with pytest.raises(MotcuaError) as refused:
        services.settle_gateway_result(params=result_params(attempt, amount=400))
    assert refused.value.code == "amount_mismatch"
    attempt.refresh_from_db()
    assert attempt.status == PaymentAttempt.Status.STARTED
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.PENDING


def test_a_result_for_an_unknown_transaction_is_not_found() -> None:
    payment = make()
    attempt = start(payment)
    attempt.txn_ref = "NOSUCHTXN"
    with pytest.raises(NotFound):
        services.settle_gateway_result(params=result_params(attempt))


def test_a_different_second_result_is_ignored() -> None:
    payment = make()
    attempt = start(payment)
    services.settle_gateway_result(params=result_params(attempt, code="24"))
    again = services.settle_gateway_result(params=result_params(attempt))
    assert again.status == PaymentAttempt.Status.CANCELLED
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.DUE


# -- selectors and tokens ---------------------------------------------------------------------


def test_selectors(officer: Any) -> None:
    assert selectors.payments_for("NONE") == []
    assert selectors.open_payment("NONE") is None
    assert selectors.balance("NONE") == {"due": 0, "paid": 0, "exempt": 0}
    first = make(amount=4000)
    services.exempt_payment(payment=first, reason="Trẻ em dưới 6 tuổi", actor=officer)
    second = make(amount=2000)
    services.cancel_payment(payment=second, reason="Tính lại lệ phí", actor=officer)
    third = make(amount=3000)
    assert selectors.payments_for(first.reference) == [first, second, third]
    assert selectors.open_payment(first.reference) == third
    assert selectors.balance(first.reference) == {"due": 3000, "paid": 0, "exempt": 4000}


def test_payment_token_is_bound_to_the_payment() -> None:
    first = make()
    second = make(reference="H22.06688-260212-0002")
    token = payment_token(first)
    assert token_valid(first, token)
    assert not token_valid(second, token)
    assert not token_valid(first, "")
    assert not token_valid(first, token[:-1])
    assert selectors.payment_by_token(first.pk, token) == first
    with pytest.raises(NotFound):
        selectors.payment_by_token(second.pk, token)
    with pytest.raises(NotFound):
        selectors.payment_by_token(999_999, token)
