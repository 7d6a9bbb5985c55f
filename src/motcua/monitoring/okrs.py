"""OKR progress, computed from the KPIs of the objective's unit over its period so far.

A key result's progress is how far its KPI has moved from the baseline toward the target
(0 at the baseline, 1 at the target or beyond, whichever way the target lies); it is met once
the KPI is at or past the target. An objective's progress is its key results' weighted mean.
A KPI with no value yet (a rate over no dossiers) has no progress.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from motcua.monitoring import kpis
from motcua.monitoring.models import KeyResult, Objective


@dataclass(frozen=True)
class ResultProgress:
    key_result: KeyResult
    value: Decimal | None
    progress: Decimal | None
    met: bool


@dataclass(frozen=True)
class ObjectiveProgress:
    objective: Objective
    results: list[ResultProgress]
    progress: Decimal | None

    @property
    def ended(self) -> bool:
        return self.objective.ends_on < kpis.today()


def unit_of(objective: Objective) -> kpis.Unit:
    return kpis.Unit(objective.unit_kind, objective.unit_key)


def period_of(objective: Objective, today: dt.date) -> kpis.Period:
    return kpis.Period.custom(objective.starts_on, min(objective.ends_on, today))


def result_progress(key_result: KeyResult, metrics: dict[str, object]) -> ResultProgress:
    raw = metrics.get(key_result.metric)
    if raw is None:
        return ResultProgress(key_result, None, None, False)
    value = Decimal(str(raw))
    baseline, target = key_result.baseline, key_result.target
    at_least = key_result.direction == KeyResult.Direction.AT_LEAST
    met = value >= target if at_least else value <= target
    if target == baseline:
        progress = Decimal(1) if met else Decimal(0)
    else:
        progress = (value - baseline) / (target - baseline)
    progress = min(max(progress, Decimal(0)), Decimal(1)).quantize(Decimal("0.0001"))
    return ResultProgress(key_result, value, progress, met)


def progress(objective: Objective, *, today: dt.date | None = None) -> ObjectiveProgress:
    today = today or kpis.today()
    if objective.starts_on > today:
        results = [ResultProgress(kr, None, None, False) for kr in objective.results.all()]
        return ObjectiveProgress(objective, results, None)
    metrics = kpis.figures(unit_of(objective), period_of(objective, today)).metrics()
    results = [result_progress(kr, metrics) for kr in objective.results.all()]
    weighted = [(r.progress, r.key_result.weight) for r in results if r.progress is not None]
    total_weight = sum(weight for _p, weight in weighted)
    overall = (
        (sum((p * weight for p, weight in weighted), Decimal(0)) / total_weight).quantize(
            Decimal("0.0001")
        )
        if total_weight
        else None
    )
    return ObjectiveProgress(objective, results, overall)


def objectives_of(unit: kpis.Unit, *, today: dt.date | None = None) -> list[ObjectiveProgress]:
    """The unit's objectives that have not ended more than a year ago, with their progress."""
    today = today or kpis.today()
    objectives = Objective.objects.filter(
        unit_kind=unit.kind, unit_key=unit.key, ends_on__gte=today - dt.timedelta(days=366)
    ).prefetch_related("results")
    return [progress(objective, today=today) for objective in objectives]
