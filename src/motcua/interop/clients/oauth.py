"""django-oauth-toolkit plugged into API clients: a token's scopes are those the client's
authorisations grant, and only an active API client gets one, by client credentials only."""

from __future__ import annotations

from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import BaseScopes

from motcua.interop.clients.access import client_scopes
from motcua.interop.clients.scopes import SCOPES
from motcua.interop.models import ApiClient

CLIENT_CREDENTIALS = "client_credentials"  # RFC 6749 §4.4 (DOT spells its own constant apart)


def _api_client(application: Any) -> ApiClient | None:
    return ApiClient.objects.filter(application=application, active=True).first()


class ClientScopes(BaseScopes):
    """OAUTH2_PROVIDER["SCOPES_BACKEND_CLASS"]. A token request without `scope` gets every
    scope of the client; one that names scopes gets them only if the client holds them all."""

    def get_all_scopes(self) -> dict[str, object]:
        return SCOPES

    def get_available_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        client = _api_client(application) if application is not None else None
        return client_scopes(client) if client is not None else []

    def get_default_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        return self.get_available_scopes(application, request)


class ClientValidator(OAuth2Validator):
    """OAUTH2_PROVIDER["OAUTH2_VALIDATOR_CLASS"]: refuse every grant but client credentials,
    and an application that is no active API client (an inactive one, or one made in DOT's
    own admin without motcua's data)."""

    def validate_grant_type(
        self,
        client_id: str,
        grant_type: str,
        client: Any,
        request: Any,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        return (
            grant_type == CLIENT_CREDENTIALS
            and _api_client(client) is not None
            and super().validate_grant_type(client_id, grant_type, client, request, *args, **kwargs)
        )
