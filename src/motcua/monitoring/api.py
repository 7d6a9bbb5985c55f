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
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import field_validator, model_validator

from motcua.core.access import principal_of
from motcua.core.errors import PermissionDenied
from motcua.core.schemas import responses
from motcua.monitoring import index, kpis, okrs, selectors
from motcua.monitoring.models import IndexBand
from motcua.organisation.models import Agency, Commune, RoleMembership, ServicePoint
from motcua.workcalendar.limits import EARLIEST, LATEST

router = Router()

# A custom period is at most a leap year, the longest of the fixed periods.
MAX_PERIOD_DAYS = 366
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
    date: dt.date | None = Field(
        None, ge=EARLIEST, le=LATEST, description="A day of the period (default: today)."
    )
    start: dt.date | None = Field(
        None, ge=EARLIEST, le=LATEST, description="The first day of a custom period."
    )
    end: dt.date | None = Field(
        None,
        ge=EARLIEST,
        le=LATEST,
        description=f"The last day of a custom period (at most {MAX_PERIOD_DAYS} days).",
    )

    @model_validator(mode="after")
    def _custom_has_bounds(self) -> Self:
        if self.period != "custom":
            return self
        if self.start is None or self.end is None:
            raise ValueError(_("A custom period needs a start and an end."))
        if abs((self.end - self.start).days) >= MAX_PERIOD_DAYS:
            raise ValueError(
                _("A period covers at most %(days)d days.") % {"days": MAX_PERIOD_DAYS}
            )
        return self

    def resolve(self) -> kpis.Period:
        if self.period == "custom" and self.start and self.end:  # both given: checked above
            return kpis.Period.custom(self.start, self.end)
        if self.period == "today":
            return kpis.Period.of("today", kpis.today())
        return kpis.Period.of(self.period, self.date or kpis.today())


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
    previous: PeriodMetricsOut = Field(description="The period before, for comparison.")


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


def _user_names(ids: Iterable[int]) -> dict[str, str]:
    users = get_user_model().objects.filter(pk__in=list(ids))
    return {str(user.pk): user.get_full_name() or user.get_username() for user in users}


def _children_of(unit: kpis.Unit, kind: str, with_data: Iterable[str]) -> dict[str, str]:
    """The unit's children of `kind` (key → name): those it is made of, and any other that
    has figures under it (a provincial department handling a commune's dossiers)."""
    keys = set(with_data)
    if kind == "officer":
        members = RoleMembership.objects.filter(agency_id=int(unit.key)).values_list(
            "user_id", flat=True
        )
        return _user_names({*members, *(int(key) for key in keys)})
    within = {"province": "province__code", "commune": "commune__code"}[unit.kind]
    rows: list[tuple[Any, str]]
    if kind == "commune":
        rows = [
            *Commune.objects.filter(**{within: unit.key}).values_list("code", "name"),
            *Commune.objects.filter(code__in=keys).values_list("code", "name"),
        ]
    else:
        model: type[Agency | ServicePoint] = Agency if kind == "agency" else ServicePoint
        rows = [
            *model.objects.filter(active=True, **{within: unit.key}).values_list("pk", "name"),
            *model.objects.filter(pk__in=[int(key) for key in keys]).values_list("pk", "name"),
        ]
    return {str(key): name for key, name in rows}


def _ranked_units(kind: str, level: str | None) -> list[tuple[str, str]]:
    if kind == "commune":
        return list(
            Commune.objects.filter(province__code=settings.PROVINCE_CODE).values_list(
                "code", "name"
            )
        )
    agencies = Agency.objects.filter(province__code=settings.PROVINCE_CODE, active=True)
    if level is not None:
        agencies = agencies.filter(level=level)
    return [(str(pk), name) for pk, name in agencies.values_list("pk", "name")]


# Endpoints ---------------------------------------------------------------------------------


@router.get("/kpis", response=responses(KpisOut, 404), url_name="monitoring_kpis")
def unit_kpis(request: HttpRequest, query: Query[UnitPeriodQuery]) -> dict[str, Any]:
    """Every KPI of a unit over a period, and over the period before it."""
    unit = _viewed(request, query)
    period = query.resolve()
    before = period.previous()
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
    period = query.resolve()
    figures = kpis.figures_by(query.kind, period, within=unit)
    names = _children_of(unit, query.kind, figures)
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
    period = query.resolve()
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
    period = query.resolve()
    definition = index.Definition.load()
    score = definition.score(kpis.figures(unit, period))
    return {"unit": _unit(unit), "period": _period(period), **_score(score, definition)}


@router.get("/ranking", response=responses(RankingOut), url_name="monitoring_ranking")
def ranking(request: HttpRequest, query: Query[RankingQuery]) -> dict[str, Any]:
    """The province's communes or agencies ranked by their index over a period (scores only;
    a commune's leaders see it too)."""
    if not selectors.may_view_ranking(principal_of(request)):
        raise PermissionDenied()
    period = query.resolve()
    province = kpis.Unit("province", settings.PROVINCE_CODE)
    ranked = index.rank(
        _ranked_units(query.kind, query.level),
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
        owner = objective.owner
        objectives.append(
            {
                "id": objective.pk,
                "title": objective.title,
                "owner": objective.owner_label
                or (owner.get_full_name() or owner.get_username() if owner else ""),
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
