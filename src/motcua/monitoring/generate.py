"""A synthetic province: a realistic year of dossiers, queue tickets and ratings, for demos and
benchmarks (`motcua generate`, and the demo's first start).

For the province's communes and provincial agencies, day by day from 1 January up to `now`:

- dossiers spread over the working days (a few, online, on days off), busier in the weeks
  before Tết and nearly none in the week around it; the catalogue's procedures weighted so
  that certified copies and civil status lead; the online share moving from about 15 % in
  January toward 70 % in December; filed mostly at the commune's own centre, some at other
  centres (borderless procedures) and at the provincial centre;
- each dossier's history as the services leave it: events, documents (on paper, digitised,
  or replaced by shared data, more of both as the year goes on), the tasks of its process with
  the officers who did them, slips, the signed result, the fee and its payment, and the
  TT 01/2018 evaluation scored with `dossiers.evaluation`'s rules. A dossier's life is planned
  whole (the check at receipt, supplements, steps, a return early / on time / late, or a stop)
  and then cut at `now`: what had not happened by then has not happened, so recent dossiers
  are in progress, some wait for the applicant and some are overdue;
- queue tickets for the counter visits (filing, collecting a result, asking) with waits of
  5–25 minutes and services of 5–15, a rating on about 30 % of them, and every closed day's
  `DailyQueueStat` rows from `queueing.reports.close_day` itself;
- officers where the demo staff is thin (two to four per centre and agency), with their roles.

Then the rollups are rebuilt from the raw rows (`tracking.rebuild`), so `tracking.verify()`
finds nothing to report.

Generated rows are marked so that they can be found and removed (`delete_generated`, the
command's `--replace`): dossiers by `data["generated"]` (pages show only the e-form's own
fields), tickets by an `issue_key` beginning with "generated-". Without `--replace` a second
run adds a second batch. Dossier codes and ticket numbers are taken from the same daily counter
rows that `dossiers.numbering` and `queueing.numbering` use, advanced by the number used, so
later real dossiers and tickets never collide with generated ones.

Speed: every row is built in Python from data loaded once (nothing is queried per dossier),
then written with PostgreSQL's COPY (executemany on SQLite), one transaction per few days of
dossiers; on PostgreSQL a second thread writes one batch while the next is built. The same
seed and the same `now` give the same data, on either database.
"""

from __future__ import annotations

import bisect
import copy
import datetime as dt
import functools
import hashlib
import json
import queue
import random
import secrets
import threading
import time
from collections import Counter as Tally
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import accumulate
from typing import Any

import holidays
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, models, transaction
from django.db.models import ForeignObjectRel, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from motcua.catalogue.models import Procedure, ProcedureVersion
from motcua.core import audit
from motcua.core.errors import MotcuaError
from motcua.dossiers import deadlines, evaluation, routing, workflow
from motcua.dossiers.models import (
    Channel,
    DailySequence,
    Dossier,
    DossierDocument,
    DossierEvent,
    Evaluation,
    Result,
    ReturnMethod,
    Slip,
    Status,
    Task,
    Timeliness,
)
from motcua.dossiers.services import _fee as dossier_fee
from motcua.monitoring import tracking
from motcua.organisation.models import Agency, Commune, Province, Role, RoleMembership, ServicePoint
from motcua.organisation.services import grant_role
from motcua.payments.models import Payment
from motcua.payments.providers import get_provider
from motcua.queueing import reports as queue_reports
from motcua.queueing.models import (
    RATING_CRITERIA,
    DailyTicketCounter,
    PriorityCategory,
    QueueService,
    Rating,
    Ticket,
    TicketEvent,
)
from motcua.workcalendar.engine import VN_TZ, WorkingCalendar
from motcua.workcalendar.selectors import calendar_for

GENERATED = "generated"  # the key of Dossier.data that marks a generated dossier
TICKET_KEY = "generated-"  # how a generated ticket's issue_key begins
SPECIMEN = "generated/tai-lieu-mo-phong.pdf"  # the one file every digitised document shows

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
ONLINE_FROM, ONLINE_TO = 0.15, 0.70  # the share filed online on 1 January and 31 December
# The return of a finished dossier: early, on time, late. Early is what a centre aims at; a
# same-day procedure received before the cut-off cannot be early (it is on time instead), so
# overall about 55/40/5.
TIMELINESS_WEIGHTS = (0.9, 0.05, 0.05)
# Who staffs what, at least (the demo's own staff count towards it).
MIN_CLERKS: dict[str, int] = {ServicePoint.Kind.PROVINCIAL_CENTRE: 6}
MIN_CLERKS_DEFAULT = 2
MIN_HANDLERS: dict[str, int] = {Agency.Kind.COMMUNE_POLICE: 1, Agency.Kind.PEOPLES_COMMITTEE: 2}
MIN_HANDLERS_DEFAULT = 3  # provincial agencies
CHUNK_DOSSIERS = 20_000  # dossiers per transaction


@dataclass
class Report:
    dossiers: int = 0
    tickets: int = 0
    ratings: int = 0
    officers_created: int = 0
    deleted: int = 0
    rollup_rows: int = 0
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    rows: dict[str, int] = field(default_factory=dict)  # table → rows written
    seconds: dict[str, float] = field(default_factory=dict)  # phase → wall time


def generated_dossiers(province_code: str | None = None) -> models.QuerySet[Dossier]:
    dossiers = Dossier.objects.filter(**{f"data__{GENERATED}": True})
    return dossiers.filter(province__code=province_code) if province_code else dossiers


def generated_tickets(province_code: str | None = None) -> models.QuerySet[Ticket]:
    tickets = Ticket.objects.filter(issue_key__startswith=TICKET_KEY)
    return tickets.filter(service_point__province__code=province_code) if province_code else tickets


def has_generated(province_code: str) -> bool:
    return generated_dossiers(province_code).exists()


def generate(
    *,
    province_code: str,
    year: int,
    dossiers: int,
    seed: int = 1,
    tickets_per_dossier: float = 0.6,
    now: dt.datetime | None = None,
    replace: bool = False,
    on_progress: Callable[[int], None] | None = None,
    on_phase: Callable[[str], None] | None = None,
) -> Report:
    """Generate `dossiers` dossiers of `year` (up to `now`) in the province, with their queue
    tickets, and rebuild the rollups. `replace` first deletes what was generated before."""
    clock = _Clock()
    now = now or timezone.now()
    province = _province(province_code)
    if dossiers < 1 or tickets_per_dossier < 0:
        raise MotcuaError(
            _("Give a number of dossiers above zero and of tickets per dossier from zero."),
            code="invalid",
        )
    calendar = _memoised(calendar_for(province.code))
    days = _days_of(year, now)
    report = Report(first_day=days[0], last_day=days[-1])
    if replace:
        _phase(on_phase, "deleting the dossiers and tickets generated before")
        report.deleted = delete_generated(province_code=province.code, rebuild=False)
        clock.lap(report, "delete")
    _phase(on_phase, "loading the organisation and the catalogue")
    with transaction.atomic():
        world = _World.load(province, calendar, year)
        report.officers_created = world.officers_created
    clock.lap(report, "setup")
    rng = random.Random(seed)  # noqa: S311  (synthetic data: reproducible, not secret)
    simulation = _Simulation(world, rng, now, year, tickets_per_dossier, report)
    counts = _spread(rng, world, days, dossiers, now)
    _phase(on_phase, f"generating {dossiers} dossiers, {days[0]} to {days[-1]}")
    today = now.astimezone(VN_TZ).date()
    try:
        for chunk in _chunks(days, counts):
            # The chunk's numbers (and on SQLite its rows) are taken in one transaction.
            with transaction.atomic():
                simulation.ids.begin()
                for day in chunk:
                    simulation.day(day, counts[day])
                    if on_progress is not None:
                        on_progress(counts[day])
                ticketed = simulation.ticket_days
                simulation.writer.flush([day for day in chunk if day < today and day in ticketed])
    finally:
        simulation.writer.finish()
    report.rows = dict(simulation.writer.written)
    clock.lap(report, "dossiers and tickets")
    _phase(on_phase, "rebuilding the monitoring rollups")
    report.rollup_rows = tracking.rebuild()
    clock.lap(report, "rollups")
    with transaction.atomic():
        audit.record(
            actor=None,
            action="monitoring.generate",
            obj=province,
            new={
                "year": year,
                "dossiers": report.dossiers,
                "tickets": report.tickets,
                "seed": seed,
            },
        )
    return report


@transaction.atomic
def delete_generated(*, province_code: str, rebuild: bool = True) -> int:
    """Delete the generated dossiers and tickets of the province (with everything that hangs
    on them: events, documents, tasks, slips, results, payments, ratings) and close their days
    again. The generated officers stay. Returns how many dossiers went."""
    dossiers = generated_dossiers(province_code)
    count = dossiers.count()
    codes = dossiers.values("code")
    _purge(Payment, Payment.objects.filter(reference__in=codes).values("pk"))
    _purge(Dossier, dossiers.values("pk"))
    tickets = generated_tickets(province_code)
    days = sorted(set(tickets.values_list("day", flat=True).distinct().order_by()))
    _purge(Ticket, tickets.values("pk"))
    today = timezone.localdate()
    for day in days:
        if day < today:
            queue_reports.close_day(day)
    if rebuild:
        tracking.rebuild()
    return count


