from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject

from motcua.core.errors import MotcuaError
from motcua.core.principal import principal_for


class ContentSecurityPolicyMiddleware:
    """Send the Content-Security-Policy header (Django 5.2 has no built-in CSP)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response


class PrincipalMiddleware:
    """Attach `request.principal`, resolved on first use from the user's role memberships."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.principal = SimpleLazyObject(  # type: ignore[attr-defined]
            lambda: principal_for(request.user)
        )
        return self.get_response(request)


class MotcuaErrorMiddleware:
    """Render a `MotcuaError` raised by a page as a translated error page with its status."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, MotcuaError):
            return None
        return render(request, "core/error.html", {"error": exception}, status=exception.status)


LANGUAGE_INDEPENDENT = "motcua_language_independent"
R = TypeVar("R", bound=HttpResponseBase)


def same_in_every_language(response: R) -> R:
    """Mark a response whose body the language cookie does not change (a data file, a key
    set): it gets no `Vary: Cookie`, so that shared caches keep one copy for everyone."""
    setattr(response, LANGUAGE_INDEPENDENT, True)
    return response


class VietnameseFirstLocaleMiddleware:
    """Vietnamese unless the visitor chose another language with the switch (a cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language, which on shared counter
    and kiosk machines is often English; a public service of Vietnam speaks Vietnamese first.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if not getattr(response, LANGUAGE_INDEPENDENT, False):
            response.headers.setdefault("Content-Language", language)
            patch_vary_headers(response, ["Cookie"])
        return response
