"""Helpers for driving the development e-ID provider as a relying party would."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet, KeySetSerialization

CLIENT_ID = "rp"
CLIENT_SECRET = "rp-secret"
REDIRECT_URI = "http://testserver/cb"
CLIENTS = [
    {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": [REDIRECT_URI]}
]
SCOPE = "openid profile address phone vn_eid vn_organisation"


def s256(verifier: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


@dataclass
class Login:
    """One authorization request's secrets, as the relying party keeps them."""

    verifier: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    state: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    nonce: str = field(default_factory=lambda: secrets.token_urlsafe(16))

    def params(self, **overrides: str | None) -> dict[str, str]:
        defaults: dict[str, str | None] = {
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
            "response_type": "code",
            "scope": SCOPE,
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": s256(self.verifier),
            "code_challenge_method": "S256",
        }
        params = defaults | overrides
        return {name: value for name, value in params.items() if value is not None}

    def token_form(self, code: str, **overrides: str) -> dict[str, str]:
        return {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": self.verifier,
        } | overrides


def query(location: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


def basic(client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def verified_claims(id_token: str, jwks: dict[str, Any]) -> dict[str, Any]:
    """The ID token's claims after checking its ES256 signature against the published keys."""
    keys = KeySet.import_key_set(cast(KeySetSerialization, jwks))
    token = jwt.decode(id_token, keys, algorithms=["ES256"])
    assert token.header["alg"] == "ES256"
    assert token.header["kid"] == jwks["keys"][0]["kid"]
    return dict(token.claims)
