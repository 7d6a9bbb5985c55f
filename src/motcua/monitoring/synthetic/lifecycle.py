"""One dossier's life, from its filing to the return of its result or wherever `now` cuts it
short, as the rows the services would have left: events, documents, tasks with the officers
who did them, slips, the signed result, the fee and its payment, and the TT 01/2018
evaluation. The life is planned whole (the check at receipt, supplements, steps, a return
early / on time / late, or a stop) and then cut at `now`."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import TYPE_CHECKING, Any

from motcua.dossiers import deadlines, evaluation, history, workflow
from motcua.dossiers.alerts import HELD
from motcua.dossiers.models import (
    Channel,
    DossierDocument,
    Result,
    ReturnMethod,
    Slip,
    Status,
    Task,
    Timeliness,
)
from motcua.dossiers.services import fee_for
from motcua.monitoring.contribution import local_day
from motcua.monitoring.synthetic import TICKET_KEY
from motcua.monitoring.synthetic.people import (
    REFUSALS,
    RESULT_REFUSALS,
    STOP_REASONS,
    STREETS,
    SUPPLEMENTS,
    form_data,
    id_number,
    person_name,
)
from motcua.monitoring.synthetic.plan import MINUTE, share
from motcua.monitoring.synthetic.world import AgencyInfo, Officer
from motcua.payments.models import Payment

if TYPE_CHECKING:
    from motcua.monitoring.synthetic.simulation import Filing, Simulation

# The return of a finished dossier: early, on time, late. Early is what a centre aims at; a
# same-day procedure received before the cut-off cannot be early (it is on time instead), so
# overall about 55/40/5.
TIMELINESS_WEIGHTS = (0.9, 0.05, 0.05)


NO_FILE = {
    "file": "",
    "original_name": "",
    "content_type": "",
    "size": 0,
    "pages": 0,
    "sha256": "",
}


class Life:
    """One dossier, from its filing to the return of its result or wherever `now` cuts it
    short, as the rows the services would have left."""

    def __init__(
        self, sim: Simulation, pk: int, code: str, filing: Filing, progress: float
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
        data = form_data(rng, version, filing.commune, local_day(filing.at))
        self.fee = fee_for(version, data, filing.channel) or None
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
            applicant_name=person_name(rng, sex),
            applicant_id_number=id_number(rng, sex, birth),
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
        actor: Officer | None,
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
            actor_label=actor.username if actor else history.APPLICANT,
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
        by: Officer | None,
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
        agency: AgencyInfo,
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

    def close(self, task: list[Any], at: dt.datetime, by: Officer, outcome: str) -> None:
        self.sim.tasks.put(
            task, closed_at=at, closed_by_id=by.id, state=Task.State.DONE, outcome=outcome
        )

    def documents(self) -> list[list[Any]]:
        """The documents filed: handed in (digitised when uploaded online, and scanned at
        the counter more often as the year goes on), replaced by shared data, or missing."""
        rng = self.rng
        replace = share(0.2, 0.85, self.progress)
        scan = share(0.3, 0.9, self.progress)
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
        online = 0.9 if not self.counter else share(0.15, 0.7, self.progress)
        paid: dict[str, Any]
        if self.rng.random() < online:
            paid = {
                "method": Payment.Method.ONLINE,
                "provider": self.sim.provider,
                "provider_txn": f"{TICKET_KEY}{self.code}",
            }
        else:
            card = self.rng.random() < 0.15
            paid = {
                "method": Payment.Method.CARD if card else Payment.Method.CASH,
                "recorded_by_id": self.clerk.id,
            }
        payments.put(payment, status=Payment.Status.PAID, settled_at=at, **paid)

    # The life ------------------------------------------------------------------------------

    def live(self) -> None:
        rng, now, filing = self.rng, self.now, self.filing
        submitted = filing.at
        self.event(submitted, self.clerk if self.counter else None, "submitted", Status.NEW)
        if self.counter:
            self.sim.queue.visit(
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
            back = self.sim.working_moment(local_day(back))
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

    def agency_of(self, step: workflow.Step) -> AgencyInfo:
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
        opened, sender = start, label(self.clerk, point.name)
        handlers: dict[int, Officer] = {}
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
            opened, sender = close, label(actor, agency.name)
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
        start_day, due_day = start.date(), local_day(due)
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

    def result(self, at: dt.datetime, leader: Officer, agency: AgencyInfo, refused: bool) -> None:
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
            self.sim.queue.visit(self.filing.point, queue, close, self.clerk, self.code)

    def evaluate(self, at: dt.datetime, timeliness: str) -> None:
        """The TT 01/2018 evaluation: `dossiers.evaluation`'s rules and scores, applied to
        the rows made here instead of read back from the database (`evaluation.evaluate`
        reads them back, one dossier at a time; tests check that both agree)."""
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
        # Every agency early 2, none late 1, any late 0: the worst agency's score.
        agency_time = min(
            (score[Timeliness(entry["result"])] for entry in per_agency.values()), default=2
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
            contacts=evaluation.count_score(self.contacts),
            agencies_contacted=evaluation.count_score(len(places) - 1),
            contact_count=self.contacts,
            agency_count=len(places),
            per_agency=per_agency,
        )

    def supplement_after_receipt(
        self, asked: dt.datetime, handler: Officer, agency: AgencyInfo
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


def label(officer: Officer, place: str) -> str:
    """How a step names who handed it on (as processing.label does)."""
    return f"{place} — {officer.name}"
