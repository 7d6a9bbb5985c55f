"""Reads of the organisation, each narrowed to the acting principal's jurisdiction."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from motcua.core.errors import NotFound
from motcua.core.permissions import PERMISSIONS, Jurisdiction, Principal, scope
from motcua.organisation.models import Agency, Counter, RoleMembership, ServicePoint

AGENCY_JURISDICTION = Jurisdiction(province="province__code", commune="commune__code", agency="id")
SERVICE_POINT_JURISDICTION = Jurisdiction(
    province="province__code", commune="commune__code", agency="agencies", service_point="id"
)
COUNTER_JURISDICTION = Jurisdiction(
    province="service_point__province__code",
    commune="service_point__commune__code",
    agency="service_point__agencies",
    service_point="service_point_id",
)


def principal_for_user(user: Any) -> Principal:
    """Resolve a user's role memberships into permissions and jurisdiction.

    A service point membership reaches the point and, for a commune centre, its commune (the
    centre serves that commune; the provincial centre serves no single commune); an
    agency membership reaches the agency and every agency below it. A Django superuser acts as
    system administrator of the deployment's province.
    """
    permissions: set[str] = set()
    roles: set[str] = set()
    provinces: set[str] = set()
    communes: set[str] = set()
    agencies: set[int] = set()
    points: set[int] = set()
    memberships = RoleMembership.objects.filter(user=user).select_related(
        "role", "province", "commune", "agency", "service_point__commune"
    )
    for membership in memberships:
        roles.add(membership.role.code)
        permissions.update(membership.role.permissions)
        if membership.province is not None:
            provinces.add(membership.province.code)
        if membership.commune is not None:
            communes.add(membership.commune.code)
        if membership.agency_id is not None:
            agencies.add(membership.agency_id)
        point = membership.service_point
        if point is not None:
            points.add(point.pk)
            if point.kind == ServicePoint.Kind.COMMUNE_CENTRE and point.commune is not None:
                communes.add(point.commune.code)
    if user.is_superuser:
        permissions.update(PERMISSIONS)
        provinces.add(settings.PROVINCE_CODE)
        roles.add("superuser")
    if agencies:
        agencies |= descendant_agency_ids(agencies)
    return Principal(
        user_id=user.pk,
        permissions=frozenset(permissions),
        province_codes=frozenset(provinces),
        commune_codes=frozenset(communes),
        agency_ids=frozenset(agencies),
        service_point_ids=frozenset(points),
        roles=frozenset(roles),
    )


def descendant_agency_ids(roots: set[int]) -> set[int]:
    found: set[int] = set()
    frontier = set(roots)
    while frontier:
        children = (
            set(Agency.objects.filter(parent_id__in=frontier).values_list("id", flat=True)) - found
        )
        found |= children
        frontier = children
    return found


def agencies_for(principal: Principal) -> QuerySet[Agency]:
    queryset = Agency.objects.select_related("province", "commune", "parent")
    return scope(queryset, principal, AGENCY_JURISDICTION)


def service_points_for(principal: Principal) -> QuerySet[ServicePoint]:
    queryset = ServicePoint.objects.select_related("province", "commune")
    return scope(queryset, principal, SERVICE_POINT_JURISDICTION)


def counters_for(principal: Principal) -> QuerySet[Counter]:
    queryset = Counter.objects.select_related("service_point")
    return scope(queryset, principal, COUNTER_JURISDICTION)


def service_point_for(principal: Principal, point_id: int) -> ServicePoint:
    point = (
        service_points_for(principal)
        .prefetch_related("agencies", "counters")
        .filter(pk=point_id)
        .first()
    )
    if point is None:
        raise NotFound()
    return point


def agency_for(principal: Principal, agency_id: int) -> Agency:
    agency = agencies_for(principal).filter(pk=agency_id).first()
    if agency is None:
        raise NotFound()
    return agency
