"""motcua as a relying party of the e-ID provider: OpenID Connect, authorization code flow with
PKCE (S256), an assurance level asked for with ``acr_values`` and checked in the ID token.

The provider is configured by settings (``EID_ISSUER``, ``EID_CLIENT_ID``,
``EID_CLIENT_SECRET``); in the demo it is the development provider this process serves. Its
metadata comes from discovery; the ID token is checked against its published keys (ES256):
issuer, audience, expiry, nonce, ``at_hash`` and the level. The citizen's claims come from
userinfo, whose ``sub`` must be the ID token's.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import warnings
from dataclasses import dataclass
from typing import Any, Final, cast

import httpx
from authlib.deprecate import AuthlibDeprecationWarning
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, KeySetSerialization

from motcua.core.b64url import b64url
from motcua.core.errors import MotcuaError

# Authlib 1.9 announces a move of its httpx client to "httpx2", which is not on the package
# index yet; the client works, and the notice would be printed by every process.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", category=AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import OAuth2Client

LEVEL_ACR: Final = {1: "urn:vneid:level1", 2: "urn:vneid:level2"}
ACR_LEVEL: Final = {acr: level for level, acr in LEVEL_ACR.items()}
SCOPE: Final = "openid profile address phone vn_eid vn_organisation"
CALLBACK_PATH: Final = "/login/eid/callback"
TIMEOUT: Final = httpx.Timeout(5.0, connect=2.0)
METADATA_SECONDS: Final = 600
FLOW_SECONDS: Final = 600  # a login not finished in ten minutes starts again
_FLOW = "eid_flow"


@dataclass(frozen=True)
class Citizen:
    """Who logged in, as the provider vouches: the claims motcua uses."""

    sub: str
    id_number: str
    name: str
    birth_date: str  # YYYY-MM-DD
    gender: str
    address: str
    phone: str
    level: int
    guardian: dict[str, str] | None
    organisation: dict[str, Any] | None


@dataclass(frozen=True)
class Provider:
    issuer: str
    client_id: str
    client_secret: str


def provider() -> Provider:
    issuer = settings.EID_ISSUER or (
        settings.PUBLIC_URL + "/dev-eid" if settings.DEV_EID_PROVIDER else ""
    )
    if not issuer:
        raise _failed(_("No e-ID provider is configured on this deployment."))
    secret = settings.EID_CLIENT_SECRET
    if not secret and settings.DEV_EID_PROVIDER:
        from motcua.identity.dev_provider.clients import default_secret

        secret = default_secret()
    return Provider(issuer.rstrip("/"), settings.EID_CLIENT_ID, secret)


def callback_url() -> str:
    return settings.PUBLIC_URL + CALLBACK_PATH


def _failed(message: str) -> MotcuaError:
    return MotcuaError(message, code="eid_login_failed", status=400)


def metadata(issuer: str) -> dict[str, Any]:
    """The provider's discovery document, kept ten minutes."""
    key = f"eid-metadata:{hashlib.sha256(issuer.encode()).hexdigest()}"
    found = cache.get(key)
    if found is None:
        found = _get_json(f"{issuer}/.well-known/openid-configuration")
        if found.get("issuer") != issuer:
            raise _failed(_("The e-ID provider answered for another issuer."))
        cache.set(key, found, METADATA_SECONDS)
    return cast(dict[str, Any], found)


def _get_json(url: str, **options: Any) -> dict[str, Any]:
    try:
        response = httpx.get(url, timeout=TIMEOUT, **options)
        response.raise_for_status()
        return cast(dict[str, Any], response.json())
    except (httpx.HTTPError, ValueError) as error:
        raise MotcuaError(
            _("The e-ID provider is not answering. Try again in a few minutes."),
            code="eid_unavailable",
            status=503,
        ) from error


def _client(config: Provider) -> OAuth2Client:
    return OAuth2Client(
        client_id=config.client_id,
        client_secret=config.client_secret,
        scope=SCOPE,
        redirect_uri=callback_url(),
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",  # noqa: S106  (a method's name)
        timeout=TIMEOUT,
    )


def start(request: HttpRequest, *, level: int, next_url: str) -> str:
    """The provider's authorization URL for a login of at least `level`; the flow's secrets
    (state, nonce, PKCE verifier) wait in the session for the callback."""
    config = provider()
    endpoints = metadata(config.issuer)
    verifier, state, nonce = (secrets.token_urlsafe(48) for _ in range(3))
    request.session[_FLOW] = {
        "state": state,
        "nonce": nonce,
        "verifier": verifier,
        "level": level,
        "next": next_url,
        "started": time.time(),
    }
    with _client(config) as client:
        url, _state = client.create_authorization_url(
            endpoints["authorization_endpoint"],
            state=state,
            code_verifier=verifier,
            nonce=nonce,
            acr_values=LEVEL_ACR[level],
            prompt="login",
        )
    return str(url)


