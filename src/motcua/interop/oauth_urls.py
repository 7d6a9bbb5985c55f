"""OAuth 2.0 endpoints for API clients (django-oauth-toolkit): the token endpoint (client
credentials, HTTP Basic client authentication) and revocation (RFC 7009). Neither needs a
session: the client authenticates itself.

A token request is a login: it is rate-limited as staff logins are (MOTCUA_LOGIN_RATE), per
IP address and per client id, so a secret cannot be guessed from many addresses either."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, path
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django_ratelimit.decorators import ratelimit
from oauth2_provider import views

from motcua.core.views import login_rate


def client_id_of(group: str, request: HttpRequest) -> str:
    """The client a token request names: HTTP Basic's user name, else the client_id field."""
    scheme, _space, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(credentials, validate=True).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            return ""
    return request.POST.get("client_id", "")


@method_decorator(ratelimit(key="ip", rate=login_rate, method="POST", block=False), name="post")
@method_decorator(
    ratelimit(key=client_id_of, rate=login_rate, method="POST", block=False), name="post"
)
class TokenView(views.TokenView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if getattr(request, "limited", False):
            # Answered as the endpoint's other errors are (RFC 6749 §5.2): JSON, for a program.
            detail = _("Too many requests. Please wait a moment and try again.")
            return JsonResponse(
                {"error": "rate_limited", "error_description": detail},
                status=429,
                headers={"Cache-Control": "no-store"},
            )
        return super().post(request, *args, **kwargs)


app_name = "oauth"
urlpatterns: list[URLPattern] = [
    path("token/", TokenView.as_view(), name="token"),
    path("revoke/", views.RevokeTokenView.as_view(), name="revoke"),
]
