"""The simulation of the year, day by day: each day's filings (which commune, procedure,
channel and service point, at what moment), each one's life, then the day's queue tickets."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter as Tally
from dataclasses import dataclass
from itertools import accumulate

from django.utils import translation
from django.utils.translation import gettext as _

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
    Task,
)
from motcua.monitoring.synthetic.lifecycle import NO_FILE, Life
from motcua.monitoring.synthetic.people import specimen, words
from motcua.monitoring.synthetic.plan import ONLINE_FROM, ONLINE_TO, share
from motcua.monitoring.synthetic.queue import Queue
from motcua.monitoring.synthetic.world import AgencyInfo, CommuneInfo, Point, ProcedureInfo, World
from motcua.monitoring.synthetic.writer import Ids, Writer, reserve
from motcua.payments.models import Payment
from motcua.payments.providers import get_provider
from motcua.queueing.models import Ticket
from motcua.workcalendar.engine import VN_TZ

# Hours of the local day weighted for online filings: evenings too, nights little.
ONLINE_HOURS = list(
    accumulate(
        float(w) for w in words("2 1 1 1 1 3 6 9 16 17 17 14 8 10 15 16 15 11 9 10 11 10 7 4")
    )
)


@dataclass
class Filing:
    at: dt.datetime
    commune: CommuneInfo
    procedure: ProcedureInfo
    channel: str
    point: Point
    agency: AgencyInfo


class Simulation:
    def __init__(
        self,
        world: World,
        rng: random.Random,
        now: dt.datetime,
        year: int,
        tickets_per_dossier: float,
    ) -> None:
        self.world = world
        self.calendar = world.calendar
        self.rng = rng
        self.now = now
        self.tickets_per_dossier = tickets_per_dossier
        self.year_start = dt.date(year, 1, 1)
        self.year_days = (dt.date(year, 12, 31) - self.year_start).days
        self.weights = list(accumulate(p.weight for p in world.procedures))
        self.ids = Ids(Dossier, Ticket)
        self.provider = get_provider().name
        self.scratch = Dossier()  # what workflow.step_due_at reads of a dossier
        self.specimen = specimen()
        with translation.override("vi"):
            self.return_labels = {m.value: str(m.label) for m in ReturnMethod}
            self.fee_purpose = _("Fee for dossier %(code)s")
        w = self.writer = Writer()
        self.dossiers = w.table(
            Dossier,
            "id code procedure_id version_id channel status province_id receiving_point_id "
            "receiving_agency_id competent_agency_id commune_id applicant_name "
            "applicant_id_number applicant_birth_date applicant_address applicant_phone "
            "applicant_email data fee_amount submitted_at submitted_by_id received_at "
            "received_by_id due_at check_due_at queue_ticket eid_subject eid_level "
            "verified_hash representation tracking_secret revision step clock_started_at "
            "waiting_since overdue_since finished_at timeliness returned_via origin_instance "
            "origin_code",
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
            origin_instance="",
            origin_code="",
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
        self.queue = Queue(self)  # its tables after these (their write order)

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
        numbers = reserve(
            DailySequence, "agency_id", day, Tally(f.point.agency_id for f in filings)
        )
        stamp = f"{day:%y%m%d}"
        for filing, pk in zip(filings, ids, strict=True):
            number = numbers[filing.point.agency_id]
            numbers[filing.point.agency_id] = number + 1
            code = f"{filing.point.agency_code}-{stamp}-{number:04d}"  # numbering.next_code's
            Life(self, pk, code, filing, progress).live()
        self.queue.issue(day, len(filings), working)

    def filing(self, day: dt.date, working: bool, progress: float) -> Filing:
        rng, world = self.rng, self.world
        procedures = world.procedures
        while True:
            commune = world.commune_at(rng)
            procedure = rng.choices(procedures, cum_weights=self.weights)[0]
            if (procedure.code, commune.id) in world.competent:
                break
        agency = world.agencies[world.competent[(procedure.code, commune.id)]]
        online = min(0.95, share(ONLINE_FROM, ONLINE_TO, progress) * procedure.online_factor)
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
        return Filing(self.filed_at(day, channel), commune, procedure, channel, point, agency)

    def counter_point(
        self, procedure: ProcedureInfo, commune: CommuneInfo, agency: AgencyInfo
    ) -> int:
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
        hour = self.rng.choices(range(24), cum_weights=ONLINE_HOURS)[0]
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
