"""The service-quality index after QĐ 766/QĐ-TTg: groups, sub-indicators and bands as data.

Each sub-indicator's formula is an arithmetic expression over the KPI names of
`kpis.Figures.metrics()` giving a rate from 0 to 1; it scores that share of its points (a rate
outside 0–1 is clamped). A formula over no data (a division by zero, or a KPI with no value)
scores its points in full when the indicator says so, else nothing, and is shown as "no data".
A group never scores more than its maximum. The band is the highest whose threshold the total
reaches. Formulas are parsed with `ast` and only numbers, KPI names, + − × ÷ and min/max are
admitted: the admin edits them, and nothing else may run.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, DivisionByZero, InvalidOperation
from functools import cache, lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from motcua.monitoring.kpis import Figures
from motcua.monitoring.models import IndexBand, IndexGroup, IndexIndicator

_OPERATORS: dict[type[ast.operator], Callable[[Decimal, Decimal], Decimal]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_FUNCTIONS = {"min": min, "max": max}


class NoData(Exception):
    """The formula has nothing to measure in this period."""


@cache
def metric_names() -> frozenset[str]:
    return frozenset(Figures().metrics())


def _check(node: ast.AST, names: frozenset[str]) -> None:
    if isinstance(node, ast.Expression):
        _check(node.body, names)
    elif isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        _check(node.left, names)
        _check(node.right, names)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        _check(node.operand, names)
    elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
        pass
    elif isinstance(node, ast.Name):
        if node.id not in names:
            raise ValidationError(_("Unknown KPI: %(name)s.") % {"name": node.id})
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _FUNCTIONS
        and node.args
        and not node.keywords
    ):
        for argument in node.args:
            _check(argument, names)
    else:
        raise ValidationError(
            _("Only numbers, KPI names, + − × ÷, brackets, min() and max() are allowed.")
        )


def parse(formula: str) -> ast.Expression:
    """The checked syntax tree of a formula; ValidationError with the reason otherwise."""
    try:
        tree = ast.parse(formula.strip(), mode="eval")
    except SyntaxError as exc:
        raise ValidationError(_("The formula cannot be read.")) from exc
    _check(tree, metric_names())
    return tree


def _value(node: ast.AST, metrics: Mapping[str, Any]) -> Decimal:
    if isinstance(node, ast.Expression):
        return _value(node.body, metrics)
    if isinstance(node, ast.BinOp):
        left, right = _value(node.left, metrics), _value(node.right, metrics)
        try:
            return _OPERATORS[type(node.op)](left, right)
        except (DivisionByZero, InvalidOperation) as exc:
            raise NoData from exc
    if isinstance(node, ast.UnaryOp):
        return -_value(node.operand, metrics)
    if isinstance(node, ast.Constant):
        return Decimal(str(node.value))
    if isinstance(node, ast.Name):
        value = metrics[node.id]
        if value is None:
            raise NoData
        return Decimal(value)
    assert isinstance(node, ast.Call)
    assert isinstance(node.func, ast.Name)
    return Decimal(_FUNCTIONS[node.func.id](_value(a, metrics) for a in node.args))


@lru_cache(maxsize=256)
def _parsed(formula: str) -> ast.Expression:
    # A ranking scores every indicator of every commune: each formula is read once.
    return parse(formula)


def evaluate(formula: str, metrics: Mapping[str, Any]) -> Decimal | None:
    """The formula's rate clamped to 0–1, or None when it has no data."""
    try:
        rate = _value(_parsed(formula), metrics)
    except NoData:
        return None
    return min(max(rate, Decimal(0)), Decimal(1))


@dataclass(frozen=True)
class IndicatorScore:
    indicator: IndexIndicator
    rate: Decimal | None
    points: Decimal


@dataclass(frozen=True)
class GroupScore:
    group: IndexGroup
    indicators: list[IndicatorScore]
    points: Decimal


@dataclass(frozen=True)
class Score:
    groups: list[GroupScore]
    total: Decimal
    band: IndexBand | None


@dataclass(frozen=True)
class Definition:
    """The index as stored, read once per page (it is a handful of rows)."""

    groups: list[tuple[IndexGroup, list[IndexIndicator]]]
    bands: list[IndexBand]

    @classmethod
    def load(cls) -> Definition:
        indicators: dict[int, list[IndexIndicator]] = {}
        for indicator in IndexIndicator.objects.all():
            indicators.setdefault(indicator.group_id, []).append(indicator)
        groups = [(group, indicators.get(group.pk, [])) for group in IndexGroup.objects.all()]
        return cls(groups=groups, bands=list(IndexBand.objects.order_by("-minimum")))

    @property
    def maximum(self) -> Decimal:
        return sum((group.max_points for group, _ in self.groups), Decimal(0))

    def score(self, figures: Figures) -> Score:
        metrics = figures.metrics()
        groups = []
        for group, indicators in self.groups:
            scored = []
            for indicator in indicators:
                rate = evaluate(indicator.formula, metrics)
                if rate is None:
                    points = indicator.points if indicator.full_when_empty else Decimal(0)
                else:
                    points = indicator.points * rate
                scored.append(IndicatorScore(indicator, rate, points.quantize(Decimal("0.01"))))
            total = min(sum((s.points for s in scored), Decimal(0)), group.max_points)
            groups.append(GroupScore(group, scored, total))
        total = sum((g.points for g in groups), Decimal(0))
        band = next((b for b in self.bands if total >= b.minimum), None)
        return Score(groups=groups, total=total, band=band)


@dataclass(frozen=True)
class Ranked:
    key: str
    name: str
    score: Score
    figures: Figures
    rank: int


def rank(
    units: list[tuple[str, str]], figures: Mapping[str, Figures], definition: Definition
) -> list[Ranked]:
    """Every unit (key, name) scored and ranked, highest first; ties share a rank (1, 2, 2, 4)."""
    scored = [
        (key, name, definition.score(figures.get(key, Figures())), figures.get(key, Figures()))
        for key, name in units
    ]
    scored.sort(key=lambda row: (-row[2].total, row[1]))
    ranked: list[Ranked] = []
    for position, (key, name, score, figs) in enumerate(scored, start=1):
        same = ranked and ranked[-1].score.total == score.total
        ranked.append(Ranked(key, name, score, figs, ranked[-1].rank if same else position))
    return ranked
