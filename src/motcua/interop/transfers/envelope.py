"""Signed envelopes between motcua instances: a compact JWS (Ed25519, RFC 9864) over a JSON
payload that names its kind, its sender and its recipient.

The protected header carries `kid` and `iss` (the sender's instance id), so the receiver picks
the peer's keys before verifying. A receiver accepts an envelope only when `iss` is an active
known peer, the signature verifies with one of that peer's keys, the payload's `from` is `iss`,
its `to` is this instance and its `kind` the one the endpoint takes: an envelope signed for
another instance, or of another kind, cannot be replayed here.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry
from joserfc.registry import HeaderParameter

from motcua.core.errors import MotcuaError
from motcua.interop.models import Peer
from motcua.interop.transfers import keys

TYP = "motcua-envelope+jws"
# `iss` is not a registered JWS header parameter: declare it, and accept only Ed25519.
REGISTRY = JWSRegistry(
    header_registry={"iss": HeaderParameter("Sender instance", "str", required=True)},
    algorithms=[keys.ALGORITHM],
)


class EnvelopeError(MotcuaError):
    """An envelope this instance does not trust; nothing was done with it."""

    code = "invalid_envelope"
    status = 403
    default_message = _("The envelope is not one this instance accepts.")


def seal(kind: str, to: str, body: dict[str, Any]) -> str:
    """Sign `body` as an envelope of `kind` from this instance to the instance `to`."""
    payload = {"kind": kind, "from": settings.PUBLIC_URL, "to": to, **body}
    header = {"alg": keys.ALGORITHM, "kid": keys.key_id(), "typ": TYP, "iss": settings.PUBLIC_URL}
    data = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    return str(jws.serialize_compact(header, data, keys.signing_key(), registry=REGISTRY))


def open_envelope(
    token: str, kinds: frozenset[str], *, peer: Peer | None = None
) -> tuple[Peer, dict[str, Any]]:
    """The verified sender and payload of `token`; EnvelopeError for anything untrusted.
    `peer`: the only sender accepted (an answer must come from the peer that was asked)."""
    try:
        header = jws.extract_compact(token.encode()).headers()
    except (JoseError, ValueError) as error:
        raise EnvelopeError(
            _("This is not a signed envelope."), code="malformed", status=400
        ) from error
    issuer = header.get("iss")
    sender = peer or Peer.objects.filter(base_url=issuer, active=True).first()
    if sender is None or sender.base_url != issuer or not sender.active:
        raise EnvelopeError(_("The sender is not a known peer instance."), code="unknown_peer")
    try:
        verified = jws.deserialize_compact(
            token, KeySet.import_key_set(sender.jwks), registry=REGISTRY
        )
        payload = json.loads(verified.payload)
    except (JoseError, ValueError) as error:
        raise EnvelopeError(
            _("The envelope's signature does not verify."), code="bad_signature"
        ) from error
    if not isinstance(payload, dict) or payload.get("from") != sender.base_url:
        raise EnvelopeError(_("The envelope's sender does not match."), code="bad_signature")
    if payload.get("to") != settings.PUBLIC_URL:
        raise EnvelopeError(
            _("The envelope is addressed to another instance."), code="wrong_recipient"
        )
    if payload.get("kind") not in kinds:
        raise EnvelopeError(_("This endpoint does not take this kind of envelope."), status=400)
    return sender, payload
