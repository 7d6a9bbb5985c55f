"""The open data pages: the index describing each dataset, and the data files.

The files are made for caches: a strong ETag over the body, Last-Modified (when that content
was first served), `Cache-Control: public`, 304 for If-None-Match / If-Modified-Since (the
ETag wins when both are sent), and CORS open to every origin so that a web page anywhere may
read them. Their bodies are the same in every language; only the error messages are
translated, and errors are never cached. The files do not vary with the language cookie,
so a shared cache keeps one copy of each. Every request counts against the public rate limit.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import render
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from django_ratelimit.exceptions import Ratelimited

from motcua.core.errors import MotcuaError
from motcua.core.middleware import same_in_every_language
from motcua.core.ratelimits import limit_public
from motcua.interop import opendata
from motcua.monitoring import kpis

CONTENT_TYPES = {"json": "application/json", "csv": "text/csv; charset=utf-8"}
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "ETag"}
RATE_GROUP = "opendata"

DataView = Callable[..., HttpResponseBase]


def _error(body: dict[str, Any], status: int) -> JsonResponse:
    return JsonResponse(
        body,
        status=status,
        headers={**CORS, "Cache-Control": "no-store"},
        json_dumps_params={"ensure_ascii": False},
    )


def data_file(dataset: opendata.Dataset) -> Callable[[DataView], DataView]:
    """Rate-limit the dataset's file, refuse query parameters it does not take, and answer
    errors as the API does, `{"error", "detail", "fields"}` (a script reads them, not a
    person)."""

    def decorator(view: DataView) -> DataView:
        @wraps(view)
        def wrapper(request: HttpRequest, fmt: str) -> HttpResponseBase:
            try:
                limit_public(request, RATE_GROUP)
            except Ratelimited:
                detail = _("Too many requests. Please wait a moment and try again.")
                return _error({"error": "rate_limited", "detail": detail, "fields": {}}, 429)
            try:
                _check_params(request, dataset)
                return view(request, fmt)
            except MotcuaError as error:
                return _error(error.as_dict(), error.status)

        return wrapper

    return decorator


def _check_params(request: HttpRequest, dataset: opendata.Dataset) -> None:
    # One URL per content, so that caches share it: no cache-busting or misspelt parameters.
    unknown = sorted(set(request.GET) - set(dataset.params))
    if unknown:
        raise MotcuaError(
            _("This file takes no parameter “%(name)s”.") % {"name": unknown[0][:30]},
            code="bad_parameter",
            fields={name[:30]: [_("Unknown parameter.")] for name in unknown},
        )


def _serve(request: HttpRequest, document: opendata.Document, fmt: str) -> HttpResponseBase:
    last_modified = opendata.published_at(document)
    body = opendata.render(document, fmt, last_modified)
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    etag = f'"{opendata.fingerprint_of(body)}"'
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified.timestamp())
    response["Cache-Control"] = f"public, max-age={settings.OPEN_DATA_MAX_AGE}"
    if fmt == "csv":
        response["Content-Disposition"] = f'attachment; filename="{document.filename}.csv"'
    # Given a response, Django answers it or its 304, never None.
    answer = (
        get_conditional_response(
            request, etag=etag, last_modified=int(last_modified.timestamp()), response=response
        )
        or response
    )
    for name, value in CORS.items():
        answer[name] = value
    return same_in_every_language(answer)


@require_safe
@data_file(opendata.PROCEDURES)
def procedures(request: HttpRequest, fmt: str) -> HttpResponseBase:
    return _serve(request, opendata.procedures(), fmt)


@require_safe
@data_file(opendata.KPIS)
def kpi_figures(request: HttpRequest, fmt: str) -> HttpResponseBase:
    period = opendata.read_period(request.GET.get("period", ""), today=kpis.today())
    return _serve(request, opendata.kpi_figures(period), fmt)


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """What each dataset holds, its fields, licence and files."""
    limit_public(request, RATE_GROUP)
    today = kpis.today()
    latest = opendata.period_code(opendata.last_complete_month(today))
    examples = [
        latest,
        opendata.period_code(kpis.Period.of("quarter", today).previous()),
        str(today.year - 1),
    ]
    kpi_files = [
        (code, {fmt: opendata.KPIS.url(fmt, period=code) for fmt in opendata.FORMATS})
        for code in examples
    ]
    datasets = [
        {
            "dataset": dataset,
            "files": {fmt: dataset.url(fmt) for fmt in opendata.FORMATS},
            "columns": [(column, column.describe()) for column in dataset.columns],
        }
        for dataset in opendata.DATASETS.values()
    ]
    return render(
        request,
        "interop/opendata.html",
        {
            "datasets": datasets,
            "kpi_files": kpi_files,
            "latest": latest,
            "licence": opendata.LICENCE,
            "max_age": settings.OPEN_DATA_MAX_AGE,
        },
    )
