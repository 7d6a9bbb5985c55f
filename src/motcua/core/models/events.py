from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class LiveEvent(models.Model):
    """A published live event, kept for a short replay window.

    Clients that reconnect with `Last-Event-ID` are sent the rows they missed; the id is the SSE
    event id. Old rows are pruned by a periodic job.
    """

    topic = models.CharField(_("topic"), max_length=200)
    name = models.CharField(_("event name"), max_length=100)
    data = models.JSONField(_("data"), default=dict)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("live event")
        verbose_name_plural = _("live events")
        indexes = [models.Index(fields=["topic", "id"])]

    def __str__(self) -> str:
        return f"{self.topic} {self.name} #{self.pk}"
