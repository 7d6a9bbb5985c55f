"""KPIs of a unit over a period, read from the rollups (never from the dossiers).

A unit is the province, a commune (the dossiers its agencies handle), an agency (as the
competent agency), a service point (the dossiers it received, and its queues) or an officer.
A period is a range of local days; `Period.of(kind, day)` gives today, a day, the week
(Monday to Sunday), month, quarter or year around `day`, and `previous()` the one before it,
for comparisons. Stocks (in progress, waiting, overdue) are the state now, whatever the period.

`Figures` holds the sums; `metrics()` the rates the pages, the index formulas and the key
results name. A rate over nothing is None, not 0.
"""

from __future__ import annotations

import calendar as month_calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.monitoring.contribution import local_day
from motcua.monitoring.models import OfficerDay, UnitDay, UnitStock
from motcua.monitoring.tracking import counters
from motcua.organisation.models import Commune, ServicePoint
from motcua.queueing import reports as queue_reports

UNIT_KINDS = ("province", "commune", "agency", "service_point", "officer")
PERIOD_KINDS = ("today", "day", "week", "month", "quarter", "year", "custom")
UNIT_COUNTERS = tuple(counters(UnitDay))
STOCK_COUNTERS = tuple(counters(UnitStock))
OFFICER_COUNTERS = tuple(counters(OfficerDay))


@dataclass(frozen=True)
class Unit:
    kind: str
    key: str  # province or commune code; agency, service point or user id

    def __post_init__(self) -> None:
        if self.kind not in UNIT_KINDS:
            raise ValueError(f"unknown unit kind {self.kind!r}")

    @property
    def slug(self) -> str:
        return f"{self.kind}:{self.key}"


@dataclass(frozen=True)
class Period:
    kind: str
    start: dt.date
    end: dt.date

    @classmethod
    def of(cls, kind: str, day: dt.date) -> Period:
        if kind in ("today", "day"):
            return cls(kind, day, day)
        if kind == "week":
            start = day - dt.timedelta(days=day.weekday())
            return cls(kind, start, start + dt.timedelta(days=6))
        if kind == "month":
            last = month_calendar.monthrange(day.year, day.month)[1]
            return cls(kind, day.replace(day=1), day.replace(day=last))
        if kind == "quarter":
            first = 3 * ((day.month - 1) // 3) + 1
            end = dt.date(day.year, first + 2, month_calendar.monthrange(day.year, first + 2)[1])
            return cls(kind, dt.date(day.year, first, 1), end)
        if kind == "year":
            return cls(kind, dt.date(day.year, 1, 1), dt.date(day.year, 12, 31))
        raise ValueError(f"unknown period kind {kind!r}")

    @classmethod
    def custom(cls, start: dt.date, end: dt.date) -> Period:
        return cls("custom", min(start, end), max(start, end))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        if self.kind in ("today", "day", "week", "custom"):
            step = dt.timedelta(days=self.days)
            return Period(
                "day" if self.kind == "today" else self.kind,
                self.start - step,
                self.end - step,
            )
        return Period.of(self.kind, self.start - dt.timedelta(days=1))


def today() -> dt.date:
    return local_day(timezone.now())


@dataclass
class Figures:
    """The sums of one unit over one period, and its stocks now."""

    unit: dict[str, int] = field(default_factory=lambda: dict.fromkeys(UNIT_COUNTERS, 0))
    stock: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STOCK_COUNTERS, 0))
    officer: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OFFICER_COUNTERS, 0))
    queue: queue_reports.Figures = field(default_factory=queue_reports.Figures)

    def add(self, other: Figures) -> None:
        for mine, theirs in (
            (self.unit, other.unit),
            (self.stock, other.stock),
            (self.officer, other.officer),
        ):
            for name, value in theirs.items():
                mine[name] += value
        self.queue.add(other.queue)

    def metrics(self) -> dict[str, Any]:
        """Every KPI by name: the counts, and the rates (0–1) and averages built on them."""
        u, s, o, q = self.unit, self.stock, self.officer, self.queue
        filed = u["filed_online"] + u["filed_counter"] + u["filed_post"] + u["filed_api"]
        finished = u["finished_early"] + u["finished_on_time"] + u["finished_late"]
        steps = o["steps_early"] + o["steps_on_time"] + o["steps_late"]
        values: dict[str, Any] = {**u, **s, **{f"officer_{k}": v for k, v in o.items()}}
        rating_sum = Decimal(q.rating_sum)
        values.update(
            filed=filed,
            finished=finished,
            online_share=_rate(u["filed_online"], filed),
            early_rate=_rate(u["finished_early"], finished),
            on_time_rate=_rate(u["finished_early"] + u["finished_on_time"], finished),
            late_rate=_rate(u["finished_late"], finished),
            documents_digitised_rate=_rate(u["documents_digitised"], u["documents"]),
            results_signed_rate=_rate(u["results_signed"], u["results"]),
            reused_per_dossier=_rate(u["documents_reused"], filed),
            online_payment_share=_rate(u["payments_online"], u["payments"]),
            eval_index_1=_average(u["eval_total_time"], u["evaluated"]),
            eval_index_2=_average(u["eval_agency_time"], u["evaluated"]),
            eval_index_3=_average(u["eval_contacts"], u["evaluated"]),
            eval_index_4=_average(u["eval_places"], u["evaluated"]),
            officer_steps_on_time_rate=_rate(o["steps_early"] + o["steps_on_time"], steps),
            officer_eval_average=_average(o["eval_points"], o["evaluated"]),
            tickets_issued=q.issued,
            tickets_served=q.served,
            tickets_no_show=q.no_shows,
            wait_minutes=_average(q.wait_seconds, q.served * 60),
            longest_wait_minutes=q.longest_wait,
            service_minutes=_average(q.service_seconds, q.service_count * 60),
            ratings=q.ratings,
            rating_average=_average(rating_sum, q.ratings, places=2),
            satisfaction_rate=_rate(rating_sum, 5 * q.ratings),
        )
        indices = [values[f"eval_index_{n}"] for n in (1, 2, 3, 4)]
        values["eval_score"] = (
            sum(indices, Decimal(0)) if all(i is not None for i in indices) else None
        )
        return values


