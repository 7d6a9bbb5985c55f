from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.dates import WEEKDAYS

from motcua.core.access import permission_required, principal_of
from motcua.core.text import fold
from motcua.organisation import selectors


@permission_required("organisation.view")
def service_points(request: HttpRequest) -> HttpResponse:
    points = selectors.service_points_for(principal_of(request))
    query = request.GET.get("q", "").strip()
    if query:
        points = points.filter(search_key__contains=fold(query))
    page = Paginator(points, 25).get_page(request.GET.get("page"))
    return render(request, "organisation/service_points.html", {"page": page, "q": query})


@permission_required("organisation.view")
def service_point(request: HttpRequest, point_id: int) -> HttpResponse:
    point = selectors.service_point_for(principal_of(request), point_id)
    opening_hours = [(WEEKDAYS[day], point.opening_hours.get(str(day), [])) for day in range(7)]
    return render(
        request,
        "organisation/service_point.html",
        {"point": point, "opening_hours": opening_hours},
    )


@permission_required("organisation.view")
def agencies(request: HttpRequest) -> HttpResponse:
    found = selectors.agencies_for(principal_of(request))
    query = request.GET.get("q", "").strip()
    if query:
        found = found.filter(search_key__contains=fold(query))
    page = Paginator(found, 25).get_page(request.GET.get("page"))
    return render(request, "organisation/agencies.html", {"page": page, "q": query})


@permission_required("organisation.view")
def agency(request: HttpRequest, agency_id: int) -> HttpResponse:
    found = selectors.agency_for(principal_of(request), agency_id)
    return render(request, "organisation/agency.html", {"agency": found})
