from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from motcua.catalogue import presentation, selectors
from motcua.catalogue.fees import compute_fee
from motcua.core.ratelimits import limit_public


def procedures(request: HttpRequest) -> HttpResponse:
    limit_public(request, "catalogue")
    query = request.GET.get("q", "").strip()
    field_code = request.GET.get("field", "")
    level = request.GET.get("level", "")
    found = selectors.offered_procedures(query=query, field_code=field_code, level=level)
    page = Paginator(found, 20).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "q": query,
        "field": field_code,
        "level": level,
        "fields": selectors.fields(),
    }
    if getattr(request, "htmx", False):
        return render(request, "catalogue/_results.html", context)
    return render(request, "catalogue/procedures.html", context)


def procedure(request: HttpRequest, code: str) -> HttpResponse:
    limit_public(request, "catalogue")
    version = selectors.offered_procedure(code)
    spec = version.spec
    example_fee = compute_fee(spec["fee"])
    return render(
        request,
        "catalogue/procedure.html",
        {
            "version": version,
            "spec": spec,
            "time_text": presentation.describe_time(spec["time"]),
            "fee_text": presentation.describe_fee(spec["fee"]),
            "example_fee": None if example_fee is None else presentation.money(example_fee),
        },
    )
