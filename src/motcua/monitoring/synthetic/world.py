"""The province as the generator sees it, loaded once: its communes (some busier than
others), service points with their clerks, counters and queues, agencies with their officers,
and for each procedure of the catalogue the agency competent for each commune and where it is
received, from the routing rules themselves. Officers are created where the demo staff is thin.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db.models import Q
from django.utils.translation import gettext as _

from motcua.catalogue.models import Procedure, ProcedureVersion
from motcua.core.errors import MotcuaError
from motcua.dossiers import routing, workflow
from motcua.dossiers.models import Task
from motcua.monitoring.synthetic.people import person_name
from motcua.monitoring.synthetic.plan import lunar_new_year
from motcua.organisation.models import Agency, Commune, Province, Role, RoleMembership, ServicePoint
from motcua.organisation.services import grant_role
from motcua.queueing.models import PriorityCategory, QueueService
from motcua.workcalendar.engine import WorkingCalendar

# How often each procedure of the demo catalogue is asked for (national code → weight); any
# other procedure of the catalogue weighs 1. Certified copies and civil status lead.
PROCEDURE_WEIGHTS = {
    "2.000815": 16,  # certified copy from the original
    "2.000884": 5,  # certified signature
    "2.000908": 3,  # copy from the original register
    "1.001193": 9,  # birth
    "1.000894": 3,  # marriage
    "1.000656": 2,  # death
    "1.004873": 7,  # marital status certificate
    "1.001695": 3,  # birth, residence and health insurance together
    "1.004194": 8,  # permanent residence
    "1.004222": 9,  # temporary residence
    "1.012345": 6,  # land use right changes
    "1.012346": 3,  # first land registration
    "2.000575": 4,  # household business
    "2.000488": 8,  # judicial record certificate
}
ONLINE_FACTOR = {"full": 1.2, "partial": 0.8, "none": 0.0}
QUEUE_OF_FIELD = {"CHUNGTHUC": "chung-thuc", "HOTICH": "ho-tich", "DATDAI": "dat-dai"}
OTHER_QUEUE = "khac"
# Who staffs what, at least (the demo's own staff count towards it).
MIN_CLERKS: dict[str, int] = {ServicePoint.Kind.PROVINCIAL_CENTRE: 6}
MIN_CLERKS_DEFAULT = 2
MIN_HANDLERS: dict[str, int] = {Agency.Kind.COMMUNE_POLICE: 1, Agency.Kind.PEOPLES_COMMITTEE: 2}
MIN_HANDLERS_DEFAULT = 3  # provincial agencies


# The province as the generator sees it (loaded once) -------------------------------------


@dataclass(frozen=True)
class Officer:
    id: int
    username: str
    name: str


@dataclass
class Point:
    id: int
    name: str
    kind: str
    commune_id: int | None
    agency_id: int
    agency_code: str
    receives_for: frozenset[int]
    clerks: list[Officer] = field(default_factory=list)
    counters: list[int] = field(default_factory=list)
    queues: dict[str, QueueService] = field(default_factory=dict)

    def counter_of(self, officer: Officer) -> int | None:
        if not self.counters:
            return None
        return self.counters[self.clerks.index(officer) % len(self.counters)]


@dataclass
class AgencyInfo:
    id: int
    code: str
    name: str
    kind: str
    handlers: list[Officer] = field(default_factory=list)
    leaders: list[Officer] = field(default_factory=list)


@dataclass(frozen=True)
class CommuneInfo:
    id: int
    code: str
    name: str
    weight: float
    centre_id: int | None


@dataclass(frozen=True)
class ProcedureInfo:
    version: ProcedureVersion
    code: str
    weight: float
    online_factor: float
    borderless: bool
    level: str
    same_day: bool
    steps: tuple[workflow.Step, ...]
    queue: str


@dataclass
class World:
    province: Province
    calendar: WorkingCalendar
    tet: dt.date
    communes: list[CommuneInfo]
    commune_weights: list[float]
    procedures: list[ProcedureInfo]
    points: dict[int, Point]
    agencies: dict[int, AgencyInfo]
    competent: dict[tuple[str, int], int]  # (procedure code, commune id) → agency id
    online_point: dict[tuple[int, int], int]  # (agency id, commune id) → point id
    receiving: dict[int, list[int]]  # agency id → the points receiving for it
    provincial_centre: int | None
    priorities: list[int]
    officers_created: int = 0

    @classmethod
    def load(cls, province: Province, calendar: WorkingCalendar, year: int) -> World:
        rng = random.Random(f"{province.code}-communes")  # noqa: S311  (fixed busyness)
        points = points_of(province)
        agencies = {
            agency.pk: AgencyInfo(agency.pk, agency.code, agency.name, agency.kind)
            for agency in Agency.objects.filter(province=province, active=True)
        }
        communes = []
        centres = {p.commune_id: p.id for p in points.values() if p.kind == "commune_centre"}
        for commune in Commune.objects.filter(province=province).order_by("code"):
            # Some communes are busier than others; wards more than rural communes.
            weight = rng.lognormvariate(0, 0.45) * (1.5 if commune.kind == "phuong" else 1.0)
            communes.append(
                CommuneInfo(commune.pk, commune.code, commune.name, weight, centres.get(commune.pk))
            )
        world = cls(
            province=province,
            calendar=calendar,
            tet=lunar_new_year(year),
            communes=communes,
            commune_weights=list(accumulate(c.weight for c in communes)),
            procedures=[],
            points=points,
            agencies=agencies,
            competent={},
            online_point={},
            receiving=defaultdict(list),
            provincial_centre=next(
                (p.id for p in points.values() if p.kind == "provincial_centre"), None
            ),
            priorities=list(
                PriorityCategory.objects.filter(active=True).values_list("pk", flat=True)
            ),
        )
        for point in points.values():
            for agency_id in point.receives_for:
                world.receiving[agency_id].append(point.id)
        world._routes()
        world._staff()
        return world

    def _routes(self) -> None:
        """Which agency handles each procedure for each commune, and where it is received,
        from the routing rules themselves."""
        versions = ProcedureVersion.objects.filter(
            pk__in=Procedure.objects.filter(active=True).values("current")
        ).select_related("procedure")
        communes = {c.pk: c for c in Commune.objects.filter(province=self.province)}
        for version in versions.order_by("procedure__code"):
            steps = tuple(workflow.steps_of(version.spec))
            if not any(step.kind == Task.Kind.APPROVE for step in steps):
                continue  # no step issues a result (workflow issues it at an approval)
            code = version.procedure.code
            offered = False
            for commune in self.communes:
                try:
                    agency = routing.competent_agency(version, communes[commune.id])
                except MotcuaError:
                    continue
                if agency.pk not in self.agencies or not self.receiving.get(agency.pk):
                    continue
                self.competent[(code, commune.id)] = agency.pk
                key = (agency.pk, commune.id)
                if key not in self.online_point:
                    try:
                        point = routing.online_point(agency, communes[commune.id])
                    except MotcuaError:
                        continue
                    if point.pk not in self.points:
                        continue
                    self.online_point[key] = point.pk
                offered = True
            if not offered:
                continue
            self.procedures.append(
                ProcedureInfo(
                    version=version,
                    code=code,
                    weight=PROCEDURE_WEIGHTS.get(code, 1),
                    online_factor=ONLINE_FACTOR.get(version.online_level, 1.0),
                    borderless=version.borderless,
                    level=version.level,
                    same_day=version.time["kind"] == "same_day",
                    steps=steps,
                    queue=QUEUE_OF_FIELD.get(version.field_code, OTHER_QUEUE),
                )
            )
        if not self.procedures:
            raise MotcuaError(
                _(
                    "No procedure of the catalogue can be received in province %(code)s: load "
                    "the catalogue first."
                )
                % {"code": self.province.code},
                code="province_not_set_up",
            )

    def _staff(self) -> None:
        """The officers of every centre and competent agency, created where too few exist."""
        roles = {role.code: role for role in Role.objects.all()}
        users = get_user_model().objects
        memberships = RoleMembership.objects.filter(
            Q(service_point__province=self.province) | Q(agency__province=self.province)
        ).select_related("user", "role")
        for membership in memberships.order_by("user__username"):
            user, code = membership.user, membership.role.code
            officer = Officer(user.pk, user.get_username(), user.get_full_name() or user.username)
            if membership.service_point_id in self.points and code in (
                "counter_officer",
                "centre_manager",
            ):
                clerks = self.points[membership.service_point_id].clerks
                if officer not in clerks:
                    clerks.append(officer)
            agency = self.agencies.get(membership.agency_id or 0)
            if agency is not None and code == "processing_officer":
                agency.handlers.append(officer)
            elif agency is not None and code == "agency_leader":
                agency.leaders.append(officer)
        wanted: list[tuple[str, str, Any, list[Officer]]] = []  # username, role, scope, into
        scopes = {p.pk: p for p in ServicePoint.objects.filter(pk__in=list(self.points))}
        for point in self.points.values():
            need = MIN_CLERKS.get(point.kind, MIN_CLERKS_DEFAULT)
            key = point.agency_code.lower()
            for n in range(len(point.clerks) + 1, need + 1):
                wanted.append(
                    (f"sim.motcua.{key}.{n}", "counter_officer", scopes[point.id], point.clerks)
                )
        competent = set(self.competent.values())
        scope_agencies = Agency.objects.in_bulk(list(competent))
        for agency_id in sorted(competent):
            agency = self.agencies[agency_id]
            key = agency.code.lower()
            need = MIN_HANDLERS.get(agency.kind, MIN_HANDLERS_DEFAULT)
            for n in range(len(agency.handlers) + 1, need + 1):
                wanted.append(
                    (
                        f"sim.chuyenvien.{key}.{n}",
                        "processing_officer",
                        scope_agencies[agency_id],
                        agency.handlers,
                    )
                )
            if not agency.leaders:
                wanted.append(
                    (
                        f"sim.lanhdao.{key}.1",
                        "agency_leader",
                        scope_agencies[agency_id],
                        agency.leaders,
                    )
                )
        existing = users.in_bulk([w[0] for w in wanted], field_name="username")
        missing = [w for w in wanted if w[0] not in existing]
        created = users.bulk_create(
            [
                users.model(
                    username=username,
                    first_name=person_name(random.Random(username)),  # noqa: S311
                    password=make_password(None),  # nobody logs in as a generated officer
                )
                for username, *_rest in missing
            ]
        )
        self.officers_created = len(created)
        by_name = {**existing, **{user.get_username(): user for user in created}}
        for username, role, scope, into in wanted:
            user = by_name[username]
            grant_role(user=user, role=roles[role], scope=scope)
            into.append(Officer(user.pk, username, user.get_full_name() or username))
        for agency in self.agencies.values():
            if not agency.leaders:
                agency.leaders.extend(agency.handlers[:1])

    def commune_at(self, rng: random.Random) -> CommuneInfo:
        index = bisect.bisect(self.commune_weights, rng.random() * self.commune_weights[-1])
        return self.communes[min(index, len(self.communes) - 1)]


def points_of(province: Province) -> dict[int, Point]:
    points: dict[int, Point] = {}
    rows = (
        ServicePoint.objects.filter(province=province, active=True)
        .exclude(agency=None)
        .select_related("agency")
        .prefetch_related("agencies", "counters")
        .order_by("pk")
    )
    for point in rows:
        assert point.agency is not None
        points[point.pk] = Point(
            id=point.pk,
            name=point.name,
            kind=point.kind,
            commune_id=point.commune_id,
            agency_id=point.agency.pk,
            agency_code=point.agency.code,
            receives_for=frozenset(a.pk for a in point.agencies.all() if a.active),
            counters=sorted(
                (c.pk for c in point.counters.all() if c.active),
            ),
        )
    for service in QueueService.objects.filter(service_point__in=list(points), active=True):
        points[service.service_point_id].queues.setdefault(service.code, service)
    return points
