"""Placeholder, filled by its part."""

from django.urls import URLPattern

app_name = "oauth"
urlpatterns: list[URLPattern] = []
