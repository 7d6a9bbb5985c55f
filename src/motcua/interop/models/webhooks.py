"""Webhook subscriptions: another system's address that receives the outbox events it chose,
signed with a secret shared with it (the Standard Webhooks scheme, see motcua.interop.webhooks).

The secret must be read back to sign each request, so it cannot be kept as a hash the way API
client secrets are. It is stored encrypted (Fernet) under a key derived from SECRET_KEY: a
database dump, a replica or a backup then does not let anyone forge events to the receivers;
whoever also has the deployment's SECRET_KEY could, but could forge sessions already. After
a SECRET_KEY rotation the old key stays in SECRET_KEY_FALLBACKS until the secrets are reissued.
"""

from __future__ import annotations

import base64
import ipaddress
import re
import secrets
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from motcua.catalogue.models import Procedure
from motcua.organisation.models import Agency

SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's marker, not a secret)
# Standard Webhooks asks for 24 to 64 random bytes.
SECRET_BYTES = 32
EVENT_TYPE_PATTERN = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")
LOCAL_HOSTS = frozenset({"localhost"})


class Subscription(models.Model):
    name = models.CharField(_("name"), max_length=200)
    callback_url = models.URLField(
        _("callback URL"),
        max_length=500,
        help_text=_("HTTPS address that receives the events (HTTP only on this machine)."),
    )
    sealed_secret = models.TextField(editable=False)
    event_types = models.JSONField(
        _("event types"),
        default=list,
        blank=True,
        help_text=_(
            "Event types or dotted prefixes, e.g. vn.motcua.dossier.received or "
            "vn.motcua.dossier; empty: every event."
        ),
    )
    agencies = models.ManyToManyField(
        Agency,
        verbose_name=_("agencies"),
        blank=True,
        related_name="+",
        help_text=_(
            "Events of dossiers received or handled by these agencies or their sub-agencies; "
            "empty: every agency."
        ),
    )
    procedures = models.ManyToManyField(
        Procedure,
        verbose_name=_("procedures"),
        blank=True,
        related_name="+",
        help_text=_("Events of dossiers of these procedures; empty: every procedure."),
    )
    active = models.BooleanField(_("active"), default=True)
    deactivated_at = models.DateTimeField(
        _("deactivated by the receiver"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When the receiver answered 410 Gone: it wants no more events."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def secret(self) -> str:
        """The signing secret, `whsec_` + base64. Raises InvalidToken when it was sealed under
        a SECRET_KEY this deployment no longer has."""
        return _fernet().decrypt(self.sealed_secret.encode()).decode()

    def issue_secret(self) -> str:
        """A new random secret (the old one stops working once saved); returned to be shown."""
        secret = SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()
        self.sealed_secret = _fernet().encrypt(secret.encode()).decode()
        return secret

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.callback_url and not callback_allowed(self.callback_url):
            errors["callback_url"] = [
                str(_("Use an https:// address (http:// only for this machine)."))
            ]
        if not isinstance(self.event_types, list) or not all(
            isinstance(t, str) and EVENT_TYPE_PATTERN.match(t) for t in self.event_types
        ):
            errors["event_types"] = [
                str(_("A list of event types or prefixes such as vn.motcua.dossier."))
            ]
        if errors:
            raise ValidationError(errors)

    def wants(self, event_type: str) -> bool:
        return type_matches(self.event_types, event_type)


def type_matches(filters: list[str], event_type: str) -> bool:
    """An empty filter passes every type; an entry passes its own type and, as a prefix, the
    types below it (vn.motcua.dossier passes vn.motcua.dossier.received)."""
    return not filters or any(
        event_type == entry or event_type.startswith(entry + ".") for entry in filters
    )


def callback_allowed(url: str) -> bool:
    """HTTPS anywhere; plain HTTP to a loopback address, or anywhere when the deployment allows
    it (WEBHOOKS_ALLOW_HTTP, for a closed network without TLS)."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return True
    if parts.scheme != "http":
        return False
    if settings.WEBHOOKS_ALLOW_HTTP:
        return True
    host = parts.hostname or ""
    if host in LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _fernet() -> MultiFernet:
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return MultiFernet([Fernet(_fernet_key(key)) for key in keys])


def _fernet_key(secret_key: str | bytes) -> bytes:
    digest = salted_hmac(
        "motcua.interop.webhook-secret", "fernet", secret=secret_key, algorithm="sha256"
    ).digest()
    return base64.urlsafe_b64encode(digest)
