"""Keeping the rollups: apply each dossier change as a difference, rebuild, verify.

`track(dossier_id)` runs inside the transaction that changed the dossier: it locks the
dossier's `TrackedDossier` row, derives what the dossier contributes now, and adds the
difference from what it contributed before to the rollup rows, one upsert per row touched
(`INSERT … ON CONFLICT … DO UPDATE SET n = n + excluded.n`, which SQLite and PostgreSQL both
speak), in key order so that two transactions never lock the same rows in opposite orders.
Tracking is idempotent: tracking an unchanged dossier changes nothing.

`rebuild()` recomputes every row from the raw tables (after a bulk load, or to repair);
`verify()` does the same in memory and lists every counter that differs from what is stored.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction

from motcua.core.events import publish
from motcua.monitoring import contribution
from motcua.monitoring.contribution import Contribution
from motcua.monitoring.models import OfficerDay, TrackedDossier, UnitDay, UnitStock

# Each kind of row key: its model and the columns its parts fill, in order.
ROWS: dict[str, tuple[type[models.Model], tuple[str, ...]]] = {
    "u": (UnitDay, ("day", "commune_id", "agency_id", "service_point_id")),
    "s": (UnitStock, ("commune_id", "agency_id", "service_point_id")),
    "o": (OfficerDay, ("day", "officer_id", "agency_id")),
}
TABLES: tuple[type[models.Model], ...] = tuple(model for model, _columns in ROWS.values())
# The topic of each province's live monitoring pages.
TOPIC = "monitoring.{province}"


def key_values(key: str) -> tuple[type[models.Model], dict[str, Any]]:
    kind, *parts = key.split("|")
    model, columns = ROWS[kind]
    values: dict[str, Any] = {}
    for column, part in zip(columns, parts, strict=True):
        values[column] = dt.date.fromisoformat(part) if column == "day" else int(part)
    return model, values


def _kind(model: type[models.Model]) -> str:
    return next(kind for kind, (m, _columns) in ROWS.items() if m is model)


def row_key(model: type[models.Model], row: dict[str, object]) -> str:
    kind = _kind(model)
    parts = [
        value.isoformat() if isinstance(value, dt.date) else str(value)
        for value in (row[column] for column in ROWS[kind][1])
    ]
    return "|".join([kind, *parts])


def counters(model: type[models.Model]) -> list[str]:
    """The counter columns of a rollup model (its integers that are not keys)."""
    return [
        f.name
        for f in model._meta.concrete_fields
        if isinstance(f, models.IntegerField) and not f.primary_key and not f.is_relation
    ]


def difference(old: Contribution, new: Contribution) -> Contribution:
    delta: Contribution = {}
    for key in old.keys() | new.keys():
        before, after = old.get(key, {}), new.get(key, {})
        changed = {
            name: after.get(name, 0) - before.get(name, 0)
            for name in before.keys() | after.keys()
            if after.get(name, 0) != before.get(name, 0)
        }
        if changed:
            delta[key] = changed
    return delta


def _upsert(model: type[models.Model], where: dict[str, Any], amounts: dict[str, int]) -> None:
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = [*where, *amounts]
    names = ", ".join(quote(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    conflict = ", ".join(quote(c) for c in where)
    updates = ", ".join(f"{quote(c)} = {table}.{quote(c)} + excluded.{quote(c)}" for c in amounts)
    # Only quoted column names from the model's own fields are formatted in; values are bound.
    sql = (
        f"INSERT INTO {table} ({names}) VALUES ({marks}) "  # noqa: S608
        f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*where.values(), *amounts.values()])


def apply(delta: Contribution) -> None:
    for key in sorted(delta):
        model, where = key_values(key)
        _upsert(model, where, delta[key])


def track(dossier_id: int) -> bool:
    """Bring the rollups up to date with the dossier's stored state; True if anything moved.
    Call it inside the transaction that changed the dossier, after saving it."""
    with transaction.atomic():
        tracked = TrackedDossier.objects.select_for_update().filter(pk=dossier_id).first()
        facts = contribution.load([dossier_id])
        new = contribution.of(facts[0]) if facts else {}
        old = tracked.applied if tracked else {}
        delta = difference(old, new)
        if not delta:
            return False
        apply(delta)
        if tracked is None:
            TrackedDossier.objects.create(dossier_id=dossier_id, applied=new)
        else:
            tracked.applied = new
            tracked.save(update_fields=["applied"])
        if facts:
            publish(TOPIC.format(province=facts[0].province_code), "kpi.changed", {})
        return True


def track_many(dossier_ids: Iterable[int]) -> int:
    return sum(track(pk) for pk in dossier_ids)


def _totals(
    on_batch: Callable[[list[tuple[int, Contribution]]], None] | None = None,
) -> dict[str, dict[str, int]]:
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for batch in contribution.batches():
        pairs = [(facts.id, contribution.of(facts)) for facts in batch]
        for _pk, contributed in pairs:
            for key, amounts in contributed.items():
                row = totals[key]
                for name, value in amounts.items():
                    row[name] += value
        if on_batch is not None:
            on_batch(pairs)
    return totals


@transaction.atomic
def rebuild() -> int:
    """Recompute every rollup row and tracked contribution from the raw tables; the number
    of rows written."""
    every: tuple[type[models.Model], ...] = (*TABLES, TrackedDossier)
    for model in every:
        model._default_manager.all().delete()

    def store(pairs: list[tuple[int, Contribution]]) -> None:
        TrackedDossier.objects.bulk_create(
            [TrackedDossier(dossier_id=pk, applied=applied) for pk, applied in pairs],
            batch_size=1000,
        )

    rows: dict[type[models.Model], list[models.Model]] = defaultdict(list)
    for key, amounts in _totals(store).items():
        if any(amounts.values()):
            model, where = key_values(key)
            rows[model].append(model(**where, **amounts))
    for model, instances in rows.items():
        model._default_manager.bulk_create(instances, batch_size=2000)
    return sum(len(instances) for instances in rows.values())


@dataclass(frozen=True)
class Difference:
    row: str
    counter: str
    expected: int
    stored: int


def verify() -> list[Difference]:
    """Every counter whose stored value differs from a recomputation from raw data, and every
    dossier whose tracked contribution is not what it contributes now (row "tracked|<id>")."""
    stale: list[Difference] = []

    def compare_tracked(pairs: list[tuple[int, Contribution]]) -> None:
        stored = dict(
            TrackedDossier.objects.filter(pk__in=[pk for pk, _c in pairs]).values_list(
                "pk", "applied"
            )
        )
        for pk, applied in pairs:
            if stored.get(pk) != applied:
                stale.append(Difference(f"tracked|{pk}", "applied", 1, 0))

    expected = _totals(compare_tracked)
    differences: list[Difference] = []
    seen: set[str] = set()
    for model in TABLES:
        names = counters(model)
        for row in model._default_manager.values(*ROWS[_kind(model)][1], *names).iterator(
            chunk_size=5000
        ):
            key = row_key(model, row)
            seen.add(key)
            want = expected.get(key, {})
            for name in names:
                if row[name] != want.get(name, 0):
                    differences.append(Difference(key, name, want.get(name, 0), row[name]))
    for key, amounts in expected.items():
        if key not in seen:
            for name, value in amounts.items():
                if value:
                    differences.append(Difference(key, name, value, 0))
    return differences + stale
