"""Monitoring API (/api/v1/monitoring): every KPI, the service-quality index, the ranking and
the OKRs of a unit, for the province's other systems. Read only, from the rollups (never from
the dossiers), with the same jurisdiction rules as the pages (`selectors`).

A unit is named `kind:key` (`province:22`, `commune:06688`, `agency:12`, `service_point:3`,
`officer:41`); a period by its kind and a day in it (`period=month&date=2026-03-15`, the
default being this month) or by its bounds (`period=custom&start=…&end=…`). Counts are
integers, rates decimals from 0 to 1, averages decimals; a rate over nothing is null.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Literal, Self

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import field_validator, model_validator

from motcua.core.access import principal_of
from motcua.core.errors import MotcuaError, PermissionDenied
from motcua.core.schemas import responses
from motcua.monitoring import index, kpis, okrs, periods, selectors, units
from motcua.monitoring.models import IndexBand

router = Router()

# Which children each unit's figures break down into (the drill-down of the pages).
CHILD_KINDS: dict[str, tuple[str, ...]] = {
    "province": ("commune", "agency", "service_point"),
    "commune": ("agency", "service_point"),
    "agency": ("officer",),
}
PeriodKindName = Literal["today", "day", "week", "month", "quarter", "year", "custom"]
UnitKindName = Literal["province", "commune", "agency", "service_point", "officer"]
ChildKindName = Literal["commune", "agency", "service_point", "officer"]
Number = int | float | None


def _trend_metrics(officer: bool) -> frozenset[str]:
    """The KPIs a trend carries: those its summed day counters move. A trend has no stocks
    and no queue figures (they would read as zeros), so those are left out of its series."""
    probe, empty = kpis.Figures(), kpis.Figures().metrics()
    counters = probe.officer if officer else probe.unit
    for name in counters:
        counters[name] = 1
    return frozenset(name for name, value in probe.metrics().items() if value != empty[name])


TREND_METRICS = {kind: _trend_metrics(kind == "officer") for kind in kpis.UNIT_KINDS}


# Queries -----------------------------------------------------------------------------------


class PeriodQuery(Schema):
    period: PeriodKindName = Field(
        "month", description="`today` is live; the others are the local days around `date`."
    )
    date: dt.date | None = Field(None, description="A day of the period (default: today).")
    start: dt.date | None = Field(None, description="The first day of a custom period.")
    end: dt.date | None = Field(
        None,
        description=f"The last day of a custom period (at most {periods.MAX_CUSTOM_DAYS} days).",
    )

    @field_validator("date", "start", "end", mode="before")
    @classmethod
    def _a_day(cls, value: Any) -> Any:
        """A day is read as the pages read it (`periods.read_day`), the field named if not."""
        if not isinstance(value, str):
            return value
        try:
            return periods.read_day(value)
        except MotcuaError as error:
            raise ValueError(str(error.message)) from None

    @model_validator(mode="after")
    def _is_a_period(self) -> Self:
        self.selection()
        return self

    def selection(self) -> periods.Selection:
        """The period asked for, compared as the pages compare it (with the previous one, or
        as many days of it while the period runs)."""
        today = kpis.today()
        try:
            period = periods.period_of(
                self.period, today=today, day=self.date, start=self.start, end=self.end
            )
        except MotcuaError as error:
            raise ValueError(str(error.message)) from None
        return periods.Selection(period, today=today)


class UnitQuery(Schema):
    unit: str = Field(
        description="`kind:key`: province:22, commune:06688, agency:<id>, service_point:<id> "
        "or officer:<user id>."
    )

    @field_validator("unit")
    @classmethod
    def _unit_is_kind_and_key(cls, value: str) -> str:
        kind, _colon, key = value.partition(":")
        if kind not in kpis.UNIT_KINDS or not key.isdigit() or len(key) > 12:
            raise ValueError(
                _("Name the unit as kind:key, e.g. commune:06688; the kind is one of %(kinds)s.")
                % {"kinds": ", ".join(kpis.UNIT_KINDS)}
            )
        return value

    def target(self) -> kpis.Unit:
        kind, _colon, key = self.unit.partition(":")
        return kpis.Unit(kind, key)


class UnitPeriodQuery(PeriodQuery, UnitQuery):
    pass


class ChildrenQuery(UnitPeriodQuery):
    kind: ChildKindName = Field(
        description="province → commune, agency or service_point; commune → agency or "
        "service_point; agency → officer."
    )

    @model_validator(mode="after")
    def _kind_is_below_the_unit(self) -> Self:
        allowed = CHILD_KINDS.get(self.unit.partition(":")[0], ())
        if self.kind not in allowed:
            raise ValueError(
                _("This unit has no children of that kind (it has: %(kinds)s).")
                % {"kinds": ", ".join(allowed) or "—"}
            )
        return self


class TrendQuery(UnitPeriodQuery):
    period: PeriodKindName = Field("year", description="Default: the year around `date`.")
    bucket: Literal["day", "week", "month"] = "month"


class IndexQuery(UnitPeriodQuery):
    @field_validator("unit")
    @classmethod
    def _not_an_officer(cls, value: str) -> str:
        if value.startswith("officer:"):
            raise ValueError(
                _(
                    "The index scores the province, communes, agencies and service points, "
                    "not officers."
                )
            )
        return value


class RankingQuery(PeriodQuery):
    kind: Literal["commune", "agency"] = "commune"
    level: Literal["province", "commune"] | None = Field(
        None, description="Agencies only: rank the provincial or the commune-level ones."
    )


# Answers -----------------------------------------------------------------------------------


class MonitoredUnitOut(Schema):
    kind: UnitKindName
    key: str
    name: str


class KpiPeriodOut(Schema):
    kind: PeriodKindName
    start: dt.date
    end: dt.date


class PeriodMetricsOut(Schema):
    period: KpiPeriodOut
    metrics: dict[str, Number] = Field(
        description="Every KPI by name: counts, rates (0–1) and averages; null: nothing to "
        "measure. Stocks (in_progress, overdue, …) are the state now, whatever the period."
    )


class KpisOut(PeriodMetricsOut):
    unit: MonitoredUnitOut
    previous: PeriodMetricsOut = Field(
        description="The period before, for comparison; while the period runs, as many days "
        "of the one before (1–3 December against 1–3 November)."
    )


class ChildOut(Schema):
    key: str
    name: str
    metrics: dict[str, Number]


class ChildrenOut(Schema):
    unit: MonitoredUnitOut
    period: KpiPeriodOut
    kind: ChildKindName
    children: list[ChildOut]


class TrendPointOut(Schema):
    start: dt.date = Field(description="The first day of the bucket.")
    metrics: dict[str, Number]


class TrendOut(Schema):
    unit: MonitoredUnitOut
    period: KpiPeriodOut
    bucket: Literal["day", "week", "month"]
    series: list[TrendPointOut] = Field(
        description="The buckets that have data, oldest first; the KPIs of the day counters "
        "only (no stocks, no queue figures)."
    )


class BandOut(Schema):
    name: str
    minimum: float = Field(description="The lowest total in the band.")
    colour: str


class IndicatorScoreOut(Schema):
    code: str
    name: str
    formula: str
    provisional: bool
    rate: float | None = Field(description="The formula's value, 0–1; null: no data.")
    points: float
    max: float


class GroupScoreOut(Schema):
    code: str
    name: str
    points: float
    max: float
    indicators: list[IndicatorScoreOut]


class IndexOut(Schema):
    unit: MonitoredUnitOut
    period: KpiPeriodOut
    total: float
    maximum: float
    band: BandOut | None
    groups: list[GroupScoreOut]


class RankedOut(Schema):
    rank: int
    key: str
    name: str
    total: float
    band: BandOut | None


class RankingOut(Schema):
    kind: Literal["commune", "agency"]
    period: KpiPeriodOut
    rows: list[RankedOut]


class IndicatorOut(Schema):
    code: str
    name: str
    formula: str
    points: float
    provisional: bool
    full_when_empty: bool
    source: str


class IndexGroupOut(Schema):
    code: str
    name: str
    max: float
    indicators: list[IndicatorOut]


class IndexDefinitionOut(Schema):
    maximum: float
    groups: list[IndexGroupOut]
    bands: list[BandOut]
    kpis: list[str] = Field(description="The KPI names a formula may use.")


class KeyResultOut(Schema):
    id: int
    title: str
    metric: str
    direction: Literal["at_least", "at_most"]
    baseline: float
    target: float
    weight: int
    value: float | None = Field(description="The KPI over the objective's period so far.")
    progress: float | None = Field(description="0 at the baseline, 1 at the target.")
    met: bool


class ObjectiveOut(Schema):
    id: int
    title: str
    owner: str
    starts_on: dt.date
    ends_on: dt.date
    ended: bool
    progress: float | None
    results: list[KeyResultOut]


class OkrsOut(Schema):
    unit: MonitoredUnitOut
    objectives: list[ObjectiveOut]


# Building the answers ----------------------------------------------------------------------


def _numbers(metrics: Mapping[str, Any], names: Iterable[str] | None = None) -> dict[str, Number]:
    wanted = None if names is None else frozenset(names)
    return {
        name: float(value) if isinstance(value, Decimal) else value
        for name, value in metrics.items()
        if wanted is None or name in wanted
    }


def _unit(unit: kpis.Unit) -> dict[str, str]:
    return {"kind": unit.kind, "key": unit.key, "name": selectors.name(unit)}


def _period(period: kpis.Period) -> dict[str, Any]:
    return {"kind": period.kind, "start": period.start, "end": period.end}


def _band(band: IndexBand | None) -> dict[str, Any] | None:
    if band is None:
        return None
    return {"name": band.name, "minimum": band.minimum, "colour": band.colour}


def _viewed(request: HttpRequest, query: UnitQuery) -> kpis.Unit:
    unit = query.target()
    selectors.require(principal_of(request), unit)
    return unit


# Endpoints ---------------------------------------------------------------------------------


@router.get("/kpis", response=responses(KpisOut, 404), url_name="monitoring_kpis")
def unit_kpis(request: HttpRequest, query: Query[UnitPeriodQuery]) -> dict[str, Any]:
    """Every KPI of a unit over a period, and over the period before it."""
    unit = _viewed(request, query)
    selection = query.selection()
    period, before = selection.period, selection.against
    return {
        "unit": _unit(unit),
        "period": _period(period),
        "metrics": _numbers(kpis.figures(unit, period).metrics()),
        "previous": {
            "period": _period(before),
            "metrics": _numbers(kpis.figures(unit, before).metrics()),
        },
    }


@router.get("/kpis/children", response=responses(ChildrenOut, 404), url_name="monitoring_children")
def child_kpis(request: HttpRequest, query: Query[ChildrenQuery]) -> dict[str, Any]:
    """Every KPI of each commune, agency, service point or officer under a unit, by name."""
    unit = _viewed(request, query)
    period = query.selection().period
    figures = kpis.figures_by(query.kind, period, within=unit)
    names = units.children_of(unit, query.kind, figures)
    children = [
        {"key": key, "name": name, "metrics": _numbers(figures.get(key, kpis.Figures()).metrics())}
        for key, name in sorted(names.items(), key=lambda item: (item[1], item[0]))
    ]
    return {
        "unit": _unit(unit),
        "period": _period(period),
        "kind": query.kind,
        "children": children,
    }


@router.get("/trend", response=responses(TrendOut, 404), url_name="monitoring_trend")
def unit_trend(request: HttpRequest, query: Query[TrendQuery]) -> dict[str, Any]:
    """A unit's KPIs per day, week or month of a period (default: this year by month)."""
    unit = _viewed(request, query)
    period = query.selection().period
    wanted = TREND_METRICS[unit.kind]
    series = [
        {"start": start, "metrics": _numbers(figures.metrics(), wanted)}
        for start, figures in kpis.trend(unit, period, query.bucket)
    ]
    return {
        "unit": _unit(unit),
        "period": _period(period),
        "bucket": query.bucket,
        "series": series,
    }


