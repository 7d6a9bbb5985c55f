"""The monitoring pages: a unit's overview (tiles, index, trends, the drill-down table, OKRs),
its live tiles, the province's ranking and the wall display.

Every figure comes from the rollups through `kpis`, `index` and `okrs`: a page view never reads
the dossiers. Who sees which unit is `selectors.may_view`; a unit out of reach is a 403 page
(MotcuaErrorMiddleware). Officers see their own figures without `monitoring.view`, so the pages
ask for a login, not for a permission.

The builders below (`Selection`, `tiles`, `sections`, ...) also feed the exports and the
monthly report, so that the three show the same numbers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, numberformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from motcua.core.access import principal_of
from motcua.core.errors import MotcuaError, PermissionDenied
from motcua.core.permissions import Principal
from motcua.monitoring import index, kpis, okrs, selectors
from motcua.monitoring.kpis import METRIC_LABELS, Figures, Period, Unit
from motcua.organisation.models import Agency, Commune, ServicePoint
from motcua.queueing import reports as queue_reports

# A custom period covers at most a year and a day, as the queue reports do.
MAX_CUSTOM_DAYS = 366
# Dates outside these are typing mistakes (and would overflow date arithmetic).
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)

PERIOD_LABELS: dict[str, Any] = {
    "today": gettext_lazy("Today (live)"),
    "day": gettext_lazy("Day"),
    "week": gettext_lazy("Week"),
    "month": gettext_lazy("Month"),
    "quarter": gettext_lazy("Quarter"),
    "year": gettext_lazy("Year"),
    "custom": gettext_lazy("Custom dates"),
}
COMPARE_LABELS: dict[str, Any] = {
    "previous": gettext_lazy("the previous period"),
    "last_year": gettext_lazy("the same period a year earlier"),
}
UNIT_KIND_LABELS: dict[str, Any] = {
    "province": gettext_lazy("Province"),
    "commune": gettext_lazy("Commune or ward"),
    "agency": gettext_lazy("Agency"),
    "service_point": gettext_lazy("Service point"),
    "officer": gettext_lazy("Officer"),
}

# The figures that only an officer unit has, and the queue figures an officer also has.
QUEUE_METRICS = ("tickets_served", "wait_minutes", "service_minutes", "rating_average")
OFFICER_TILES = (
    "officer_received",
    "officer_steps_done",
    "officer_steps_on_time_rate",
    *QUEUE_METRICS,
    "satisfaction_rate",
)
# A change of these is good news when it goes up, of those when it goes down; the counts of
# work (filed, received, finished) are neither.
HIGHER_IS_BETTER = frozenset(
    {
        "online_share",
        "on_time_rate",
        "documents_digitised_rate",
        "results_signed_rate",
        "online_payment_share",
        "rating_average",
        "satisfaction_rate",
        "eval_score",
        "officer_steps_on_time_rate",
    }
)
LOWER_IS_BETTER = frozenset({"late_rate", "wait_minutes", "service_minutes"})
# Averages shown with two decimals; the others with one.
TWO_PLACES = frozenset({"rating_average"})
# The few tiles of the wall display, readable across a room.
WALL_TILES = (
    "filed",
    "online_share",
    "on_time_rate",
    "in_progress",
    "overdue",
    "satisfaction_rate",
)
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
QUEUE_COLUMNS = ("tickets_served", "wait_minutes", "service_minutes", "rating_average")


def is_rate(metric: str) -> bool:
    return metric.endswith(("_rate", "_share"))


# Reading the query: the period, the comparison ---------------------------------------------


def _date(query: QueryDict, name: str, default: dt.date | None = None) -> dt.date:
    text = query.get(name, "").strip()
    if not text:
        if default is None:
            raise MotcuaError(_("Custom dates need a start and an end."), code="bad_period")
        return default
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise MotcuaError(
            _("“%(value)s” is not a date: write it as YYYY-MM-DD.") % {"value": text[:20]},
            code="bad_date",
        ) from None
    if not EARLIEST <= day <= LATEST:
        raise MotcuaError(
            _("Choose a date between %(first)s and %(last)s.")
            % {"first": EARLIEST.year, "last": LATEST.year},
            code="bad_date",
        )
    return day


def _year_back(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


@dataclass(frozen=True)
class Selection:
    """The period a page shows and the one it compares with."""

    period: Period
    compare: str = "previous"
    # The day the selection was read on: a period still running is compared with as many
    # days of the other period (1–3 December with 1–3 November, not with all of November).
    today: dt.date | None = None

    @classmethod
    def read(cls, query: QueryDict, *, today: dt.date) -> Selection:
        """The selection asked for; MotcuaError (400) with a translated reason otherwise."""
        kind = query.get("period", "").strip() or "month"
        if kind not in kpis.PERIOD_KINDS:
            raise MotcuaError(
                _(
                    "Unknown period “%(value)s”: choose today, a day, week, month, quarter, "
                    "year or custom dates."
                )
                % {"value": kind[:20]},
                code="bad_period",
            )
        compare = query.get("compare", "").strip() or "previous"
        if compare not in COMPARE_LABELS:
            raise MotcuaError(
                _("Compare with the previous period or the same period a year earlier."),
                code="bad_compare",
            )
        if kind == "today":
            period = Period.of("today", today)
        elif kind == "custom":
            start, end = _date(query, "start"), _date(query, "end")
            if end < start:
                raise MotcuaError(_("The end is before the start."), code="bad_period")
            if (end - start).days >= MAX_CUSTOM_DAYS:
                raise MotcuaError(
                    _("Custom dates cover at most %(n)d days.") % {"n": MAX_CUSTOM_DAYS},
                    code="bad_period",
                )
            period = Period.custom(start, end)
        else:
            period = Period.of(kind, _date(query, "date", today))
        return cls(period, compare, today)

    @property
    def against(self) -> Period:
        other = year_before(self.period) if self.compare == "last_year" else self.period.previous()
        if self.period.kind in ("today", "day") or self.today is None:
            return other
        if not self.period.start <= self.today < self.period.end:
            return other
        elapsed = self.today - self.period.start
        return Period.custom(other.start, min(other.end, other.start + elapsed))

    def includes(self, day: dt.date) -> bool:
        return self.period.start <= day <= self.period.end

    def query(self, **extra: str) -> str:
        """The query string that selects this again (plus `extra`)."""
        period = self.period
        values: dict[str, str] = {"period": period.kind}
        if period.kind == "custom":
            values.update(start=period.start.isoformat(), end=period.end.isoformat())
        elif period.kind != "today":
            values["date"] = period.start.isoformat()
        if self.compare != "previous":
            values["compare"] = self.compare
        values.update(extra)
        return urlencode(values)

    def shifted(self, period: Period) -> Selection:
        return replace(self, period=period)


def year_before(period: Period) -> Period:
    if period.kind == "week":
        return Period.of("week", period.start - dt.timedelta(weeks=52))
    if period.kind in ("month", "quarter", "year"):
        return Period.of(period.kind, _year_back(period.start))
    if period.kind in ("today", "day"):
        day = _year_back(period.start)
        return Period("day", day, day)
    return Period.custom(_year_back(period.start), _year_back(period.end))


def following(period: Period) -> Period:
    if period.kind in ("today", "day", "custom"):
        step = dt.timedelta(days=period.days)
        kind = "day" if period.kind == "today" else period.kind
        return Period(kind, period.start + step, period.end + step)
    return Period.of(period.kind, period.end + dt.timedelta(days=1))


def _day(value: dt.date) -> str:
    return formats.date_format(value, "d/m/Y")


def period_label(period: Period) -> str:
    if period.kind == "today":
        return _("Today, %(day)s") % {"day": _day(period.start)}
    if period.kind == "day":
        return _("Day %(day)s") % {"day": _day(period.start)}
    if period.kind == "week":
        return _("Week %(start)s – %(end)s") % {
            "start": _day(period.start),
            "end": _day(period.end),
        }
    if period.kind == "month":
        return _("Month %(month)d/%(year)d") % {
            "month": period.start.month,
            "year": period.start.year,
        }
    if period.kind == "quarter":
        return _("Quarter %(quarter)d/%(year)d") % {
            "quarter": (period.start.month - 1) // 3 + 1,
            "year": period.start.year,
        }
    if period.kind == "year":
        return _("Year %(year)d") % {"year": period.start.year}
    return _("%(start)s to %(end)s") % {"start": _day(period.start), "end": _day(period.end)}


# Numbers as the pages show them ------------------------------------------------------------


def number(value: int | Decimal, places: int = 0) -> str:
    """The locale's decimal separator, thousands grouped (Django's vi format groups none)."""
    return numberformat.format(
        value,
        str(formats.get_format("DECIMAL_SEPARATOR")),
        places,
        3,
        str(formats.get_format("THOUSAND_SEPARATOR")),
        force_grouping=True,
    )


def show(metric: str, value: Any) -> str:
    """A KPI's value as text: rates as percentages, averages with their decimals."""
    if value is None:
        return "—"
    if is_rate(metric):
        return f"{number(Decimal(value) * 100, 1)}%"
    if isinstance(value, Decimal):
        return number(value, 2 if metric in TWO_PLACES else 1)
    return number(value)


