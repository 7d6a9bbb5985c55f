"""Credential offers and the tokens and nonces of the pre-authorized code flow (OpenID4VCI 1.0
§4, §6, §7).

The citizen's wallet page makes an offer: a pre-authorized code in a QR code or deep link, and
a 6-digit transaction code shown beside it, which the citizen types into the wallet, so that
a photographed QR alone gets nothing. Only hashes are stored. The transaction code's hash is
keyed by the pre-authorized code: a copy of the database does not give away a 6-digit code by
trying all million."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import timedelta
from typing import Any, Final
from urllib.parse import quote

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.core.errors import Conflict, MotcuaError
from motcua.credentials.keys import issuer_id
from motcua.credentials.models import CredentialOffer, IssuedCredential, Nonce

PRE_AUTHORIZED_GRANT: Final = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
OFFER_LIFETIME: Final = timedelta(minutes=10)
TOKEN_LIFETIME: Final = timedelta(minutes=10)
NONCE_LIFETIME: Final = timedelta(minutes=5)
TX_CODE_LENGTH: Final = 6
MAX_FAILED_ATTEMPTS: Final = 5
DEEP_LINK_SCHEME: Final = "openid-credential-offer://"
CONFIGURATION_PREFIX: Final = "vn.motcua."


class TokenError(MotcuaError):
    """An OAuth error of the token or a protected endpoint; `code` is the protocol's."""


def configuration_id(type_name: str) -> str:
    """The credential configuration (OpenID4VCI 1.0 §12.2.4) of a credential type."""
    return CONFIGURATION_PREFIX + type_name


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _tx_code_hash(code: str, tx_code: str) -> str:
    return hmac.new(code.encode(), tx_code.encode(), hashlib.sha256).hexdigest()


@transaction.atomic
def create_offer(credential: IssuedCredential) -> tuple[dict[str, Any], str, str]:
    """A new offer of the credential: (offer JSON, deep link, transaction code).

    It replaces the offers not yet redeemed, so that only the newest QR on the screen works.
    Only a valid credential is offered."""
    locked = IssuedCredential.objects.select_for_update().get(pk=credential.pk)
    if locked.status != IssuedCredential.Status.VALID:
        raise Conflict(
            _("This credential is revoked or suspended and cannot be added to a wallet.")
        )
    now = timezone.now()
    CredentialOffer.objects.filter(credential=locked, redeemed_at=None, withdrawn_at=None).update(
        withdrawn_at=now
    )
    code = secrets.token_urlsafe(32)
    tx_code = "".join(secrets.choice("0123456789") for _digit in range(TX_CODE_LENGTH))
    CredentialOffer.objects.create(
        credential=locked,
        code_hash=_hash(code),
        tx_code_hash=_tx_code_hash(code, tx_code),
        expires_at=now + OFFER_LIFETIME,
    )
    offer = {
        "credential_issuer": issuer_id(),
        "credential_configuration_ids": [configuration_id(locked.type_name)],
        "grants": {
            PRE_AUTHORIZED_GRANT: {
                "pre-authorized_code": code,
                # No description: the page beside the QR says what to type, and every
                # character here makes the QR code denser.
                "tx_code": {"input_mode": "numeric", "length": TX_CODE_LENGTH},
            }
        },
    }
    offer_json = json.dumps(offer, separators=(",", ":"), ensure_ascii=False)
    return offer, f"{DEEP_LINK_SCHEME}?credential_offer={quote(offer_json, safe='')}", tx_code


def redeem(*, code: str, tx_code: str | None) -> tuple[str, int]:
    """The token endpoint's pre-authorized code grant: (access token, seconds it lasts).

    Each code gives one token. A second use of a code is treated as theft: it fails and also
    revokes the token the first use got (RFC 6749 §4.1.2). Failures that change state (a wrong
    transaction code counted, a token revoked) commit before the error is raised."""
    outcome = _redeem(code, tx_code)
    if isinstance(outcome, TokenError):
        raise outcome
    return outcome, int(TOKEN_LIFETIME.total_seconds())


@transaction.atomic
def _redeem(code: str, tx_code: str | None) -> str | TokenError:
    # The row lock makes concurrent redemptions of one code take turns: the first gets the
    # token, every later one finds the code redeemed.
    offer = CredentialOffer.objects.select_for_update().filter(code_hash=_hash(code)).first()
    now = timezone.now()
    if offer is None:
        return _invalid_grant(_("Unknown pre-authorized code."))
    if offer.redeemed_at is not None:
        if offer.token_revoked_at is None:
            offer.token_revoked_at = now
            offer.save(update_fields=["token_revoked_at"])
        return _invalid_grant(
            _("This pre-authorized code was already used; its access token is revoked.")
        )
    if offer.withdrawn_at is not None:
        return _invalid_grant(_("This offer was replaced by a newer one or blocked."))
    if offer.expires_at <= now:
        return _invalid_grant(_("This offer has expired; make a new one on the wallet page."))
    if not tx_code:
        return TokenError(_("Enter the transaction code."), code="invalid_request")
    if not hmac.compare_digest(offer.tx_code_hash, _tx_code_hash(code, tx_code)):
        offer.failed_attempts += 1
        if offer.failed_attempts >= MAX_FAILED_ATTEMPTS:
            offer.withdrawn_at = now
        offer.save(update_fields=["failed_attempts", "withdrawn_at"])
        return _invalid_grant(_("Wrong transaction code."))
    token = secrets.token_urlsafe(32)
    offer.redeemed_at = now
    offer.access_token_hash = _hash(token)
    offer.token_expires_at = now + TOKEN_LIFETIME
    offer.save(update_fields=["redeemed_at", "access_token_hash", "token_expires_at"])
    return token


def _invalid_grant(message: Any) -> TokenError:
    return TokenError(message, code="invalid_grant")


def offer_for_token(access_token: str) -> CredentialOffer:
    """The offer a live access token was issued for; `invalid_token` (401) otherwise."""
    offer = (
        CredentialOffer.objects.filter(
            access_token_hash=_hash(access_token),
            token_expires_at__gt=timezone.now(),
            token_revoked_at=None,
        ).first()
        if access_token
        else None
    )
    if offer is None:
        raise TokenError(
            _("The access token is unknown, expired or revoked."), code="invalid_token", status=401
        )
    return offer


def new_nonce() -> str:
    """A fresh c_nonce for a key proof; expired ones are cleared on the way."""
    now = timezone.now()
    Nonce.objects.filter(expires_at__lte=now).delete()
    value = secrets.token_urlsafe(24)
    Nonce.objects.create(value_hash=_hash(value), expires_at=now + NONCE_LIFETIME)
    return value


def consume_nonce(value: str) -> bool:
    """Use up a live nonce: True once, False after (a single DELETE, so two concurrent
    uses cannot both win)."""
    deleted, _rows = Nonce.objects.filter(
        value_hash=_hash(value), expires_at__gt=timezone.now()
    ).delete()
    return deleted == 1