def _score(score: index.Score, definition: index.Definition) -> dict[str, Any]:
    return {
        "total": score.total,
        "maximum": definition.maximum,
        "band": _band(score.band),
        "groups": [
            {
                "code": group.group.code,
                "name": group.group.name,
                "points": group.points,
                "max": group.group.max_points,
                "indicators": [
                    {
                        "code": scored.indicator.code,
                        "name": scored.indicator.name,
                        "formula": scored.indicator.formula,
                        "provisional": scored.indicator.provisional,
                        "rate": scored.rate,
                        "points": scored.points,
                        "max": scored.indicator.points,
                    }
                    for scored in group.indicators
                ],
            }
            for group in score.groups
        ],
    }


@router.get("/index", response=responses(IndexOut, 404), url_name="monitoring_index")
def unit_index(request: HttpRequest, query: Query[IndexQuery]) -> dict[str, Any]:
    """The service-quality index of a unit over a period: total, band, groups, indicators."""
    unit = _viewed(request, query)
    period = query.selection().period
    definition = index.Definition.load()
    score = definition.score(kpis.figures(unit, period))
    return {"unit": _unit(unit), "period": _period(period), **_score(score, definition)}


@router.get("/ranking", response=responses(RankingOut), url_name="monitoring_ranking")
def ranking(request: HttpRequest, query: Query[RankingQuery]) -> dict[str, Any]:
    """The province's communes or agencies ranked by their index over a period (scores only;
    a commune's leaders see it too)."""
    if not selectors.may_view_ranking(principal_of(request)):
        raise PermissionDenied()
    period = query.selection().period
    province = kpis.Unit("province", settings.PROVINCE_CODE)
    ranked = index.rank(
        units.agencies_of(province.key, level=query.level)
        if query.kind == "agency"
        else units.communes_of(province.key),
        kpis.figures_by(query.kind, period, within=province),
        index.Definition.load(),
    )
    rows = [
        {
            "rank": row.rank,
            "key": row.key,
            "name": row.name,
            "total": row.score.total,
            "band": _band(row.score.band),
        }
        for row in ranked
    ]
    return {"kind": query.kind, "period": _period(period), "rows": rows}


