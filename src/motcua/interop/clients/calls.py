"""The call log of the exchange API: one ApiCall row per request, refused ones included."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone

from motcua.core import audit
from motcua.interop.models import ApiCall


def note_resource(request: HttpRequest, reference: str) -> None:
    """Name what a call made (a new dossier's code) when its path does not say it."""
    request.api_resource = reference  # type: ignore[attr-defined]


def logged(run: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A ninja view decorator ("view" mode: around authentication, the rate limit and the
    error handlers, so the row has the status the client got). One insert, after the
    operation's own transaction: a call that rolled back is still logged."""

    @wraps(run)
    def wrapper(request: HttpRequest, **kwargs: Any) -> HttpResponseBase:
        at, started = timezone.now(), time.monotonic()
        status = 500
        try:
            response = run(request, **kwargs)
            status = response.status_code
            return response
        finally:
            ApiCall.objects.create(
                client=getattr(request, "api_client", None),
                at=at,
                method=request.method or "",
                path=request.path[:500],
                status=status,
                resource=(getattr(request, "api_resource", "") or str(kwargs.get("code", "")))[
                    :100
                ],
                ip=audit.client_ip(request),
                duration_ms=round((time.monotonic() - started) * 1000),
            )

    return wrapper
