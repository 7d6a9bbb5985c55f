from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One row of the append-only audit log, chained to the previous row of its chain by SHA-256.

    `hash` covers every other field and `prev_hash`, so editing, deleting or reordering a row
    breaks the chain at that row; `motcua verify-audit` names the first broken one. The log is
    split into a fixed number of chains (by object) so that writers about different objects do
    not queue on one lock; all rows about one object stay in one chain, in order.
    """

    chain = models.PositiveSmallIntegerField(_("chain"))
    at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    actor_label = models.CharField(_("actor name"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("object"), max_length=300, blank=True)
    old_values = models.JSONField(_("old values"), default=dict, blank=True)
    new_values = models.JSONField(_("new values"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        ordering = ["-id"]
        indexes = [models.Index(fields=["chain", "id"], name="core_audite_chain_1d0b6e_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_repr}"


class AuditChainHead(models.Model):
    """The row writers of one chain lock to append to it one at a time."""

    chain = models.PositiveSmallIntegerField(primary_key=True)
    last_hash = models.CharField(max_length=64)
    last_entry_id = models.BigIntegerField(null=True)

    class Meta:
        verbose_name = _("audit chain head")

    def __str__(self) -> str:
        return self.last_hash
