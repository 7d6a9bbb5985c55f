"""Other agencies' systems as API clients: an OAuth 2.0 application (client credentials) with
what motcua knows of it, the authorisations that say what it may do to which dossiers, and one
row per call it made."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from oauth2_provider.settings import oauth2_settings

from motcua.catalogue.models import Confidentiality, Procedure
from motcua.interop.clients.scopes import SCOPES
from motcua.organisation.models import Agency

# django-ratelimit's rate syntax: requests / period, e.g. 600/m or 100/5s.
rate_validator = RegexValidator(
    r"^[1-9][0-9]*/[1-9]?[0-9]*[smhd]$",
    _("Write a rate as requests/period, e.g. 600/m, 100/10s or 10000/d."),
)


def validate_scopes(value: object) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError(_("Choose at least one scope."))
    unknown = sorted(str(code) for code in value if code not in SCOPES)
    if unknown:
        raise ValidationError(_("Unknown scopes: %(codes)s."), params={"codes": ", ".join(unknown)})


class ApiClient(models.Model):
    """One other system. Its OAuth application holds the credentials (the secret is hashed);
    its service account is who the audit log and the dossiers' histories name for its calls."""

    application = models.OneToOneField(
        oauth2_settings.APPLICATION_MODEL,
        verbose_name=_("OAuth application"),
        on_delete=models.PROTECT,
        related_name="api_client",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("service account"),
        on_delete=models.PROTECT,
        related_name="api_client",
        help_text=_("Cannot log in; names the system in audit logs and dossier histories."),
    )
    name = models.CharField(_("system name"), max_length=150)
    organisation = models.CharField(
        _("owning agency or organisation"),
        max_length=255,
        help_text=_("Who runs the system and answers for its use of the data."),
    )
    contact_name = models.CharField(_("contact person"), max_length=150, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("An inactive client gets no tokens and its tokens are refused."),
    )
    rate_limit = models.CharField(
        _("rate limit"),
        max_length=20,
        default="600/m",
        validators=[rate_validator],
        help_text=_("Calls allowed per period, e.g. 600/m (per minute) or 10000/d (per day)."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def client_id(self) -> str:
        return str(self.application.client_id)


class Authorisation(models.Model):
    """Scopes granted over the dossiers of some procedures (or all) whose competent or receiving
    agency is one of `agencies` or below one of them, up to a confidentiality level."""

    client = models.ForeignKey(
        ApiClient,
        verbose_name=_("API client"),
        on_delete=models.CASCADE,
        related_name="authorisations",
    )
    scopes = models.JSONField(_("scopes"), default=list, validators=[validate_scopes])
    all_procedures = models.BooleanField(
        _("all procedures"),
        default=False,
        help_text=_("Every procedure of the catalogue, including those added later."),
    )
    procedures = models.ManyToManyField(
        Procedure, verbose_name=_("procedures"), blank=True, related_name="+"
    )
    agencies = models.ManyToManyField(
        Agency,
        verbose_name=_("agencies"),
        related_name="+",
        help_text=_(
            "Dossiers whose competent or receiving agency is one of these or one of their "
            "sub-agencies."
        ),
    )
    max_confidentiality = models.PositiveSmallIntegerField(
        _("maximum confidentiality"),
        choices=Confidentiality.choices,
        default=Confidentiality.PUBLIC,
        help_text=_("Dossiers of procedures above this level stay out of reach."),
    )

    class Meta:
        verbose_name = _("authorisation")
        verbose_name_plural = _("authorisations")

    def __str__(self) -> str:
        return f"{self.client}: {' '.join(self.scopes)}"


class ApiCall(models.Model):
    """One request to the exchange API, answered or refused (401, 403, 429 included). Written
    once, never updated: the log of who read and filed what."""

    client = models.ForeignKey(
        ApiClient,
        verbose_name=_("API client"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="calls",
        help_text=_("Empty when the token named no known client."),
    )
    at = models.DateTimeField(_("at"), db_index=True)
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=500)
    status = models.PositiveSmallIntegerField(_("status code"))
    resource = models.CharField(_("resource"), max_length=100, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))

    class Meta:
        verbose_name = _("API call")
        verbose_name_plural = _("API calls")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["client", "at"])]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status}"
