"""A small two-tier organisation for tests: Quảng Ninh with two communes, their centres and
agencies, the provincial centre and a department, and one user per role."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model

from motcua.catalogue.services import import_procedures
from motcua.organisation import services
from motcua.organisation.models import Agency, Commune, Province, Role, ServicePoint
from motcua.organisation.roles import DEFAULT_ROLES
from tests.catalogue_data import procedure


@dataclass
class Org:
    province: Province
    communes: dict[str, Commune]
    agencies: dict[str, Agency]
    points: dict[str, ServicePoint]
    users: dict[str, Any] = field(default_factory=dict)
    dossiers: dict[str, Any] = field(default_factory=dict)
    scans: dict[str, Any] = field(default_factory=dict)
    stored: dict[str, Any] = field(default_factory=dict)


# user key → (role code, scope key). Scope keys name objects of the Org.
STAFF = {
    "counter_halong": ("counter_officer", "point:halong"),
    "counter_tinh": ("counter_officer", "point:tinh"),
    "manager_halong": ("centre_manager", "point:halong"),
    "officer_halong": ("processing_officer", "agency:ubnd_halong"),
    "officer_stp": ("processing_officer", "agency:stp"),
    "leader_halong": ("agency_leader", "agency:ubnd_halong"),
    "chair_halong": ("commune_leader", "commune:halong"),
    "monitor": ("provincial_monitor", "province"),
    "sysadmin": ("system_admin", "province"),
}


def build_org() -> Org:
    for role in DEFAULT_ROLES:
        Role.objects.get_or_create(code=role["code"], defaults=role)
    province = Province.objects.create(
        code="22", name="Tỉnh Quảng Ninh", short_name="Quảng Ninh", kind="tinh"
    )
    communes = {
        key: Commune.objects.create(
            code=code, name=name, short_name=name.split(" ", 1)[1], kind="phuong", province=province
        )
        for key, code, name in [
            ("halong", "06688", "Phường Hạ Long"),
            ("baichay", "06673", "Phường Bãi Cháy"),
            ("honggai", "06685", "Phường Hồng Gai"),
        ]
    }

    def agency(
        code: str,
        name: str,
        kind: str,
        level: str,
        commune: Commune | None,
        parent: Agency | None = None,
    ) -> Agency:
        return services.save_agency(
            agency=Agency(
                code=code,
                name=name,
                kind=kind,
                level=level,
                province=province,
                commune=commune,
                parent=parent,
            )
        )

    ubnd_tinh = agency(
        "000.00.00.H22", "UBND tỉnh Quảng Ninh", "peoples_committee", "province", None
    )
    agencies = {
        "ubnd_tinh": ubnd_tinh,
        "stp": agency("000.00.02.H22", "Sở Tư pháp", "department", "province", None, ubnd_tinh),
        "ubnd_halong": agency(
            "000.01.30.H22",
            "UBND Phường Hạ Long",
            "peoples_committee",
            "commune",
            communes["halong"],
            ubnd_tinh,
        ),
        "ca_halong": agency(
            "000.01.16.H22",
            "Công an Phường Hạ Long",
            "commune_police",
            "commune",
            communes["halong"],
        ),
        "ubnd_baichay": agency(
            "000.02.30.H22",
            "UBND Phường Bãi Cháy",
            "peoples_committee",
            "commune",
            communes["baichay"],
            ubnd_tinh,
        ),
    }

    def point(
        code: str, name: str, kind: str, commune: Commune, received: list[Agency]
    ) -> ServicePoint:
        created = services.save_service_point(
            point=ServicePoint(
                code=code,
                name=name,
                kind=kind,
                province=province,
                commune=commune,
                agency=received[0],
            ),
            agencies=received,
        )
        services.ensure_counters(point=created, count=2)
        return created

    points = {
        "tinh": point(
            "ttpvhcc-tinh",
            "Trung tâm PVHCC tỉnh",
            "provincial_centre",
            communes["honggai"],
            [ubnd_tinh, agencies["stp"]],
        ),
        "halong": point(
            "ttpvhcc-06688",
            "Trung tâm PVHCC Phường Hạ Long",
            "commune_centre",
            communes["halong"],
            [agencies["ubnd_halong"], agencies["ca_halong"]],
        ),
        "baichay": point(
            "ttpvhcc-06673",
            "Trung tâm PVHCC Phường Bãi Cháy",
            "commune_centre",
            communes["baichay"],
            [agencies["ubnd_baichay"]],
        ),
    }
    org = Org(province, communes, agencies, points)
    import_procedures(documents=[procedure()])
    roles = {role.code: role for role in Role.objects.all()}
    for key, (role_code, scope_key) in STAFF.items():
        kind, _, name = scope_key.partition(":")
        scope = {
            "province": province,
            "commune": communes.get(name),
            "point": points.get(name),
            "agency": agencies.get(name),
        }[kind]
        user = get_user_model().objects.create_user(username=key, password="pw-" + key)
        services.grant_role(user=user, role=roles[role_code], scope=scope)
        org.users[key] = user
    return org
