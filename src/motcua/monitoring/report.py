"""A unit's monthly report as an A4 PDF: its figures against the previous month, the
service-quality index with its groups, the ranking of the units below it, the online share per
month of the year, and its OKRs.

The report shows what the unit's page shows (the same builders, `pages.overview`), in the
reader's language (it is a report, not a legal form, so it goes through i18n). It is small and
rendered on request (WeasyPrint, with `dossiers.slips.html_to_pdf`: the CSS is inlined and
nothing is fetched); the browser may keep it for a few minutes, privately, as the month's
figures still move until the month has ended.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.core.access import principal_of
from motcua.core.errors import MotcuaError
from motcua.core.permissions import Principal
from motcua.dossiers.slips import html_to_pdf
from motcua.monitoring import display, kpis, pages, periods
from motcua.monitoring.kpis import Period

# Seconds a browser may reuse a report before asking again.
CACHE_SECONDS = 300


def read_month(text: str, *, today: dt.date) -> dt.date:
    """The first day of the month `YYYY-MM` (this month when empty)."""
    text = text.strip()
    if not text:
        return today.replace(day=1)
    try:
        first = dt.date.fromisoformat(f"{text}-01")
    except ValueError:
        raise MotcuaError(
            _("“%(value)s” is not a month: write it as YYYY-MM.") % {"value": text[:20]},
            code="bad_month",
        ) from None
    return periods.within_bounds(first, code="bad_month")


def comparison(context: dict[str, Any]) -> list[dict[str, str]]:
    """Each tile's KPI this month and the month before, with the change."""
    before = context["before"]
    rows = []
    for tile in context["tiles"]:
        rows.append(
            {
                "label": tile.label,
                "now": tile.text,
                "before": "" if tile.stock else display.show(tile.metric, before.get(tile.metric)),
                "change": _("state now") if tile.stock else tile.change or "—",
                "verdict": tile.verdict,
            }
        )
    return rows


def render_report(principal: Principal, unit: kpis.Unit, month: dt.date) -> bytes:
    selection = periods.Selection(Period.of("month", month), today=kpis.today())
    context = pages.overview(principal, unit, selection)
    context.update(
        comparison=comparison(context),
        generated_at=timezone.localtime(),
        title=_("Monthly report %(month)s") % {"month": f"{month.month:02d}/{month.year}"},
    )
    return html_to_pdf(render_to_string("monitoring/report.html", context))


@login_required
def monthly_report(request: HttpRequest, kind: str, key: str) -> HttpResponse:
    principal = principal_of(request)
    unit = pages.require_unit(principal, kind, key)
    month = read_month(request.GET.get("month", ""), today=kpis.today())
    response = HttpResponse(render_report(principal, unit, month), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="motcua-report-{unit.kind}-{unit.key}-{month:%Y-%m}.pdf"'
    )
    response["Cache-Control"] = f"private, max-age={CACHE_SECONDS}"
    return response
