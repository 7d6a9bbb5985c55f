"""How the monitoring figures read: numbers and changes as text, the tiles, the index's bars,
the year's trends and the OKRs' progress. Pure presentation of what `kpis`, `index` and `okrs`
computed; the pages, the exports and the monthly report all show figures through these.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import formats, numberformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from motcua.monitoring import index, kpis, okrs, units
from motcua.monitoring.kpis import METRIC_LABELS, Figures, Period, Unit, is_rate

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
    metrics: dict[str, Any], before: dict[str, Any], names: list[str] | tuple[str, ...]
) -> list[Tile]:
    result = []
    for name in names:
        value = metrics.get(name)
        stock = name in kpis.STOCK_COUNTERS
        text, direction, verdict = ("", "", "") if stock else change(name, value, before.get(name))
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
                units.owner(objective),
                objective.starts_on,
                objective.ends_on,
                None if progress.progress is None else _percent(progress.progress, Decimal(1)),
                progress.ended,
                results,
            )
        )
    return views
