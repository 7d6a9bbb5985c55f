"""The units a monitored unit is made of, as (key, name) pairs: the rows of the pages'
drill-down tables and rankings, of the exports and of the API's children and ranking.

Keys are strings, as in `kpis.Unit`: commune codes, agency, service point and user ids.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q

from motcua.monitoring.kpis import Unit
from motcua.monitoring.models import Objective
from motcua.organisation.models import Agency, Commune, ServicePoint

Names = list[tuple[str, str]]


def _names(rows: Iterable[tuple[Any, str]]) -> Names:
    return [(str(key), name) for key, name in rows]


def person(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


def owner(objective: Objective) -> str:
    """Who answers for an objective: the label written on it, else its owner's name."""
    return objective.owner_label or (person(objective.owner) if objective.owner else "")


def communes_of(province: str) -> Names:
    return _names(Commune.objects.filter(province__code=province).values_list("code", "name"))


def _agencies(**filters: Any) -> Names:
    agencies = Agency.objects.filter(active=True, **filters).order_by("code")
    return _names(agencies.values_list("pk", "name"))


def agencies_of(province: str, *, level: str | None = None) -> Names:
    """Every active agency serving the province (of one level, when given)."""
    return _agencies(province__code=province, **({} if level is None else {"level": level}))


def provincial_agencies(province: str) -> Names:
    """The agencies above the communes (departments, the provincial committee, branches)."""
    return _agencies(province__code=province, commune__isnull=True)


def commune_agencies(commune: str) -> Names:
    return _agencies(commune__code=commune)


def _points(**filters: Any) -> Names:
    return _names(ServicePoint.objects.filter(active=True, **filters).values_list("pk", "name"))


def commune_points(commune: str) -> Names:
    return _points(commune__code=commune)


def officers(keys: Iterable[str], members: Q, *, active_only: bool = True) -> Names:
    """The users of `keys` (those with figures) and the `members` (of an agency or a service
    point), by id."""
    users = get_user_model().objects.filter(Q(pk__in=[int(key) for key in keys]) | members)
    if active_only:
        users = users.filter(is_active=True)
    return [(str(user.pk), person(user)) for user in users.distinct().order_by("pk")]


def ranking_units(kind: str) -> Names:
    """What the province's ranking page ranks: its communes, or its provincial agencies."""
    province = settings.PROVINCE_CODE
    return communes_of(province) if kind == "commune" else provincial_agencies(province)


def children_of(unit: Unit, kind: str, with_data: Iterable[str]) -> dict[str, str]:
    """The unit's children of `kind` (key → name): those it is made of, and any other that has
    figures under it (a provincial department handling a commune's dossiers; an officer who
    has left the agency)."""
    keys = set(with_data)
    if kind == "officer":
        members = Q(role_memberships__agency_id=int(unit.key))
        return dict(officers(keys, members, active_only=False))
    province = unit.kind == "province"
    own: Names
    others: Iterable[tuple[Any, str]]
    if kind == "commune":
        own = communes_of(unit.key)
        others = Commune.objects.filter(code__in=keys).values_list("code", "name")
    elif kind == "agency":
        own = agencies_of(unit.key) if province else commune_agencies(unit.key)
        others = Agency.objects.filter(pk__in=[int(key) for key in keys]).values_list("pk", "name")
    else:
        own = _points(province__code=unit.key) if province else commune_points(unit.key)
        others = ServicePoint.objects.filter(pk__in=[int(key) for key in keys]).values_list(
            "pk", "name"
        )
    return dict([*own, *_names(others)])
