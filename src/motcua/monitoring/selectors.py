"""Who may see which unit's figures.

- A provincial monitor (a province-wide role with `monitoring.view`) sees every unit, read-only.
- A commune's leaders (a commune role, or a commune centre's manager) see their commune in
  full: its agencies, service points and officers. They see the province's ranking of
  communes and agencies (scores only) but no other commune's figures in detail and no other
  commune's dossiers.
- An agency's leader sees the agency and its officers; a centre's manager the service point.
- Every officer sees their own figures, with or without `monitoring.view`.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext as _

from motcua.core.errors import NotFound, PermissionDenied
from motcua.core.permissions import Principal
from motcua.monitoring import units
from motcua.monitoring.kpis import Unit
from motcua.organisation.models import Agency, Commune, Province, RoleMembership, ServicePoint


def may_view(principal: Principal, unit: Unit) -> bool:
    if not principal.is_authenticated:
        return False
    if unit.kind == "officer" and unit.key == str(principal.user_id):
        return True
    if not principal.has("monitoring.view"):
        return False
    if principal.province_codes:
        return True  # a deployment serves one province: a province-wide role reaches all of it
    if unit.kind == "commune":
        return unit.key in principal.commune_codes
    if unit.kind == "agency":
        agency = Agency.objects.filter(pk=_number(unit.key)).values("commune__code").first()
        return _number(unit.key) in principal.agency_ids or (
            agency is not None and agency["commune__code"] in principal.commune_codes
        )
    if unit.kind == "service_point":
        point = ServicePoint.objects.filter(pk=_number(unit.key)).values("commune__code").first()
        return _number(unit.key) in principal.service_point_ids or (
            point is not None and point["commune__code"] in principal.commune_codes
        )
    if unit.kind == "officer":
        reach = (
            Q(agency_id__in=principal.agency_ids)
            | Q(service_point_id__in=principal.service_point_ids)
            | Q(commune__code__in=principal.commune_codes)
            | Q(agency__commune__code__in=principal.commune_codes)
            | Q(service_point__commune__code__in=principal.commune_codes)
        )
        return RoleMembership.objects.filter(reach, user_id=_number(unit.key)).exists()
    return False  # the province as a whole: province-wide roles only


def may_view_ranking(principal: Principal) -> bool:
    """The province's ranking (scores of every commune and agency) is open to every
    monitoring role: a commune measures itself against the others."""
    return principal.is_authenticated and principal.has("monitoring.view")


def _number(key: str) -> int:
    return int(key) if key.isdigit() else 0


def require(principal: Principal, unit: Unit) -> None:
    if not exists(unit):
        raise NotFound(_("There is no such unit."), code="unknown_unit")
    if not may_view(principal, unit):
        raise PermissionDenied(
            _("These figures are outside your jurisdiction."), code="outside_jurisdiction"
        )


def exists(unit: Unit) -> bool:
    if unit.kind == "province":
        return Province.objects.filter(code=unit.key).exists()
    if unit.kind == "commune":
        return Commune.objects.filter(code=unit.key).exists()
    if not unit.key.isdigit():
        return False
    model = {"agency": Agency, "service_point": ServicePoint}.get(unit.kind)
    if model is not None:
        return model._default_manager.filter(pk=int(unit.key)).exists()
    return get_user_model().objects.filter(pk=int(unit.key), is_active=True).exists()


def home_unit(principal: Principal) -> Unit:
    """Where a principal's monitoring starts: the widest unit they see in full."""
    if principal.has("monitoring.view"):
        if principal.province_codes:
            return Unit("province", settings.PROVINCE_CODE)
        if principal.commune_codes:
            return Unit("commune", sorted(principal.commune_codes)[0])
        if principal.agency_ids:
            return Unit("agency", str(min(principal.agency_ids)))
        if principal.service_point_ids:
            return Unit("service_point", str(min(principal.service_point_ids)))
    return Unit("officer", str(principal.user_id))


def name(unit: Unit) -> str:
    if unit.kind == "province":
        province = Province.objects.filter(code=unit.key).first()
        return province.name if province else unit.key
    if unit.kind == "commune":
        commune = Commune.objects.filter(code=unit.key).first()
        return commune.name if commune else unit.key
    if unit.kind == "agency":
        agency = Agency.objects.filter(pk=_number(unit.key)).first()
        return agency.name if agency else unit.key
    if unit.kind == "service_point":
        point = ServicePoint.objects.filter(pk=_number(unit.key)).first()
        return point.name if point else unit.key
    user = get_user_model().objects.filter(pk=_number(unit.key)).first()
    return units.person(user) if user else unit.key


def parent(unit: Unit) -> Unit | None:
    """The unit one level up the drill-down (province → commune → agency → officer)."""
    if unit.kind == "commune":
        return Unit("province", settings.PROVINCE_CODE)
    if unit.kind in ("agency", "service_point"):
        model = Agency if unit.kind == "agency" else ServicePoint
        row = model._default_manager.filter(pk=_number(unit.key)).values("commune__code").first()
        if row and row["commune__code"]:
            return Unit("commune", row["commune__code"])
        return Unit("province", settings.PROVINCE_CODE)
    if unit.kind == "officer":
        membership = (
            RoleMembership.objects.filter(user_id=_number(unit.key), agency__isnull=False)
            .values("agency_id")
            .first()
        )
        return Unit("agency", str(membership["agency_id"])) if membership else None
    return None
