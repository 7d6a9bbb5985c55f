"""Fees of dossiers: what is owed (`Payment`) and each try to pay it online (`PaymentAttempt`).

A payment is owed for one dossier (its `reference`, the dossier code) and settled once: paid at
the counter (cash or card, recorded by the officer), paid online through the gateway, or exempted
with a reason. A procedure without a fee has no payment at all: callers do not create one for a
zero amount, so every payment has an amount above zero.

States of a payment::

    due ──start online──▶ pending ──gateway: success──▶ paid
     ▲                       │ ──gateway: failure──▶ failed (still payable)
     └──gateway: cancelled───┘
    due / pending / failed ──counter──▶ paid     ──exempt──▶ exempt     ──cancel──▶ cancelled

Due, pending and failed are "open": payable, and at most one open payment exists per reference.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Payment(models.Model):
    class Status(models.TextChoices):
        DUE = "due", _("Unpaid")
        PENDING = "pending", _("Pending at the gateway")
        PAID = "paid", _("Paid")
        EXEMPT = "exempt", _("Exempted")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Online payment failed")

    class Method(models.TextChoices):
        CASH = "cash", _("Cash")
        CARD = "card", _("Card")
        ONLINE = "online", _("Online")
        NONE = "none", _("None")

    OPEN_STATUSES = (Status.DUE, Status.PENDING, Status.FAILED)
    SETTLED_STATUSES = (Status.PAID, Status.EXEMPT)

    reference = models.CharField(_("reference"), max_length=60, db_index=True)
    purpose = models.TextField(_("purpose"))
    amount = models.PositiveBigIntegerField(_("amount (đồng)"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DUE
    )
    method = models.CharField(
        _("method"), max_length=20, choices=Method.choices, default=Method.NONE
    )
    provider = models.CharField(_("payment provider"), max_length=40, blank=True)
    provider_txn = models.CharField(_("gateway transaction number"), max_length=100, blank=True)
    exemption_reason = models.TextField(_("exemption reason"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_payment_amount_gt_0"),
            # A gateway numbers its own transactions: one number settles one payment.
            models.UniqueConstraint(
                fields=["provider", "provider_txn"],
                condition=~Q(provider_txn=""),
                name="payments_payment_provider_txn_unique",
            ),
            # At most one open payment per dossier: create_payment returns it when called again.
            models.UniqueConstraint(
                fields=["reference"],
                condition=Q(status__in=["due", "pending", "failed"]),
                name="payments_payment_one_open_per_reference",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["paid", "exempt"], settled_at__isnull=False)
                | (~Q(status__in=["paid", "exempt"]) & Q(settled_at__isnull=True)),
                name="payments_payment_settled_at_iff_settled",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} · {self.amount} đ · {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class PaymentAttempt(models.Model):
    """One redirect of the citizen to the gateway, and the gateway's answer to it."""

    class Status(models.TextChoices):
        STARTED = "started", _("In progress")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="attempts"
    )
    txn_ref = models.CharField(_("transaction reference"), max_length=40, unique=True)
    amount = models.PositiveBigIntegerField(_("amount (đồng)"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.STARTED
    )
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    response_code = models.CharField(_("response code"), max_length=10, blank=True)
    raw_result = models.JSONField(_("gateway result"), default=dict, blank=True)

    class Meta:
        verbose_name = _("payment attempt")
        verbose_name_plural = _("payment attempts")
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_attempt_amount_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.txn_ref} · {self.status}"
