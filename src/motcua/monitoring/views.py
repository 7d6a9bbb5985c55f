"""The monitoring pages' request handlers: a unit's overview, its live tiles, its wall display
and the province's ranking. Each reads the request, builds its context with `pages` and renders.

Who sees which unit is `selectors.may_view`; a unit out of reach is a 403 page
(MotcuaErrorMiddleware). Officers see their own figures without `monitoring.view`, so the pages
ask for a login, not for a permission.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from motcua.core.access import principal_of
from motcua.core.errors import MotcuaError, PermissionDenied
from motcua.monitoring import kpis, pages, periods, selectors


def _shown(request: HttpRequest) -> tuple[periods.Selection, int, str]:
    """The selection asked for, or this month with the status and the reason to show next to
    the period picker (the page still shows)."""
    today = kpis.today()
    try:
        return periods.Selection.read(request.GET, today=today), 200, ""
    except MotcuaError as exc:
        return periods.this_month(today), exc.status, str(exc.message)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The principal's own monitoring: the widest unit they see in full."""
    return redirect(pages.unit_url(selectors.home_unit(principal_of(request))))


@login_required
def unit_page(request: HttpRequest, kind: str, key: str) -> HttpResponse:
    principal = principal_of(request)
    unit = pages.require_unit(principal, kind, key)
    selection, status, problem = _shown(request)
    if request.GET.get("wall") == "1":
        # The wall re-fetches its body alone when the figures move.
        body = request.GET.get("part") == "body"
        template = "monitoring/_wall_body.html" if body else "monitoring/wall.html"
        context = pages.wall_context(principal, unit, selection)
        return render(request, template, context, status=status)
    context = pages.overview(principal, unit, selection)
    context["problem"] = problem
    return render(request, "monitoring/unit.html", context, status=status)


@login_required
def tiles_partial(request: HttpRequest, kind: str, key: str) -> HttpResponse:
    """The tiles alone: re-fetched by the page when the province's figures move."""
    principal = principal_of(request)
    unit = pages.require_unit(principal, kind, key)
    selection = periods.Selection.read(request.GET, today=kpis.today())
    context = pages.tiles_context(principal, unit, selection)
    return render(request, "monitoring/_tiles.html", context)


@login_required
def ranking(request: HttpRequest) -> HttpResponse:
    """The province's ranking of communes (or of provincial agencies) by the index, open to
    every monitoring role."""
    principal = principal_of(request)
    if not selectors.may_view_ranking(principal):
        raise PermissionDenied(_("The province's ranking is for monitoring roles."))
    kind = request.GET.get("kind", "").strip() or "commune"
    if kind not in ("commune", "agency"):
        raise MotcuaError(_("Rank communes or agencies."), code="bad_kind")
    selection, status, problem = _shown(request)
    context = pages.ranking_context(principal, kind, selection)
    context["problem"] = problem
    return render(request, "monitoring/ranking.html", context, status=status)
