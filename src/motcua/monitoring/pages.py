"""What the monitoring pages show: a unit's overview (tiles, index, trends, the drill-down
tables, OKRs), its wall display and the province's ranking, each built as a template context.

Every figure comes from the rollups through `kpis`, `index` and `okrs`: a page never reads the
dossiers. The same builders (`overview`, `sections`, `sibling_rank`) feed the exports and the
monthly report, so that the three show the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from motcua.core.permissions import Principal
from motcua.monitoring import display, index, kpis, selectors, units
from motcua.monitoring.kpis import METRIC_LABELS, Figures, Period, Unit
from motcua.monitoring.periods import (
    COMPARE_LABELS,
    PERIOD_LABELS,
    Selection,
    following,
    period_label,
)
from motcua.queueing import reports as queue_reports

# The columns of the drill-down tables.
UNIT_COLUMNS = ("filed", "online_share", "on_time_rate", "overdue", "satisfaction_rate")
OFFICER_COLUMNS = (
    "officer_received",
    "officer_steps_done",
    "officer_steps_on_time_rate",
    "tickets_served",
    "service_minutes",
    "rating_average",
)


# The drill-down tables ---------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    unit: Unit
    name: str
    metrics: dict[str, Any]
    cells: list[str]
    score: index.Score | None = None
    rank: int | None = None
    url: str = ""  # the row's drill-down page, when the viewer may open it
    own: bool = False  # the viewer's own unit
    # The KPIs the row's figures hold (the others are zeros of rollups not read for it).
    measured: frozenset[str] = frozenset(METRIC_LABELS)


@dataclass(frozen=True)
class Section:
    key: str  # communes, agencies, points, officers
    title: str
    columns: list[str]
    rows: list[Row]
    ranked: bool

    @property
    def headers(self) -> list[str]:
        return [str(METRIC_LABELS[name]) for name in self.columns]


@dataclass(frozen=True)
class RankedSection:
    """A ranked drill-down section: its key, its title, the kind of its rows and who they are
    (given the unit above them)."""

    key: str
    title: Any
    kind: str
    names: Callable[[str], units.Names]


# The ranked sections below a province and a commune. `sibling_rank` reads the same table, so
# that a unit's rank on its own page is its rank in its parent's table.
RANKED: dict[str, tuple[RankedSection, ...]] = {
    "province": (
        RankedSection("communes", gettext_lazy("Communes and wards"), "commune", units.communes_of),
        RankedSection(
            "agencies", gettext_lazy("Provincial agencies"), "agency", units.provincial_agencies
        ),
    ),
    "commune": (
        RankedSection(
            "agencies", gettext_lazy("Agencies of the commune"), "agency", units.commune_agencies
        ),
        RankedSection(
            "points", gettext_lazy("Service points"), "service_point", units.commune_points
        ),
    ),
}
RANKED_KINDS = frozenset(section.kind for sections in RANKED.values() for section in sections)


def unit_url(unit: Unit, query: str = "") -> str:
    url = reverse("monitoring:unit", args=[unit.kind, unit.key])
    return f"{url}?{query}" if query else url


def is_own(principal: Principal, unit: Unit) -> bool:
    if unit.kind == "commune":
        return unit.key in principal.commune_codes
    if unit.kind == "agency":
        return unit.key.isdigit() and int(unit.key) in principal.agency_ids
    if unit.kind == "service_point":
        return unit.key.isdigit() and int(unit.key) in principal.service_point_ids
    if unit.kind == "officer":
        return unit.key == str(principal.user_id)
    return False


def unit_row(
    principal: Principal,
    unit: Unit,
    name: str,
    figures: Figures,
    columns: tuple[str, ...],
    query: str,
    *,
    score: index.Score | None = None,
    rank: int | None = None,
    measured: tuple[str, ...] | None = None,
) -> Row:
    """One unit's row: its figures, and a link to its page when the viewer may open it."""
    metrics = figures.metrics()
    url = unit_url(unit, query) if selectors.may_view(principal, unit) else ""
    return Row(
        unit,
        name,
        metrics,
        [display.show(column, metrics.get(column)) for column in columns],
        score,
        rank,
        url,
        is_own(principal, unit),
        frozenset(measured if measured is not None else display.tile_metrics(unit)),
    )


def ranked_rows(
    principal: Principal,
    kind: str,
    names: units.Names,
    figures: dict[str, Figures],
    definition: index.Definition,
    query: str,
) -> list[Row]:
    return [
        unit_row(
            principal,
            Unit(kind, ranked.key),
            ranked.name,
            ranked.figures,
            UNIT_COLUMNS,
            query,
            score=ranked.score,
            rank=ranked.rank,
        )
        for ranked in index.rank(names, figures, definition)
    ]


