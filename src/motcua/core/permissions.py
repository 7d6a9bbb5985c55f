"""Permissions as data, and the jurisdiction every read is narrowed to.

A role (organisation.Role, editable in the admin) holds a list of permission codes from
`PERMISSIONS`. A user's role memberships are resolved into a `Principal`: what they may do and
over which part of the province. Every selector narrows its queryset with `scope()`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext_lazy as _

PERMISSIONS: dict[str, object] = {
    "organisation.view": _("View the organisation (agencies, service points, counters)"),
    "organisation.manage": _("Manage the organisation"),
    "staff.manage": _("Manage staff and their roles"),
    "calendar.view": _("View the working calendar and compute deadlines"),
    "calendar.manage": _("Manage holidays and make-up working days"),
    "catalogue.manage": _("Manage the procedure catalogue"),
    "audit.view": _("Read the audit log"),
    "jobs.view": _("See background jobs"),
    "queue.serve": _("Serve citizens at a counter"),
    "dossier.view": _("View the dossiers of one's jurisdiction"),
    "dossier.receive": _("Receive dossiers"),
    "dossier.process": _("Process dossiers"),
    "dossier.approve": _("Approve and sign results"),
    "document.digitise": _("Digitise paper documents into the document store"),
    "document.view": _("Read and search the document store of one's jurisdiction"),
    "monitoring.view": _("View service-quality monitoring"),
    "interop.manage": _("Manage connections with other systems (API clients, webhooks, peers)"),
    "admin.access": _("Use the administration site"),
}


class ScopeKind:
    PROVINCE = "province"
    COMMUNE = "commune"
    AGENCY = "agency"
    SERVICE_POINT = "service_point"

    CHOICES = [
        (PROVINCE, _("Province")),
        (COMMUNE, _("Commune")),
        (AGENCY, _("Agency")),
        (SERVICE_POINT, _("Service point")),
    ]


@dataclass(frozen=True)
class Principal:
    """Who is acting, what they may do, and where.

    The sets hold the jurisdiction the user's memberships reach: province and commune codes,
    agency ids (an agency membership reaches its sub-agencies too) and service point ids.
    """

    user_id: int | None
    permissions: frozenset[str] = frozenset()
    province_codes: frozenset[str] = frozenset()
    commune_codes: frozenset[str] = frozenset()
    agency_ids: frozenset[int] = frozenset()
    service_point_ids: frozenset[int] = frozenset()
    roles: frozenset[str] = field(default=frozenset())

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    def has(self, permission: str) -> bool:
        if permission not in PERMISSIONS:
            raise KeyError(f"unknown permission {permission!r}")
        return permission in self.permissions


ANONYMOUS = Principal(user_id=None)

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Jurisdiction:
    """How one model is placed in the province: the lookup path to each kind of scope.

    A path left None means that kind of scope never reaches this model (other than through the
    province, which reaches everything that names it).
    """

    province: str | None = None
    commune: str | None = None
    # Several paths when a model reaches agencies (or points) more than one way (a dossier:
    # its competent agency, and every agency it was handed to).
    agency: str | tuple[str, ...] | None = None
    service_point: str | tuple[str, ...] | None = None


def scope(queryset: QuerySet[M], principal: Principal, where: Jurisdiction) -> QuerySet[M]:
    """Narrow `queryset` to what `principal`'s jurisdiction reaches. Nothing for no scope."""
    reach = Q(pk__in=[])
    pairs: Iterable[tuple[str | tuple[str, ...] | None, frozenset[str] | frozenset[int]]] = (
        (where.province, principal.province_codes),
        (where.commune, principal.commune_codes),
        (where.agency, principal.agency_ids),
        (where.service_point, principal.service_point_ids),
    )
    for paths, values in pairs:
        for path in (paths,) if isinstance(paths, str) else paths or ():
            if values:
                reach |= Q(**{f"{path}__in": sorted(values)})
    return queryset.filter(reach).distinct()