def _rate(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"))


def _average(total: int | Decimal, count: int, places: int = 1) -> Decimal | None:
    """TT 01/2018 rounds each index's average to one decimal place."""
    if not count:
        return None
    return (Decimal(total) / Decimal(count)).quantize(Decimal(1).scaleb(-places))


# What each KPI is called on the pages, in the order they are shown.
METRIC_LABELS: dict[str, Any] = {
    "filed": _("Dossiers filed"),
    "online_share": _("Filed online"),
    "received": _("Received"),
    "finished": _("Finished"),
    "on_time_rate": _("Finished early or on time"),
    "late_rate": _("Finished late"),
    "in_progress": _("In progress now"),
    "overdue": _("Overdue now"),
    "waiting_applicant": _("Waiting for the applicant"),
    "awaiting_receipt": _("Awaiting receipt"),
    "documents_digitised_rate": _("Documents digitised"),
    "results_signed_rate": _("Results digitised"),
    "documents_reused": _("Documents reused"),
    "online_payment_share": _("Fees paid online"),
    "rating_average": _("Average rating (1–5)"),
    "satisfaction_rate": _("Satisfaction"),
    "tickets_served": _("Citizens served at counters"),
    "wait_minutes": _("Average wait (minutes)"),
    "service_minutes": _("Average service time (minutes)"),
    "eval_score": _("TT 01/2018 evaluation (indices 1–4, of 8)"),
    "officer_steps_done": _("Steps done"),
    "officer_steps_on_time_rate": _("Steps done early or on time"),
    "officer_received": _("Dossiers received by the officer"),
}


def is_rate(metric: str) -> bool:
    """Rates (0–1) are named `…_rate` or `…_share`; every other KPI is a count or an average."""
    return metric.endswith(("_rate", "_share"))


# Reading the rollups -----------------------------------------------------------------------


def _days(rows: QuerySet[Any], period: Period) -> QuerySet[Any]:
    return rows.filter(day__gte=period.start, day__lte=period.end)


def _unit_filter(unit: Unit) -> Q:
    # Communes by id, resolved first: the rollups are then read without a join.
    if unit.kind == "province":
        return Q(commune_id__in=list(_commune_codes(unit.key)))
    if unit.kind == "commune":
        return Q(
            commune_id__in=list(Commune.objects.filter(code=unit.key).values_list("pk", flat=True))
        )
    if unit.kind == "agency":
        return Q(agency_id=int(unit.key))
    if unit.kind == "service_point":
        return Q(service_point_id=int(unit.key))
    return Q(pk__in=[])  # an officer's own work is in OfficerDay


def _sums(rows: QuerySet[Any], names: Iterable[str]) -> dict[str, int]:
    totals = rows.order_by().aggregate(**{name: Sum(name) for name in names})
    return {name: value or 0 for name, value in totals.items()}


def _queue_points(unit: Unit) -> list[int]:
    """The service points whose queues count for the unit."""
    if unit.kind == "province":
        return list(
            ServicePoint.objects.filter(province__code=unit.key).values_list("pk", flat=True)
        )
    if unit.kind == "commune":
        return list(
            ServicePoint.objects.filter(commune__code=unit.key).values_list("pk", flat=True)
        )
    if unit.kind == "service_point":
        return [int(unit.key)]
    if unit.kind == "agency":
        return list(
            ServicePoint.objects.filter(agency_id=int(unit.key)).values_list("pk", flat=True)
        )
    return []


def figures(unit: Unit, period: Period, *, now_day: dt.date | None = None) -> Figures:
    """The unit's figures over the period."""
    result = Figures()
    now_day = now_day or today()
    if unit.kind == "officer":
        result.officer = _sums(
            _days(OfficerDay.objects.filter(officer_id=int(unit.key)), period), OFFICER_COUNTERS
        )
        officer = int(unit.key)
        by_officer = queue_reports.grouped_figures(
            None, period.start, period.end, ("officer",), today=now_day, officer_ids=[officer]
        )
        result.queue = by_officer.get((officer,), queue_reports.Figures())
        return result
    where = _unit_filter(unit)
    result.unit = _sums(_days(UnitDay.objects.filter(where), period), UNIT_COUNTERS)
    result.stock = _sums(UnitStock.objects.filter(where), STOCK_COUNTERS)
    points = _queue_points(unit)
    if points:
        for queue in queue_reports.grouped_figures(
            points, period.start, period.end, ("service_point",), today=now_day
        ).values():
            result.queue.add(queue)
    return result


def figures_by(
    kind: str, period: Period, *, within: Unit, now_day: dt.date | None = None
) -> dict[str, Figures]:
    """Figures of every commune, agency or service point under `within` (or every officer of
    an agency), keyed like `Unit.key`, in one grouped query per rollup."""
    now_day = now_day or today()
    column = {"commune": "commune_id", "agency": "agency_id", "service_point": "service_point_id"}
    province = within.key if within.kind == "province" else settings.PROVINCE_CODE
    codes = _commune_codes(province) if kind == "commune" else {}
    result: dict[str, Figures] = {}

    def entry(key: Any) -> Figures:
        return result.setdefault(str(codes.get(key, key)), Figures())

    if kind == "officer":
        rows = _days(OfficerDay.objects.filter(agency_id=int(within.key)), period)
        for row in (
            rows.values("officer_id")
            .annotate(**{name: Sum(name) for name in OFFICER_COUNTERS})
            .order_by()
        ):
            entry(row["officer_id"]).officer = {n: row[n] or 0 for n in OFFICER_COUNTERS}
        by_officer = queue_reports.grouped_figures(
            None,
            period.start,
            period.end,
            ("officer",),
            today=now_day,
            officer_ids=[int(key) for key in result],
        )
        for key, figures_ in result.items():
            figures_.queue = by_officer.get((int(key),), queue_reports.Figures())
        return result
    where = _unit_filter(within)
    group = column[kind]
    for row in (
        _days(UnitDay.objects.filter(where), period)
        .values(group)
        .annotate(**{name: Sum(name) for name in UNIT_COUNTERS})
        .order_by()
    ):
        entry(row[group]).unit = {n: row[n] or 0 for n in UNIT_COUNTERS}
    for row in (
        UnitStock.objects.filter(where)
        .values(group)
        .annotate(**{name: Sum(name) for name in STOCK_COUNTERS})
        .order_by()
    ):
        entry(row[group]).stock = {n: row[n] or 0 for n in STOCK_COUNTERS}
    points = _queue_points(within)
    if points:
        place = dict(
            ServicePoint.objects.filter(pk__in=points).values_list(
                "pk", "commune_id" if kind == "commune" else "agency_id"
            )
        )
        for (point,), queue in queue_reports.grouped_figures(
            points, period.start, period.end, ("service_point",), today=now_day
        ).items():
            owner = point if kind == "service_point" else place.get(point)
            if owner is not None:
                entry(owner).queue.add(queue)
    return result


def _commune_codes(province_code: str) -> dict[int, str]:
    return dict(Commune.objects.filter(province__code=province_code).values_list("pk", "code"))


def trend(unit: Unit, period: Period, bucket: str = "month") -> list[tuple[dt.date, Figures]]:
    """The unit's figures per day, week or month of the period (stocks are left at zero)."""
    if unit.kind == "officer":
        rows = _days(OfficerDay.objects.filter(officer_id=int(unit.key)), period)
        names: tuple[str, ...] = OFFICER_COUNTERS
    else:
        rows = _days(UnitDay.objects.filter(_unit_filter(unit)), period)
        names = UNIT_COUNTERS
    series: dict[dt.date, Figures] = {}
    for row in rows.values("day").annotate(**{n: Sum(n) for n in names}).order_by("day"):
        start = _bucket_start(row["day"], bucket)
        figures_ = series.setdefault(start, Figures())
        target = figures_.officer if unit.kind == "officer" else figures_.unit
        for name in names:
            target[name] += row[name] or 0
    return sorted(series.items())


def _bucket_start(day: dt.date, bucket: str) -> dt.date:
    if bucket == "day":
        return day
    if bucket == "week":
        return day - dt.timedelta(days=day.weekday())
    return day.replace(day=1)
