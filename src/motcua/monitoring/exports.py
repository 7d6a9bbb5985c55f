"""A unit's figures as a spreadsheet: the unit's row, then the rows of the units one level
down its drill-down (those its page lists), each with every KPI of `kpis.METRIC_LABELS`, the
index total, band and rank.

CSV is UTF-8 with a byte-order mark, without which Excel reads Vietnamese as another code
page; rates are percentages there. XLSX (openpyxl) keeps rates as fractions formatted as
percentages, so that a spreadsheet computes with them. Text that a spreadsheet would run as a
formula is written as text in both (CSV injection).
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from motcua.core.access import principal_of
from motcua.core.permissions import Principal
from motcua.core.text import spreadsheet_safe
from motcua.monitoring import display, index, kpis, pages, periods, selectors
from motcua.monitoring.kpis import METRIC_LABELS, Unit, is_rate
from motcua.organisation.models import Agency, ServicePoint

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# From, To, Kind, Code, Name: the columns before the KPIs.
FIXED_COLUMNS = 5


def _codes(rows: list[pages.Row]) -> dict[str, str]:
    """The codes people know units by (the URL keys of agencies, points and officers are row
    numbers)."""
    keys: dict[str, list[int]] = {}
    for row in rows:
        if row.unit.kind in ("agency", "service_point", "officer"):
            keys.setdefault(row.unit.kind, []).append(int(row.unit.key))
    codes: dict[str, str] = {}
    for kind, numbers in keys.items():
        pairs: list[tuple[int, str]]
        if kind == "officer":
            users = get_user_model().objects.filter(pk__in=numbers)
            pairs = list(users.values_list("pk", "username"))
        elif kind == "agency":
            pairs = list(Agency.objects.filter(pk__in=numbers).values_list("pk", "code"))
        else:
            pairs = list(ServicePoint.objects.filter(pk__in=numbers).values_list("pk", "code"))
        codes.update({f"{kind}:{pk}": code for pk, code in pairs})
    return codes


def table(
    principal: Principal, unit: Unit, selection: periods.Selection
) -> tuple[list[str], list[list[Any]]]:
    """The header and the rows: the unit first, then its children (already ranked)."""
    definition = index.Definition.load()
    period = selection.period
    figures = kpis.figures(unit, period)
    score = definition.score(figures) if unit.kind != "officer" else None
    position = pages.sibling_rank(unit, period, definition)
    own = pages.unit_row(
        principal,
        unit,
        selectors.name(unit),
        figures,
        (),
        "",
        score=score,
        rank=position[0] if position else None,
    )
    children = [
        row
        for section in pages.sections(principal, unit, period, definition, "")
        for row in section.rows
    ]
    rows = [own, *children]
    codes = _codes(rows)
    header = [
        _("From"),
        _("To"),
        _("Kind"),
        _("Code"),
        _("Name"),
        *(
            f"{METRIC_LABELS[name]} (%)" if is_rate(name) else str(METRIC_LABELS[name])
            for name in METRIC_LABELS
        ),
        _("Index score"),
        _("Band"),
        _("Rank"),
    ]
    body = []
    for row in rows:
        scored = row.score
        body.append(
            [
                period.start,
                period.end,
                str(display.UNIT_KIND_LABELS[row.unit.kind]),
                codes.get(row.unit.slug, row.unit.key),
                row.name,
                *(
                    row.metrics.get(name) if name in row.measured else None
                    for name in METRIC_LABELS
                ),
                scored.total if scored else None,
                scored.band.name if scored and scored.band else None,
                row.rank,
            ]
        )
    return header, body


def to_csv(header: list[str], rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(header)
    rates = [is_rate(name) for name in METRIC_LABELS]
    for row in rows:
        cells = []
        for position, value in enumerate(row):
            metric = position - FIXED_COLUMNS
            if value is None:
                cells.append("")
            elif 0 <= metric < len(rates) and rates[metric]:
                cells.append(str((Decimal(value) * 100).quantize(Decimal("0.01"))))
            elif hasattr(value, "isoformat"):
                cells.append(value.isoformat())
            else:
                cells.append(spreadsheet_safe(value))
        writer.writerow(cells)
    return out.getvalue().encode("utf-8")


def to_xlsx(header: list[str], rows: list[list[Any]], title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    # Sheet names are at most 31 characters and may not hold []:*?/\.
    sheet.title = "".join("-" if c in "[]:*?/\\" else c for c in title)[:31]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    names = list(METRIC_LABELS)
    for number, row in enumerate(rows, start=2):
        for column, value in enumerate(row, start=1):
            cell = sheet.cell(row=number, column=column, value=value)
            if cell.data_type == "f":  # openpyxl takes text starting with "=" for a formula
                cell.data_type = "s"
            metric = column - 1 - FIXED_COLUMNS
            if hasattr(value, "isoformat"):
                cell.number_format = "DD/MM/YYYY"
            elif 0 <= metric < len(names) and isinstance(value, Decimal):
                if is_rate(names[metric]):
                    cell.number_format = "0.00%"
                else:
                    cell.number_format = "0.00" if names[metric] in display.TWO_PLACES else "0.0"
    sheet.freeze_panes = "F2"
    widths = {1: 11, 2: 11, 3: 14, 4: 16, 5: 42}
    for column in range(1, len(header) + 1):
        sheet.column_dimensions[get_column_letter(column)].width = widths.get(column, 14)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@login_required
def export(request: HttpRequest, kind: str, key: str, fmt: str) -> HttpResponse:
    """The unit's rows over the period of the page's query, as CSV or XLSX."""
    principal = principal_of(request)
    unit = pages.require_unit(principal, kind, key)
    selection = periods.Selection.read(request.GET, today=kpis.today())
    header, rows = table(principal, unit, selection)
    period = selection.period
    filename = f"motcua-{unit.kind}-{unit.key}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.{fmt}"
    if fmt == "csv":
        response = HttpResponse(to_csv(header, rows), content_type="text/csv; charset=utf-8")
    else:
        title = periods.period_label(period)
        response = HttpResponse(to_xlsx(header, rows, title), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