def _signed(amount: Decimal, places: int) -> str:
    sign = "+" if amount > 0 else "−" if amount < 0 else "±"
    return sign + number(abs(amount), places)


def change(metric: str, now: Any, before: Any) -> tuple[str, str, str]:
    """(text, direction up/down/same, verdict better/worse/"") of a KPI against before. The
    direction is that of the difference as shown: one too small to show is no change."""
    if now is None or before is None:
        return "", "", ""
    difference = Decimal(now) - Decimal(before)
    if is_rate(metric):
        shown = (difference * 100).quantize(Decimal("0.1"))
        text = _("%(change)s points") % {"change": _signed(shown, 1)}
    elif isinstance(now, Decimal) or isinstance(before, Decimal):
        shown = difference.quantize(Decimal(1).scaleb(-(2 if metric in TWO_PLACES else 1)))
        text = _signed(shown, 2 if metric in TWO_PLACES else 1)
    else:
        shown = difference
        text = _signed(shown, 0)
        if before:
            text += f" ({_signed(difference * 100 / Decimal(before), 1)}%)"
    direction = "up" if shown > 0 else "down" if shown < 0 else "same"
    verdict = ""
    if shown and metric in HIGHER_IS_BETTER | LOWER_IS_BETTER:
        verdict = "better" if (shown > 0) == (metric in HIGHER_IS_BETTER) else "worse"
    return text, direction, verdict


