"""What one dossier contributes to the rollups, derived from its stored state alone.

`load(ids)` reads the facts of a batch of dossiers in a fixed number of queries; `of(facts)`
turns one dossier's facts into counters keyed by rollup row. The same two functions serve the
live path (`tracking.track`), the rebuild after bulk loads, and `verify-kpis`, so the three
cannot disagree on what a dossier counts for; the tests check them against independent
queries over the raw tables.

Row keys are strings, as stored in `TrackedDossier.applied`:
  `u|<day>|<commune>|<agency>|<service point>` → UnitDay counters,
  `s|<commune>|<agency>|<service point>`       → UnitStock counters,
  `o|<day>|<officer>|<agency>`                 → OfficerDay counters.
Days are local (Asia/Ho_Chi_Minh) dates in ISO form.

What counts where:
- filed_<channel>, documents*: the day the dossier was filed. `documents` are those it holds
  (submitted or reused), `documents_digitised` those of them held electronically (an upload,
  a scan or a document-store copy), `documents_reused` those taken from the document store or
  replaced by shared data instead of being asked for again;
- received: the day of receipt; refused (at receipt): the day it was filed;
- finished_<timeliness>: the day the result was returned; stopped: the day it stopped;
- results, results_signed: the day the result was approved (signed: its PDF is signed);
- payments, payments_online: the day each paid fee was settled;
- evaluated, eval_*: the day of the TT 01/2018 evaluation;
- stocks: awaiting receipt (filed online, not yet checked), in progress (received, not
  finished), waiting for the applicant (supplement or financial obligation), overdue (flagged);
- officers: received (the officer who received it), steps done by whoever closed each step,
  early / on time / late against the step's due time, and the dossier's evaluation for every
  officer who did a step of it (under the agency of their first step).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db.models import Count, Q

from motcua.dossiers import workflow
from motcua.dossiers.models import (
    Dossier,
    DossierDocument,
    Status,
    Task,
)
from motcua.payments.models import Payment
from motcua.workcalendar.engine import VN_TZ, WorkingCalendar
from motcua.workcalendar.selectors import calendar_for

Contribution = dict[str, dict[str, int]]

IN_PROGRESS = (
    Status.RECEIVED,
    Status.PROCESSING,
    Status.SUPPLEMENT,
    Status.FINANCIAL,
    Status.WITHDRAWAL,
    Status.PROCESSED,
)
WAITING = (Status.SUPPLEMENT, Status.FINANCIAL)
HELD_DOCUMENTS = (DossierDocument.State.SUBMITTED, DossierDocument.State.REUSED)
REUSED_DOCUMENTS = (DossierDocument.State.REUSED, DossierDocument.State.REPLACED)


@dataclass(frozen=True)
class Step:
    officer_id: int
    agency_id: int
    closed_day: dt.date
    timeliness: str  # "" when the step had no due time


@dataclass
class Facts:
    """Everything about one dossier that the rollups count."""

    id: int
    province_code: str
    channel: str
    status: int
    commune_id: int
    agency_id: int
    point_id: int
    receiving_agency_id: int
    filed_day: dt.date
    received_day: dt.date | None
    received_by_id: int | None
    finished_day: dt.date | None
    timeliness: str
    overdue: bool
    documents: int = 0
    documents_digitised: int = 0
    documents_reused: int = 0
    result_day: dt.date | None = None
    result_signed: bool = False
    payment_days: list[tuple[dt.date, bool]] = field(default_factory=list)  # (day, online)
    evaluation_day: dt.date | None = None
    evaluation: tuple[int, int, int, int] = (0, 0, 0, 0)
    steps: list[Step] = field(default_factory=list)


def local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(VN_TZ).date()


def _day(moment: dt.datetime | None) -> dt.date | None:
    return local_day(moment) if moment is not None else None


def of(facts: Facts) -> Contribution:
    """The counters `facts` adds to each rollup row (only the non-zero ones)."""
    rows: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    place = f"{facts.commune_id}|{facts.agency_id}|{facts.point_id}"

    def unit(day: dt.date, counter: str, amount: int = 1) -> None:
        rows[f"u|{day.isoformat()}|{place}"][counter] += amount

    unit(facts.filed_day, f"filed_{facts.channel}")
    unit(facts.filed_day, "documents", facts.documents)
    unit(facts.filed_day, "documents_digitised", facts.documents_digitised)
    unit(facts.filed_day, "documents_reused", facts.documents_reused)
    if facts.status == Status.NOT_RECEIVED:
        unit(facts.filed_day, "refused")
    if facts.received_day is not None:
        unit(facts.received_day, "received")
    if facts.finished_day is not None:
        if facts.status == Status.STOPPED:
            unit(facts.finished_day, "stopped")
        elif facts.timeliness:
            unit(facts.finished_day, f"finished_{facts.timeliness}")
    if facts.result_day is not None:
        unit(facts.result_day, "results")
        unit(facts.result_day, "results_signed", int(facts.result_signed))
    for day, online in facts.payment_days:
        unit(day, "payments")
        unit(day, "payments_online", int(online))
    if facts.evaluation_day is not None:
        total_time, agency_time, contacts, places = facts.evaluation
        unit(facts.evaluation_day, "evaluated")
        unit(facts.evaluation_day, "eval_total_time", total_time)
        unit(facts.evaluation_day, "eval_agency_time", agency_time)
        unit(facts.evaluation_day, "eval_contacts", contacts)
        unit(facts.evaluation_day, "eval_places", places)

    stock = rows[f"s|{place}"]
    if facts.status == Status.NEW:
        stock["awaiting_receipt"] += 1
    if facts.received_day is not None and facts.status in IN_PROGRESS:
        stock["in_progress"] += 1
    if facts.status in WAITING:
        stock["waiting_applicant"] += 1
    if facts.overdue:
        stock["overdue"] += 1

    def officer(day: dt.date, officer_id: int, agency_id: int, counter: str, n: int = 1) -> None:
        rows[f"o|{day.isoformat()}|{officer_id}|{agency_id}"][counter] += n

    if facts.received_day is not None and facts.received_by_id is not None:
        officer(facts.received_day, facts.received_by_id, facts.receiving_agency_id, "received")
    first_agency: dict[int, int] = {}
    for step in facts.steps:
        officer(step.closed_day, step.officer_id, step.agency_id, "steps_done")
        if step.timeliness:
            officer(step.closed_day, step.officer_id, step.agency_id, f"steps_{step.timeliness}")
        first_agency.setdefault(step.officer_id, step.agency_id)
    if facts.evaluation_day is not None:
        points = sum(facts.evaluation)
        for officer_id, agency_id in first_agency.items():
            officer(facts.evaluation_day, officer_id, agency_id, "evaluated")
            officer(facts.evaluation_day, officer_id, agency_id, "eval_points", points)
    return {
        key: {name: value for name, value in counters.items() if value}
        for key, counters in rows.items()
        if any(counters.values())
    }


def load(ids: Iterable[int]) -> list[Facts]:
    """The facts of the dossiers `ids`, in four queries whatever their number (five when a
    step's timeliness needs the working calendar)."""
    ids = list(ids)
    if not ids:
        return []
    facts: dict[int, Facts] = {}
    codes: dict[str, int] = {}
    # The result and the evaluation are one-to-one: read with the dossier, in one query. A
    # linked copy transferred in from another instance counts for nothing: its original is
    # counted there.
    for row in Dossier.objects.filter(pk__in=ids, origin_code="").values(
        "pk",
        "code",
        "channel",
        "status",
        "commune_id",
        "competent_agency_id",
        "receiving_point_id",
        "receiving_agency_id",
        "province__code",
        "submitted_at",
        "received_at",
        "received_by_id",
        "finished_at",
        "timeliness",
        "overdue_since",
        "result__approved_at",
        "result__signed_at",
        "evaluation__evaluated_at",
        "evaluation__total_time",
        "evaluation__agency_time",
        "evaluation__contacts",
        "evaluation__agencies_contacted",
    ):
        one = Facts(
            id=row["pk"],
            province_code=row["province__code"],
            channel=row["channel"],
            status=row["status"],
            commune_id=row["commune_id"],
            agency_id=row["competent_agency_id"],
            point_id=row["receiving_point_id"],
            receiving_agency_id=row["receiving_agency_id"],
            filed_day=local_day(row["submitted_at"]),
            received_day=_day(row["received_at"]),
            received_by_id=row["received_by_id"],
            finished_day=_day(row["finished_at"]),
            timeliness=row["timeliness"],
            overdue=row["overdue_since"] is not None,
            result_day=_day(row["result__approved_at"]),
            result_signed=row["result__signed_at"] is not None,
            evaluation_day=_day(row["evaluation__evaluated_at"]),
        )
        if one.evaluation_day is not None:
            one.evaluation = (
                row["evaluation__total_time"],
                row["evaluation__agency_time"],
                row["evaluation__contacts"],
                row["evaluation__agencies_contacted"],
            )
        facts[one.id] = one
        codes[row["code"]] = row["pk"]
    ids = [pk for pk in ids if pk in facts]
    electronic = ~Q(file="") | Q(stored_document__isnull=False)
    for doc in (
        DossierDocument.objects.filter(dossier__in=ids)
        .values("dossier_id")
        .annotate(
            held=Count("pk", filter=Q(state__in=HELD_DOCUMENTS)),
            digitised=Count("pk", filter=Q(state__in=HELD_DOCUMENTS) & electronic),
            reused=Count("pk", filter=Q(state__in=REUSED_DOCUMENTS)),
        )
        .order_by()
    ):
        one = facts[doc["dossier_id"]]
        one.documents, one.documents_digitised = doc["held"], doc["digitised"]
        one.documents_reused = doc["reused"]
    for pay in (
        Payment.objects.filter(reference__in=list(codes), status=Payment.Status.PAID)
        .values("reference", "settled_at", "method")
        .order_by("pk")
    ):
        assert pay["settled_at"] is not None  # a paid payment is settled (a constraint)
        facts[codes[pay["reference"]]].payment_days.append(
            (local_day(pay["settled_at"]), pay["method"] == Payment.Method.ONLINE)
        )
    calendars: dict[str, WorkingCalendar] = {}  # read only when a done step has a due time
    for task in (
        Task.objects.filter(dossier__in=ids, state=Task.State.DONE, closed_by__isnull=False)
        .values("dossier_id", "closed_by_id", "agency_id", "closed_at", "due_at")
        .order_by("dossier_id", "opened_at", "pk")
    ):
        closed_at, due_at = task["closed_at"], task["due_at"]
        assert closed_at is not None  # a done step is closed
        one = facts[task["dossier_id"]]
        if due_at is not None and one.province_code not in calendars:
            calendars[one.province_code] = calendar_for(one.province_code)
        one.steps.append(
            Step(
                officer_id=task["closed_by_id"],
                agency_id=task["agency_id"],
                closed_day=local_day(closed_at),
                timeliness=workflow.timeliness(closed_at, due_at, calendars[one.province_code])
                if due_at
                else "",
            )
        )
    return [facts[pk] for pk in ids if pk in facts]


def batches(size: int = 2000) -> Iterator[list[Facts]]:
    """The facts of every dossier, a batch at a time, in id order."""
    last = 0
    while True:
        ids = list(
            Dossier.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:size]
        )
        if not ids:
            return
        yield load(ids)
        last = ids[-1]
