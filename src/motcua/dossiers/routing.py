"""Where a dossier goes: the competent agency, and the service point that receives it.

Borderless procedures (the province's published list, NĐ 118/2025) are received at any service
point of the province; others only where the competent agency is received for. Online dossiers go
to the point that receives for the competent agency, preferring the centre of its commune.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from motcua.catalogue.models import ProcedureVersion
from motcua.core.errors import MotcuaError
from motcua.organisation.models import Agency, Commune, ServicePoint


@dataclass(frozen=True)
class Route:
    commune: Commune
    competent_agency: Agency
    receiving_point: ServicePoint
    receiving_agency: Agency  # the point's managing agency: its code begins the dossier's


def target_commune(
    version: ProcedureVersion, data: dict[str, Any], commune_code: str | None, province_code: str
) -> Commune:
    """The commune whose jurisdiction decides the competent agency: the one an e-form field
    names (a land parcel's commune), else the one the applicant chose."""
    field = version.spec.get("routing", {}).get("commune_field")
    code = data.get(field) if field else commune_code
    commune = (
        Commune.objects.select_related("province")
        .filter(code=code or "", province__code=province_code)
        .first()
    )
    if commune is None:
        name = field or "commune"
        raise MotcuaError(
            _("Choose a commune-level unit of this province."),
            code="unknown_commune",
            fields={name: [_("This is not a commune-level unit of the province.")]},
        )
    return commune


def competent_agency(version: ProcedureVersion, commune: Commune) -> Agency:
    spec = version.spec
    agencies = Agency.objects.filter(active=True, province=commune.province)
    if spec.get("competent_agency"):
        found = Agency.objects.filter(active=True, code=spec["competent_agency"]).first()
    elif spec["level"] == "commune":
        found = agencies.filter(
            level=Agency.Level.COMMUNE, kind=spec["agency_kind"], commune=commune
        ).first()
    else:
        candidates = agencies.filter(level=Agency.Level.PROVINCE, kind=spec["agency_kind"])
        # An agency serving part of the province (a land registration branch) takes the
        # dossiers of its area; one serving the whole province has no area.
        found = candidates.filter(served_communes=commune).first()
        if found is None:
            whole = list(candidates.filter(served_communes=None)[:2])
            found = whole[0] if len(whole) == 1 else None
    if found is None:
        raise MotcuaError(
            _(
                "No agency of this province is set up to handle “%(procedure)s” for %(commune)s. "
                "Please tell the centre's manager."
            )
            % {"procedure": version.name, "commune": commune.name},
            code="no_competent_agency",
            status=409,
        )
    return found


def points_receiving_for(agency: Agency) -> list[ServicePoint]:
    return list(ServicePoint.objects.filter(active=True, agencies=agency).order_by("kind", "name"))


def check_point_may_receive(version: ProcedureVersion, point: ServicePoint, agency: Agency) -> None:
    """Refuse, naming where to go, a procedure this point may not receive."""
    foreign = agency.province_id is not None and point.province_id != agency.province_id
    if not point.active or foreign:
        raise MotcuaError(
            _("%(point)s does not receive dossiers of this province.") % {"point": point.name},
            code="wrong_service_point",
            status=409,
        )
    if version.borderless or point.agencies.filter(pk=agency.pk).exists():
        return
    where = ", ".join(p.name for p in points_receiving_for(agency)) or agency.name
    raise MotcuaError(
        _(
            "“%(procedure)s” is not borderless: %(point)s cannot receive it for %(agency)s. "
            "Please submit it at: %(where)s."
        )
        % {"procedure": version.name, "point": point.name, "agency": agency.name, "where": where},
        code="wrong_service_point",
        status=409,
    )


def online_point(agency: Agency, commune: Commune) -> ServicePoint:
    """The point whose officers check an online dossier for `agency`."""
    points = ServicePoint.objects.filter(active=True, agencies=agency, agency__isnull=False)
    point = (
        points.filter(commune=commune, kind=ServicePoint.Kind.COMMUNE_CENTRE).first()
        or points.filter(kind=ServicePoint.Kind.PROVINCIAL_CENTRE).first()
        or points.order_by("pk").first()
    )
    if point is None:
        raise MotcuaError(
            _("No service centre receives dossiers for %(agency)s yet.") % {"agency": agency.name},
            code="no_service_point",
            status=409,
        )
    return point


def route(
    *,
    version: ProcedureVersion,
    data: dict[str, Any],
    commune_code: str | None,
    point: ServicePoint | None,
    province_code: str,
) -> Route:
    commune = target_commune(version, data, commune_code, province_code)
    agency = competent_agency(version, commune)
    if point is None:
        point = online_point(agency, commune)
    else:
        check_point_may_receive(version, point, agency)
    if point.agency is None:
        raise MotcuaError(
            _("%(point)s has no managing agency yet: its administrator must set one.")
            % {"point": point.name},
            code="no_managing_agency",
            status=409,
        )
    return Route(commune, agency, point, point.agency)
