"""The REST API at /api/v1: one NinjaAPI, one router per app, errors in one JSON shape."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django_ratelimit.exceptions import Ratelimited
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import django_auth

from motcua.catalogue.api import router as catalogue_router
from motcua.core.api import router as core_router
from motcua.core.errors import MotcuaError
from motcua.credentials.api import router as credentials_router
from motcua.digitisation.api import router as digitisation_router
from motcua.dossiers.api import public_router as public_dossier_router
from motcua.dossiers.api import router as dossier_router
from motcua.dossiers.processing_api import public_router as public_processing_router
from motcua.dossiers.processing_api import router as processing_router
from motcua.dossiers.processing_api import work_router
from motcua.interop.client_api import router as exchange_router
from motcua.interop.transfers.api import router as transfers_router
from motcua.monitoring.api import router as monitoring_router
from motcua.organisation.api import router as organisation_router
from motcua.queueing.api import router as queue_router
from motcua.workcalendar.api import router as calendar_router

api = NinjaAPI(
    title="motcua API",
    version="1",
    urls_namespace="api",
    auth=django_auth,
    description="Public Administrative Service Centre platform (một cửa) — REST API.",
)


@api.exception_handler(MotcuaError)
def motcua_error(request: HttpRequest, exc: MotcuaError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        loc = [str(part) for part in error.get("loc", []) if part not in {"body", "query", "path"}]
        fields.setdefault(".".join(loc) or "__all__", []).append(str(error.get("msg", "")))
    body: dict[str, Any] = {
        "error": "invalid",
        "detail": _("Some fields are not valid."),
        "fields": fields,
    }
    return api.create_response(request, body, status=422)


@api.exception_handler(Ratelimited)
def rate_limited(request: HttpRequest, exc: Ratelimited) -> HttpResponse:
    body = {
        "error": "rate_limited",
        "detail": _("Too many requests. Please wait a moment and try again."),
        "fields": {},
    }
    return api.create_response(request, body, status=429)


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    body = {"error": "unauthenticated", "detail": _("Please log in."), "fields": {}}
    return api.create_response(request, body, status=401)


api.add_router("/", core_router, tags=["core"])
api.add_router("/organisation", organisation_router, tags=["organisation"])
api.add_router("/calendar", calendar_router, tags=["calendar"])
api.add_router("/catalogue", catalogue_router, tags=["catalogue"])
api.add_router("/dossiers", dossier_router, tags=["dossiers"])
api.add_router("/dossiers", processing_router, tags=["processing"])
api.add_router("/work", work_router, tags=["processing"])
api.add_router("/public", public_dossier_router, tags=["public"])
api.add_router("/public", public_processing_router, tags=["public"])
api.add_router("/queue", queue_router, tags=["queue"])
api.add_router("/digitisation", digitisation_router, tags=["digitisation"])
api.add_router("/credentials", credentials_router, tags=["credentials"])
api.add_router("/monitoring", monitoring_router, tags=["monitoring"])
api.add_router("/exchange", exchange_router, tags=["exchange"])
api.add_router("/transfers", transfers_router, tags=["transfers"])
