"""Writes to payments. Every function is keyword-only, atomic and audited.

A procedure without a fee gets no payment: callers create one only for an amount above zero.
Settling (paid or exempt) sends `signals.payment_settled` after the commit.

Locks are always taken payment first, then attempt, so that concurrent settlements (the
browser's return and the gateway's IPN arrive together) queue on the payment row and never
deadlock; the second one finds the attempt finished and returns it unchanged.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.core import audit
from motcua.core.access import staff_user
from motcua.core.errors import Conflict, MotcuaError, NotFound
from motcua.payments.models import Payment, PaymentAttempt
from motcua.payments.providers import BadSignature, GatewayResult, get_provider
from motcua.payments.signals import payment_settled

logger = logging.getLogger("motcua.payments")

COUNTER_METHODS = (Payment.Method.CASH, Payment.Method.CARD)
REFERENCE_MAX_LENGTH = 60
_AUDITED = ["status", "method", "provider", "provider_txn", "exemption_reason", "settled_at"]


@transaction.atomic
def create_payment(*, reference: str, purpose: str, amount: int, actor: Any = None) -> Payment:
    """The open payment of `reference` (a dossier code), created if there is none.

    Idempotent: calling again returns the open payment (due, pending or failed) instead of a
    second one; asking for a different amount then is a Conflict (cancel the open one first).
    A free procedure has no payment: an amount of 0 is refused.
    """
    reference = reference.strip()
    if not reference or len(reference) > REFERENCE_MAX_LENGTH:
        raise MotcuaError(fields={"reference": _("Give the dossier code (at most 60 characters).")})
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise MotcuaError(
            fields={
                "amount": _(
                    "A fee is a whole number of đồng above zero; a free procedure has no payment."
                )
            }
        )
    existing = _open_payment_locked(reference)
    if existing is None:
        try:
            with transaction.atomic():
                payment = Payment.objects.create(
                    reference=reference, purpose=purpose.strip(), amount=amount
                )
        except IntegrityError:
            # Another request created it between our read and our insert (PostgreSQL waits
            # for it to commit before reporting the duplicate).
            existing = _open_payment_locked(reference)
            if existing is None:
                raise
        else:
            audit.record(
                actor=actor,
                action="payments.payment.create",
                obj=payment,
                case=payment.reference,
                new=audit.model_values(payment, ["reference", "purpose", "amount", "status"]),
            )
            return payment
    if existing.amount != amount:
        raise Conflict(
            _(
                "Dossier %(reference)s already has an open fee of %(amount)s đồng; cancel it "
                "before asking for a different amount."
            )
            % {"reference": reference, "amount": existing.amount}
        )
    return existing


@transaction.atomic
def record_counter_payment(
    *, payment: Payment, method: str, actor: Any, ip: str | None = None
) -> Payment:
    """The officer took the fee at the counter, in cash or by card. Returns the paid payment."""
    if method not in COUNTER_METHODS:
        raise MotcuaError(fields={"method": _("Choose cash or card.")})
    locked = _lock_open(payment)
    old = audit.model_values(locked, _AUDITED)
    locked.status = Payment.Status.PAID
    locked.method = method
    locked.provider = ""
    locked.settled_at = timezone.now()
    locked.recorded_by = staff_user(actor)
    locked.save()
    _audit_change(locked, old, actor=actor, action="payments.payment.counter", ip=ip)
    _announce_settled(locked)
    return locked


@transaction.atomic
def exempt_payment(*, payment: Payment, reason: str, actor: Any, ip: str | None = None) -> Payment:
    """The fee is waived (a legal exemption, e.g. for a person with meritorious service)."""
    reason = reason.strip()
    if not reason:
        raise MotcuaError(fields={"reason": _("Give the reason for the exemption.")})
    locked = _lock_open(payment)
    old = audit.model_values(locked, _AUDITED)
    locked.status = Payment.Status.EXEMPT
    locked.method = Payment.Method.NONE
    locked.exemption_reason = reason
    locked.settled_at = timezone.now()
    locked.recorded_by = staff_user(actor)
    locked.save()
    _audit_change(locked, old, actor=actor, action="payments.payment.exempt", ip=ip)
    _announce_settled(locked)
    return locked


@transaction.atomic
def record_settled_elsewhere(
    *,
    payment: Payment,
    amount: int,
    status: str,
    method: str,
    reason: str,
    provider: str,
    receipt: str,
) -> Payment:
    """Another system took this payment from the applicant or exempted it: the instance a
    transferred dossier came from, whose counter the applicant deals with. `provider` names
    that system and `receipt` its own payment, so one receipt settles one payment."""
    if amount != payment.amount:
        raise Conflict(
            _("The amount settled (%(paid)s đồng) is not the amount owed (%(owed)s đồng).")
            % {"paid": amount, "owed": payment.amount},
            code="amount_mismatch",
        )
    if status not in Payment.SETTLED_STATUSES or method not in Payment.Method.values:
        raise MotcuaError(fields={"status": _("Paid or exempted, by a known method.")})
    locked = _lock_open(payment)
    old = audit.model_values(locked, _AUDITED)
    locked.status = status
    locked.method = method
    locked.exemption_reason = reason.strip() if status == Payment.Status.EXEMPT else ""
    locked.provider = provider[:40]
    locked.provider_txn = receipt[:100]
    locked.settled_at = timezone.now()
    locked.save()
    _audit_change(locked, old, actor=None, action="payments.payment.elsewhere", ip=None)
    _announce_settled(locked)
    return locked


@transaction.atomic
def cancel_payment(
    *, payment: Payment, reason: str, actor: Any = None, ip: str | None = None
) -> Payment:
    """The fee is no longer owed (the dossier was withdrawn or refused, or the amount changes:
    cancel, then create a new payment)."""
    locked = _lock_open(payment)
    old = audit.model_values(locked, _AUDITED)
    locked.status = Payment.Status.CANCELLED
    locked.save()
    before, after = audit.changed_values(old, audit.model_values(locked, _AUDITED))
    audit.record(
        actor=actor,
        action="payments.payment.cancel",
        obj=locked,
        case=locked.reference,
        old=before,
        new=after | {"reason": reason.strip()},
        ip=ip,
    )
    return locked


@transaction.atomic
def start_online_payment(*, payment: Payment, return_url: str, ip: str | None = None) -> str:
    """Open an attempt at the gateway; returns the gateway URL to send the browser to.

    The payment becomes pending. Starting again (the citizen closed the gateway's page) opens a
    new attempt; an older one that still succeeds at the gateway is settled as well.
    """
    provider = get_provider()
    locked = _lock_open(payment)
    attempt = PaymentAttempt.objects.create(
        payment=locked, txn_ref=new_txn_ref(), amount=locked.amount
    )
    old = audit.model_values(locked, _AUDITED)
    locked.status = Payment.Status.PENDING
    locked.provider = provider.name
    locked.save(update_fields=["status", "provider"])
    before, after = audit.changed_values(old, audit.model_values(locked, _AUDITED))
    audit.record(
        actor=None,
        action="payments.payment.start_online",
        obj=locked,
        case=locked.reference,
        old=before,
        new=after | {"txn_ref": attempt.txn_ref, "amount": attempt.amount},
        ip=ip,
    )
    return provider.redirect_url(attempt, return_url)


@transaction.atomic
def settle_gateway_result(*, params: Mapping[str, str], ip: str | None = None) -> PaymentAttempt:
    """Apply the gateway's signed result (from the browser's return or the IPN) once.

    Raises MotcuaError "bad_signature" for a forged or altered result, "amount_mismatch" when the
    amount is not the attempt's, NotFound for an unknown transaction; none of them changes
    anything. A result already applied returns the attempt unchanged.
    """
    provider = get_provider()
    try:
        result = provider.verify(params)
    except BadSignature:
        logger.warning("Refused a payment result with a bad signature (txn %s)", _txn_of(params))
        raise
    payment_id = (
        PaymentAttempt.objects.filter(txn_ref=result.txn_ref)
        .values_list("payment_id", flat=True)
        .first()
    )
    if payment_id is None:
        raise NotFound(_("No payment has this transaction reference."), code="unknown_txn")
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    attempt = PaymentAttempt.objects.select_for_update().get(txn_ref=result.txn_ref)
    if result.amount != attempt.amount:
        logger.warning(
            "Refused a payment result for %s: %s đồng instead of %s",
            attempt.txn_ref,
            result.amount,
            attempt.amount,
        )
        raise MotcuaError(
            _("The amount in the gateway's answer is not the amount of the payment."),
            code="amount_mismatch",
        )
    if attempt.status != PaymentAttempt.Status.STARTED:
        if attempt.response_code != result.response_code:
            logger.warning(
                "Ignored a second, different result for %s (%s, first %s)",
                attempt.txn_ref,
                result.response_code,
                attempt.response_code,
            )
        return attempt
    _finish_attempt(attempt, result)
    audit.record(
        actor=None,
        action=f"payments.attempt.{attempt.status}",
        obj=attempt,
        case=payment.reference,
        new={
            "status": attempt.status,
            "response_code": result.response_code,
            "provider_txn": result.provider_txn,
            "amount": result.amount,
        },
        ip=ip,
    )
    if result.succeeded:
        _settle_online(payment, attempt, result, provider_name=provider.name, ip=ip)
    elif payment.status == Payment.Status.PENDING and _is_newest(attempt):
        old = audit.model_values(payment, _AUDITED)
        payment.status = Payment.Status.DUE if result.cancelled else Payment.Status.FAILED
        payment.save(update_fields=["status"])
        _audit_change(payment, old, actor=None, action="payments.payment.online_unpaid", ip=ip)
    return attempt


def new_txn_ref() -> str:
    """Our reference of an attempt: the date and 64 random bits, e.g. 260212A1B2C3D4E5F6A7B8."""
    return f"{timezone.localdate():%y%m%d}{secrets.token_hex(8).upper()}"


# -- helpers ------------------------------------------------------------------------------


def _open_payment_locked(reference: str) -> Payment | None:
    return (
        Payment.objects.select_for_update()
        .filter(reference=reference, status__in=Payment.OPEN_STATUSES)
        .first()
    )


def _lock_open(payment: Payment) -> Payment:
    """The payment, locked and read afresh; Conflict unless it is still open."""
    locked = Payment.objects.select_for_update().get(pk=payment.pk)
    if not locked.is_open:
        raise Conflict(not_open_reason(locked))
    return locked


def not_open_reason(payment: Payment) -> Any:
    if payment.status == Payment.Status.PAID:
        return _("This fee has already been paid.")
    if payment.status == Payment.Status.EXEMPT:
        return _("This fee has been exempted.")
    return _("This fee has been cancelled.")


def _finish_attempt(attempt: PaymentAttempt, result: GatewayResult) -> None:
    if result.succeeded:
        attempt.status = PaymentAttempt.Status.SUCCEEDED
    elif result.cancelled:
        attempt.status = PaymentAttempt.Status.CANCELLED
    else:
        attempt.status = PaymentAttempt.Status.FAILED
    attempt.finished_at = timezone.now()
    attempt.response_code = result.response_code
    attempt.raw_result = result.raw
    attempt.save(update_fields=["status", "finished_at", "response_code", "raw_result"])


def _settle_online(
    payment: Payment,
    attempt: PaymentAttempt,
    result: GatewayResult,
    *,
    provider_name: str,
    ip: str | None,
) -> None:
    if not payment.is_open:
        # The citizen paid twice (at the counter meanwhile, or in two browser tabs): the money
        # came in and must go back. The attempt says succeeded; the payment stays as it is.
        logger.error(
            "Payment %s (%s) was already %s when attempt %s succeeded: refund %s đồng",
            payment.pk,
            payment.reference,
            payment.status,
            attempt.txn_ref,
            attempt.amount,
        )
        audit.record(
            actor=None,
            action="payments.payment.paid_twice",
            obj=payment,
            case=payment.reference,
            new={
                "txn_ref": attempt.txn_ref,
                "provider_txn": result.provider_txn,
                "refund": attempt.amount,
            },
            ip=ip,
        )
        return
    old = audit.model_values(payment, _AUDITED)
    payment.status = Payment.Status.PAID
    payment.method = Payment.Method.ONLINE
    payment.provider = provider_name
    payment.provider_txn = result.provider_txn
    payment.settled_at = timezone.now()
    payment.save()
    _audit_change(payment, old, actor=None, action="payments.payment.paid_online", ip=ip)
    _announce_settled(payment)


def _is_newest(attempt: PaymentAttempt) -> bool:
    return not PaymentAttempt.objects.filter(
        payment_id=attempt.payment_id, pk__gt=attempt.pk
    ).exists()


def _audit_change(
    payment: Payment, old: dict[str, Any], *, actor: Any, action: str, ip: str | None
) -> None:
    before, after = audit.changed_values(old, audit.model_values(payment, _AUDITED))
    audit.record(
        actor=actor,
        action=action,
        obj=payment,
        old=before,
        new=after,
        ip=ip,
        case=payment.reference,
    )


def _announce_settled(payment: Payment) -> None:
    status = payment.status

    def send() -> None:
        payment_settled.send(sender=Payment, payment=payment, status=status)

    # robust: the settlement is committed; a failing receiver is logged, not turned into an
    # error of the request that settled it.
    transaction.on_commit(send, robust=True)


def _txn_of(params: Mapping[str, str]) -> str:
    return str(params.get("gw_txn_ref", "?"))[:40]
