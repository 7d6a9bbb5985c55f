"""Placeholder, filled by its part."""

from django.urls import URLPattern

app_name = "transfers"
urlpatterns: list[URLPattern] = []
