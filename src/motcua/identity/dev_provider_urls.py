"""The development e-ID provider's routes (`motcua.identity.dev_provider`), included under
/dev-eid/; every one answers 404 while DEV_EID_PROVIDER is off."""

from django.urls import path

from motcua.identity.dev_provider import views

app_name = "dev_eid"

urlpatterns = [
    path(".well-known/openid-configuration", views.configuration, name="configuration"),
    path("authorize", views.authorize, name="authorize"),
    path("token", views.token, name="token"),
    path("userinfo", views.userinfo, name="userinfo"),
    path("jwks", views.key_set, name="jwks"),
]
