"""The relying parties registered with the development e-ID provider.

``settings.DEV_EID_CLIENTS``, when set, lists them in the names of OIDC client registration::

    DEV_EID_CLIENTS = [
        {"client_id": "motcua", "client_secret": "...", "redirect_uris": ["https://.../cb"]},
    ]

Unset, there is one client, "motcua", whose secret is derived from the secret key
(:func:`default_secret`) and whose redirect URIs are motcua's own login callback at
``PUBLIC_URL`` and at the test client's host. Redirect URIs are matched exactly.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Final

from django.conf import settings

DEFAULT_CLIENT_ID: Final = "motcua"
CALLBACK_PATH: Final = "/login/eid/callback"


@dataclass(frozen=True)
class Client:
    client_id: str
    secret: str
    redirect_uris: tuple[str, ...]

    def check_secret(self, secret: str) -> bool:
        return hmac.compare_digest(self.secret.encode(), secret.encode())


def default_secret() -> str:
    """The default client's secret, the same in the provider and motcua's relying party."""
    return hmac.new(
        settings.SECRET_KEY.encode(), b"motcua.identity.dev-eid-client", hashlib.sha256
    ).hexdigest()


def clients() -> dict[str, Client]:
    registered = getattr(settings, "DEV_EID_CLIENTS", None)
    if registered is None:
        default = Client(
            client_id=DEFAULT_CLIENT_ID,
            secret=default_secret(),
            redirect_uris=(
                settings.PUBLIC_URL + CALLBACK_PATH,
                "http://testserver" + CALLBACK_PATH,
            ),
        )
        return {default.client_id: default}
    return {
        row["client_id"]: Client(
            client_id=row["client_id"],
            secret=row["client_secret"],
            redirect_uris=tuple(row["redirect_uris"]),
        )
        for row in registered
    }


def client(client_id: str) -> Client | None:
    return clients().get(client_id)
