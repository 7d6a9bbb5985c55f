"""Writes to the organisation. Every function is keyword-only, atomic and audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from motcua.core import audit
from motcua.organisation.models import (
    Agency,
    Commune,
    Counter,
    Province,
    Role,
    RoleMembership,
    ServicePoint,
)
from motcua.organisation.units import UnitsSource


@dataclass(frozen=True)
class LoadReport:
    provinces_created: int
    provinces_updated: int
    communes_created: int
    communes_updated: int

    @property
    def changed(self) -> bool:
        return any(
            (
                self.provinces_created,
                self.provinces_updated,
                self.communes_created,
                self.communes_updated,
            )
        )


@transaction.atomic
def load_units(*, source: UnitsSource, actor: Any = None) -> LoadReport:
    """Create or update every province and commune-level unit from `source`.

    Idempotent: a second run changes nothing and says so. The source is validated whole before
    anything is written, so a bad source writes nothing.
    """
    provinces, communes = source.validated()
    existing_provinces = {p.code: p for p in Province.objects.all()}
    p_created = p_updated = 0
    for province_row in provinces:
        current = existing_provinces.get(province_row.code)
        if current is None:
            existing_provinces[province_row.code] = Province.objects.create(
                **province_row.as_fields()
            )
            p_created += 1
        elif _assign_changed(current, province_row.as_fields()):
            current.save()
            p_updated += 1
    existing_communes = {c.code: c for c in Commune.objects.all()}
    to_create: list[Commune] = []
    to_update: list[Commune] = []
    for row in communes:
        fields = row.as_fields() | {"province": existing_provinces[row.province_code]}
        current_commune = existing_communes.get(row.code)
        if current_commune is None:
            to_create.append(Commune(**fields))
        elif _assign_changed(current_commune, fields):
            to_update.append(current_commune)
    Commune.objects.bulk_create(to_create, batch_size=500)
    Commune.objects.bulk_update(
        to_update, ["name", "short_name", "kind", "province"], batch_size=500
    )
    report = LoadReport(p_created, p_updated, len(to_create), len(to_update))
    if report.changed:
        audit.record(
            actor=actor,
            action="organisation.load_units",
            object_type="organisation.commune",
            object_repr=source.description,
            new={
                "provinces_created": p_created,
                "provinces_updated": p_updated,
                "communes_created": len(to_create),
                "communes_updated": len(to_update),
            },
        )
    return report


def _assign_changed(obj: Any, fields: dict[str, Any]) -> bool:
    changed = False
    for name, value in fields.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _save_validated(obj: Any, *, actor: Any, action: str) -> None:
    """full_clean, save and audit one object (create or update)."""
    old = audit.model_values(type(obj).objects.get(pk=obj.pk)) if obj.pk else {}
    obj.full_clean()
    obj.save()
    before, after = audit.changed_values(old, audit.model_values(obj))
    if after or not old:
        audit.record(actor=actor, action=action, obj=obj, old=before, new=after)


@transaction.atomic
def save_agency(*, agency: Agency, actor: Any = None) -> Agency:
    _save_validated(agency, actor=actor, action="organisation.agency.save")
    return agency


@transaction.atomic
def save_service_point(
    *, point: ServicePoint, agencies: list[Agency] | None = None, actor: Any = None
) -> ServicePoint:
    _save_validated(point, actor=actor, action="organisation.service_point.save")
    if agencies is not None:
        point.agencies.set(agencies)
    return point


@transaction.atomic
def ensure_counters(*, point: ServicePoint, count: int, actor: Any = None) -> list[Counter]:
    """Make sure counters 1..count exist at `point` (existing ones are kept)."""
    counters = []
    for number in range(1, count + 1):
        counter, created = Counter.objects.get_or_create(
            service_point=point, number=number, defaults={"name": f"Quầy {number}"}
        )
        if created:
            audit.record(actor=actor, action="organisation.counter.create", obj=counter)
        counters.append(counter)
    return counters


@transaction.atomic
def grant_role(
    *, user: Any, role: Role, scope: Province | Commune | Agency | ServicePoint, actor: Any = None
) -> RoleMembership:
    """Give `user` the `role` over `scope`; the scope must be of the role's kind."""
    field = {
        Province: "province",
        Commune: "commune",
        Agency: "agency",
        ServicePoint: "service_point",
    }[type(scope)]
    existing = RoleMembership.objects.filter(user=user, role=role, **{field: scope}).first()
    if existing is not None:
        return existing
    membership = RoleMembership(user=user, role=role, **{field: scope})
    membership.full_clean()
    membership.save()
    audit.record(
        actor=actor,
        action="organisation.role.grant",
        obj=membership,
        new={"user": user.get_username(), "role": role.code, field: str(scope.pk)},
    )
    return membership