# Tiles -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tile:
    metric: str
    label: str
    value: Any
    text: str
    change: str = ""
    direction: str = ""
    verdict: str = ""
    stock: bool = False  # the state now, whatever the period: no comparison


def tile_metrics(unit: Unit) -> list[str]:
    if unit.kind == "officer":
        return list(OFFICER_TILES)
    return [name for name in METRIC_LABELS if not name.startswith("officer_")]


def tiles(
    metrics: dict[str, Any], before: dict[str, Any] | None, names: list[str] | tuple[str, ...]
) -> list[Tile]:
    result = []
    for name in names:
        value = metrics.get(name)
        stock = name in kpis.STOCK_COUNTERS
        text, direction, verdict = (
            change(name, value, before.get(name))
            if before is not None and not stock
            else ("", "", "")
        )
        result.append(
            Tile(
                name,
                str(METRIC_LABELS[name]),
                value,
                show(name, value),
                text,
                direction,
                verdict,
                stock,
            )
        )
    return result


# The service-quality index -----------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    label: str
    points: Decimal
    maximum: Decimal
    percent: int  # of the maximum, 0–100, for the bar's width
    indicators: list[index.IndicatorScore]


@dataclass(frozen=True)
class IndexView:
    score: index.Score
    maximum: Decimal
    percent: int
    bars: list[Bar]
    rank: int | None = None
    ranked: int | None = None  # how many units the rank is among


def _percent(part: Decimal, whole: Decimal) -> int:
    if not whole:
        return 0
    return max(0, min(100, int((part * 100 / whole).to_integral_value())))


def index_view(score: index.Score, definition: index.Definition) -> IndexView:
    bars = [
        Bar(
            group.group.name,
            group.points,
            group.group.max_points,
            _percent(group.points, group.group.max_points),
            group.indicators,
        )
        for group in score.groups
    ]
    maximum = definition.maximum
    return IndexView(score, maximum, _percent(score.total, maximum), bars)


