"""The issuer's HTTP endpoints: OpenID4VCI 1.0 (pre-authorized code flow), its metadata, the
JWKS, the type metadata and the Token Status Lists.

The protocol endpoints are called by wallets, not browsers: no cookies, so no CSRF token
(csrf_exempt), and errors in the protocols' own JSON, {"error", "error_description"}."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Final

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from motcua.core.errors import MotcuaError
from motcua.core.ratelimits import limit_public
from motcua.credentials import issuance, offers, selectors, statuslist

View = Callable[..., HttpResponse]
NO_STORE: Final = {"Cache-Control": "no-store", "Pragma": "no-cache"}
METADATA_CACHE: Final = {"Cache-Control": "public, max-age=300"}
JWT_MEDIA_TYPE: Final = "application/jwt"


def protocol_view(view: View) -> View:
    """Rate-limit the endpoint and answer a MotcuaError in the OAuth error format."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        limit_public(request, "oid4vci")
        try:
            return view(request, *args, **kwargs)
        except MotcuaError as error:
            return _error(error)

    return wrapper


def _error(error: MotcuaError) -> JsonResponse:
    headers = dict(NO_STORE)
    if error.status == 401:
        headers["WWW-Authenticate"] = f'Bearer error="{error.code}"'
    return JsonResponse(
        {"error": error.code, "error_description": force_str(error.message)},
        status=error.status,
        headers=headers,
    )


def _bearer_token(request: HttpRequest) -> str:
    scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


@require_GET
@protocol_view
def issuer_metadata(request: HttpRequest) -> HttpResponse:
    if request.get_preferred_type(["application/json", JWT_MEDIA_TYPE]) == JWT_MEDIA_TYPE:
        response = HttpResponse(
            selectors.signed_issuer_metadata(), content_type=JWT_MEDIA_TYPE, headers=METADATA_CACHE
        )
    else:
        response = JsonResponse(selectors.issuer_metadata(), headers=METADATA_CACHE)
    response["Vary"] = "Accept, Accept-Language"
    return response


@require_GET
@protocol_view
def authorization_server_metadata(request: HttpRequest) -> HttpResponse:
    return JsonResponse(selectors.authorization_server_metadata(), headers=METADATA_CACHE)


@require_GET
@protocol_view
def jwt_vc_issuer_metadata(request: HttpRequest) -> HttpResponse:
    return JsonResponse(selectors.jwt_vc_issuer_metadata(), headers=METADATA_CACHE)


@require_GET
@protocol_view
def jwks(request: HttpRequest) -> HttpResponse:
    return JsonResponse(
        selectors.jwt_vc_issuer_metadata()["jwks"],
        content_type="application/jwk-set+json",
        headers=METADATA_CACHE,
    )


@require_GET
@protocol_view
def type_metadata(request: HttpRequest, name: str) -> HttpResponse:
    return JsonResponse(selectors.type_metadata(name), headers=METADATA_CACHE)


@require_GET
@protocol_view
def status_list(request: HttpRequest, agency_code: str, number: int) -> HttpResponse:
    return HttpResponse(
        statuslist.token_for(agency_code, number),
        content_type=statuslist.MEDIA_TYPE,
        headers={"Cache-Control": f"public, max-age={statuslist.TTL_SECONDS}"},
    )


@csrf_exempt
@require_POST
@protocol_view
def token(request: HttpRequest) -> HttpResponse:
    if request.POST.get("grant_type") != offers.PRE_AUTHORIZED_GRANT:
        raise MotcuaError(
            code="unsupported_grant_type",
            message=_("Only the pre-authorized code grant is supported."),
        )
    code = request.POST.get("pre-authorized_code", "")
    if not code:
        raise MotcuaError(code="invalid_request", message=_("pre-authorized_code is required."))
    access_token, expires_in = offers.redeem(code=code, tx_code=request.POST.get("tx_code"))
    return JsonResponse(
        {"access_token": access_token, "token_type": "Bearer", "expires_in": expires_in},
        headers=NO_STORE,
    )


@csrf_exempt
@require_POST
@protocol_view
def nonce(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"c_nonce": offers.new_nonce()}, headers=NO_STORE)


@csrf_exempt
@require_POST
@protocol_view
def credential(request: HttpRequest) -> HttpResponse:
    issued = issuance.issue_to_wallet(_bearer_token(request), request.body)
    return JsonResponse(
        {
            "credentials": [{"credential": issued.credential}],
            "notification_id": issued.notification_id,
        },
        headers=NO_STORE,
    )


@csrf_exempt
@require_POST
@protocol_view
def notification(request: HttpRequest) -> HttpResponse:
    issuance.record_notification(_bearer_token(request), request.body)
    return HttpResponse(status=204, headers=NO_STORE)
