"""Reads of payments. Payments are looked up by dossier code: the dossiers app, which decides
who may see a dossier, calls these after its own jurisdiction check. Citizens reach one payment
only with its signed token (`payment_by_token`)."""

from __future__ import annotations

from django.db.models import Sum

from motcua.core.errors import NotFound
from motcua.payments.models import Payment
from motcua.payments.tokens import token_valid


def payments_for(reference: str) -> list[Payment]:
    """Every payment of the dossier `reference`, oldest first."""
    return list(Payment.objects.filter(reference=reference).order_by("created_at", "pk"))


def open_payment(reference: str) -> Payment | None:
    """The payment still owed for `reference` (due, pending at the gateway or failed), if any."""
    return Payment.objects.filter(reference=reference, status__in=Payment.OPEN_STATUSES).first()


def settled_payment(reference: str) -> Payment | None:
    """The newest payment of `reference` paid or exempted, if any."""
    return (
        Payment.objects.filter(reference=reference, status__in=Payment.SETTLED_STATUSES)
        .order_by("-settled_at", "-pk")
        .first()
    )


def balance(reference: str) -> dict[str, int]:
    """Amounts in đồng of `reference`: still due (open), paid and exempted."""
    totals = {
        row["status"]: row["total"]
        for row in Payment.objects.filter(reference=reference)
        .order_by()
        .values("status")
        .annotate(total=Sum("amount"))
    }
    return {
        "due": sum(totals.get(status, 0) for status in Payment.OPEN_STATUSES),
        "paid": totals.get(Payment.Status.PAID, 0),
        "exempt": totals.get(Payment.Status.EXEMPT, 0),
    }


def payment_by_token(payment_id: int, token: str) -> Payment:
    """The payment `payment_id` if `token` is its token; NotFound otherwise (the same answer for
    a wrong token and a missing payment, so ids cannot be probed)."""
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None or not token_valid(payment, token):
        raise NotFound()
    return payment
