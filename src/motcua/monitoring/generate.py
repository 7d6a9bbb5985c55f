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
finds nothing to report. The parts are modules of `monitoring.synthetic` (see its docstring).

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

import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.core import audit
from motcua.core.errors import MotcuaError
from motcua.dossiers.models import Dossier
from motcua.monitoring import tracking
from motcua.monitoring.contribution import local_day
from motcua.monitoring.synthetic import GENERATED, TICKET_KEY
from motcua.monitoring.synthetic.plan import chunks, days_of, memoised, spread
from motcua.monitoring.synthetic.purge import purge
from motcua.monitoring.synthetic.simulation import Simulation
from motcua.monitoring.synthetic.world import World
from motcua.organisation.models import Agency, Province, ServicePoint
from motcua.payments.models import Payment
from motcua.queueing import reports as queue_reports
from motcua.queueing.models import DailyQueueStat, Rating, Ticket
from motcua.workcalendar.selectors import calendar_for

__all__ = [
    "GENERATED",
    "TICKET_KEY",
    "Report",
    "delete_generated",
    "generate",
    "generated_dossiers",
    "generated_tickets",
    "has_generated",
]


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
    calendar = memoised(calendar_for(province.code))
    days = days_of(year, now)
    report = Report(first_day=days[0], last_day=days[-1])
    if replace:
        _phase(on_phase, "deleting the dossiers and tickets generated before")
        report.deleted = delete_generated(province_code=province.code, rebuild=False)
        clock.lap(report, "delete")
    _phase(on_phase, "loading the organisation and the catalogue")
    with transaction.atomic():
        world = World.load(province, calendar, year)
        report.officers_created = world.officers_created
    clock.lap(report, "setup")
    rng = random.Random(seed)  # noqa: S311  (synthetic data: reproducible, not secret)
    simulation = Simulation(world, rng, now, year, tickets_per_dossier)
    counts = spread(rng, calendar, world.tet, days, dossiers, now)
    _phase(on_phase, f"generating {dossiers} dossiers, {days[0]} to {days[-1]}")
    today = local_day(now)
    try:
        for chunk in chunks(days, counts):
            # The chunk's numbers (and on SQLite its rows) are taken in one transaction.
            with transaction.atomic():
                simulation.ids.begin()
                for day in chunk:
                    simulation.day(day, counts[day])
                    if on_progress is not None:
                        on_progress(counts[day])
                ticketed = simulation.queue.days
                simulation.writer.flush([day for day in chunk if day < today and day in ticketed])
    finally:
        simulation.writer.finish()
    written = report.rows = dict(simulation.writer.written)
    report.dossiers = written.get(Dossier._meta.db_table, 0)
    report.tickets = written.get(Ticket._meta.db_table, 0)
    report.ratings = written.get(Rating._meta.db_table, 0)
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
    on them: events, documents, tasks, slips, results, payments, ratings) and close again
    the days that had been closed. The generated officers stay. Returns how many dossiers went."""
    dossiers = generated_dossiers(province_code)
    count = dossiers.count()
    codes = dossiers.values("code")
    purge(Payment, Payment.objects.filter(reference__in=codes).values("pk"))
    purge(Dossier, dossiers.values("pk"))
    tickets = generated_tickets(province_code)
    closed = DailyQueueStat.objects.filter(day__in=tickets.values("day"))
    days = sorted(set(closed.values_list("day", flat=True).distinct().order_by()))
    purge(Ticket, tickets.values("pk"))
    for day in days:
        queue_reports.close_day(day)
    if rebuild:
        tracking.rebuild()
    return count


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
