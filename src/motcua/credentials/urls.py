"""Issuer routes. The issuer identifier is PUBLIC_URL + "/credentials"; its well-known
documents sit at /.well-known/<name>/credentials (RFC 8414 §3.1 path insertion)."""

from django.urls import path

from motcua.credentials import oid4vci_views, wallet_views

app_name = "credentials"

urlpatterns = [
    path(
        ".well-known/openid-credential-issuer/credentials",
        oid4vci_views.issuer_metadata,
        name="issuer_metadata",
    ),
    path(
        ".well-known/oauth-authorization-server/credentials",
        oid4vci_views.authorization_server_metadata,
        name="authorization_server_metadata",
    ),
    path(
        ".well-known/jwt-vc-issuer/credentials",
        oid4vci_views.jwt_vc_issuer_metadata,
        name="jwt_vc_issuer_metadata",
    ),
    path("credentials/jwks.json", oid4vci_views.jwks, name="jwks"),
    path("credentials/types/<str:name>", oid4vci_views.type_metadata, name="type_metadata"),
    path(
        "credentials/status/<str:agency_code>/<int:number>",
        oid4vci_views.status_list,
        name="status_list",
    ),
    path("credentials/token", oid4vci_views.token, name="token"),
    path("credentials/nonce", oid4vci_views.nonce, name="nonce"),
    path("credentials/credential", oid4vci_views.credential, name="credential"),
    path("credentials/notification", oid4vci_views.notification, name="notification"),
    path("my/wallet/", wallet_views.wallet, name="wallet"),
    path("my/wallet/<int:pk>/offer", wallet_views.offer, name="offer"),
]
