"""The procedure catalogue: each procedure keeps every version it ever had.

A version holds the whole procedure document (validated against `schema.PROCEDURE_SCHEMA`) and
is never edited: a change makes a new version, and a dossier keeps the version it was filed
under, so rule changes never move old deadlines or fees. The columns beside `spec` are copies of
its fields for filtering and search.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Confidentiality(models.IntegerChoices):
    """How confidential a procedure's dossiers are, lowest first (after Open Zaak's
    vertrouwelijkheidaanduiding, shortened): an API client reads a dossier only up to the
    maximum its authorisation grants."""

    PUBLIC = 1, _("Public")
    INTERNAL = 2, _("Internal")
    CONFIDENTIAL = 3, _("Confidential")
    # A document classified "Mật" (or above) under the Law on Protection of State Secrets.
    SECRET = 4, _("Secret (state secret)")


class Procedure(models.Model):
    code = models.CharField(_("national code"), max_length=20, unique=True)
    confidentiality = models.PositiveSmallIntegerField(
        _("confidentiality"),
        choices=Confidentiality.choices,
        default=Confidentiality.PUBLIC,
        help_text=_(
            "How confidential the procedure's dossiers are; every dossier of the procedure "
            "has this level. Other agencies' systems read a dossier through the API only if "
            "their authorisation reaches this level. Secret: the dossier holds a state secret "
            '("Mật" or above).'
        ),
    )
    current = models.OneToOneField(
        "ProcedureVersion",
        verbose_name=_("current version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    active = models.BooleanField(_("offered"), default=True)

    class Meta:
        verbose_name = _("procedure")
        verbose_name_plural = _("procedures")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.current.name if self.current else ''}".strip()


class ProcedureVersion(models.Model):
    class Level(models.TextChoices):
        COMMUNE = "commune", _("Commune")
        PROVINCE = "province", _("Province")
        DELEGATED = "delegated", _("Delegated by a ministry")

    class OnlineLevel(models.TextChoices):
        FULL = "full", _("Fully online")
        PARTIAL = "partial", _("Partly online")
        NONE = "none", _("In person only")

    procedure = models.ForeignKey(
        Procedure,
        verbose_name=_("procedure"),
        on_delete=models.CASCADE,
        related_name="versions",
    )
    number = models.PositiveIntegerField(_("version"))
    spec = models.JSONField(_("procedure document"))
    spec_hash = models.CharField(max_length=64, editable=False)
    name = models.CharField(_("name"), max_length=500)
    field_code = models.CharField(_("field code"), max_length=30)
    field_name = models.CharField(_("field"), max_length=200)
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    online_level = models.CharField(_("online level"), max_length=20, choices=OnlineLevel.choices)
    borderless = models.BooleanField(_("borderless"))
    search_key = models.TextField(editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("procedure version")
        verbose_name_plural = _("procedure versions")
        ordering = ["procedure", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "number"], name="one_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.procedure.code} v{self.number} {self.name}"

    @property
    def time(self) -> dict[str, Any]:
        return self.spec["time"]

    @property
    def fee(self) -> dict[str, Any]:
        return self.spec["fee"]

    @property
    def documents(self) -> list[dict[str, Any]]:
        return self.spec["documents"]