def _purge(model: type[models.Model], selection: models.QuerySet[Any]) -> None:
    """Delete the rows `selection` (a values("pk") query) and what depends on them, in a few
    statements whatever their number: what cascades is deleted the same way, what is only
    protected must not exist."""
    sql, params = selection.query.sql_with_params()
    _delete_where(model, _pk_column(model), sql, params)


def _pk_column(model: type[models.Model]) -> str:
    return str(model._meta.pk.column)


def _delete_where(model: type[models.Model], column: str, sql: str, params: Sequence[Any]) -> None:
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk = quote(_pk_column(model))
    rows = f"SELECT {pk} FROM {table} WHERE {quote(column)} IN ({sql})"  # noqa: S608
    # Every reverse relation, those without a reverse accessor (related_name="+") too.
    relations = [
        f for f in model._meta.get_fields(include_hidden=True) if isinstance(f, ForeignObjectRel)
    ]
    for relation in relations:
        if relation.many_to_many or relation.related_model is model:
            continue  # a self-reference (a consultation's parent task) goes with the rows
        child: Any = relation.related_model
        on_delete = relation.on_delete
        fk = str(relation.field.column)
        if on_delete is models.CASCADE:
            _delete_where(child, fk, rows, params)
        elif on_delete is models.SET_NULL:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {quote(child._meta.db_table)} SET {quote(fk)} = NULL "  # noqa: S608
                    f"WHERE {quote(fk)} IN ({rows})",
                    params,
                )
        elif on_delete in (models.PROTECT, models.RESTRICT):
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT 1 FROM {quote(child._meta.db_table)} "  # noqa: S608
                    f"WHERE {quote(fk)} IN ({rows}) LIMIT 1",
                    params,
                )
                if cursor.fetchone() is not None:
                    raise MotcuaError(
                        _("Generated data is in use (%(what)s refers to it): it cannot be deleted.")
                        % {"what": child._meta.verbose_name},
                        code="generated_in_use",
                        status=409,
                    )
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {quote(column)} IN ({sql})", params)  # noqa: S608


def _province(code: str) -> Province:
    province = Province.objects.filter(code=code).first()
    if (
        province is None
        or not ServicePoint.objects.filter(province=province, active=True)
        .exclude(agency=None)
        .exists()
        or not Agency.objects.filter(province=province, active=True).exists()
    ):
        raise MotcuaError(
            _(
                "Province %(code)s has no organisation loaded (service centres and agencies): "
                "set it up first, e.g. with the demo."
            )
            % {"code": code},
            code="province_not_set_up",
        )
    return province


def _days_of(year: int, now: dt.datetime) -> list[dt.date]:
    first, last = dt.date(year, 1, 1), min(dt.date(year, 12, 31), now.astimezone(VN_TZ).date())
    if last < first:
        raise MotcuaError(
            _("The year %(year)s has not begun: nothing can have happened in it yet.")
            % {"year": year},
            code="invalid",
        )
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def _phase(on_phase: Callable[[str], None] | None, text: str) -> None:
    if on_phase is not None:
        on_phase(text)


class _Clock:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    def lap(self, report: Report, phase: str) -> None:
        moment = time.perf_counter()
        report.seconds[phase] = moment - self.started
        self.started = moment


# The province as the generator sees it (loaded once) -------------------------------------


@dataclass(frozen=True)
class _Officer:
    id: int
    username: str
    name: str


@dataclass
class _Point:
    id: int
    name: str
    kind: str
    commune_id: int | None
    agency_id: int
    agency_code: str
    receives_for: frozenset[int]
    clerks: list[_Officer] = field(default_factory=list)
    counters: list[int] = field(default_factory=list)
    queues: dict[str, QueueService] = field(default_factory=dict)

    def counter_of(self, officer: _Officer) -> int | None:
        if not self.counters:
            return None
        return self.counters[self.clerks.index(officer) % len(self.counters)]


@dataclass
class _Agency:
    id: int
    code: str
    name: str
    kind: str
    handlers: list[_Officer] = field(default_factory=list)
    leaders: list[_Officer] = field(default_factory=list)


@dataclass(frozen=True)
class _Commune:
    id: int
    code: str
    name: str
    weight: float
    centre_id: int | None


