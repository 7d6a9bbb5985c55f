from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """One message to one applicant on one channel: the outbox and the log at once.

    `motcua.core.notifications.notify()` writes the row inside the caller's transaction; the
    `deliver_notification` job sends it after the commit. The message fields are written once;
    afterwards only the delivery fields (state, attempts, error, provider id, sent at) change.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")
        ZALO = "zalo", _("Zalo")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        # The last attempt failed; the job kit may still retry it (see `attempts`).
        FAILED = "failed", _("Failed")

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    # An email address, a mobile number as 84xxxxxxxxx, or a Zalo user id. 320: the longest
    # address Django's email validator accepts.
    recipient = models.CharField(_("recipient"), max_length=320)
    subject = models.TextField(_("subject"), blank=True, default="")
    body = models.TextField(_("body"))
    # How many SMS segments the body takes (the operator bills each one); empty on other channels.
    segments = models.PositiveSmallIntegerField(_("SMS segments"), null=True, blank=True)
    reference = models.CharField(_("reference"), max_length=100, blank=True, db_index=True)
    topic = models.CharField(_("topic"), max_length=100, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True, default="")
    provider_id = models.CharField(_("provider message id"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return f"{self.channel} → {self.recipient} ({self.state})"