@dataclass(frozen=True)
class _Lister:
    """What one drill-down section lists, given the page's viewer, period and index."""

    principal: Principal
    unit: Unit
    period: Period
    definition: index.Definition
    query: str

    def ranked(self, section: RankedSection) -> Section:
        figures = kpis.figures_by(section.kind, self.period, within=self.unit)
        names = section.names(self.unit.key)
        rows = ranked_rows(
            self.principal, section.kind, names, figures, self.definition, self.query
        )
        return Section(section.key, str(section.title), list(UNIT_COLUMNS), rows, True)

    def officers(
        self,
        title: str,
        columns: tuple[str, ...],
        names: units.Names,
        figures: Callable[[str], Figures],
        busiest: str,
        measured: tuple[str, ...] | None = None,
    ) -> Section:
        """The officers by `busiest` (the most first), then by name; not ranked."""
        rows = [
            unit_row(
                self.principal,
                Unit("officer", key),
                name,
                figures(key),
                columns,
                self.query,
                measured=measured,
            )
            for key, name in names
        ]
        rows.sort(key=lambda row: (-row.metrics[busiest], row.name))
        return Section("officers", title, list(columns), rows, False)


def sections(
    principal: Principal,
    unit: Unit,
    period: Period,
    definition: index.Definition,
    query: str,
) -> list[Section]:
    """The units one level down the drill-down, each with its figures (and, for communes,
    agencies and service points, its index score and rank among its siblings)."""
    lister = _Lister(principal, unit, period, definition, query)
    if unit.kind in RANKED:
        return [lister.ranked(section) for section in RANKED[unit.kind]]
    if unit.kind == "agency":
        steps = kpis.figures_by("officer", period, within=unit)
        names = units.officers(steps, Q(role_memberships__agency_id=int(unit.key)))
        return [
            lister.officers(
                _("Officers"),
                OFFICER_COLUMNS,
                names,
                lambda key: steps.get(key, Figures()),
                "officer_steps_done",
            )
        ]
    if unit.kind == "service_point":
        queue = queue_reports.grouped_figures(
            [int(unit.key)], period.start, period.end, ("officer",), today=kpis.today()
        )
        served = {str(key): figures for (key,), figures in queue.items() if key is not None}
        names = units.officers(served, Q(role_memberships__service_point_id=int(unit.key)))
        return [
            lister.officers(
                _("Officers at the counters"),
                display.QUEUE_METRICS,
                names,
                lambda key: Figures(queue=served.get(key, queue_reports.Figures())),
                "tickets_served",
                measured=(*display.QUEUE_METRICS, "satisfaction_rate"),
            )
        ]
    return []


def sibling_rank(
    unit: Unit, period: Period, definition: index.Definition
) -> tuple[int, int] | None:
    """The unit's rank in its parent's ranked section, and how many units that ranks."""
    if unit.kind not in RANKED_KINDS:
        return None
    parent = selectors.parent(unit)
    if parent is None:
        return None
    found = [section for section in RANKED.get(parent.kind, ()) if section.kind == unit.kind]
    if not found:
        return None  # a provincial service point: no section ranks it
    names = found[0].names(parent.key)
    figures = kpis.figures_by(unit.kind, period, within=parent)
    for ranked in index.rank(names, figures, definition):
        if ranked.key == unit.key:
            return ranked.rank, len(names)
    return None


# Around the figures: links, the period picker, the live topic ------------------------------


@dataclass(frozen=True)
class Crumb:
    name: str
    url: str


def require_unit(principal: Principal, kind: str, key: str) -> Unit:
    unit = Unit(kind, key)  # the URL pattern admits only the known kinds
    selectors.require(principal, unit)
    return unit


def crumbs(principal: Principal, unit: Unit, query: str) -> list[Crumb]:
    """The units above this one, each linked when the viewer may open it (a commune leader's
    province links to the ranking they may see instead)."""
    chain: list[Unit] = []
    above = selectors.parent(unit)
    while above is not None:
        chain.insert(0, above)
        above = selectors.parent(above)
    result = []
    for step in chain:
        if selectors.may_view(principal, step):
            url = unit_url(step, query)
        elif step.kind == "province" and selectors.may_view_ranking(principal):
            url = f"{reverse('monitoring:ranking')}?{query}"
        else:
            url = ""
        result.append(Crumb(selectors.name(step), url))
    return result


def live_topic(principal: Principal, selection: Selection) -> str:
    """The province's monitoring topic, when the page shows today and the viewer may listen."""
    if principal.has("monitoring.view") and selection.includes(kpis.today()):
        return f"monitoring.{settings.PROVINCE_CODE}"
    return ""


def picker(here: str, selection: Selection, **extra: str) -> dict[str, Any]:
    """The period picker's values and its previous / next links (no next into the future)."""
    period = selection.period
    previous = selection.shifted(period.previous())
    after = following(period)
    return {
        "period_kinds": list(PERIOD_LABELS.items()),
        "previous_url": f"{here}?{previous.query(**extra)}",
        "previous_label": period_label(previous.period),
        "next_url": f"{here}?{selection.shifted(after).query(**extra)}"
        if after.start <= kpis.today()
        else "",
        "next_label": period_label(after),
        "date_value": period.start.isoformat(),
        "start_value": period.start.isoformat(),
        "end_value": period.end.isoformat(),
    }


