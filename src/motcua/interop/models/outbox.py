"""The transactional outbox: one CloudEvents 1.0 event per dossier state change, written in the
transaction of the change, and one delivery per destination that must receive it."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from motcua.dossiers.models import Dossier


class OutboxEvent(models.Model):
    """Never updated. `event_id` is the CloudEvents `id` and every receiver's idempotency key:
    a redelivery carries the same one."""

    event_id = models.UUIDField(_("event id"), default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(_("type"), max_length=100)
    source = models.CharField(_("source"), max_length=200)
    subject = models.CharField(_("subject"), max_length=60)
    time = models.DateTimeField(_("time"))
    data = models.JSONField(_("data"))
    dossier = models.ForeignKey(
        Dossier, on_delete=models.CASCADE, related_name="outbox_events", verbose_name=_("dossier")
    )
    # What subscriptions filter on, copied out of `data` so that filtering needs no join.
    procedure_code = models.CharField(_("procedure"), max_length=20)
    agency_ids = models.JSONField(_("agencies"), default=list)

    class Meta:
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.type} {self.subject}"


class Delivery(models.Model):
    """One event on its way to one destination: a sink (webhook, portal, transfer) and, within
    it, a target (a subscription, a transfer; empty for the portal)."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        DEAD = "dead", _("Dead letter")

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    sink = models.CharField(_("sink"), max_length=20)
    target = models.CharField(_("target"), max_length=100, blank=True)
    # The event's subject, repeated so that a subject's deliveries are found in order by index.
    subject = models.CharField(_("subject"), max_length=60)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    # A worker sending this delivery holds it until then; a worker killed mid-send loses it
    # when the lease runs out, and another worker sends it again.
    leased_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "sink", "target"], name="interop_delivery_once_per_target"
            )
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["sink", "target", "subject", "event"]),
        ]

    def __str__(self) -> str:
        return f"{self.sink}:{self.target} {self.event_id}"