def finish(request: HttpRequest) -> tuple[Citizen, str]:
    """The citizen of a completed login, and where to go next; refused with the reason."""
    flow = request.session.pop(_FLOW, None)
    if flow is None or time.time() - flow["started"] > FLOW_SECONDS:
        raise _failed(_("This login has expired or was already used: log in again."))
    answer = request.GET
    if answer.get("error"):
        raise _failed(_("The login was cancelled or refused at the e-ID provider."))
    if not secrets.compare_digest(answer.get("state", ""), flow["state"]):
        raise _failed(_("This login answer is not for this browser: log in again."))
    config = provider()
    endpoints = metadata(config.issuer)
    if answer.get("iss", config.issuer) != config.issuer:  # RFC 9207
        raise _failed(_("The login answer came from another e-ID provider."))
    tokens = _tokens(config, endpoints, answer.get("code", ""), flow["verifier"])
    citizen = _verified_citizen(config, endpoints, tokens, flow["nonce"])
    if citizen.level < flow["level"]:
        raise _failed(
            _("This service needs an e-ID of level %(level)s; the account used is not.")
            % {"level": flow["level"]}
        )
    return citizen, str(flow["next"])


def citizen_from_tokens(*, access_token: str, id_token: str) -> Citizen:
    """The citizen of tokens an app obtained from the e-ID provider for motcua's client (the
    public API's online filing): the ID token must be ours (issuer, audience, expiry) and bound
    to the access token (``at_hash``); the app checked the login's nonce itself."""
    config = provider()
    endpoints = metadata(config.issuer)
    return _verified_citizen(
        config, endpoints, {"access_token": access_token, "id_token": id_token}, None
    )


def _verified_citizen(
    config: Provider, endpoints: dict[str, Any], tokens: Any, nonce: str | None
) -> Citizen:
    claims = _id_token_claims(config, endpoints, tokens, nonce)
    info = _get_json(
        endpoints["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    if info.get("sub") != claims["sub"]:
        raise _failed(_("The e-ID provider's answers do not agree."))
    return _citizen(info, ACR_LEVEL.get(str(claims.get("acr", "")), 0))


def _tokens(config: Provider, endpoints: dict[str, Any], code: str, verifier: str) -> Any:
    try:
        with _client(config) as client:
            return client.fetch_token(
                endpoints["token_endpoint"],
                grant_type="authorization_code",
                code=code,
                code_verifier=verifier,
            )
    except httpx.HTTPError as error:
        raise MotcuaError(
            _("The e-ID provider is not answering. Try again in a few minutes."),
            code="eid_unavailable",
            status=503,
        ) from error
    except Exception as error:  # Authlib raises OAuthError for an error answer
        raise _failed(_("The e-ID provider refused the login.")) from error


def _id_token_claims(
    config: Provider, endpoints: dict[str, Any], tokens: Any, nonce: str | None
) -> dict[str, Any]:
    keys = KeySet.import_key_set(cast(KeySetSerialization, _get_json(endpoints["jwks_uri"])))
    registry: dict[str, Any] = {
        "iss": {"essential": True, "value": config.issuer},
        "aud": {"essential": True, "value": config.client_id},
        "sub": {"essential": True},
        "exp": {"essential": True},
    }
    if nonce is not None:
        registry["nonce"] = {"essential": True, "value": nonce}
    try:
        token = jwt.decode(tokens["id_token"], keys, algorithms=["ES256"])
        jwt.JWTClaimsRegistry(**registry).validate(token.claims)
    except (JoseError, KeyError, ValueError) as error:
        raise _failed(_("The e-ID provider's identity token is not valid.")) from error
    claims = dict(token.claims)
    expected = hashlib.sha256(str(tokens["access_token"]).encode()).digest()[:16]
    if claims.get("at_hash") != b64url(expected):
        raise _failed(_("The e-ID provider's identity token is not valid."))
    return claims


def _citizen(info: dict[str, Any], level: int) -> Citizen:
    address = info.get("address") or {}
    return Citizen(
        sub=str(info["sub"]),
        id_number=str(info.get("vn_id_number", "")),
        name=str(info.get("name", "")),
        birth_date=str(info.get("birthdate", "")),
        gender=str(info.get("gender", "")),
        address=str(address.get("formatted", "")) if isinstance(address, dict) else "",
        phone=str(info.get("phone_number", "")),
        level=level,
        guardian=info.get("guardian"),
        organisation=info.get("vn_organisation"),
    )
