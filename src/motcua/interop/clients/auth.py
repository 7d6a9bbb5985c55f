"""Bearer tokens on the exchange API: DOT's access tokens, issued by /oauth/token/ to an active
API client; each call is counted against the client's own rate limit."""

from __future__ import annotations

import hashlib
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_ratelimit.core import is_ratelimited
from django_ratelimit.exceptions import Ratelimited
from ninja.security import HttpBearer
from oauth2_provider.models import AccessToken

from motcua.core.errors import MotcuaError
from motcua.core.ratelimits import limit_public
from motcua.interop.clients.access import ClientAccess, grants_of
from motcua.interop.models import ApiClient

RATE_GROUP = "interop.exchange"
GUESS_RATE_GROUP = "interop.guessed_token"


class InvalidToken(MotcuaError):
    code = "invalid_token"
    status = 401
    default_message = _("The access token is missing, expired, revoked or not valid.")


class ClientToken(HttpBearer):
    """`request.auth` becomes the ClientAccess of the token; `request.api_client` names the
    client for the call log as soon as it is known (also when the call is then refused)."""

    def __call__(self, request: HttpRequest) -> Any:
        scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidToken()
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> ClientAccess:
        access_token = (
            AccessToken.objects.select_related(
                "application__api_client__user", "application__api_client__application"
            )
            # DOT keeps the SHA-256 of each token beside it and looks tokens up by it.
            .filter(token_checksum=hashlib.sha256(token.encode()).hexdigest())
            .first()
        )
        client: ApiClient | None = getattr(
            access_token.application if access_token else None, "api_client", None
        )
        request.api_client = client  # type: ignore[attr-defined]
        if access_token is None or client is None:
            # Each guess costs a lookup: unknown tokens count against the address's limit.
            limit_public(request, GUESS_RATE_GROUP)
            raise InvalidToken()
        if not client.active:
            raise InvalidToken()
        if not access_token.is_valid():  # expired
            raise InvalidToken()
        if is_ratelimited(
            request,
            group=RATE_GROUP,
            key=lambda _group, _request: str(client.pk),
            rate=client.rate_limit,
            increment=True,
        ):
            raise Ratelimited()
        return ClientAccess(
            client=client,
            scopes=frozenset(access_token.scope.split()),
            grants=grants_of(client),
        )
