"""The queue's front door for staff: the counters, kiosks and boards of one's service points."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from motcua.core.access import permission_required, principal_of
from motcua.queueing import selectors


@permission_required("queue.serve")
def counters(request: HttpRequest) -> HttpResponse:
    points = selectors.points_for(principal_of(request)).prefetch_related("counters")[:100]
    return render(
        request,
        "queueing/counters.html",
        {
            "points": [
                (
                    point,
                    [c for c in point.counters.all() if c.active],
                    selectors.offered_services(point),
                )
                for point in points
            ]
        },
    )
