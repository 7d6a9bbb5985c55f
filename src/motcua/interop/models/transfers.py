"""Transfers between motcua instances: the peers this instance trusts (their public keys) and
each dossier sent to one or received from one, with the status updates that flow back."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from motcua.dossiers.models import Dossier


class Peer(models.Model):
    """Another motcua instance. Its base URL is its instance id (its MOTCUA_PUBLIC_URL): the
    `iss` of its envelopes and the `to` of ours. Envelopes are trusted only when signed by one
    of its public keys and only while it is active."""

    name = models.CharField(_("name"), max_length=150)
    base_url = models.URLField(_("base URL (instance id)"), max_length=200, unique=True)
    jwks = models.JSONField(
        _("public keys (JWKS)"), help_text=_('A JSON Web Key Set: {"keys": [...]}.')
    )
    active = models.BooleanField(_("active"), default=True)
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("peer instance")
        verbose_name_plural = _("peer instances")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Transfer(models.Model):
    """One dossier sent to a peer (out) or received from one (in). The envelope id is the
    idempotency key on both sides: the receiver answers a repeated envelope with the answer it
    stored the first time and files nothing."""

    class Direction(models.TextChoices):
        OUT = "out", _("Sent")
        IN = "in", _("Received")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for the peer's answer")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        REJECTED = "rejected", _("Rejected")

    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    envelope_id = models.UUIDField(_("envelope id"), default=uuid.uuid4, editable=False)
    peer = models.ForeignKey(
        Peer, verbose_name=_("peer"), on_delete=models.PROTECT, related_name="transfers"
    )
    # Out: the original here; in: the linked copy filed here (none when rejected).
    dossier = models.ForeignKey(
        Dossier,
        verbose_name=_("dossier here"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transfers",
    )
    remote_code = models.CharField(_("dossier code at the peer"), max_length=60, blank=True)
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.PENDING
    )
    note = models.TextField(_("note"), blank=True)
    error = models.TextField(_("error"), blank=True)
    # In: the verified payload (without the documents' bytes) and the signed answer given, so
    # that a replayed envelope gets the very same answer.
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    answer = models.TextField(_("signed answer"), blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["direction", "envelope_id"], name="interop_transfer_envelope_once"
            )
        ]

    def __str__(self) -> str:
        code = self.dossier.code if self.dossier else self.remote_code
        return f"{self.get_direction_display()} {code} ↔ {self.peer}"


class TransferUpdate(models.Model):
    """An envelope received about a transfer, one per peer event (its id is the idempotency
    key), with what it did here: a status change of a dossier sent out, or a supplement of a
    dossier received."""

    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="updates")
    event_id = models.UUIDField(_("event id"), unique=True)
    status = models.PositiveSmallIntegerField(_("status at the peer"))
    action = models.CharField(_("action at the peer"), max_length=40)
    applied = models.CharField(_("applied here as"), max_length=40, blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("transfer status update")
        verbose_name_plural = _("transfer status updates")
        ordering = ["transfer", "pk"]

    def __str__(self) -> str:
        return f"{self.transfer_id} {self.action} ({self.status})"
