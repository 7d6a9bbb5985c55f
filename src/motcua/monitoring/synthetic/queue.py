"""The queue: counter visits (filing a dossier, collecting a result, asking) become the
day's tickets, with waits of 5–25 minutes, services of 5–15, calls, no-shows, cancellations,
and a rating on about 30 % of those served."""

from __future__ import annotations

import datetime as dt
import secrets
from collections import Counter as Tally
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from motcua.monitoring.contribution import local_day
from motcua.monitoring.synthetic import TICKET_KEY
from motcua.monitoring.synthetic.plan import MINUTE
from motcua.monitoring.synthetic.world import OTHER_QUEUE, Officer, Point
from motcua.monitoring.synthetic.writer import reserve
from motcua.queueing.models import (
    RATING_CRITERIA,
    DailyTicketCounter,
    QueueService,
    Rating,
    Ticket,
    TicketEvent,
)

if TYPE_CHECKING:
    from motcua.monitoring.synthetic.simulation import Simulation


@dataclass
class Visit:
    """A citizen at a counter, from the start of the service to its end."""

    point: Point
    queue: str
    start: dt.datetime
    finish: dt.datetime
    officer: Officer
    dossier_code: str = ""
    dossier_row: list[Any] | None = None  # a filing: the dossier row notes the ticket
    outcome: str = Ticket.Status.FINISHED


class Queue:
    """The queue tickets of the simulation's days."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.rng = sim.rng
        self.world = sim.world
        self.now = sim.now
        self.tickets_per_dossier = sim.tickets_per_dossier
        self.pending: dict[dt.date, list[Visit]] = defaultdict(list)  # by the visit's day
        self.days: set[dt.date] = set()  # the days with tickets, to close
        w = sim.writer
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

    def visit(
        self,
        point: Point,
        queue: str,
        moment: dt.datetime,
        officer: Officer,
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
        self.pending[local_day(start)].append(
            Visit(point, queue, start, finish, officer, code, row)
        )

    def walk_in(self, day: dt.date) -> Visit | None:
        """A visit without a dossier (a question, advice), some not served."""
        rng, world = self.rng, self.world
        point = world.points.get(world.commune_at(rng).centre_id or 0)
        if point is None or not point.clerks or not point.queues:
            return None
        start = self.sim.working_moment(day)
        finish = start + dt.timedelta(minutes=rng.triangular(3, 12, 5))
        if finish > self.now:
            return None
        draw = rng.random()
        outcome = Ticket.Status.FINISHED
        if draw < 0.06:
            outcome = Ticket.Status.NO_SHOW
        elif draw < 0.1:
            outcome = Ticket.Status.CANCELLED
        return Visit(point, OTHER_QUEUE, start, finish, rng.choice(point.clerks), outcome=outcome)

    def issue(self, day: dt.date, filed: int, working: bool) -> None:
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
        first = reserve(DailyTicketCounter, "service_id", day, Tally(p[2].pk for p in plans))
        ids = self.sim.ids.take(Ticket, len(plans))
        if plans:
            self.days.add(day)
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
        called: dt.datetime,
        service: QueueService,
        visit: Visit,
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
        called_at: dt.datetime | None = called
        if status == Ticket.Status.CANCELLED:  # left before being called
            called_at, calls, counter, officer = None, 0, None, None
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
            called_at=called_at,
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
            self.sim.dossiers.put(visit.dossier_row, queue_ticket=number)
