"""The service point a staff member receives at."""

from __future__ import annotations

from django.utils.translation import gettext as _

from motcua.core.errors import MotcuaError, PermissionDenied
from motcua.core.permissions import Principal
from motcua.organisation.models import ServicePoint


def receiving_points(principal: Principal) -> list[ServicePoint]:
    """The points where the actor holds a receiving role (not the whole jurisdiction: a
    provincial administrator does not stand at a commune's counter)."""
    return list(
        ServicePoint.objects.filter(pk__in=sorted(principal.service_point_ids), active=True)
        .select_related("agency", "province", "commune")
        .order_by("name")
    )


def receiving_point_for(principal: Principal, point_id: int | None) -> ServicePoint:
    points = receiving_points(principal)
    if point_id is not None:
        for point in points:
            if point.pk == point_id:
                return point
        raise PermissionDenied(_("You do not receive dossiers at that service point."))
    if len(points) == 1:
        return points[0]
    if not points:
        raise PermissionDenied(_("You hold no receiving role at a service point."))
    raise MotcuaError(
        _("Say at which service point you receive."),
        code="service_point_required",
        fields={"service_point": [_("This field is required.")]},
    )
