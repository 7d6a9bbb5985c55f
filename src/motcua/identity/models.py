"""Tables of the identity app."""

from __future__ import annotations

from django.db import models


class DevEidGrant(models.Model):
    """One authorization code of the development e-ID provider and the access token it was
    exchanged for. A row, not a signed stateless code: a code must be spent exactly once, and
    a replayed one must revoke what it issued (RFC 6749 §4.1.2), which needs state that every
    process sees. Codes and tokens are stored as SHA-256 digests; rows are purged an hour after
    their code expired, long after the token they issued has."""

    code_hash = models.CharField(max_length=64, unique=True)
    client_id = models.CharField(max_length=100)
    redirect_uri = models.TextField()
    code_challenge = models.CharField(max_length=43)
    nonce = models.CharField(max_length=255)
    scope = models.TextField()
    persona = models.CharField(max_length=50)
    acr = models.CharField(max_length=50)
    auth_time = models.DateTimeField()
    code_expires_at = models.DateTimeField(db_index=True)
    redeemed_at = models.DateTimeField(null=True, blank=True)
    access_token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    access_expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.client_id} / {self.persona} at {self.auth_time:%Y-%m-%d %H:%M}"