@dataclass(frozen=True)
class _Procedure:
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
class _World:
    province: Province
    calendar: WorkingCalendar
    tet: dt.date
    communes: list[_Commune]
    commune_weights: list[float]
    procedures: list[_Procedure]
    points: dict[int, _Point]
    agencies: dict[int, _Agency]
    competent: dict[tuple[str, int], int]  # (procedure code, commune id) → agency id
    online_point: dict[tuple[int, int], int]  # (agency id, commune id) → point id
    receiving: dict[int, list[int]]  # agency id → the points receiving for it
    provincial_centre: int | None
    priorities: list[int]
    officers_created: int = 0

    @classmethod
    def load(cls, province: Province, calendar: WorkingCalendar, year: int) -> _World:
        rng = random.Random(f"{province.code}-communes")  # noqa: S311  (fixed busyness)
        points = _points(province)
        agencies = {
            agency.pk: _Agency(agency.pk, agency.code, agency.name, agency.kind)
            for agency in Agency.objects.filter(province=province, active=True)
        }
        communes = []
        centres = {p.commune_id: p.id for p in points.values() if p.kind == "commune_centre"}
        for commune in Commune.objects.filter(province=province).order_by("code"):
            # Some communes are busier than others; wards more than rural communes.
            weight = rng.lognormvariate(0, 0.45) * (1.5 if commune.kind == "phuong" else 1.0)
            communes.append(
                _Commune(commune.pk, commune.code, commune.name, weight, centres.get(commune.pk))
            )
        world = cls(
            province=province,
            calendar=calendar,
            tet=_tet(year),
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
                _Procedure(
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
            officer = _Officer(user.pk, user.get_username(), user.get_full_name() or user.username)
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
        wanted: list[tuple[str, str, Any, list[_Officer]]] = []  # username, role, scope, into
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
                    first_name=_person_name(random.Random(username)),  # noqa: S311
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
            into.append(_Officer(user.pk, username, user.get_full_name() or username))
        for agency in self.agencies.values():
            if not agency.leaders:
                agency.leaders.extend(agency.handlers[:1])

    def commune_at(self, rng: random.Random) -> _Commune:
        index = bisect.bisect(self.commune_weights, rng.random() * self.commune_weights[-1])
        return self.communes[min(index, len(self.communes) - 1)]


def _points(province: Province) -> dict[int, _Point]:
    points: dict[int, _Point] = {}
    rows = (
        ServicePoint.objects.filter(province=province, active=True)
        .exclude(agency=None)
        .select_related("agency")
        .prefetch_related("agencies", "counters")
        .order_by("pk")
    )
    for point in rows:
        assert point.agency is not None
        points[point.pk] = _Point(
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


def _tet(year: int) -> dt.date:
    """The first day of the lunar new year (from the `holidays` package's Vietnamese list)."""
    known = holidays.country_holidays("VN", years=year, language="en_US")
    return next(day for day, name in sorted(known.items()) if name == "Lunar New Year")


# How busy each day is ----------------------------------------------------------------------

MONTH_FACTOR = (1.0, 1.0, 1.0, 0.95, 1.0, 1.05, 1.1, 1.1, 1.0, 1.0, 1.0, 1.1)
WEEKDAY_FACTOR = (1.15, 1.05, 1.0, 1.0, 0.9, 0.8, 0.8)
DAY_OFF_FACTOR = 0.05  # online filings on a weekend or holiday, against a working day


def tet_factor(day: dt.date, tet: dt.date) -> float:
    """The rush before Tết, the week around it nearly empty, and the slow start after it."""
    offset = (day - tet).days
    if -30 <= offset <= -8:
        return 1.45
    if -7 <= offset <= -4:
        return 0.6
    if -3 <= offset <= 7:
        return 0.1
    if 8 <= offset <= 14:
        return 0.6
    return 1.0


def _spread(
    rng: random.Random, world: _World, days: list[dt.date], total: int, now: dt.datetime
) -> dict[dt.date, int]:
    """How many dossiers are filed each day: `total` drawn over the days by their weight."""
    calendar = world.calendar
    weights = []
    local_now = now.astimezone(VN_TZ)
    for day in days:
        working = calendar.is_working_day(day)
        weight = (1.0 if working else DAY_OFF_FACTOR) * MONTH_FACTOR[day.month - 1]
        weight *= WEEKDAY_FACTOR[day.weekday()] * tet_factor(day, world.tet)
        weight *= rng.uniform(0.9, 1.1)
        if day == local_now.date():  # today: only the part of the day gone by
            if working:
                start = calendar.sessions_on(day)[0][0]
                elapsed = calendar.working_time_between(start, now) / calendar.day_length
                weight *= min(max(elapsed, 0.0), 1.0)
            else:
                weight *= (local_now.hour * 60 + local_now.minute) / 1440
        weights.append(weight)
    drawn = Tally(rng.choices(range(len(days)), cum_weights=list(accumulate(weights)), k=total))
    return {day: drawn.get(index, 0) for index, day in enumerate(days)}


def _chunks(days: list[dt.date], counts: dict[dt.date, int]) -> Iterator[list[dt.date]]:
    chunk: list[dt.date] = []
    size = 0
    for day in days:
        chunk.append(day)
        size += counts[day]
        if size >= CHUNK_DOSSIERS:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


# Writing rows fast -------------------------------------------------------------------------


class _Table:
    """Rows of one table, built from keyword arguments over the table's defaults (as lists,
    so that a row can still change until it is written) and written in bulk."""

    def __init__(self, model: type[models.Model], columns: str, **defaults: Any) -> None:
        fields = {f.attname: f for f in model._meta.concrete_fields}
        names = columns.split()
        self.name = model._meta.db_table
        self.index = {name: position for position, name in enumerate(names)}
        self.template = [defaults.get(name) for name in names]
        self.columns = [str(fields[name].column) for name in names]
        self.json = [
            i for i, name in enumerate(names) if isinstance(fields[name], models.JSONField)
        ]
        unset = [
            name
            for name, f in fields.items()
            if not f.null and name not in self.index and not f.primary_key
        ]
        assert not unset, f"{self.name}: no value for {unset}"
        self.rows: list[list[Any]] = []

    def add(self, **values: Any) -> list[Any]:
        row = self.template.copy()
        self.put(row, **values)
        self.rows.append(row)
        return row

    def put(self, row: list[Any], **values: Any) -> None:
        index = self.index
        for name, value in values.items():
            row[index[name]] = value

    def get(self, row: list[Any], name: str) -> Any:
        return row[self.index[name]]


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return str(value.astimezone(dt.UTC).replace(tzinfo=None))
    if isinstance(value, dt.date | Decimal):
        return str(value)
    return value


Batch = list[tuple["_Table", list[list[Any]]]]


class _Writer:
    """Writes the tables' rows, then closes the queue days they complete. On PostgreSQL,
    outside a transaction, a thread with its own connection writes and commits one batch
    while the next is built: the commit (the foreign keys are checked then) and the
    generator's Python each keep one of two cores busy."""

    def __init__(self) -> None:
        self.tables: list[_Table] = []
        self.written: Tally[str] = Tally()
        self.error: BaseException | None = None
        self.batches: queue.Queue[tuple[Batch, list[dt.date]] | None] = queue.Queue(maxsize=1)
        self.thread: threading.Thread | None = None
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            self.thread = threading.Thread(target=self._run, name="generate-writer", daemon=True)
            self.thread.start()

    def table(self, model: type[models.Model], columns: str, **defaults: Any) -> _Table:
        table = _Table(model, columns, **defaults)
        self.tables.append(table)
        return table

    def flush(self, close: list[dt.date]) -> None:
        """Write the rows built so far, then close the days `close` (their tickets are all
        among them)."""
        batch: Batch = []
        for table in self.tables:
            if table.rows:
                for row in table.rows:
                    for index in table.json:
                        row[index] = json.dumps(row[index], ensure_ascii=False)
                batch.append((table, table.rows))
                table.rows = []
        if self.thread is None:
            self._store(batch, close)
            return
        self._raise()
        self.batches.put((batch, close))

    def finish(self) -> None:
        if self.thread is not None:
            self.batches.put(None)
            self.thread.join()
            self._raise()

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        try:
            while (item := self.batches.get()) is not None:
                if self.error is None:
                    try:
                        self._store(*item)
                    except BaseException as error:  # handed to the generating thread
                        self.error = error
        finally:
            connection.close()

    @transaction.atomic
    def _store(self, batch: Batch, close: list[dt.date]) -> None:
        if self.thread is not None:
            # Checked as the rows arrive (tables are written parents first) instead of
            # queued for the commit: the same checks, a quarter faster in all.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, rows in batch:
            self._write(table, rows)
            self.written[table.name] += len(rows)
        for day in close:
            queue_reports.close_day(day)

    def _write(self, table: _Table, rows: list[list[Any]]) -> None:
        quote = connection.ops.quote_name
        columns = ", ".join(quote(c) for c in table.columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.copy(f"COPY {quote(table.name)} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(table.columns))
                cursor.executemany(
                    f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({marks})",  # noqa: S608
                    [[_sqlite_value(v) for v in row] for row in rows],
                )


class _Ids:
    """Primary keys handed out before the rows are written (their children name them)."""

    def __init__(self, *models_: type[models.Model]) -> None:
        self.next: dict[type[models.Model], int] = dict.fromkeys(models_, 0)

    def begin(self) -> None:
        """At the start of a transaction on SQLite, which holds the only write lock: go on
        after the highest key stored."""
        if connection.vendor == "postgresql":
            return
        for model in self.next:
            highest = model._default_manager.aggregate(m=models.Max("pk"))["m"] or 0
            self.next[model] = max(self.next[model], highest + 1)

    def take(self, model: type[models.Model], count: int) -> list[int]:
        if count <= 0:
            return []
        if connection.vendor == "postgresql":
            # The sequence hands out keys one by one, so live writers get others meanwhile.
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [model._meta.db_table, _pk_column(model), count],
                )
                return [row[0] for row in cursor.fetchall()]
        first = self.next[model]
        self.next[model] = first + count
        return list(range(first, first + count))


def _reserve(
    model: type[models.Model], owner: str, day: dt.date, counts: dict[int, int]
) -> dict[int, int]:
    """Advance the daily counter rows of `day` (owner id → how many numbers) by as many
    numbers as `dossiers.numbering` / `queueing.numbering` would give one at a time, in one
    statement; the first number of each owner's block."""
    if not counts:
        return {}
    table = connection.ops.quote_name(model._meta.db_table)
    rows = sorted(counts.items())
    values = ", ".join(["(%s, %s, %s)"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({owner}, day, last) VALUES {values} "  # noqa: S608
            f"ON CONFLICT ({owner}, day) DO UPDATE SET last = {table}.last + excluded.last "
            f"RETURNING {owner}, last",
            [value for owner_id, count in rows for value in (owner_id, day, count)],
        )
        last = dict(cursor.fetchall())
    return {owner_id: int(last[owner_id]) - count + 1 for owner_id, count in rows}


def _memoised(calendar: WorkingCalendar) -> WorkingCalendar:
    """The province's calendar with its answers about days kept: the generator asks about the
    same few hundred days millions of times (the engine itself stays as it is)."""
    fast = copy.copy(calendar)
    fast.day = functools.lru_cache(maxsize=None)(fast.day)  # type: ignore[method-assign]
    fast.sessions_on = functools.lru_cache(maxsize=None)(fast.sessions_on)  # type: ignore[method-assign]
    return fast


# People and their data ---------------------------------------------------------------------


def _words(text: str, separator: str = " ") -> list[str]:
    return text.split(separator)


# Vietnamese names: family names with their rough frequency (%), middle and given names.
FAMILY = {
    name: int(weight)
    for name, weight in (
        pair.split(":")
        for pair in _words(
            "Nguyễn:38 Trần:11 Lê:9 Phạm:7 Hoàng:5 Vũ:4 Phan:4 Đặng:2 Bùi:2 Đỗ:2 Ngô:2 Đinh:2 "
            "Dương:1 Lý:1 Trịnh:1 Mai:1 Hà:1 Lương:1"
        )
    )
}
FAMILY_NAMES = list(FAMILY)
FAMILY_WEIGHTS = list(accumulate(FAMILY.values()))
MIDDLE = {
    "m": _words("Văn Đức Minh Quang Hữu Thanh Xuân Công Mạnh Tiến"),
    "f": _words("Thị Thu Ngọc Thanh Minh Hồng Phương Thùy Lan Kim"),
}
GIVEN = {
    "m": _words(
        "An Bình Cường Dũng Dương Hải Hiếu Hoàng Hùng Huy Khánh Long Minh Nam Phong Phúc Quân "
        "Sơn Thắng Trung Tuấn Việt"
    ),
    "f": _words(
        "Anh Chi Giang Hà Hạnh Hiền Hoa Hương Lan Linh Mai Ngọc Nhung Oanh Phương Quỳnh Tâm "
        "Thảo Trang Vân Yến"
    ),
}
STREETS = _words(
    "Lê Thánh Tông|Trần Hưng Đạo|Nguyễn Văn Cừ|Hạ Long|Cao Xanh|Kênh Liêm|Lê Lợi|Bạch Đằng|"
    "Trần Quốc Nghiễn|Nguyễn Du|Tuệ Tĩnh|Anh Đào",
    "|",
)
DOCUMENT_NAMES = _words(
    "Giấy khai sinh|Bằng tốt nghiệp|Sổ hộ khẩu (cũ)|Hợp đồng lao động|"
    "Giấy chứng nhận quyền sử dụng đất|Học bạ|Giấy xác nhận cư trú|Quyết định",
    "|",
)
PURPOSES = _words(
    "Bổ sung hồ sơ xin việc|Làm thủ tục kết hôn|Đi du học|Hoàn thiện hồ sơ vay vốn|"
    "Bổ túc hồ sơ nhập học|Xuất khẩu lao động",
    "|",
)
REFUSALS = (
    "Thủ tục không thuộc thẩm quyền giải quyết của cơ quan tiếp nhận",
    "Giấy tờ trong hồ sơ đã hết hiệu lực",
    "Người yêu cầu không đủ điều kiện thực hiện thủ tục theo quy định",
)
SUPPLEMENTS = (
    "Bổ sung bản sao giấy tờ chứng minh quan hệ nhân thân",
    "Làm rõ thông tin kê khai tại tờ khai",
    "Bổ sung văn bản ủy quyền có chứng thực",
)
RESULT_REFUSALS = (
    "Không đủ điều kiện giải quyết theo quy định của pháp luật",
    "Thông tin kê khai không khớp với cơ sở dữ liệu chuyên ngành",
)
STOP_REASONS = (
    "Người nộp hồ sơ đề nghị dừng để hoàn thiện giấy tờ",
    "Người nộp hồ sơ không còn nhu cầu giải quyết",
)


def _person_name(rng: random.Random, sex: str | None = None) -> str:
    sex = sex or rng.choice("mf")
    family = FAMILY_NAMES[bisect.bisect(FAMILY_WEIGHTS, rng.random() * FAMILY_WEIGHTS[-1])]
    return f"{family} {rng.choice(MIDDLE[sex])} {rng.choice(GIVEN[sex])}"


def _id_number(rng: random.Random, sex: str, birth: dt.date) -> str:
    """A citizen identity number: province of birth, sex and century, year, six digits."""
    century = (0 if birth.year < 2000 else 2) + (1 if sex == "f" else 0)
    place = "022" if rng.random() < 0.8 else rng.choice(("001", "030", "031", "034", "038"))
    return f"{place}{century}{birth.year % 100:02d}{rng.randrange(1_000_000):06d}"


def _form_data(
    rng: random.Random, version: ProcedureVersion, commune: _Commune, filed: dt.date
) -> dict[str, Any]:
    """Plausible answers to the procedure's e-form, from the field types and names."""
    data: dict[str, Any] = {}
    # In name order: PostgreSQL's jsonb keeps no key order, and the same seed must give the
    # same answers on both databases.
    for name, spec in sorted(version.spec["form"]["schema"].get("properties", {}).items()):
        kind = spec.get("type")
        if "enum" in spec:
            data[name] = rng.choice(spec["enum"])
        elif kind == "integer":
            low = int(spec.get("minimum", 1))
            high = min(int(spec.get("maximum", low + 5)), low + 5)
            data[name] = 50_000_000 if name.startswith("von") else rng.randint(low, high)
        elif spec.get("pattern") == "^[0-9]{5}$":
            data[name] = commune.code
        elif spec.get("pattern") == "^[0-9]{12}$":
            data[name] = f"022{rng.randrange(10**9):09d}"
        elif spec.get("format") == "date":
            data[name] = (filed - dt.timedelta(days=rng.randint(1, 40))).isoformat()
        elif "ho_ten" in name:
            data[name] = _person_name(rng)
        elif name.startswith(("dia_chi", "noi_", "dia_diem")):
            data[name] = f"Số {rng.randint(1, 200)} đường {rng.choice(STREETS)}, {commune.name}"
        elif name.startswith("ten_giay_to"):
            data[name] = rng.choice(DOCUMENT_NAMES)
        elif name.startswith("muc_dich"):
            data[name] = rng.choice(PURPOSES)
        elif name.startswith("so_"):
            data[name] = str(rng.randint(1, 900))
        else:
            data[name] = str(spec.get("title", name))[:100]
    data[GENERATED] = True
    return data


# The simulation ----------------------------------------------------------------------------


def _share(start: float, end: float, progress: float) -> float:
    """A share moving from `start` on 1 January to `end` on 31 December."""
    return start + (end - start) * progress


@dataclass
class _Filing:
    at: dt.datetime
    commune: _Commune
    procedure: _Procedure
    channel: str
    point: _Point
    agency: _Agency


@dataclass
class _Visit:
    """A citizen at a counter, from the start of the service to its end."""

    point: _Point
    queue: str
    start: dt.datetime
    finish: dt.datetime
    officer: _Officer
    dossier_code: str = ""
    dossier_row: list[Any] | None = None  # a filing: the dossier row notes the ticket
    outcome: str = Ticket.Status.FINISHED


HELD = (Status.RECEIVED, Status.PROCESSING, Status.PROCESSED)
MINUTE = dt.timedelta(minutes=1)
# Hours of the local day weighted for online filings: evenings too, nights little.
ONLINE_HOURS = list(
    accumulate(
        float(w) for w in _words("2 1 1 1 1 3 6 9 16 17 17 14 8 10 15 16 15 11 9 10 11 10 7 4")
    )
)


def _specimen() -> tuple[str, int, str]:
    """The file every generated digitised document points at, written once: its name, size
    and SHA-256."""
    if not default_storage.exists(SPECIMEN):
        default_storage.save(SPECIMEN, ContentFile(_specimen_pdf()))
    with default_storage.open(SPECIMEN, "rb") as stored:
        content = stored.read()
    return SPECIMEN, len(content), hashlib.sha256(content).hexdigest()


@functools.cache
def _specimen_pdf() -> bytes:
    from weasyprint import HTML

    pdf: bytes = HTML(
        string=(
            "<html><body style='font-family: \"DejaVu Sans\", sans-serif'>"
            "<h1>Tài liệu mô phỏng</h1><p>Bản điện tử của giấy tờ trong hồ sơ do "
            "<code>motcua generate</code> tạo ra để trình diễn và đo hiệu năng.</p>"
            "</body></html>"
        )
    ).write_pdf()
    return pdf


class _Simulation:
    def __init__(
        self,
        world: _World,
        rng: random.Random,
        now: dt.datetime,
        year: int,
        tickets_per_dossier: float,
        report: Report,
    ) -> None:
        self.world = world
        self.calendar = world.calendar
        self.rng = rng
        self.now = now
        self.report = report
        self.tickets_per_dossier = tickets_per_dossier
        self.year_start = dt.date(year, 1, 1)
        self.year_days = (dt.date(year, 12, 31) - self.year_start).days
        self.weights = list(accumulate(p.weight for p in world.procedures))
        self.pending: dict[dt.date, list[_Visit]] = defaultdict(list)
        self.ticket_days: set[dt.date] = set()  # the days to close
        self.ids = _Ids(Dossier, Ticket)
        self.provider = get_provider().name
        self.scratch = Dossier()  # what workflow.step_due_at reads of a dossier
        self.specimen = _specimen()
        with translation.override("vi"):
            self.return_labels = {m.value: str(m.label) for m in ReturnMethod}
            self.fee_purpose = _("Fee for dossier %(code)s")
        w = self.writer = _Writer()
        self.dossiers = w.table(
            Dossier,
            "id code procedure_id version_id channel status province_id receiving_point_id "
            "receiving_agency_id competent_agency_id commune_id applicant_name "
            "applicant_id_number applicant_birth_date applicant_address applicant_phone "
            "applicant_email data fee_amount submitted_at submitted_by_id received_at "
            "received_by_id due_at check_due_at queue_ticket eid_subject eid_level "
            "verified_hash representation tracking_secret revision step clock_started_at "
            "waiting_since overdue_since finished_at timeliness returned_via",
            applicant_email="",
            queue_ticket="",
            eid_subject="",
            eid_level=0,
            verified_hash="",
            representation={},
            revision=0,
            step="",
            timeliness="",
            returned_via="",
        )
        self.events = w.table(
            DossierEvent, "dossier_id at actor_id actor_label action from_status to_status note"
        )
        self.documents = w.table(
            DossierDocument,
            "dossier_id requirement name form count state file original_name content_type "
            "size pages sha256",
            **NO_FILE,
        )
        self.slips = w.table(
            Slip, "dossier_id kind agency_id issued_at issued_by_id items pdf", pdf=""
        )
        self.tasks = w.table(
            Task,
            "dossier_id step name kind agency_id service_point_id assignee_id sender opened_at "
            "due_at closed_at closed_by_id state outcome note reply",
            state=Task.State.OPEN,
            outcome="",
            note="",
            reply="",
        )
        self.results = w.table(
            Result,
            "dossier_id kind number title reasons agency_id approved_at approved_by_id pdf "
            "sha256 signed_at verification_secret",
            pdf="",
            sha256="",
        )
        self.evaluations = w.table(
            Evaluation,
            "dossier_id evaluated_at total_time agency_time contacts agencies_contacted "
            "contact_count agency_count per_agency",
        )
        self.payments = w.table(
            Payment,
            "reference purpose amount status method provider provider_txn exemption_reason "
            "created_at settled_at recorded_by_id",
            status=Payment.Status.DUE,
            method=Payment.Method.NONE,
            provider="",
            provider_txn="",
            exemption_reason="",
        )
        self.tickets = w.table(
            Ticket,
            "id service_point_id service_id priority_id day sequence number status issued_at "
            "queued_at called_at started_at finished_at counter_id officer_id calls "
            "dossier_code secret issue_key revision",
        )
        self.ticket_events = w.table(
            TicketEvent, "ticket_id at action counter_id officer_id note", note=""
        )
        self.ratings = w.table(
            Rating, "ticket_id officer_id counter_id scores average comment rated_at", comment=""
        )

    def progress(self, day: dt.date) -> float:
        return min(max((day - self.year_start).days / self.year_days, 0.0), 1.0)

    # A day ---------------------------------------------------------------------------------

    def day(self, day: dt.date, count: int) -> None:
        working = self.calendar.is_working_day(day)
        progress = self.progress(day)
        filings = sorted(
            (self.filing(day, working, progress) for _n in range(count)), key=lambda f: f.at
        )
        ids = self.ids.take(Dossier, len(filings))
        numbers = _reserve(
            DailySequence, "agency_id", day, Tally(f.point.agency_id for f in filings)
        )
        stamp = f"{day:%y%m%d}"
        for filing, pk in zip(filings, ids, strict=True):
            number = numbers[filing.point.agency_id]
            numbers[filing.point.agency_id] = number + 1
            code = f"{filing.point.agency_code}-{stamp}-{number:04d}"
            _Life(self, pk, code, filing, progress).live()
        self.report.dossiers += len(filings)
        self.issue_tickets(day, len(filings), working)

    def filing(self, day: dt.date, working: bool, progress: float) -> _Filing:
        rng, world = self.rng, self.world
        procedures = world.procedures
        while True:
            commune = world.commune_at(rng)
            index = bisect.bisect(self.weights, rng.random() * self.weights[-1])
            procedure = procedures[min(index, len(procedures) - 1)]
            if (procedure.code, commune.id) in world.competent:
                break
        agency = world.agencies[world.competent[(procedure.code, commune.id)]]
        online = min(0.95, _share(ONLINE_FROM, ONLINE_TO, progress) * procedure.online_factor)
        draw = rng.random()
        if not working:
            channel = Channel.API if draw < 0.05 else Channel.ONLINE
        elif draw < online * 0.95:
            channel = Channel.ONLINE
        elif draw < online:
            channel = Channel.API  # from the national public service portal
        elif draw < online + 0.01:
            channel = Channel.POST
        else:
            channel = Channel.COUNTER
        if channel == Channel.COUNTER:
            point = world.points[self.counter_point(procedure, commune, agency)]
        else:
            point = world.points[world.online_point[(agency.id, commune.id)]]
        return _Filing(self.filed_at(day, channel), commune, procedure, channel, point, agency)

    def counter_point(self, procedure: _Procedure, commune: _Commune, agency: _Agency) -> int:
        """Mostly the commune's own centre; borderless procedures also at other centres and
        at the provincial one."""
        world, rng = self.world, self.rng
        allowed = world.receiving[agency.id]
        own = commune.centre_id
        draw = rng.random()
        if procedure.borderless:
            if procedure.level == "commune":
                if draw < 0.86 and own is not None:
                    return own
                other = world.commune_at(rng).centre_id
                if draw < 0.95 and other is not None:
                    return other
                return world.provincial_centre or own or allowed[0]
            if draw < 0.55 and own is not None:
                return own
            return world.provincial_centre or allowed[0]
        if own in allowed and draw < 0.9:
            return own
        return allowed[int(draw * len(allowed)) % len(allowed)]

    # Moments -------------------------------------------------------------------------------

    def working_moment(self, day: dt.date, after: dt.datetime | None = None) -> dt.datetime:
        """A moment in the working sessions of `day` (after `after`), mornings busier; just
        after `after` when the day's sessions are over."""
        spans = []
        for index, (start, end) in enumerate(self.calendar.sessions_on(day)):
            begin = max(start, after) if after else start
            if end > begin:
                weight = (end - begin).total_seconds() * (1.3 if index == 0 else 1.0)
                spans.append((begin, end, weight))
        if not spans:
            if after is None:
                return self.online_moment(day)
            return after + dt.timedelta(seconds=self.rng.uniform(20, 120))
        pick = self.rng.random() * sum(span[2] for span in spans)
        for begin, end, weight in spans:
            if pick <= weight:
                return begin + (end - begin) * (pick / weight)
            pick -= weight
        return spans[-1][1]

    def online_moment(self, day: dt.date) -> dt.datetime:
        hour = min(bisect.bisect(ONLINE_HOURS, self.rng.random() * ONLINE_HOURS[-1]), 23)
        moment = dt.datetime.combine(day, dt.time(hour), tzinfo=VN_TZ)
        return moment + dt.timedelta(seconds=self.rng.uniform(0, 3599))

    def filed_at(self, day: dt.date, channel: str) -> dt.datetime:
        """When a dossier of `day` was filed: in the working sessions at the counter and by
        post, at any hour online; today's, before now."""
        at_counter = channel in (Channel.COUNTER, Channel.POST)
        for _attempt in range(20):
            moment = self.working_moment(day) if at_counter else self.online_moment(day)
            if moment < self.now:
                return moment
        midnight = dt.datetime.combine(day, dt.time(), tzinfo=VN_TZ)
        return max(midnight, self.now - dt.timedelta(seconds=self.rng.uniform(1, 600)))

    # Queue tickets -------------------------------------------------------------------------

    def visit(
        self,
        point: _Point,
        queue: str,
        moment: dt.datetime,
        officer: _Officer,
        code: str,
        row: list[Any] | None = None,
    ) -> None:
        """A counter visit around `moment`: filing the dossier whose `row` is given, or
        collecting a result. Whether it took a ticket is decided with the day's tickets."""
        rng = self.rng
        if row is not None:
            start = moment - dt.timedelta(minutes=rng.uniform(1, 4))
            finish = max(start + dt.timedelta(minutes=rng.triangular(5, 15, 8)), moment + MINUTE)
        else:
            start = moment - dt.timedelta(minutes=rng.uniform(1, 3))
            finish = moment + dt.timedelta(minutes=rng.uniform(0.5, 2))
        if finish > self.now or not point.queues:
            return  # still at the counter now (its ticket would stay open for ever)
        self.pending[start.astimezone(VN_TZ).date()].append(
            _Visit(point, queue, start, finish, officer, code, row)
        )

    def walk_in(self, day: dt.date) -> _Visit | None:
        """A visit without a dossier (a question, advice), some not served."""
        rng, world = self.rng, self.world
        point = world.points.get(world.commune_at(rng).centre_id or 0)
        if point is None or not point.clerks or not point.queues:
            return None
        start = self.working_moment(day)
        finish = start + dt.timedelta(minutes=rng.triangular(3, 12, 5))
        if finish > self.now:
            return None
        draw = rng.random()
        outcome = (
            Ticket.Status.NO_SHOW
            if draw < 0.06
            else Ticket.Status.CANCELLED
            if draw < 0.1
            else Ticket.Status.FINISHED
        )
        return _Visit(point, OTHER_QUEUE, start, finish, rng.choice(point.clerks), outcome=outcome)

    def issue_tickets(self, day: dt.date, filed: int, working: bool) -> None:
        """The day's tickets, `tickets_per_dossier` for every dossier filed that day: taken
        from the day's counter visits (not every visit takes a ticket) or, when these are
        fewer, from walk-ins; numbered per queue in the order issued."""
        rng = self.rng
        visits = self.pending.pop(day, [])
        wanted = int(self.tickets_per_dossier * filed + rng.random()) if working else 0
        if len(visits) > wanted:
            visits = rng.sample(visits, wanted)
        for _n in range(wanted - len(visits)):
            walk_in = self.walk_in(day)
            if walk_in is not None:
                visits.append(walk_in)
        plans = []
        for visit in visits:
            queues = visit.point.queues
            service = queues.get(visit.queue) or next(iter(queues.values()))
            called = visit.start - dt.timedelta(seconds=rng.uniform(20, 90))
            issued = called - dt.timedelta(minutes=rng.triangular(5, 25, 9))
            plans.append((issued, called, service, visit))
        plans.sort(key=lambda plan: (plan[0], plan[2].pk))
        first = _reserve(DailyTicketCounter, "service_id", day, Tally(p[2].pk for p in plans))
        ids = self.ids.take(Ticket, len(plans))
        if plans:
            self.ticket_days.add(day)
        for (issued, called, service, visit), pk in zip(plans, ids, strict=True):
            sequence = first[service.pk]
            first[service.pk] = sequence + 1
            self.ticket(pk, day, sequence, issued, called, service, visit)

    def ticket(
        self,
        pk: int,
        day: dt.date,
        sequence: int,
        issued: dt.datetime,
        called: dt.datetime | None,
        service: QueueService,
        visit: _Visit,
    ) -> None:
        rng = self.rng
        status = visit.outcome
        counter = visit.point.counter_of(visit.officer)
        officer: int | None = visit.officer.id
        events: list[tuple[dt.datetime, str, int | None, int | None, str]] = [
            (issued, TicketEvent.Action.ISSUED, None, None, "")
        ]
        started = finished = None
        calls = 1
        if status == Ticket.Status.CANCELLED or called is None:  # left before being called
            called, calls, counter, officer = None, 0, None, None
            finished = issued + dt.timedelta(minutes=rng.uniform(3, 15))
            events.append((finished, TicketEvent.Action.CANCELLED, None, None, ""))
        else:
            events.append((called, TicketEvent.Action.CALLED, counter, officer, ""))
            if status == Ticket.Status.NO_SHOW:
                finished = called + dt.timedelta(minutes=rng.uniform(1, 3))
                events.append((finished, TicketEvent.Action.NO_SHOW, counter, officer, ""))
            else:
                started, finished = visit.start, visit.finish
                events.append((started, TicketEvent.Action.STARTED, counter, officer, ""))
                events.append((finished, TicketEvent.Action.FINISHED, counter, officer, ""))
        if status == Ticket.Status.FINISHED and rng.random() < 0.3:
            base = rng.choices((5, 4, 3, 2), weights=(60, 28, 9, 3))[0]
            scores = {
                criterion: min(5, max(1, base + rng.choice((-1, 0, 0, 0, 0, 1))))
                for criterion in RATING_CRITERIA
            }
            average = Decimal(sum(scores.values())) / len(scores)
            rated = min(visit.finish + dt.timedelta(seconds=rng.uniform(10, 90)), self.now)
            self.ratings.add(
                ticket_id=pk,
                officer_id=officer,
                counter_id=counter,
                scores=scores,
                average=average,
                rated_at=rated,
            )
            events.append((rated, TicketEvent.Action.RATED, None, None, f"{average:.2f}"))
            self.report.ratings += 1
        priorities = self.world.priorities
        number = service.display_number(sequence)
        self.tickets.add(
            id=pk,
            service_point_id=visit.point.id,
            service_id=service.pk,
            priority_id=rng.choice(priorities) if priorities and rng.random() < 0.08 else None,
            day=day,
            sequence=sequence,
            number=number,
            status=status,
            issued_at=issued,
            queued_at=issued,
            called_at=called,
            started_at=started,
            finished_at=finished,
            counter_id=counter,
            officer_id=officer,
            calls=calls,
            dossier_code=visit.dossier_code,
            secret=secrets.token_urlsafe(12),
            issue_key=f"{TICKET_KEY}{pk}",
            revision=len(events) - 1,
        )
        for at, action, event_counter, event_officer, note in events:
            self.ticket_events.add(
                ticket_id=pk,
                at=at,
                action=action,
                counter_id=event_counter,
                officer_id=event_officer,
                note=note,
            )
        if visit.dossier_row is not None:
            self.dossiers.put(visit.dossier_row, queue_ticket=number)
        self.report.tickets += 1


NO_FILE = {
    "file": "",
    "original_name": "",
    "content_type": "",
    "size": 0,
    "pages": 0,
    "sha256": "",
}


class _Life:
    """One dossier, from its filing to the return of its result or wherever `now` cuts it
    short, as the rows the services would have left."""

    def __init__(
        self, sim: _Simulation, pk: int, code: str, filing: _Filing, progress: float
    ) -> None:
        self.sim = sim
        self.rng = rng = sim.rng
        self.calendar = sim.calendar
        self.now = sim.now
        self.pk = pk
        self.code = code
        self.filing = filing
        self.progress = progress
        self.counter = filing.channel == Channel.COUNTER
        self.clerk = rng.choice(filing.point.clerks)
        self.status: int = Status.NEW
        self.saves = 0
        self.contacts = 0  # supplement requests: TT 01/2018's index 3
        self.tasks: list[list[Any]] = []
        self.signed: dt.datetime | None = None
        self.payment: list[Any] | None = None
        version = filing.procedure.version
        sex = rng.choice("mf")
        birth = dt.date(rng.randint(1950, 2006), rng.randint(1, 12), rng.randint(1, 28))
        data = _form_data(rng, version, filing.commune, filing.at.astimezone(VN_TZ).date())
        self.fee = dossier_fee(version, data, filing.channel) or None
        self.check_due = deadlines.check_due_at(filing.channel, filing.at, self.calendar)
        point, commune = filing.point, filing.commune
        self.row = sim.dossiers.add(
            id=pk,
            code=code,
            procedure_id=version.procedure_id,
            version_id=version.pk,
            channel=filing.channel,
            status=Status.NEW,
            province_id=sim.world.province.pk,
            receiving_point_id=point.id,
            receiving_agency_id=point.agency_id,
            competent_agency_id=filing.agency.id,
            commune_id=commune.id,
            applicant_name=_person_name(rng, sex),
            applicant_id_number=_id_number(rng, sex, birth),
            applicant_birth_date=birth,
            applicant_address=(
                f"Số {rng.randint(1, 300)} đường {rng.choice(STREETS)}, {commune.name}"
            ),
            applicant_phone=f"09{rng.randrange(10**8):08d}",
            data=data,
            fee_amount=self.fee,
            submitted_at=filing.at,
            submitted_by_id=self.clerk.id if self.counter else None,
            check_due_at=self.check_due,
            tracking_secret=secrets.token_urlsafe(12),
        )

    # Rows ----------------------------------------------------------------------------------

    def set(self, **values: Any) -> None:
        self.sim.dossiers.put(self.row, **values)

    def get(self, name: str) -> Any:
        return self.sim.dossiers.get(self.row, name)

    def event(
        self,
        at: dt.datetime,
        actor: _Officer | None,
        action: str,
        to: int,
        note: str = "",
    ) -> None:
        """What history.append_event records; every save after the first bumps the
        dossier's revision."""
        self.sim.events.add(
            dossier_id=self.pk,
            at=at,
            actor_id=actor.id if actor else None,
            actor_label=actor.username if actor else "applicant",
            action=action,
            from_status=self.status if self.saves else None,
            to_status=to,
            note=note,
        )
        self.status = to
        self.set(status=to, revision=self.saves)
        self.saves += 1

    def slip(
        self,
        kind: str,
        at: dt.datetime,
        by: _Officer | None,
        items: list[str],
        agency_id: int | None = None,
    ) -> None:
        self.sim.slips.add(
            dossier_id=self.pk,
            kind=kind,
            agency_id=agency_id,
            issued_at=at,
            issued_by_id=by.id if by else None,
            items=items,
        )

    def task(
        self,
        step: workflow.Step,
        agency: _Agency,
        point_id: int | None,
        sender: str,
        opened: dt.datetime,
        due: dt.datetime,
    ) -> list[Any]:
        row = self.sim.tasks.add(
            dossier_id=self.pk,
            step=step.code,
            name=step.name,
            kind=step.kind,
            agency_id=agency.id,
            service_point_id=point_id,
            sender=sender,
            opened_at=opened,
            due_at=due,
        )
        self.tasks.append(row)
        return row

    def close(self, task: list[Any], at: dt.datetime, by: _Officer, outcome: str) -> None:
        self.sim.tasks.put(
            task, closed_at=at, closed_by_id=by.id, state=Task.State.DONE, outcome=outcome
        )

    def documents(self) -> list[list[Any]]:
        """The documents filed: handed in (digitised when uploaded online, and scanned at
        the counter more often as the year goes on), replaced by shared data, or missing."""
        rng = self.rng
        replace = _share(0.2, 0.85, self.progress)
        scan = _share(0.3, 0.9, self.progress)
        rows = []
        for document in self.filing.procedure.version.documents:
            if document.get("replaced_by", "document_store") != "document_store" and (
                rng.random() < replace
            ):
                state = DossierDocument.State.REPLACED
            elif document.get("mandatory") or rng.random() < 0.4:
                state = DossierDocument.State.SUBMITTED
            else:
                state = DossierDocument.State.MISSING
            shown = 0.6 if document["form"] == "show" else 1.0
            digitised = state == DossierDocument.State.SUBMITTED and (
                not self.counter or rng.random() < scan * shown
            )
            rows.append(
                self.sim.documents.add(
                    dossier_id=self.pk,
                    requirement=document["code"],
                    name=document["name"],
                    form=document["form"],
                    count=document["count"],
                    state=state,
                    **(self.file(document["code"]) if digitised else {}),
                )
            )
        return rows

    def file(self, requirement: str) -> dict[str, Any]:
        name, size, digest = self.sim.specimen
        return {
            "file": name,
            "original_name": f"{requirement}.pdf",
            "content_type": "application/pdf",
            "size": size,
            "pages": 1,
            "sha256": digest,
        }

    def settle(self, at: dt.datetime) -> None:
        payments, payment = self.sim.payments, self.payment
        if payment is None or payments.get(payment, "status") != Payment.Status.DUE:
            return
        if at > self.now:
            return
        online = 0.9 if not self.counter else _share(0.15, 0.7, self.progress)
        if self.rng.random() < online:
            payments.put(
                payment,
                status=Payment.Status.PAID,
                settled_at=at,
                method=Payment.Method.ONLINE,
                provider=self.sim.provider,
                provider_txn=f"{TICKET_KEY}{self.code}",
            )
        else:
            card = self.rng.random() < 0.15
            payments.put(
                payment,
                status=Payment.Status.PAID,
                settled_at=at,
                method=Payment.Method.CARD if card else Payment.Method.CASH,
                recorded_by_id=self.clerk.id,
            )

    # The life ------------------------------------------------------------------------------

    def live(self) -> None:
        rng, now, filing = self.rng, self.now, self.filing
        submitted = filing.at
        self.event(submitted, self.clerk if self.counter else None, "submitted", Status.NEW)
        if self.counter:
            self.sim.visit(
                filing.point, filing.procedure.queue, submitted, self.clerk, self.code, self.row
            )
        documents = self.documents()
        # The check at receipt: at once at the counter, within hours otherwise.
        if self.counter:
            checked = submitted + dt.timedelta(seconds=rng.uniform(20, 90))
        else:
            hours = min(rng.expovariate(1 / 2.5), 12) + 0.05
            checked = self.calendar.add_working_hours(submitted, hours)
        refuse, supplement = (0.008, 0.03) if self.counter else (0.025, 0.08)
        draw = rng.random()
        if checked > now:
            return
        if not self.counter:
            self.clerk = rng.choice(filing.point.clerks)
        if draw < refuse:
            reasons = [rng.choice(REFUSALS)]
            self.event(checked, self.clerk, "refused", Status.NOT_RECEIVED, reasons[0])
            self.slip(Slip.Kind.REFUSAL, checked, self.clerk, reasons)
            return
        if draw < refuse + supplement:
            again = self.supplement_at_receipt(checked, documents)
            if again is None or again > now:
                return
            checked = again
        self.receive(checked)

    def supplement_at_receipt(
        self, checked: dt.datetime, documents: list[list[Any]]
    ) -> dt.datetime | None:
        """A document is missing: asked for, and brought (or uploaded) some days later, when
        the check is done again. When that is (None: not brought yet)."""
        rng, clerk, table = self.rng, self.clerk, self.sim.documents
        asked = next(
            (d for d in documents if table.get(d, "state") == DossierDocument.State.SUBMITTED),
            None,
        )
        items = (
            [f"{table.get(asked, 'name')} (chưa có trong hồ sơ)"]
            if asked
            else [rng.choice(SUPPLEMENTS)]
        )
        if asked is not None:
            table.put(asked, state=DossierDocument.State.MISSING, **NO_FILE)
        self.event(checked, clerk, "supplement_requested", Status.SUPPLEMENT, "\n".join(items))
        self.slip(Slip.Kind.SUPPLEMENT, checked, clerk, items)
        self.contacts += 1
        back = checked + dt.timedelta(days=rng.uniform(0.3, 6))
        if self.counter:
            back = self.sim.working_moment(back.astimezone(VN_TZ).date())
        if rng.random() < 0.15 or back > self.now:
            return None  # the applicant has not come back (yet)
        added = ""
        if asked is not None:
            added = table.get(asked, "requirement")
            table.put(asked, state=DossierDocument.State.SUBMITTED, **self.file(added))
        self.event(back, clerk if self.counter else None, "supplemented", Status.NEW, added)
        if self.counter:
            return back
        return self.calendar.add_working_hours(back, rng.uniform(0.2, 4))

    def receive(self, received: dt.datetime) -> None:
        filing, clerk, rng = self.filing, self.clerk, self.rng
        due = deadlines.due_at(filing.procedure.version.time, received, self.calendar)
        self.set(
            received_at=received, received_by_id=clerk.id, due_at=due, clock_started_at=received
        )
        steps = list(filing.procedure.steps)
        if steps[0].kind == Task.Kind.RECEIVE:
            first = steps.pop(0)
            task = self.task(
                first,
                self.agency_of(first),
                filing.point.id,
                self.get("applicant_name"),
                filing.at,
                self.check_due,
            )
            self.close(task, received, clerk, "received")
        self.event(received, clerk, "received", Status.RECEIVED)
        self.slip(Slip.Kind.RECEIPT, received, clerk, [])
        if self.fee:
            self.payment = self.sim.payments.add(
                reference=self.code,
                purpose=self.sim.fee_purpose % {"code": self.code},
                amount=self.fee,
                created_at=received,
            )
            if rng.random() < (0.65 if self.counter else 0.85):  # else paid at the return
                later = rng.uniform(60, 300) if self.counter else rng.uniform(300, 72_000)
                self.settle(received + dt.timedelta(seconds=later))
        self.process(steps, received, due)

    def agency_of(self, step: workflow.Step) -> _Agency:
        world = self.sim.world
        if step.agency == "receiving":
            return world.agencies.get(self.filing.point.agency_id) or self.filing.agency
        if step.agency == "competent":
            return self.filing.agency
        named = next((a for a in world.agencies.values() if a.code == step.agency), None)
        return named or self.filing.agency

    def process(self, steps: list[workflow.Step], start: dt.datetime, due: dt.datetime) -> None:
        """The steps after receipt, planned toward a return early, on time or late (or a
        stop, or a step that never ends), and cut at now."""
        rng, now, tasks = self.rng, self.now, self.sim.tasks
        point = self.filing.point
        handles = [i for i, step in enumerate(steps) if step.kind == Task.Kind.HANDLE]
        refuse = bool(handles) and rng.random() < 0.02
        fate = rng.random()
        supplement = bool(handles) and not self.filing.procedure.same_day and 0.009 <= fate < 0.04
        closes = self.schedule(steps, start, self.finish_moment(start, due))
        if fate < 0.004:  # stuck at some step: overdue one day
            stuck = rng.randrange(len(closes))
            closes[stuck:] = [None] * (len(closes) - stuck)
        stop_at = None
        if 0.004 <= fate < 0.009:
            last = next((close for close in reversed(closes[:-1]) if close), None) or closes[-1]
            assert last is not None
            stop_at = start + (last - start) * rng.uniform(0.1, 0.9)
        opened, sender = start, _label(self.clerk, point.name)
        handlers: dict[int, _Officer] = {}
        for index, step in enumerate(steps):
            agency = self.agency_of(step)
            self.set(step=step.code)
            at_point = point.id if step.agency == "receiving" else None
            task = self.task(step, agency, at_point, sender, opened, self.step_due(step, opened))
            close = closes[index]
            if stop_at is not None and (close is None or close > stop_at):
                return self.stop(stop_at)
            staff = agency.handlers or agency.leaders or [self.clerk]
            leaders = agency.leaders or staff
            if step.kind == Task.Kind.HANDLE:
                handler = handlers.setdefault(agency.id, rng.choice(staff))
                window = (close or opened + dt.timedelta(hours=4)) - opened
                assigned = opened + window * rng.uniform(0.02, 0.15)
                if assigned > now:
                    return self.held()
                tasks.put(task, assignee_id=handler.id)
                self.event(
                    assigned, rng.choice(leaders), "assigned", Status.PROCESSING, handler.name
                )
                if supplement and index == handles[0]:
                    supplement = False
                    asked = assigned + (opened + window - assigned) * 0.3
                    restarted = self.supplement_after_receipt(asked, handler, agency)
                    if restarted is None:
                        return self.held()
                    tasks.put(task, due_at=self.step_due(step, restarted))
                    finish = self.finish_moment(restarted, self.get("due_at"))
                    closes[index:] = self.schedule(steps[index:], restarted, finish)
                    close = closes[index]
            if close is None or close > now:
                return self.held()
            if step.kind == Task.Kind.HANDLE:
                actor = handlers[agency.id]
                note = rng.choice(RESULT_REFUSALS) if refuse else ""
                self.close(task, close, actor, "proposed_refuse" if refuse else "proposed_grant")
                tasks.put(task, note=note)
                self.event(close, actor, "proposed", self.status, note)
            elif step.kind == Task.Kind.APPROVE:
                actor = rng.choice(leaders)
                self.close(task, close, actor, "approved")
                following = steps[index + 1] if index + 1 < len(steps) else None
                if following is None or following.kind == Task.Kind.RETURN:
                    self.result(close, actor, agency, refuse)
                    self.event(close, actor, "approved", Status.PROCESSED)
                else:
                    self.event(close, actor, "approved", Status.PROCESSING)
            elif step.kind == Task.Kind.RETURN:
                return self.returned(task, close)
            else:
                actor = self.clerk
                self.close(task, close, actor, "done")
            opened, sender = close, _label(actor, agency.name)
        self.held()

    def step_due(self, step: workflow.Step, opened: dt.datetime) -> dt.datetime:
        scratch = self.sim.scratch
        scratch.version = self.filing.procedure.version
        scratch.clock_started_at = self.get("clock_started_at")
        scratch.due_at = self.get("due_at")
        return workflow.step_due_at(scratch, step, opened, self.calendar)

    def finish_moment(self, start: dt.datetime, due: dt.datetime) -> dt.datetime:
        """When the result is returned, for a timeliness drawn by TIMELINESS_WEIGHTS."""
        rng, calendar, sim = self.rng, self.calendar, self.sim
        target = rng.choices(
            (Timeliness.EARLY, Timeliness.ON_TIME, Timeliness.LATE), weights=TIMELINESS_WEIGHTS
        )[0]
        start = calendar.next_working_instant(start)  # in local time
        start_day, due_day = start.date(), due.astimezone(VN_TZ).date()
        if target == Timeliness.EARLY:
            last_early = calendar.add_working_days(due_day, -1)
            if last_early >= start_day:
                span = calendar.working_days_between(start_day, last_early)
                offset = min(int(rng.expovariate(1 / max(span * 0.35, 0.3))), span)
                day = calendar.add_working_days(start_day, offset) if offset else start_day
                return sim.working_moment(day, after=start if day == start_day else None)
            target = Timeliness.ON_TIME
        if target == Timeliness.ON_TIME:
            moment = sim.working_moment(due_day, after=start if due_day <= start_day else None)
            return min(moment, due) if moment > start else start + MINUTE
        late = calendar.add_working_days(due_day, 1 + min(int(rng.expovariate(0.7)), 6))
        return sim.working_moment(late)

    def schedule(
        self, steps: list[workflow.Step], start: dt.datetime, finish: dt.datetime
    ) -> list[dt.datetime | None]:
        """When each step closes: the working time up to `finish` shared by the steps'
        shares (with some noise), the last step closing at `finish`."""
        calendar, rng = self.calendar, self.rng
        available = calendar.working_time_between(start, finish)
        weights = [max(step.share, 0.01) * rng.uniform(0.5, 1.5) for step in steps]
        total = sum(weights)
        closes: list[dt.datetime | None] = []
        spent = dt.timedelta()
        moment = start
        for weight in weights[:-1]:
            spent += available * (weight / total) * 0.97
            reached = calendar.add_working_hours(start, spent)
            moment = max(reached, moment + dt.timedelta(seconds=30))
            closes.append(moment)
        closes.append(max(finish, moment + MINUTE))
        return closes

    def result(self, at: dt.datetime, leader: _Officer, agency: _Agency, refused: bool) -> None:
        tasks = self.sim.tasks
        proposal = next(
            (t for t in reversed(self.tasks) if tasks.get(t, "kind") == Task.Kind.HANDLE), None
        )
        note = tasks.get(proposal, "note") if refused and proposal else ""
        signed = at + dt.timedelta(seconds=self.rng.uniform(20, 240))
        self.signed = signed if signed <= self.now else None
        self.sim.results.add(
            dossier_id=self.pk,
            kind=Result.Kind.REFUSAL if refused else Result.Kind.GRANT,
            number=f"{self.code}/KQ",
            title=self.filing.procedure.version.spec["results"][0],
            reasons=[note] if note else [],
            agency_id=agency.id,
            approved_at=at,
            approved_by_id=leader.id,
            signed_at=self.signed,
            verification_secret=secrets.token_urlsafe(12),
        )

    def returned(self, task: list[Any], close: dt.datetime) -> None:
        """The result goes back to the applicant: the dossier ends, with its timeliness and
        its evaluation."""
        if self.signed is None:
            return self.held()  # still being signed
        close = max(close, self.signed + MINUTE)
        if close > self.now:
            return self.held()
        draw = self.rng.random()
        if not self.counter:
            method = ReturnMethod.ONLINE if draw < 0.7 else ReturnMethod.COUNTER
        elif draw < 0.9:
            method = ReturnMethod.COUNTER
        else:
            method = ReturnMethod.POST if draw < 0.95 else ReturnMethod.ONLINE
        self.settle(close - dt.timedelta(minutes=2))
        self.close(task, close, self.clerk, f"returned_{method}")
        timeliness = workflow.timeliness(close, self.get("due_at"), self.calendar)
        self.set(finished_at=close, timeliness=timeliness, returned_via=method, overdue_since=None)
        self.event(close, self.clerk, "returned", Status.RETURNED, self.sim.return_labels[method])
        self.evaluate(close, timeliness)
        if method == ReturnMethod.COUNTER and close - self.filing.at > dt.timedelta(hours=3):
            queue = self.filing.procedure.queue
            self.sim.visit(self.filing.point, queue, close, self.clerk, self.code)

    def evaluate(self, at: dt.datetime, timeliness: str) -> None:
        """The TT 01/2018 evaluation: `dossiers.evaluation`'s rules and scores, applied to
        the rows made here instead of read back from the database."""
        score, tasks = evaluation.SCORE, self.sim.tasks
        agencies = self.sim.world.agencies
        per_agency: dict[str, dict[str, str]] = {}
        for task in self.tasks:
            if tasks.get(task, "state") != Task.State.DONE:
                continue
            verdict = workflow.timeliness(
                tasks.get(task, "closed_at"), tasks.get(task, "due_at"), self.calendar
            )
            agency = agencies[tasks.get(task, "agency_id")]
            entry = per_agency.setdefault(
                agency.code, {"name": agency.name, "result": Timeliness.EARLY}
            )
            if score[Timeliness(verdict)] < score[Timeliness(entry["result"])]:
                entry["result"] = verdict
        verdicts = [Timeliness(entry["result"]) for entry in per_agency.values()]
        agency_time = (
            2
            if all(v == Timeliness.EARLY for v in verdicts)
            else 1
            if Timeliness.LATE not in verdicts
            else 0
        )
        places = {self.filing.point.id} | {
            tasks.get(task, "service_point_id")
            for task in self.tasks
            if tasks.get(task, "kind") in (Task.Kind.RECEIVE, Task.Kind.RETURN)
            and tasks.get(task, "service_point_id") is not None
        }
        self.sim.evaluations.add(
            dossier_id=self.pk,
            evaluated_at=at,
            total_time=score[Timeliness(timeliness)],
            agency_time=agency_time,
            contacts=evaluation._count_score(self.contacts),
            agencies_contacted=evaluation._count_score(len(places) - 1),
            contact_count=self.contacts,
            agency_count=len(places),
            per_agency=per_agency,
        )

    def supplement_after_receipt(
        self, asked: dt.datetime, handler: _Officer, agency: _Agency
    ) -> dt.datetime | None:
        """The appraisal asks the applicant for more: the dossier waits, and once the
        supplement is in, its processing time counts again from zero. When it restarted
        (None: still waiting now)."""
        rng, now = self.rng, self.now
        if asked > now:
            return None
        item = rng.choice(SUPPLEMENTS)
        self.set(waiting_since=asked, overdue_since=None)
        self.slip(Slip.Kind.SUPPLEMENT, asked, handler, [item], agency.id)
        self.event(asked, handler, "supplement_requested", Status.SUPPLEMENT, item)
        self.contacts += 1
        back = asked + dt.timedelta(days=rng.uniform(1, 7))
        if rng.random() < 0.12 or back > now:
            return None
        due = deadlines.due_at(self.filing.procedure.version.time, back, self.calendar)
        self.set(waiting_since=None, clock_started_at=back, due_at=due)
        self.event(back, None, "supplemented", Status.PROCESSING)
        return back

    def stop(self, asked: dt.datetime) -> None:
        """The applicant asked to stop before the result: the receiving point stops the
        dossier and cancels its open steps."""
        rng, now = self.rng, self.now
        if asked > now:
            return self.held()
        reason = rng.choice(STOP_REASONS)
        self.event(asked, None, "stop_requested", Status.WITHDRAWAL, reason)
        stopped = self.calendar.add_working_hours(asked, rng.uniform(1, 16))
        if stopped > now:
            return
        tasks = self.sim.tasks
        for task in self.tasks:
            if tasks.get(task, "state") == Task.State.OPEN:
                tasks.put(task, state=Task.State.CANCELLED, closed_at=stopped, outcome="stopped")
        self.set(finished_at=stopped, waiting_since=None, overdue_since=None, step="")
        self.slip(Slip.Kind.STOP, stopped, self.clerk, [reason])
        self.event(stopped, self.clerk, "stopped", Status.STOPPED, reason)

    def held(self) -> None:
        """Still held by an agency now: flagged overdue past its due instant, as the deadline
        job (every 15 minutes) does."""
        due = self.get("due_at")
        if self.status in HELD and due is not None and due < self.now:
            flagged = due + dt.timedelta(minutes=self.rng.uniform(1, 15))
            self.set(overdue_since=min(flagged, self.now))


def _label(officer: _Officer, place: str) -> str:
    """How a step names who handed it on (as processing._label does)."""
    return f"{place} — {officer.name}"
