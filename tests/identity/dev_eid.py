"""Helpers for driving the development e-ID provider as a relying party would."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

from django.test import Client
from django.urls import reverse
from joserfc import jwt
from joserfc.jwk import KeySet, KeySetSerialization

CLIENT_ID = "rp"
CLIENT_SECRET = "rp-secret"
REDIRECT_URI = "http://testserver/cb"
CLIENTS = [
    {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": [REDIRECT_URI]}
]
SCOPE = "openid profile address phone vn_eid vn_organisation"
ISSUER = "http://idp.example/dev-eid"  # the provider's issuer when PUBLIC_URL is idp.example
# The persona "mai" as an applicant (identity/data/personas.yaml).
MAI = {
    "name": "Trần Thị Mai",
    "id_number": "022190012345",
    "birth_date": "1990-05-12",
    "address": "Số 18 phố Lê Thánh Tông, phường Hồng Gai, tỉnh Quảng Ninh",
}


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


def authorize(
    client: Client,
    login: Login,
    persona: str = "mai",
    issuer: str = ISSUER,
    **overrides: str | None,
) -> str:
    """Choose `persona` on the chooser and return the code the redirect carries."""
    response = client.post(
        reverse("dev_eid:authorize"), login.params(**overrides) | {"persona": persona}
    )
    assert response.status_code == 302, response.content
    answer = query(response["Location"])
    assert response["Location"].startswith(REDIRECT_URI + "?")
    assert answer["state"] == login.state
    assert answer["iss"] == issuer
    return answer["code"]


def redeem(client: Client, login: Login, code: str, **overrides: str) -> Any:
    return client.post(
        reverse("dev_eid:token"),
        login.token_form(code, **overrides),
        HTTP_AUTHORIZATION=basic(),
    )


def app_tokens(issuer: str, persona: str = "mai") -> dict[str, str]:
    """The access and ID tokens of a login of `persona`, as a citizen's app obtains them."""
    client, login = Client(), Login()
    tokens = redeem(client, login, authorize(client, login, persona=persona, issuer=issuer)).json()
    return {"access": tokens["access_token"], "id": tokens["id_token"]}


def eid_headers(tokens: dict[str, str]) -> dict[str, str]:
    """The headers that carry an e-ID login to the public API's online filing."""
    return {"Authorization": f"Bearer {tokens['access']}", "X-Eid-Id-Token": tokens["id"]}
