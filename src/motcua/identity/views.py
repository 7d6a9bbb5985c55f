"""Citizen login with e-ID (OpenID Connect): start, the provider's answer, logout."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from motcua.core.errors import MotcuaError
from motcua.core.ratelimits import limit_public
from motcua.identity import rp, session


def _next(request: HttpRequest, value: str) -> str:
    allowed = url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return value if value and allowed else "/"


def login(request: HttpRequest) -> HttpResponse:
    """Off to the e-ID provider, asking for at least `level` (1 or 2; step-up asks for 2)."""
    limit_public(request, "eid_login")
    level = 2 if request.GET.get("level") == "2" else 1
    try:
        url = rp.start(request, level=level, next_url=_next(request, request.GET.get("next", "")))
    except MotcuaError as problem:
        return render(
            request, "identity/login_failed.html", {"problem": problem}, status=problem.status
        )
    return redirect(url)


def callback(request: HttpRequest) -> HttpResponse:
    limit_public(request, "eid_login")
    try:
        citizen, next_url = rp.finish(request)
    except MotcuaError as problem:
        return render(
            request, "identity/login_failed.html", {"problem": problem}, status=problem.status
        )
    session.sign_in(request, citizen)
    return redirect(next_url)


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    session.sign_out(request)
    return redirect("/")
