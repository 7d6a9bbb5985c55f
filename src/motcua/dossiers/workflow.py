"""A procedure's process definition read as a workflow, and the rules of time that go with it.

The process is data (the catalogue's `process` list): ordered steps, each with the role that
does it, the agency it happens at (the receiving point's, the competent one, or one named by
code for a transfer to another level) and its share of the statutory time. What a step is
follows from its role and place: the first counter step receives, the last returns the result,
a processing officer's step handles (appraises and proposes), a leader's step approves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from motcua.core.errors import MotcuaError
from motcua.dossiers.deadlines import HOURS_PER_DAY
from motcua.dossiers.models import Dossier, Status, Task, Timeliness
from motcua.organisation.models import Agency
from motcua.workcalendar.engine import VN_TZ, WorkingCalendar

# The statuses a dossier may be in while an agency works on it, and those in which it waits for
# the applicant (whose time does not count against the agency).
IN_PROCESS = (Status.RECEIVED, Status.PROCESSING)
WAITING_FOR_APPLICANT = (Status.SUPPLEMENT, Status.FINANCIAL)
# The applicant may ask to stop until the result is issued.
STOPPABLE = (Status.RECEIVED, Status.PROCESSING, Status.SUPPLEMENT, Status.FINANCIAL)


@dataclass(frozen=True)
class Step:
    code: str
    name: str
    role: str
    kind: str  # a Task.Kind
    agency: str  # "receiving" | "competent" | an agency code
    share: float


def steps_of(spec: dict[str, Any]) -> list[Step]:
    process = spec["process"]
    last = len(process) - 1
    steps = []
    for index, step in enumerate(process):
        role = step["role"]
        if role in ("counter_officer", "centre_manager"):
            kind = Task.Kind.RECEIVE if index == 0 else Task.Kind.RETURN
        elif role == "processing_officer":
            kind = Task.Kind.HANDLE
        else:
            kind = Task.Kind.APPROVE
        if kind == Task.Kind.RETURN and index != last:
            # A counter step in the middle (a payment at the counter, say) hands on like a
            # handling step: only the last one returns the result.
            kind = Task.Kind.HANDLE
        steps.append(Step(step["code"], step["name"], role, kind, step["agency"], step["share"]))
    return steps


def next_step(spec: dict[str, Any], after: str) -> Step | None:
    steps = steps_of(spec)
    codes = [step.code for step in steps]
    index = codes.index(after) + 1 if after in codes else 0
    return steps[index] if index < len(steps) else None


def step_named(spec: dict[str, Any], code: str) -> Step:
    return next(step for step in steps_of(spec) if step.code == code)


def agency_of(step: Step, dossier: Dossier) -> Agency:
    if step.agency == "receiving":
        return dossier.receiving_agency
    if step.agency == "competent":
        return dossier.competent_agency
    found = Agency.objects.filter(code=step.agency, active=True).first()
    if found is None:
        raise MotcuaError(
            _("The process names agency %(code)s, which is not set up: tell the administrator.")
            % {"code": step.agency},
            code="unknown_step_agency",
            status=409,
        )
    return found


def statutory_hours(dossier: Dossier, calendar: WorkingCalendar) -> float:
    """The processing time in working hours, the unit step shares are taken of."""
    time = dossier.version.time
    if time["kind"] == "working_days":
        return float(time["value"]) * HOURS_PER_DAY
    if time["kind"] == "working_hours":
        return float(time["value"])
    assert dossier.clock_started_at
    assert dossier.due_at
    span = calendar.working_time_between(dossier.clock_started_at, dossier.due_at)
    return max(span.total_seconds() / 3600, 1.0)


def step_due_at(
    dossier: Dossier, step: Step, opened_at: dt.datetime, calendar: WorkingCalendar
) -> dt.datetime:
    """A step is due its share of the statutory time after it starts, and never after the
    dossier itself."""
    assert dossier.due_at is not None
    due = calendar.add_working_hours(opened_at, step.share * statutory_hours(dossier, calendar))
    return min(due, dossier.due_at)


def timeliness(done_at: dt.datetime, due_at: dt.datetime, calendar: WorkingCalendar) -> str:
    """Late after the due instant; early when done on a working day before the due day."""
    if done_at > due_at:
        return Timeliness.LATE
    done_day, due_day = done_at.astimezone(VN_TZ).date(), due_at.astimezone(VN_TZ).date()
    if done_day < due_day and calendar.working_days_between(done_day, due_day) > 0:
        return Timeliness.EARLY
    return Timeliness.ON_TIME


def latest_extension_moment(due_at: dt.datetime, calendar: WorkingCalendar) -> dt.datetime:
    """An extension is issued at least one working day before the due date (NĐ 61/2018 Đ19):
    at the latest by the end of the working day before it."""
    due_day = due_at.astimezone(VN_TZ).date()
    return calendar.end_of_working_day(calendar.add_working_days(due_day, -1))
