"""The Quảng Ninh demo organisation: the provincial centre, the 54 commune centres, People's
Committees, some provincial departments, commune police, counters, and a demo user per role.

Agency codes follow the QĐ 20/2020 shape under the province's level-1 code H22, but the lower
levels are illustrative: the real ones are assigned by the province.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from motcua.organisation import services
from motcua.organisation.models import Agency, Commune, Province, Role, ServicePoint

DEMO_PASSWORD = "motcua-demo"  # noqa: S105  (printed at start; demo deployments only)
PROVINCE = "22"
DEMO_COMMUNES = {"halong": "06688", "baichay": "06673"}

PROVINCIAL_AGENCIES = [
    # code, name, kind, parent code
    ("000.00.00.H22", "UBND tỉnh Quảng Ninh", Agency.Kind.PEOPLES_COMMITTEE, None),
    ("000.00.01.H22", "Văn phòng UBND tỉnh Quảng Ninh", Agency.Kind.OFFICE, "000.00.00.H22"),
    ("000.00.02.H22", "Sở Tư pháp", Agency.Kind.DEPARTMENT, "000.00.00.H22"),
    ("000.00.03.H22", "Sở Nông nghiệp và Môi trường", Agency.Kind.DEPARTMENT, "000.00.00.H22"),
    ("000.00.04.H22", "Sở Tài chính", Agency.Kind.DEPARTMENT, "000.00.00.H22"),
    ("000.00.05.H22", "Sở Y tế", Agency.Kind.DEPARTMENT, "000.00.00.H22"),
    ("000.00.06.H22", "Sở Xây dựng", Agency.Kind.DEPARTMENT, "000.00.00.H22"),
    (
        "000.01.03.H22",
        "Văn phòng Đăng ký đất đai tỉnh Quảng Ninh",
        Agency.Kind.LAND_REGISTRATION,
        "000.00.03.H22",
    ),
    (
        "001.01.03.H22",
        "Chi nhánh Văn phòng Đăng ký đất đai khu vực Hạ Long",
        Agency.Kind.LAND_REGISTRATION_BRANCH,
        "000.01.03.H22",
    ),
    (
        "002.01.03.H22",
        "Chi nhánh Văn phòng Đăng ký đất đai khu vực Cẩm Phả",
        Agency.Kind.LAND_REGISTRATION_BRANCH,
        "000.01.03.H22",
    ),
    (
        "003.01.03.H22",
        "Chi nhánh Văn phòng Đăng ký đất đai khu vực Uông Bí",
        Agency.Kind.LAND_REGISTRATION_BRANCH,
        "000.01.03.H22",
    ),
    ("000.00.16.H22", "Công an tỉnh Quảng Ninh", Agency.Kind.POLICE, None),
    ("000.00.17.H22", "Bảo hiểm xã hội tỉnh Quảng Ninh", Agency.Kind.SOCIAL_INSURANCE, None),
]

# username, full name, role code, scope: ("province",) | ("point", key) | ("agency", key)
DEMO_STAFF = [
    ("admin", "Quản trị Hệ thống", "system_admin", ("province",)),
    ("giamsat.tinh", "Nguyễn Thị Giám Sát", "provincial_monitor", ("province",)),
    ("quanly.tinh", "Trần Văn Quản Lý", "centre_manager", ("point", "tinh")),
    ("motcua.tinh", "Lê Thị Tiếp Nhận", "counter_officer", ("point", "tinh")),
    ("chuyenvien.stp", "Phạm Văn Tư Pháp", "processing_officer", ("agency", "000.00.02.H22")),
    ("lanhdao.stp", "Hoàng Văn Lãnh Đạo", "agency_leader", ("agency", "000.00.02.H22")),
    ("quanly.halong", "Vũ Thị Hạ Long", "centre_manager", ("point", "halong")),
    ("motcua.halong", "Đỗ Văn Một Cửa", "counter_officer", ("point", "halong")),
    ("chuyenvien.halong", "Bùi Thị Chuyên Viên", "processing_officer", ("agency", "ubnd-halong")),
    ("lanhdao.halong", "Đặng Văn Chủ Tịch", "agency_leader", ("agency", "ubnd-halong")),
    ("congan.halong", "Ngô Văn Công An", "processing_officer", ("agency", "ca-halong")),
    ("congan.tinh", "Trịnh Văn Hồ Sơ", "processing_officer", ("agency", "000.00.16.H22")),
    ("motcua.baichay", "Lý Thị Bãi Cháy", "counter_officer", ("point", "baichay")),
]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    full_name: str
    role: str
    scope: str


def commune_agency_codes(index: int) -> tuple[str, str]:
    """(People's Committee, police) codes of the index-th commune (1-based)."""
    return f"000.{index:02d}.30.H22", f"000.{index:02d}.16.H22"


def load_demo() -> list[str]:
    """Create what is missing of the demo organisation; return the demo logins to print."""
    logins = build_demo_organisation()
    width = max(len(login.username) for login in logins)
    lines = [f"Demo staff logins (password: {DEMO_PASSWORD}):"]
    lines += [f"  {login.username.ljust(width)}  {login.role} — {login.scope}" for login in logins]
    return lines


@transaction.atomic
def build_demo_organisation() -> list[DemoLogin]:
    """Create what is missing; existing rows are kept as they are, so a re-run changes nothing."""
    province = Province.objects.get(code=PROVINCE)
    agencies = _provincial_agencies(province)
    communes = list(Commune.objects.filter(province=province).order_by("code"))
    ubnd_tinh = agencies["000.00.00.H22"]
    police = agencies["000.00.16.H22"]
    points: dict[str, ServicePoint] = {}
    commune_agencies: dict[str, Agency] = {}
    for index, commune in enumerate(communes, start=1):
        pc_code, police_code = commune_agency_codes(index)
        pc = _agency(
            pc_code,
            f"UBND {commune.name}",
            Agency.Kind.PEOPLES_COMMITTEE,
            Agency.Level.COMMUNE,
            province,
            ubnd_tinh,
            commune,
        )
        ca = _agency(
            police_code,
            f"Công an {commune.name}",
            Agency.Kind.COMMUNE_POLICE,
            Agency.Level.COMMUNE,
            province,
            police,
            commune,
        )
        point = _point(
            code=f"ttpvhcc-{commune.code}",
            name=f"Trung tâm Phục vụ hành chính công {commune.name}",
            kind=ServicePoint.Kind.COMMUNE_CENTRE,
            province=province,
            commune=commune,
            agency=pc,
            agencies=[pc, ca],
            counters=4,
        )
        for key, code in DEMO_COMMUNES.items():
            if commune.code == code:
                points[key] = point
                commune_agencies[f"ubnd-{key}"] = pc
                commune_agencies[f"ca-{key}"] = ca
    points["tinh"] = _point(
        code="ttpvhcc-tinh",
        name="Trung tâm Phục vụ hành chính công tỉnh Quảng Ninh",
        kind=ServicePoint.Kind.PROVINCIAL_CENTRE,
        province=province,
        commune=Commune.objects.get(code="06685"),
        agency=agencies["000.00.01.H22"],
        agencies=list(agencies.values()),
        counters=12,
    )
    _land_branch_areas(communes, agencies)
    return _staff(province, points, agencies | commune_agencies)


# Where each land registration branch sits (latitude, longitude of its town).
LAND_BRANCH_SEATS = {
    "001.01.03.H22": (20.951, 107.080),  # Hạ Long
    "002.01.03.H22": (21.012, 107.292),  # Cẩm Phả
    "003.01.03.H22": (21.035, 106.771),  # Uông Bí
}


def _land_branch_areas(communes: list[Commune], agencies: dict[str, Agency]) -> None:
    """Give each branch the communes nearest to it (the demo's stand-in for the province's
    decision on branch areas), unless areas were set already."""
    branches = {code: agencies[code] for code in LAND_BRANCH_SEATS}
    if any(branch.served_communes.exists() for branch in branches.values()):
        return
    from vietnamadminunits.database import get_data

    places = {
        str(row["wardCode"]).zfill(5): (float(row["wardLat"]), float(row["wardLon"]))
        for row in get_data(table="admin_units")
        if str(row["provinceCode"]).zfill(2) == PROVINCE
    }
    for commune in communes:
        lat, lon = places[commune.code]
        nearest = min(
            LAND_BRANCH_SEATS,
            key=lambda code: (
                (LAND_BRANCH_SEATS[code][0] - lat) ** 2 + (LAND_BRANCH_SEATS[code][1] - lon) ** 2
            ),
        )
        branches[nearest].served_communes.add(commune)


def _provincial_agencies(province: Province) -> dict[str, Agency]:
    found: dict[str, Agency] = {}
    for code, name, kind, parent in PROVINCIAL_AGENCIES:
        found[code] = _agency(
            code,
            name,
            kind,
            Agency.Level.PROVINCE,
            province,
            found.get(parent) if parent else None,
            None,
        )
    return found


def _agency(
    code: str,
    name: str,
    kind: str,
    level: str,
    province: Province,
    parent: Agency | None,
    commune: Commune | None,
) -> Agency:
    existing = Agency.objects.filter(code=code).first()
    if existing is not None:
        return existing
    agency = Agency(
        code=code,
        name=name,
        kind=kind,
        level=level,
        province=province,
        parent=parent,
        commune=commune,
    )
    return services.save_agency(agency=agency)


def _point(
    *,
    code: str,
    name: str,
    kind: str,
    province: Province,
    commune: Commune,
    agency: Agency,
    agencies: list[Agency],
    counters: int,
) -> ServicePoint:
    point = ServicePoint.objects.filter(code=code).first()
    if point is not None and point.agency_id is None:
        # Demo data made before centres named their managing agency.
        point.agency = agency
        services.save_service_point(point=point)
    if point is None:
        point = services.save_service_point(
            point=ServicePoint(
                code=code,
                name=name,
                kind=kind,
                province=province,
                commune=commune,
                agency=agency,
                address=f"{commune.name}, tỉnh Quảng Ninh",
            ),
            agencies=agencies,
        )
        services.ensure_counters(point=point, count=counters)
    return point


def _staff(
    province: Province, points: dict[str, ServicePoint], agencies: dict[str, Agency]
) -> list[DemoLogin]:
    user_model = get_user_model()
    roles = {role.code: role for role in Role.objects.all()}
    logins = []
    for username, full_name, role_code, scope in DEMO_STAFF:
        user = user_model.objects.filter(username=username).first()
        if user is None:
            # Vietnamese names run family name first; Django joins first_name + last_name.
            user = user_model.objects.create_user(
                username=username, password=DEMO_PASSWORD, first_name=full_name
            )
        target: Province | ServicePoint | Agency = (
            province
            if scope[0] == "province"
            else points[scope[1]]
            if scope[0] == "point"
            else agencies[scope[1]]
        )
        services.grant_role(user=user, role=roles[role_code], scope=target)
        logins.append(DemoLogin(username, full_name, roles[role_code].name, str(target)))
    return logins
