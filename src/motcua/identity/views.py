"""Citizen login with e-ID (OpenID Connect): start, the provider's answer, logout."""

from __future__ import annotations

from typing import Final

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from motcua.core import audit
from motcua.core.errors import MotcuaError
from motcua.core.ratelimits import limit_public
from motcua.identity import data_access, rp, session

# The claims motcua keeps from a login, in the words the citizen's log uses.
CLAIM_LABELS: Final = {
    "name": gettext_lazy("Full name"),
    "id_number": gettext_lazy("Personal identity number"),
    "birth_date": gettext_lazy("Date of birth"),
    "gender": gettext_lazy("Sex"),
    "address": gettext_lazy("Place of residence"),
    "phone": gettext_lazy("Phone"),
    "guardian": gettext_lazy("Guardian"),
    "organisation": gettext_lazy("Business you act for"),
}


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
    _log_claims_read(request, citizen)
    session.sign_in(request, citizen)
    return redirect(next_url)


def _log_claims_read(request: HttpRequest, citizen: rp.Citizen) -> None:
    """Reading the provider's claims is a read of personal data: logged, for the citizen too
    (data_access)."""
    fields = [
        str(label)
        for name, label in CLAIM_LABELS.items()
        if getattr(citizen, name) not in ("", None)
    ]
    audit.record(
        actor=None,
        action=data_access.CLAIMS_READ,
        object_type=data_access.CITIZEN_OBJECT,
        object_id=citizen.id_number,
        object_repr=citizen.name,
        new={"fields": fields, "level": citizen.level},
        ip=audit.client_ip(request),
    )


def my_data_access(request: HttpRequest) -> HttpResponse:
    """The logged-in citizen's log of who read their personal data."""
    citizen = session.current_citizen(request)
    if citizen is None:
        return redirect(session.login_url(request.path))
    return render(
        request,
        "identity/data_access.html",
        {"citizen": citizen, "reads": data_access.reads_of(citizen.id_number)},
    )


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    session.sign_out(request)
    return redirect("/")
