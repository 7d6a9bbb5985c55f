"""National portal synchronisation: which procedure the portal knows under which code, which
dossiers the portal knows, and the dossiers pulled from it."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from motcua.catalogue.models import Procedure
from motcua.dossiers.models import Dossier

# A national procedure code (2.000815), optionally followed by a locality suffix in the form of
# an agency code (.000.00.00.H22).
portal_code_validator = RegexValidator(
    r"^[0-9]\.[0-9]{6}(?:\.(?:[0-9A-Z]{2,3}\.)*[A-Y][0-9]{2})?$",
    _("A national procedure code such as 2.000815, optionally with a suffix (.000.00.00.H22)."),
    code="portal_code",
)


class PortalProcedure(models.Model):
    """A local procedure's code on the national portal, where it is not the default (the
    procedure's national code, followed by the province's locality suffix if one is set)."""

    procedure = models.OneToOneField(
        Procedure,
        verbose_name=_("procedure"),
        on_delete=models.CASCADE,
        related_name="portal_mapping",
    )
    portal_code = models.CharField(
        _("code on the national portal"),
        max_length=60,
        unique=True,
        validators=[portal_code_validator],
        help_text=_(
            "As the national portal lists the procedure, e.g. 2.000815.000.00.00.H22. How the "
            "portal codes a province's procedures is known only from public code, not from a "
            "published rule: check it against the portal's own list."
        ),
    )

    class Meta:
        verbose_name = _("procedure code on the national portal")
        verbose_name_plural = _("procedure codes on the national portal")
        ordering = ["procedure__code"]

    def __str__(self) -> str:
        return f"{self.procedure.code} → {self.portal_code}"


class PortalDossier(models.Model):
    """The portal knows this dossier: it was synchronised (its first push), or it was filed on
    the portal and acknowledged. Later events are pushed to it as status changes."""

    class Source(models.TextChoices):
        PUSHED = "pushed", _("Synchronised from motcua")
        PULLED = "pulled", _("Filed on the national portal")

    dossier = models.OneToOneField(
        Dossier, verbose_name=_("dossier"), on_delete=models.CASCADE, related_name="portal"
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    known_since = models.DateTimeField(_("known to the portal since"))

    class Meta:
        verbose_name = _("dossier on the national portal")
        verbose_name_plural = _("dossiers on the national portal")

    def __str__(self) -> str:
        return str(self.dossier_id)


class PulledSubmission(models.Model):
    """A dossier filed on the national portal and pulled into intake: filed here once (the
    portal id is unique), or rejected with the problems found (never tried again)."""

    class State(models.TextChoices):
        FILED = "filed", _("Filed")
        REJECTED = "rejected", _("Rejected")

    portal_id = models.CharField(_("id on the national portal"), max_length=100, unique=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    dossier = models.OneToOneField(
        Dossier,
        verbose_name=_("dossier"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pulled_from",
    )
    procedure_code = models.CharField(_("procedure on the portal"), max_length=60, blank=True)
    filed_at = models.CharField(_("filed on the portal at"), max_length=40, blank=True)
    pulled_at = models.DateTimeField(_("pulled at"))
    problem = models.TextField(_("problem"), blank=True)
    problem_fields = models.JSONField(_("problems by field"), default=dict, blank=True)
    # When the portal was told: acknowledged with the dossier code, or the rejection reported.
    reported_at = models.DateTimeField(_("reported to the portal at"), null=True, blank=True)

    class Meta:
        verbose_name = _("dossier pulled from the national portal")
        verbose_name_plural = _("dossiers pulled from the national portal")
        ordering = ["-pulled_at"]

    def __str__(self) -> str:
        return self.portal_id
