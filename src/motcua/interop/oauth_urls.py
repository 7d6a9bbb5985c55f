"""OAuth 2.0 endpoints for API clients (django-oauth-toolkit): the token endpoint (client
credentials, HTTP Basic client authentication) and revocation (RFC 7009). Neither needs a
session: the client authenticates itself."""

from django.urls import URLPattern, path
from oauth2_provider import views

app_name = "oauth"
urlpatterns: list[URLPattern] = [
    path("token/", views.TokenView.as_view(), name="token"),
    path("revoke/", views.RevokeTokenView.as_view(), name="revoke"),
]
