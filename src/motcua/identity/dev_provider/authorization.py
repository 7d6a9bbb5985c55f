"""Checking an authorization request and building the redirects that answer it
(RFC 6749 §4.1.1-4.1.2, OpenID Connect Core §3.1.2, RFC 7636 §4.3)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlencode

from django.conf import settings

from motcua.identity.dev_provider.clients import Client, client
from motcua.identity.dev_provider.personas import ACR_LEVEL

# RFC 7636 §4.2: BASE64URL(SHA256(verifier)) is always 43 characters.
S256_CHALLENGE: Final = re.compile(r"[A-Za-z0-9_-]{43}")
PROMPTS: Final = frozenset({"none", "login", "consent", "select_account"})
# Bounds on what the provider stores per code; nothing legitimate comes near them.
MAX_STATE: Final = 1000
MAX_NONCE: Final = 255
# The parameters the chooser's form carries from the GET to its POST.
PARAMETERS: Final = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "acr_values",
    "prompt",
    "response_mode",
)


def issuer() -> str:
    return settings.PUBLIC_URL + "/dev-eid"


@dataclass(frozen=True)
class AuthorizationRequest:
    client: Client
    redirect_uri: str
    scopes: frozenset[str]
    state: str
    nonce: str
    code_challenge: str
    # The lowest level the relying party accepts (1 when it asked for none).
    min_level: int
    # What the request said, to carry it through the chooser's form.
    parameters: dict[str, str]

    def redirect(self, **answer: str) -> str:
        return _answer(self.redirect_uri, answer | {"state": self.state})


def _answer(redirect_uri: str, answer: dict[str, str]) -> str:
    """The redirect URI with the answer and the issuer (RFC 9207) added to its query."""
    separator = "&" if "?" in redirect_uri else "?"
    return f"{redirect_uri}{separator}{urlencode(answer | {'iss': issuer()})}"


class UntrustedRedirect(Exception):
    """The client or redirect URI cannot be trusted: answer with an error page, never a
    redirect (RFC 6749 §4.1.2.1)."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


class AuthorizationError(Exception):
    """An error the client hears about at its redirect URI."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


def parse(params: Mapping[str, str]) -> AuthorizationRequest:
    """The request in `params`, or UntrustedRedirect / AuthorizationError."""
    found = client(params.get("client_id", ""))
    if found is None:
        raise UntrustedRedirect("invalid_client", "unknown client_id")
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in found.redirect_uris:
        raise UntrustedRedirect("invalid_request", "redirect_uri is not registered")
    state = params.get("state", "")

    def refuse(error: str, description: str) -> AuthorizationError:
        answer = {"error": error, "error_description": description}
        if state:
            answer["state"] = state
        return AuthorizationError(_answer(redirect_uri, answer))

    if params.get("response_type") != "code":
        raise refuse("unsupported_response_type", "response_type must be code")
    if params.get("response_mode", "query") != "query":
        raise refuse("invalid_request", "only response_mode=query is supported")
    scopes = frozenset(params.get("scope", "").split())
    if "openid" not in scopes:
        raise refuse("invalid_scope", "scope must contain openid")
    if not state or len(state) > MAX_STATE:
        raise refuse("invalid_request", "state is required")
    nonce = params.get("nonce", "")
    if not nonce or len(nonce) > MAX_NONCE:
        raise refuse("invalid_request", "nonce is required")
    challenge = params.get("code_challenge", "")
    if not challenge:
        raise refuse("invalid_request", "code_challenge is required (PKCE)")
    if params.get("code_challenge_method") != "S256":
        raise refuse("invalid_request", "code_challenge_method must be S256")
    if not S256_CHALLENGE.fullmatch(challenge):
        raise refuse("invalid_request", "code_challenge is not an S256 challenge")
    prompts = set(params.get("prompt", "").split())
    if not prompts <= PROMPTS or ("none" in prompts and len(prompts) > 1):
        raise refuse("invalid_request", "unsupported prompt")
    if "none" in prompts:
        # The chooser is the login: it always needs the user.
        raise refuse("login_required", "the user must choose a persona")
    levels = [ACR_LEVEL[acr] for acr in params.get("acr_values", "").split() if acr in ACR_LEVEL]
    return AuthorizationRequest(
        client=found,
        redirect_uri=redirect_uri,
        scopes=scopes,
        state=state,
        nonce=nonce,
        code_challenge=challenge,
        min_level=min(levels, default=1),
        parameters={name: params[name] for name in PARAMETERS if params.get(name)},
    )
