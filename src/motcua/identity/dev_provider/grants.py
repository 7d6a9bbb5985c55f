"""Issuing and redeeming authorization codes, and finding the persona behind an access token:
the provider's writes (`DevEidGrant`), one short transaction each."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from django.db import transaction
from django.utils import timezone
from joserfc import jwt

from motcua.core.b64url import b64url
from motcua.identity.dev_provider.authorization import AuthorizationRequest, issuer
from motcua.identity.dev_provider.clients import Client
from motcua.identity.dev_provider.keys import ALGORITHM, signing_key
from motcua.identity.dev_provider.personas import LEVEL_AMR, Persona, personas
from motcua.identity.models import DevEidGrant

CODE_TTL: Final = timedelta(seconds=60)
ACCESS_TTL: Final = timedelta(minutes=10)
ID_TOKEN_TTL: Final = timedelta(minutes=5)
PURGE_AFTER: Final = timedelta(hours=1)
# RFC 7636 §4.1: 43-128 unreserved characters.
VERIFIER: Final = re.compile(r"[A-Za-z0-9._~-]{43,128}")


class GrantError(Exception):
    """A token request refused with an OAuth error code (RFC 6749 §5.2)."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


@dataclass(frozen=True)
class Tokens:
    access_token: str
    id_token: str
    expires_in: int
    scope: str

    def response(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "id_token": self.id_token,
            "scope": self.scope,
        }


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def s256(verifier: str) -> str:
    return b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def at_hash(access_token: str) -> str:
    """OpenID Connect Core §3.1.3.6: the left half of the SHA-256 of the token."""
    return b64url(hashlib.sha256(access_token.encode("ascii")).digest()[:16])


@transaction.atomic
def issue_code(*, request: AuthorizationRequest, persona: Persona) -> str:
    """A fresh single-use code for `persona`, who must meet the request's level."""
    if persona.level < request.min_level:
        raise ValueError("the persona is below the requested level")
    now = timezone.now()
    DevEidGrant.objects.filter(code_expires_at__lt=now - PURGE_AFTER).delete()
    code = secrets.token_urlsafe(32)
    DevEidGrant.objects.create(
        code_hash=_digest(code),
        client_id=request.client.client_id,
        redirect_uri=request.redirect_uri,
        code_challenge=request.code_challenge,
        nonce=request.nonce,
        scope=" ".join(sorted(request.scopes)),
        persona=persona.key,
        acr=persona.acr,
        auth_time=now,
        code_expires_at=now + CODE_TTL,
    )
    return code


def redeem_code(*, client: Client, code: str, redirect_uri: str, code_verifier: str) -> Tokens:
    """Exchange `code` for tokens, or raise GrantError.

    Not one transaction: spending the code (and revoking on a replay) must stay committed when
    the redemption then fails, which a rollback on GrantError would undo. Each write is one
    statement, atomic on its own."""
    now = timezone.now()
    grant = DevEidGrant.objects.filter(code_hash=_digest(code), client_id=client.client_id).first()
    if grant is None:
        raise GrantError("invalid_grant", "unknown code")
    # Spend the code before checking anything else, so that it is tried once only; the update
    # is conditional, so of two concurrent redemptions exactly one finds it unspent.
    spent = DevEidGrant.objects.filter(pk=grant.pk, redeemed_at__isnull=True).update(
        redeemed_at=now
    )
    if not spent:
        DevEidGrant.objects.filter(pk=grant.pk, revoked_at__isnull=True).update(revoked_at=now)
        raise GrantError("invalid_grant", "code already used; its tokens are revoked")
    if grant.code_expires_at <= now:
        raise GrantError("invalid_grant", "code expired")
    if grant.redirect_uri != redirect_uri:
        raise GrantError("invalid_grant", "redirect_uri differs from the authorization request")
    if not VERIFIER.fullmatch(code_verifier) or not secrets.compare_digest(
        s256(code_verifier), grant.code_challenge
    ):
        raise GrantError("invalid_grant", "code_verifier does not match the code_challenge")
    persona = personas()[grant.persona]
    access_token = secrets.token_urlsafe(32)
    DevEidGrant.objects.filter(pk=grant.pk).update(
        access_token_hash=_digest(access_token), access_expires_at=now + ACCESS_TTL
    )
    key = signing_key()
    issued_at = int(now.timestamp())
    claims = {
        "iss": issuer(),
        "sub": persona.sub,
        "aud": client.client_id,
        "exp": issued_at + int(ID_TOKEN_TTL.total_seconds()),
        "iat": issued_at,
        "auth_time": int(grant.auth_time.timestamp()),
        "nonce": grant.nonce,
        "acr": grant.acr,
        "amr": LEVEL_AMR[persona.level],
        "at_hash": at_hash(access_token),
    }
    header = {"alg": ALGORITHM, "kid": key.kid, "typ": "JWT"}
    return Tokens(
        access_token=access_token,
        id_token=jwt.encode(header, claims, key),
        expires_in=int(ACCESS_TTL.total_seconds()),
        scope=grant.scope,
    )


def userinfo(*, access_token: str) -> dict[str, Any] | None:
    """The claims an unexpired, unrevoked access token grants, or None."""
    grant = DevEidGrant.objects.filter(
        access_token_hash=_digest(access_token),
        access_expires_at__gt=timezone.now(),
        revoked_at__isnull=True,
    ).first()
    if grant is None:
        return None
    return personas()[grant.persona].claims(set(grant.scope.split()))
