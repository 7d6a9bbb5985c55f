"""The development e-ID provider's HTTP endpoints (see the package docstring). Thin: each one
parses the request, calls `authorization` or `grants`, and answers in the protocol's format."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import unquote_plus

from django.conf import settings
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from motcua.core.ratelimits import limit_public
from motcua.identity.dev_provider import authorization, grants
from motcua.identity.dev_provider.clients import Client, client
from motcua.identity.dev_provider.keys import ALGORITHM, jwks
from motcua.identity.dev_provider.personas import CLAIMS, LEVEL_ACR, SCOPES, personas

View = Callable[..., HttpResponse]
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def provider_view(view: View) -> View:
    """404 for every route while the provider is off, whatever the method (outermost)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.DEV_EID_PROVIDER:
            raise Http404()
        return view(request, *args, **kwargs)

    return wrapper


def _url(name: str) -> str:
    # Endpoints live under the issuer, whatever host this request came in through.
    return settings.PUBLIC_URL + reverse(name)


@provider_view
@require_GET
def configuration(request: HttpRequest) -> HttpResponse:
    return JsonResponse(
        {
            "issuer": authorization.issuer(),
            "authorization_endpoint": _url("dev_eid:authorize"),
            "token_endpoint": _url("dev_eid:token"),
            "userinfo_endpoint": _url("dev_eid:userinfo"),
            "jwks_uri": _url("dev_eid:jwks"),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [ALGORITHM],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": list(SCOPES),
            "claims_supported": list(CLAIMS),
            "acr_values_supported": list(LEVEL_ACR.values()),
            "prompt_values_supported": sorted(authorization.PROMPTS),
            "claims_parameter_supported": False,
            "request_parameter_supported": False,
            "request_uri_parameter_supported": False,
            "authorization_response_iss_parameter_supported": True,
        }
    )


@provider_view
@require_GET
def key_set(request: HttpRequest) -> HttpResponse:
    return JsonResponse(jwks())


@provider_view
@never_cache
@require_http_methods(["GET", "POST"])
def authorize(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        limit_public(request, "dev_eid_authorize")
    params = request.POST if request.method == "POST" else request.GET
    try:
        parsed = authorization.parse(params)
    except authorization.UntrustedRedirect as refusal:
        return render(
            request,
            "identity/dev_provider/error.html",
            {"error": refusal.error, "description": refusal.description},
            status=400,
        )
    except authorization.AuthorizationError as refusal:
        return HttpResponseRedirect(refusal.location)
    if request.method == "POST":
        if "cancel" in request.POST:
            return HttpResponseRedirect(
                parsed.redirect(error="access_denied", error_description="the user cancelled")
            )
        persona = personas().get(request.POST.get("persona", ""))
        if persona is not None and persona.level >= parsed.min_level:
            code = grants.issue_code(request=parsed, persona=persona)
            return HttpResponseRedirect(parsed.redirect(code=code))
    choices = [(persona, persona.level >= parsed.min_level) for persona in personas().values()]
    return render(
        request,
        "identity/dev_provider/choose.html",
        {
            "auth_request": parsed,
            "choices": choices,
            "hidden": sorted(parsed.parameters.items()),
            "some_refused": not all(eligible for _, eligible in choices),
        },
        status=400 if request.method == "POST" else 200,
    )


def _oauth_error(error: str, description: str, status: int = 400) -> JsonResponse:
    headers = dict(NO_STORE)
    if error == "invalid_client":
        headers["WWW-Authenticate"] = 'Basic realm="dev-eid"'
    return JsonResponse(
        {"error": error, "error_description": description}, status=status, headers=headers
    )


def _authenticate(request: HttpRequest) -> Client | None:
    """The client of a token request, by client_secret_basic or client_secret_post."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:
            decoded = base64.b64decode(header[6:], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        client_id, colon, secret = decoded.partition(":")
        # RFC 6749 §2.3.1: both parts are form-urlencoded before being joined.
        client_id, secret = unquote_plus(client_id), unquote_plus(secret)
        if not colon or request.POST.get("client_id", client_id) != client_id:
            return None
    else:
        client_id = request.POST.get("client_id", "")
        secret = request.POST.get("client_secret", "")
    found = client(client_id)
    if found is None or not secret or not found.check_secret(secret):
        return None
    return found


@provider_view
@csrf_exempt
@require_POST
def token(request: HttpRequest) -> HttpResponse:
    limit_public(request, "dev_eid_token")
    if request.headers.get("Authorization", "").startswith("Basic ") and (
        "client_secret" in request.POST
    ):
        return _oauth_error("invalid_request", "use one client authentication method")
    found = _authenticate(request)
    if found is None:
        return _oauth_error("invalid_client", "client authentication failed", status=401)
    if request.POST.get("grant_type") != "authorization_code":
        return _oauth_error("unsupported_grant_type", "grant_type must be authorization_code")
    code = request.POST.get("code", "")
    if not code:
        return _oauth_error("invalid_request", "code is required")
    try:
        tokens = grants.redeem_code(
            client=found,
            code=code,
            redirect_uri=request.POST.get("redirect_uri", ""),
            code_verifier=request.POST.get("code_verifier", ""),
        )
    except grants.GrantError as refusal:
        return _oauth_error(refusal.error, refusal.description)
    return JsonResponse(tokens.response(), headers=NO_STORE)


@provider_view
@csrf_exempt
@require_http_methods(["GET", "POST"])
def userinfo(request: HttpRequest) -> HttpResponse:
    scheme, _, access_token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not access_token:
        return JsonResponse(
            {"error": "invalid_request"},
            status=401,
            headers={"WWW-Authenticate": 'Bearer realm="dev-eid"'},
        )
    claims = grants.userinfo(access_token=access_token.strip())
    if claims is None:
        return JsonResponse(
            {"error": "invalid_token"},
            status=401,
            headers={"WWW-Authenticate": 'Bearer realm="dev-eid", error="invalid_token"'},
        )
    return JsonResponse(claims, headers=NO_STORE)