# The drill-down tables ---------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    unit: Unit
    name: str
    figures: Figures
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


def _row(
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
    metrics = figures.metrics()
    url = unit_url(unit, query) if selectors.may_view(principal, unit) else ""
    return Row(
        unit,
        name,
        figures,
        metrics,
        [show(column, metrics.get(column)) for column in columns],
        score,
        rank,
        url,
        is_own(principal, unit),
        frozenset(measured if measured is not None else tile_metrics(unit)),
    )


def ranked_rows(
    principal: Principal,
    kind: str,
    units: list[tuple[str, str]],
    figures: dict[str, Figures],
    definition: index.Definition,
    query: str,
) -> list[Row]:
    return [
        _row(
            principal,
            Unit(kind, ranked.key),
            ranked.name,
            ranked.figures,
            UNIT_COLUMNS,
            query,
            score=ranked.score,
            rank=ranked.rank,
        )
        for ranked in index.rank(units, figures, definition)
    ]


def _names(rows: Any) -> list[tuple[str, str]]:
    return [(str(key), name) for key, name in rows]


def communes_of(province: str) -> list[tuple[str, str]]:
    return _names(Commune.objects.filter(province__code=province).values_list("code", "name"))


def provincial_agencies(province: str) -> list[tuple[str, str]]:
    """The agencies above the communes (departments, the provincial committee, branches)."""
    return _names(
        Agency.objects.filter(province__code=province, commune__isnull=True, active=True)
        .order_by("code")
        .values_list("pk", "name")
    )


def commune_agencies(commune: str) -> list[tuple[str, str]]:
    return _names(
        Agency.objects.filter(commune__code=commune, active=True)
        .order_by("code")
        .values_list("pk", "name")
    )


def commune_points(commune: str) -> list[tuple[str, str]]:
    return _names(
        ServicePoint.objects.filter(commune__code=commune, active=True).values_list("pk", "name")
    )


def _officer_names(keys: list[str], members: Q) -> list[tuple[str, str]]:
    users = (
        get_user_model()
        .objects.filter(Q(pk__in=[int(key) for key in keys]) | members, is_active=True)
        .distinct()
        .order_by("pk")
    )
    return [(str(user.pk), user.get_full_name() or user.get_username()) for user in users]


def ranking_units(kind: str, province: str) -> list[tuple[str, str]]:
    return communes_of(province) if kind == "commune" else provincial_agencies(province)


def sections(
    principal: Principal,
    unit: Unit,
    period: Period,
    definition: index.Definition,
    query: str,
) -> list[Section]:
    """The units one level down the drill-down, each with its figures (and, for communes,
    agencies and service points, its index score and rank among its siblings)."""
    if unit.kind == "province":
        communes = kpis.figures_by("commune", period, within=unit)
        agencies = kpis.figures_by("agency", period, within=unit)
        return [
            Section(
                "communes",
                _("Communes and wards"),
                list(UNIT_COLUMNS),
                ranked_rows(
                    principal, "commune", communes_of(unit.key), communes, definition, query
                ),
                True,
            ),
            Section(
                "agencies",
                _("Provincial agencies"),
                list(UNIT_COLUMNS),
                ranked_rows(
                    principal, "agency", provincial_agencies(unit.key), agencies, definition, query
                ),
                True,
            ),
        ]
    if unit.kind == "commune":
        agencies = kpis.figures_by("agency", period, within=unit)
        points = kpis.figures_by("service_point", period, within=unit)
        return [
            Section(
                "agencies",
                _("Agencies of the commune"),
                list(UNIT_COLUMNS),
                ranked_rows(
                    principal, "agency", commune_agencies(unit.key), agencies, definition, query
                ),
                True,
            ),
            Section(
                "points",
                _("Service points"),
                list(UNIT_COLUMNS),
                ranked_rows(
                    principal, "service_point", commune_points(unit.key), points, definition, query
                ),
                True,
            ),
        ]
    if unit.kind == "agency":
        officers = kpis.figures_by("officer", period, within=unit)
        names = _officer_names(list(officers), Q(role_memberships__agency_id=int(unit.key)))
        rows = [
            _row(
                principal,
                Unit("officer", key),
                name,
                officers.get(key, Figures()),
                OFFICER_COLUMNS,
                query,
            )
            for key, name in names
        ]
        rows.sort(key=lambda row: (-row.metrics["officer_steps_done"], row.name))
        return [Section("officers", _("Officers"), list(OFFICER_COLUMNS), rows, False)]
    if unit.kind == "service_point":
        queue = queue_reports.grouped_figures(
            [int(unit.key)], period.start, period.end, ("officer",), today=kpis.today()
        )
        served = {str(key): figures for (key,), figures in queue.items() if key is not None}
        names = _officer_names(list(served), Q(role_memberships__service_point_id=int(unit.key)))
        rows = [
            _row(
                principal,
                Unit("officer", key),
                name,
                Figures(queue=served.get(key, queue_reports.Figures())),
                QUEUE_COLUMNS,
                query,
                measured=(*QUEUE_COLUMNS, "satisfaction_rate"),
            )
            for key, name in names
        ]
        rows.sort(key=lambda row: (-row.metrics["tickets_served"], row.name))
        return [
            Section("officers", _("Officers at the counters"), list(QUEUE_COLUMNS), rows, False)
        ]
    return []


def sibling_rank(
    unit: Unit, period: Period, definition: index.Definition
) -> tuple[int, int] | None:
    """The unit's rank among the units it is ranked with, and how many they are."""
    province = settings.PROVINCE_CODE
    if unit.kind == "commune":
        units = communes_of(province)
        figures = kpis.figures_by("commune", period, within=Unit("province", province))
    elif unit.kind in ("agency", "service_point"):
        model = Agency if unit.kind == "agency" else ServicePoint
        commune = model.objects.filter(pk=int(unit.key)).values_list("commune__code", flat=True)
        code = commune.first()
        if unit.kind == "agency":
            units = commune_agencies(code) if code else provincial_agencies(province)
        else:
            units = commune_points(code) if code else []
        if not units:
            return None
        within = Unit("commune", code) if code else Unit("province", province)
        figures = kpis.figures_by(unit.kind, period, within=within)
    else:
        return None
    for ranked in index.rank(units, figures, definition):
        if ranked.key == unit.key:
            return ranked.rank, len(units)
    return None


# Trends ------------------------------------------------------------------------------------


def trend_data(unit: Unit, period: Period) -> dict[str, Any]:
    """Per month of the period's year: the online share (the seeds' 15% → 70% story), the
    dossiers filed by channel and finished early, on time or late (an officer: the steps)."""
    year = Period.of("year", period.end)
    by_month = dict(kpis.trend(unit, year, "month"))
    last = min(kpis.today(), year.end)
    months = [dt.date(year.start.year, m, 1) for m in range(1, 13)]
    data: dict[str, Any] = {
        "year": year.start.year,
        "labels": [f"{month.month}/{month.year}" for month in months],
        "short_labels": [_("M%(month)d") % {"month": month.month} for month in months],
    }
    series: dict[str, list[Any]] = {}

    def put(name: str, month: dt.date, value: Any) -> None:
        series.setdefault(name, []).append(None if month > last else value)

    for month in months:
        figures = by_month.get(month, Figures())
        if unit.kind == "officer":
            for name in ("steps_early", "steps_on_time", "steps_late"):
                put(name, month, figures.officer[name])
            continue
        share = figures.metrics()["online_share"]
        put("online_share", month, float(share * 100) if share is not None else None)
        for name in ("filed_online", "filed_counter", "filed_post", "filed_api"):
            put(name, month, figures.unit[name])
        for name in ("finished_early", "finished_on_time", "finished_late"):
            put(name, month, figures.unit[name])
    data["series"] = series
    data["names"] = {
        "online_share": _("Filed online (%)"),
        "filed_online": _("Online"),
        "filed_counter": _("At the counter"),
        "filed_post": _("By post"),
        "filed_api": _("Through the API"),
        "finished_early": _("Early"),
        "finished_on_time": _("On time"),
        "finished_late": _("Late"),
        "steps_early": _("Early"),
        "steps_on_time": _("On time"),
        "steps_late": _("Late"),
    }
    return data


def trend_tables(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The charts' numbers as tables, for screen readers and for anyone without JavaScript."""
    groups = (
        [("officer_steps", ("steps_early", "steps_on_time", "steps_late"))]
        if "steps_early" in data["series"]
        else [
            ("online_share", ("online_share",)),
            ("channels", ("filed_online", "filed_counter", "filed_post", "filed_api")),
            ("outcomes", ("finished_early", "finished_on_time", "finished_late")),
        ]
    )
    tables = []
    for key, names in groups:
        rows = []
        for position, label in enumerate(data["labels"]):
            values = [data["series"][name][position] for name in names]
            if all(value is None for value in values):
                continue
            rows.append(
                (
                    label,
                    [
                        "—"
                        if v is None
                        else number(Decimal(str(v)), 1 if key == "online_share" else 0)
                        for v in values
                    ],
                )
            )
        tables.append({"key": key, "headers": [data["names"][n] for n in names], "rows": rows})
    return tables


# OKRs --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultView:
    title: str
    metric: str
    value: str
    baseline: str
    target: str
    at_least: bool
    percent: int | None
    met: bool


@dataclass(frozen=True)
class ObjectiveView:
    title: str
    owner: str
    starts_on: dt.date
    ends_on: dt.date
    percent: int | None
    ended: bool
    results: list[ResultView]


def objective_views(unit: Unit) -> list[ObjectiveView]:
    if unit.kind == "officer":
        return []  # objectives belong to units, not to people
    views = []
    for progress in okrs.objectives_of(unit):
        objective = progress.objective
        owner = objective.owner_label or (
            objective.owner.get_full_name() or objective.owner.get_username()
            if objective.owner
            else ""
        )
        results = [
            ResultView(
                result.key_result.title,
                str(METRIC_LABELS.get(result.key_result.metric, result.key_result.metric)),
                show(result.key_result.metric, result.value),
                show(result.key_result.metric, result.key_result.baseline),
                show(result.key_result.metric, result.key_result.target),
                result.key_result.direction == result.key_result.Direction.AT_LEAST,
                None if result.progress is None else _percent(result.progress, Decimal(1)),
                result.met,
            )
            for result in progress.results
        ]
        views.append(
            ObjectiveView(
                objective.title,
                owner,
                objective.starts_on,
                objective.ends_on,
                None if progress.progress is None else _percent(progress.progress, Decimal(1)),
                progress.ended,
                results,
            )
        )
    return views


# Pages -------------------------------------------------------------------------------------


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


def _selection(request: HttpRequest) -> Selection:
    return Selection.read(request.GET, today=kpis.today())


def _tiles_context(
    principal: Principal, unit: Unit, selection: Selection, names: list[str] | tuple[str, ...]
) -> dict[str, Any]:
    figures = kpis.figures(unit, selection.period)
    before = kpis.figures(unit, selection.against).metrics()
    metrics = figures.metrics()
    return {
        "figures": figures,
        "metrics": metrics,
        "before": before,
        "tiles": tiles(metrics, before, names),
        "against_label": period_label(selection.against),
        "tiles_url": reverse("monitoring:tiles", args=[unit.kind, unit.key])
        + "?"
        + selection.query(),
        "live_topic": live_topic(principal, selection),
    }


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


def overview(principal: Principal, unit: Unit, selection: Selection) -> dict[str, Any]:
    """Everything a unit's page shows (also the exports' and the report's rows)."""
    definition = index.Definition.load()
    query = selection.query()
    context = _tiles_context(principal, unit, selection, tile_metrics(unit))
    indexed = None
    if unit.kind != "officer":
        indexed = index_view(definition.score(context["figures"]), definition)
        position = sibling_rank(unit, selection.period, definition)
        if position:
            indexed = replace(indexed, rank=position[0], ranked=position[1])
    trends = trend_data(unit, selection.period)
    context.update(
        unit=unit,
        unit_name=selectors.name(unit),
        unit_kind_label=UNIT_KIND_LABELS[unit.kind],
        selection=selection,
        period_label=period_label(selection.period),
        query=query,
        crumbs=crumbs(principal, unit, query),
        index=indexed,
        sections=sections(principal, unit, selection.period, definition, query),
        objectives=objective_views(unit),
        trends=trends,
        trend_tables=trend_tables(trends),
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


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The principal's own monitoring: the widest unit they see in full."""
    return redirect(unit_url(selectors.home_unit(principal_of(request))))


@login_required
def unit_page(request: HttpRequest, kind: str, key: str) -> HttpResponse:
    principal = principal_of(request)
    unit = require_unit(principal, kind, key)
    status, problem = 200, ""
    try:
        selection = _selection(request)
    except MotcuaError as exc:
        # The page still shows (this month) with the reason next to the period picker.
        status, problem = exc.status, str(exc.message)
        selection = Selection(Period.of("month", kpis.today()), today=kpis.today())
    if request.GET.get("wall") == "1":
        # The wall re-fetches its body alone when the figures move.
        body = request.GET.get("part") == "body"
        template = "monitoring/_wall_body.html" if body else "monitoring/wall.html"
        return render(request, template, wall_context(principal, unit, selection), status=status)
    context = overview(principal, unit, selection)
    context["problem"] = problem
    return render(request, "monitoring/unit.html", context, status=status)


def wall_context(principal: Principal, unit: Unit, selection: Selection) -> dict[str, Any]:
    """The wall display: a few big tiles, the index and the first ranking, no controls."""
    definition = index.Definition.load()
    names = WALL_TILES if unit.kind != "officer" else OFFICER_TILES[:6]
    context = _tiles_context(principal, unit, selection, names)
    found = sections(principal, unit, selection.period, definition, selection.query())
    context.update(
        unit=unit,
        unit_name=selectors.name(unit),
        period_label=period_label(selection.period),
        index=index_view(definition.score(context["figures"]), definition)
        if unit.kind != "officer"
        else None,
        section=found[0] if found else None,
        body_url=unit_url(unit, selection.query(wall="1", part="body")),
    )
    return context


@login_required
def tiles_partial(request: HttpRequest, kind: str, key: str) -> HttpResponse:
    """The tiles alone: re-fetched by the page when the province's figures move."""
    principal = principal_of(request)
    unit = require_unit(principal, kind, key)
    selection = _selection(request)
    context = _tiles_context(principal, unit, selection, tile_metrics(unit))
    context.update(unit=unit, selection=selection)
    return render(request, "monitoring/_tiles.html", context)


@login_required
def ranking(request: HttpRequest) -> HttpResponse:
    """The province's ranking of communes (or of provincial agencies) by the index: scores,
    bands and group points, open to every monitoring role; each row links to its page only
    for those who may open it."""
    principal = principal_of(request)
    if not selectors.may_view_ranking(principal):
        raise PermissionDenied(_("The province's ranking is for monitoring roles."))
    kind = request.GET.get("kind", "").strip() or "commune"
    if kind not in ("commune", "agency"):
        raise MotcuaError(_("Rank communes or agencies."), code="bad_kind")
    status, problem = 200, ""
    try:
        selection = _selection(request)
    except MotcuaError as exc:
        status, problem = exc.status, str(exc.message)
        selection = Selection(Period.of("month", kpis.today()), today=kpis.today())
    province = Unit("province", settings.PROVINCE_CODE)
    definition = index.Definition.load()
    query = selection.query()
    rows = ranked_rows(
        principal,
        kind,
        ranking_units(kind, province.key),
        kpis.figures_by(kind, selection.period, within=province),
        definition,
        query,
    )
    here = reverse("monitoring:ranking")
    context = {
        "kind": kind,
        "rows": rows,
        "groups": [group for group, _indicators in definition.groups],
        "maximum": definition.maximum,
        "selection": selection,
        "period_label": period_label(selection.period),
        "province_name": selectors.name(province),
        "problem": problem,
        "query": query,
        "kind_urls": {
            "commune": f"{here}?{selection.query(kind='commune')}",
            "agency": f"{here}?{selection.query(kind='agency')}",
        },
        "home_url": reverse("monitoring:home"),
        **picker(here, selection, kind=kind),
    }
    return render(request, "monitoring/ranking.html", context, status=status)