def _dossier_links(principal: Principal, unit: Unit) -> list[Crumb]:
    """Where an officer's dossiers are listed. The staff list has no filter by officer: the
    officer's own inbox lists theirs, the list shows the viewer's whole jurisdiction."""
    if not principal.has("dossier.view"):
        return []
    links = []
    if unit.key == str(principal.user_id):
        links.append(Crumb(_("My work"), reverse("dossiers:work")))
    links.append(Crumb(_("Dossiers of your jurisdiction"), reverse("dossiers:list")))
    return links


# The pages ---------------------------------------------------------------------------------


def tiles_context(
    principal: Principal,
    unit: Unit,
    selection: Selection,
    names: list[str] | tuple[str, ...] | None = None,
) -> dict[str, Any]:
    """The tiles (by default every KPI the unit has) against the compared period."""
    figures = kpis.figures(unit, selection.period)
    before = kpis.figures(unit, selection.against).metrics()
    metrics = figures.metrics()
    return {
        "unit": unit,
        "selection": selection,
        "figures": figures,
        "before": before,
        "tiles": display.tiles(
            metrics, before, display.tile_metrics(unit) if names is None else names
        ),
        "against_label": period_label(selection.against),
        "tiles_url": reverse("monitoring:tiles", args=[unit.kind, unit.key])
        + "?"
        + selection.query(),
        "live_topic": live_topic(principal, selection),
    }


def _index_view(
    unit: Unit, figures: Figures, definition: index.Definition
) -> display.IndexView | None:
    if unit.kind == "officer":
        return None  # the index scores units, not people
    return display.index_view(definition.score(figures), definition)


def overview(principal: Principal, unit: Unit, selection: Selection) -> dict[str, Any]:
    """Everything a unit's page shows (also the exports' and the report's rows)."""
    definition = index.Definition.load()
    query = selection.query()
    context = tiles_context(principal, unit, selection)
    indexed = _index_view(unit, context["figures"], definition)
    if indexed is not None:
        position = sibling_rank(unit, selection.period, definition)
        if position:
            indexed = replace(indexed, rank=position[0], ranked=position[1])
    trends = display.trend_data(unit, selection.period)
    context.update(
        unit_name=selectors.name(unit),
        unit_kind_label=display.UNIT_KIND_LABELS[unit.kind],
        period_label=period_label(selection.period),
        query=query,
        crumbs=crumbs(principal, unit, query),
        index=indexed,
        sections=sections(principal, unit, selection.period, definition, query),
        objectives=display.objective_views(unit),
        trends=trends,
        trend_tables=display.trend_tables(trends),
        export_csv=reverse("monitoring:export", args=[unit.kind, unit.key, "csv"]) + "?" + query,
        export_xlsx=reverse("monitoring:export", args=[unit.kind, unit.key, "xlsx"]) + "?" + query,
        report_url=reverse("monitoring:report", args=[unit.kind, unit.key])
        + "?"
        + urlencode({"month": selection.period.end.strftime("%Y-%m")}),
        wall_url=unit_url(unit, selection.query(wall="1")) if unit.kind != "officer" else "",
        ranking_url=reverse("monitoring:ranking") + "?" + query
        if selectors.may_view_ranking(principal)
        else "",
        compare_kinds=list(COMPARE_LABELS.items()),
        **picker(unit_url(unit), selection),
    )
    if unit.kind == "officer":
        context["dossier_links"] = _dossier_links(principal, unit)
    return context


def wall_context(principal: Principal, unit: Unit, selection: Selection) -> dict[str, Any]:
    """The wall display: a few big tiles, the index and the first ranking, no controls."""
    definition = index.Definition.load()
    names = display.WALL_TILES if unit.kind != "officer" else display.OFFICER_TILES[:6]
    context = tiles_context(principal, unit, selection, names)
    found = sections(principal, unit, selection.period, definition, selection.query())
    context.update(
        unit_name=selectors.name(unit),
        period_label=period_label(selection.period),
        index=_index_view(unit, context["figures"], definition),
        section=found[0] if found else None,
        body_url=unit_url(unit, selection.query(wall="1", part="body")),
    )
    return context


def ranking_context(principal: Principal, kind: str, selection: Selection) -> dict[str, Any]:
    """The province's communes (or provincial agencies) ranked by the index: scores, bands and
    group points; each row links to its page only for those who may open it."""
    province = Unit("province", settings.PROVINCE_CODE)
    definition = index.Definition.load()
    query = selection.query()
    rows = ranked_rows(
        principal,
        kind,
        units.ranking_units(kind),
        kpis.figures_by(kind, selection.period, within=province),
        definition,
        query,
    )
    here = reverse("monitoring:ranking")
    return {
        "kind": kind,
        "rows": rows,
        "groups": [group for group, _indicators in definition.groups],
        "maximum": definition.maximum,
        "selection": selection,
        "period_label": period_label(selection.period),
        "province_name": selectors.name(province),
        "query": query,
        "kind_urls": {
            "commune": f"{here}?{selection.query(kind='commune')}",
            "agency": f"{here}?{selection.query(kind='agency')}",
        },
        "home_url": reverse("monitoring:home"),
        **picker(here, selection, kind=kind),
    }
