"""Verifiable credentials issued for results: the status lists that revoke them, the
credentials themselves, the offers that hand them to a wallet, and each delivery to one."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from motcua.dossiers.models import Result
from motcua.organisation.models import Agency

STATUS_LIST_SIZE = 65_536
STATUS_LIST_BITS = 2


class StatusList(models.Model):
    """One Token Status List of an agency (draft-ietf-oauth-status-list): `size` entries of
    `bits` bits each; a credential owns one entry, allocated at random among the free ones."""

    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="+"
    )
    number = models.PositiveIntegerField(_("list number"))
    size = models.PositiveIntegerField(_("entries"), default=STATUS_LIST_SIZE)
    bits = models.PositiveSmallIntegerField(_("bits per entry"), default=STATUS_LIST_BITS)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("status list")
        verbose_name_plural = _("status lists")
        constraints = [
            models.UniqueConstraint(fields=["agency", "number"], name="status_list_agency_number")
        ]

    def __str__(self) -> str:
        return self.path_suffix

    @property
    def path_suffix(self) -> str:
        """ "<agency code>/<number>": what the compact seal carries instead of the whole uri."""
        return f"{self.agency.code}/{self.number}"

    @property
    def uri(self) -> str:
        from motcua.credentials.keys import issuer_id

        return f"{issuer_id()}/status/{self.path_suffix}"


class IssuedCredential(models.Model):
    """The credential of one granted result: who holds it, where its status lives, and that
    status. The SD-JWT itself is built anew for each wallet (bound to the wallet's key)."""

    class Status(models.TextChoices):
        VALID = "valid", _("Valid")
        REVOKED = "revoked", _("Revoked")
        SUSPENDED = "suspended", _("Suspended")

    result = models.OneToOneField(
        Result, verbose_name=_("result"), on_delete=models.PROTECT, related_name="credential"
    )
    holder_id_number = models.CharField(_("holder's ID number"), max_length=20, db_index=True)
    holder_name = models.CharField(_("holder's name"), max_length=255)
    vct = models.CharField(_("credential type"), max_length=300)
    status_list = models.ForeignKey(
        StatusList, verbose_name=_("status list"), on_delete=models.PROTECT, related_name="+"
    )
    status_index = models.PositiveIntegerField(_("status list index"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.VALID
    )
    status_reason = models.TextField(_("reason for the status"), blank=True)
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("status changed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("issued at"))
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        verbose_name = _("issued credential")
        verbose_name_plural = _("issued credentials")
        constraints = [
            models.UniqueConstraint(
                fields=["status_list", "status_index"], name="credential_status_entry"
            )
        ]

    def __str__(self) -> str:
        return f"{self.result.number} {self.holder_name}"

    @property
    def type_name(self) -> str:
        """The last segment of the vct, e.g. "birth_certificate"."""
        return self.vct.rsplit("/", 1)[-1]


class CredentialOffer(models.Model):
    """One credential offer (OpenID4VCI 1.0 §4, pre-authorized code flow). Only hashes of the
    pre-authorized code, the transaction code and the access token are stored: a leaked
    database hands out no credential."""

    credential = models.ForeignKey(
        IssuedCredential, on_delete=models.CASCADE, related_name="offers"
    )
    code_hash = models.CharField(max_length=64, unique=True)
    tx_code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    # Set when a newer offer replaces this one, or when too many wrong transaction codes
    # killed it: it can no longer be redeemed.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    redeemed_at = models.DateTimeField(null=True, blank=True)
    access_token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    # A replay of the pre-authorized code revokes the access token it yielded (RFC 6749
    # §4.1.2): the code may have been stolen.
    token_revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("credential offer")
        verbose_name_plural = _("credential offers")

    def __str__(self) -> str:
        return f"{self.credential_id} @ {self.created_at:%Y-%m-%d %H:%M}"


class Nonce(models.Model):
    """A c_nonce (OpenID4VCI 1.0 §7): the wallet signs it into its key proof; single use."""

    value_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"nonce until {self.expires_at:%H:%M:%S}"


class Delivery(models.Model):
    """One credential actually issued to a wallet: a hash of the SD-JWT and the key it is
    bound to, and what the wallet later notified (accepted, deleted, failure)."""

    class Event(models.TextChoices):
        ACCEPTED = "credential_accepted", _("Accepted by the wallet")
        DELETED = "credential_deleted", _("Deleted by the holder")
        FAILURE = "credential_failure", _("Failed in the wallet")

    credential = models.ForeignKey(
        IssuedCredential, on_delete=models.CASCADE, related_name="deliveries"
    )
    offer = models.ForeignKey(CredentialOffer, on_delete=models.CASCADE, related_name="+")
    sd_jwt_sha256 = models.CharField(max_length=64)
    holder_key_thumbprint = models.CharField(max_length=64)
    notification_id = models.CharField(max_length=64, unique=True)
    delivered_at = models.DateTimeField(auto_now_add=True)
    event = models.CharField(max_length=30, choices=Event.choices, blank=True)
    event_description = models.CharField(max_length=500, blank=True)
    event_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("credential delivery")
        verbose_name_plural = _("credential deliveries")
        ordering = ["-delivered_at"]

    def __str__(self) -> str:
        return f"{self.credential_id} → {self.holder_key_thumbprint[:12]}"