@router.get(
    "/index/definition",
    response=responses(IndexDefinitionOut),
    url_name="monitoring_index_definition",
)
def index_definition(request: HttpRequest) -> dict[str, Any]:
    """The index as defined: groups, sub-indicators (formula, points, provisional) and bands."""
    definition = index.Definition.load()
    return {
        "maximum": definition.maximum,
        "groups": [
            {
                "code": group.code,
                "name": group.name,
                "max": group.max_points,
                "indicators": [
                    {
                        "code": indicator.code,
                        "name": indicator.name,
                        "formula": indicator.formula,
                        "points": indicator.points,
                        "provisional": indicator.provisional,
                        "full_when_empty": indicator.full_when_empty,
                        "source": indicator.source,
                    }
                    for indicator in indicators
                ],
            }
            for group, indicators in definition.groups
        ],
        "bands": [_band(band) for band in definition.bands],
        "kpis": sorted(index.metric_names()),
    }


@router.get("/okrs", response=responses(OkrsOut, 404), url_name="monitoring_okrs")
def unit_okrs(request: HttpRequest, query: Query[UnitQuery]) -> dict[str, Any]:
    """A unit's objectives and key results, with their progress computed from the KPIs."""
    unit = _viewed(request, query)
    objectives = []
    for found in okrs.objectives_of(unit):
        objective = found.objective
        objectives.append(
            {
                "id": objective.pk,
                "title": objective.title,
                "owner": units.owner(objective),
                "starts_on": objective.starts_on,
                "ends_on": objective.ends_on,
                "ended": found.ended,
                "progress": found.progress,
                "results": [
                    {
                        "id": result.key_result.pk,
                        "title": result.key_result.title,
                        "metric": result.key_result.metric,
                        "direction": result.key_result.direction,
                        "baseline": result.key_result.baseline,
                        "target": result.key_result.target,
                        "weight": result.key_result.weight,
                        "value": result.value,
                        "progress": result.progress,
                        "met": result.met,
                    }
                    for result in found.results
                ],
            }
        )
    return {"unit": _unit(unit), "objectives": objectives}
