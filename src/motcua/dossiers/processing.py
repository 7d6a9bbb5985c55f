"""Writes to dossiers after receipt: the workflow from the procedure's process definition.

A received dossier goes through its process's steps as tasks: the competent agency's leader
assigns a handler; the handler appraises, may consult other agencies in parallel, may ask the
applicant for a supplement or a financial obligation, and proposes; the leader approves (or
sends the proposal back); the result is issued, signed after commit, and returned at the
receiving point. Every action is one transaction that locks the dossier row, checks the actor's
place and the dossier's state (a 409 with the reason when the state does not allow it, a 403
outside the actor's agency or point), appends an event and an audit row; notifications and
signing run after commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.core import audit
from motcua.core.access import staff_user
from motcua.core.errors import Conflict, MotcuaError, PermissionDenied
from motcua.core.events import publish
from motcua.core.jobs import enqueue_on_commit
from motcua.core.permissions import Principal
from motcua.core.principal import principal_for
from motcua.dossiers import deadlines, evaluation, history, notices, tasks, workflow
from motcua.dossiers.models import (
    Dossier,
    Result,
    ReturnMethod,
    Slip,
    Status,
    Task,
)
from motcua.organisation.models import Agency
from motcua.payments import selectors as payment_selectors
from motcua.payments import services as payments
from motcua.workcalendar.engine import WorkingCalendar
from motcua.workcalendar.selectors import calendar_for

GRANT, REFUSE = "grant", "refuse"
# A financial obligation is a payment of its own beside the dossier's fee.
FINANCIAL_SUFFIX = "/NVTC"
MAX_CONSULTATION_DAYS = 30


def obligation_reference(dossier: Dossier) -> str:
    """The payment reference of the dossier's financial obligation (beside its fee's)."""
    return dossier.code + FINANCIAL_SUFFIX


# Helpers shared by the actions -------------------------------------------------------------


def lock(dossier: Dossier, revision: int | None = None) -> Dossier:
    """The dossier's row, locked until the action commits; a stale revision is a conflict
    (the officer acted on a page someone else changed meanwhile)."""
    locked = (
        Dossier.objects.select_for_update(of=("self",))
        .select_related(
            "version", "province", "receiving_point", "receiving_agency", "competent_agency"
        )
        .get(pk=dossier.pk)
    )
    if revision is not None and locked.revision != revision:
        raise Conflict(
            _("Someone else changed this dossier meanwhile: reload it and try again."),
            code="stale_dossier",
        )
    return locked


def _require_status(dossier: Dossier, allowed: Iterable[int], what: str) -> None:
    if dossier.status not in set(allowed):
        raise Conflict(
            _("Dossier %(code)s is “%(status)s”: it cannot %(what)s now.")
            % {"code": dossier.code, "status": dossier.get_status_display(), "what": what},
            code="illegal_transition",
        )


def _open_task(dossier: Dossier, kind: str) -> Task:
    task = (
        dossier.tasks.select_for_update()
        .select_related("agency")
        .filter(state=Task.State.OPEN, kind=kind)
        .order_by("-opened_at", "-pk")
        .first()
    )
    if task is None:
        raise Conflict(
            _("Dossier %(code)s has no open “%(kind)s” step.")
            % {"code": dossier.code, "kind": Task.Kind(kind).label},
            code="illegal_transition",
        )
    return task


def _in_agency(principal: Principal, agency: Agency, permission: str) -> None:
    # A province-wide principal (the system administrator) reaches every agency of it.
    province = agency.province.code if agency.province else None
    if not principal.has(permission) or (
        agency.pk not in principal.agency_ids and province not in principal.province_codes
    ):
        raise PermissionDenied(
            _("Only %(agency)s may do this.") % {"agency": agency.name}, code="outside_agency"
        )


def _at_point(principal: Principal, dossier: Dossier) -> None:
    if not principal.has("dossier.receive") or (
        dossier.receiving_point_id not in principal.service_point_ids
        and dossier.province.code not in principal.province_codes
    ):
        raise PermissionDenied(
            _("Only %(point)s may do this.") % {"point": dossier.receiving_point.name},
            code="outside_service_point",
        )


def _as_handler(principal: Principal, task: Task, actor: Any) -> None:
    """The assigned handler acts on a handling task; the agency's leader may act for them."""
    _in_agency(principal, task.agency, "dossier.process")
    if task.assignee_id != getattr(actor, "pk", None) and not principal.has("dossier.approve"):
        raise PermissionDenied(
            _("This dossier is assigned to another officer."), code="not_assignee"
        )


def _label(actor: Any, place: str) -> str:
    staff = staff_user(actor)
    name = (staff.get_full_name() or staff.get_username()) if staff else ""
    return f"{place} — {name}" if name else place


def _save(
    dossier: Dossier, actor: Any, action: str, before: int, note: str = "", *, by: str = ""
) -> None:
    """Store the dossier's new state, append its event (`by`: the system that acted, without
    an actor), and tell the screens and the applicant (after commit)."""
    dossier.revision += 1
    dossier.save()
    history.append_event(dossier, actor, action, before, note=note, by=by)
    for topic in _topics(dossier):
        publish(topic, f"dossier.{action}", {"code": dossier.code})
    notices.tell_applicant(dossier, action)


def _topics(dossier: Dossier) -> set[str]:
    agencies = dossier.tasks.filter(state=Task.State.OPEN).values_list("agency_id", flat=True)
    return {f"service_point.{dossier.receiving_point_id}"} | {f"agency.{pk}" for pk in agencies}


def _audit(actor: Any, action: str, dossier: Dossier, ip: str | None, **new: Any) -> None:
    audit.record(
        actor=actor, action=f"dossier.{action}", obj=dossier, case=dossier.code, new=new, ip=ip
    )


def _clean(text: str, what: str, limit: int = 2000) -> str:
    text = (text or "").strip()
    if not text:
        raise MotcuaError(
            _("Write the %(what)s.") % {"what": what}, fields={"note": [_("Required.")]}
        )
    if len(text) > limit:
        raise MotcuaError(
            _("At most %(n)d characters.") % {"n": limit},
            fields={"note": [_("At most %(n)d characters.") % {"n": limit}]},
        )
    return text


def _lines(text: str) -> list[str]:
    return [line.strip(" -•\t") for line in text.splitlines() if line.strip(" -•\t")]


# Opening steps -----------------------------------------------------------------------------


def start_processing(
    dossier: Dossier, actor: Any, now: dt.datetime, calendar: WorkingCalendar
) -> None:
    """At receipt: the receiving step is done by the officer who received, and the dossier is
    handed to the next step of its process. (Called inside `services.accept_dossier`.)"""
    dossier.clock_started_at = now
    first = workflow.steps_of(dossier.version.spec)[0]
    point = dossier.receiving_point
    if first.kind == Task.Kind.RECEIVE:
        Task.objects.create(
            dossier=dossier,
            step=first.code,
            name=first.name,
            kind=first.kind,
            agency=dossier.receiving_agency,
            service_point=point,
            sender=_label(None, dossier.applicant_name),
            opened_at=dossier.submitted_at,
            due_at=dossier.check_due_at,
            closed_at=now,
            closed_by=staff_user(actor),
            state=Task.State.DONE,
            outcome="received",
        )
    _hand_on(dossier, first.code, _label(actor, point.name), now, calendar)


def _hand_on(
    dossier: Dossier, after: str, sender: str, now: dt.datetime, calendar: WorkingCalendar
) -> Task | None:
    """Open the step after `after`; None when the process has no further step."""
    step = workflow.next_step(dossier.version.spec, after)
    if step is None:
        return None
    dossier.step = step.code
    return _open(dossier, step, sender, now, calendar)


def _open(
    dossier: Dossier,
    step: workflow.Step,
    sender: str,
    now: dt.datetime,
    calendar: WorkingCalendar,
    assignee: Any = None,
) -> Task:
    agency = workflow.agency_of(step, dossier)
    at_point = step.agency == "receiving"
    task = Task.objects.create(
        dossier=dossier,
        step=step.code,
        name=step.name,
        kind=step.kind,
        agency=agency,
        service_point=dossier.receiving_point if at_point else None,
        assignee=assignee,
        sender=sender,
        opened_at=now,
        due_at=workflow.step_due_at(dossier, step, now, calendar),
    )
    publish(f"agency.{agency.pk}", "task.opened", {"code": dossier.code, "kind": step.kind})
    return task


def _close(task: Task, actor: Any, outcome: str, now: dt.datetime, note: str = "") -> None:
    task.state = Task.State.DONE
    task.closed_at = now
    task.closed_by = staff_user(actor)
    task.outcome = outcome
    if note:
        task.note = note
    task.save()


# The actions -------------------------------------------------------------------------------


@transaction.atomic
def assign_handler(
    *,
    dossier: Dossier,
    assignee: Any,
    actor: Any,
    revision: int | None = None,
    ip: str | None = None,
) -> Dossier:
    """The competent agency's leader gives the dossier to a handler of the agency (or gives it
    to another one)."""
    dossier = lock(dossier, revision)
    _require_status(dossier, workflow.IN_PROCESS, _("be assigned"))
    task = _open_task(dossier, Task.Kind.HANDLE)
    _in_agency(principal_for(actor), task.agency, "dossier.approve")
    handler = principal_for(assignee)
    if task.agency.pk not in handler.agency_ids or not handler.has("dossier.process"):
        raise MotcuaError(
            _("%(name)s does not process dossiers for %(agency)s.")
            % {"name": assignee, "agency": task.agency.name},
            code="not_a_handler",
            fields={"assignee": [_("Choose a handler of this agency.")]},
        )
    task.assignee = assignee
    task.save(update_fields=["assignee"])
    before = dossier.status
    dossier.status = Status.PROCESSING
    _save(dossier, actor, "assigned", before, assignee.get_full_name() or assignee.get_username())
    _audit(actor, "assign", dossier, ip, assignee=assignee.get_username(), step=task.step)
    return dossier


@transaction.atomic
def consult_agencies(
    *,
    dossier: Dossier,
    agencies: list[Agency],
    question: str,
    days: int,
    actor: Any,
    revision: int | None = None,
    ip: str | None = None,
) -> list[Task]:
    """Ask other agencies for their opinion, all at once and in parallel; each has its own
    deadline, and the lead agency proposes only when every one has replied."""
    dossier = lock(dossier, revision)
    _require_status(dossier, (Status.PROCESSING,), _("consult other agencies"))
    handling = _open_task(dossier, Task.Kind.HANDLE)
    _as_handler(principal_for(actor), handling, actor)
    question = _clean(question, _("question"))
    if not agencies or any(agency.pk == handling.agency_id for agency in agencies):
        raise MotcuaError(
            _("Choose the other agencies to consult."),
            code="no_agencies",
            fields={"agencies": [_("Choose at least one agency other than yours.")]},
        )
    if not 1 <= days <= MAX_CONSULTATION_DAYS:
        raise MotcuaError(
            _("A consultation takes 1 to %(n)d working days.") % {"n": MAX_CONSULTATION_DAYS},
            fields={"days": [_("From 1 to %(n)d.") % {"n": MAX_CONSULTATION_DAYS}]},
        )
    now = timezone.now()
    calendar = calendar_for(dossier.province.code)
    assert dossier.due_at is not None
    due = min(calendar.due_after_working_days(now, days), dossier.due_at)
    sender = _label(actor, handling.agency.name)
    opened = []
    for agency in agencies:
        opened.append(
            Task.objects.create(
                dossier=dossier,
                step="consult",
                name=_("Opinion of %(agency)s") % {"agency": agency.name},
                kind=Task.Kind.CONSULT,
                agency=agency,
                parent=handling,
                sender=sender,
                opened_at=now,
                due_at=due,
                note=question,
            )
        )
        publish(f"agency.{agency.pk}", "task.opened", {"code": dossier.code, "kind": "consult"})
    names = ", ".join(agency.name for agency in agencies)
    _save(dossier, actor, "consultation_requested", dossier.status, f"{names}: {question}")
    _audit(actor, "consult", dossier, ip, agencies=[a.code for a in agencies], days=days)
    return opened


@transaction.atomic
def reply_consultation(
    *, dossier: Dossier, task_id: int, reply: str, actor: Any, ip: str | None = None
) -> Task:
    """A consulted agency gives its opinion."""
    dossier = lock(dossier)
    task = (
        dossier.tasks.select_for_update()
        .select_related("agency")
        .filter(pk=task_id, kind=Task.Kind.CONSULT)
        .first()
    )
    if task is None or task.state != Task.State.OPEN:
        raise Conflict(
            _("This consultation is not waiting for a reply."), code="illegal_transition"
        )
    _in_agency(principal_for(actor), task.agency, "dossier.process")
    task.reply = _clean(reply, _("reply"))
    _close(task, actor, "replied", timezone.now())
    _save(
        dossier, actor, "consultation_replied", dossier.status, f"{task.agency.name}: {task.reply}"
    )
    _audit(actor, "consultation_reply", dossier, ip, agency=task.agency.code)
    return task


@transaction.atomic
def request_supplement_after_receipt(
    *,
    dossier: Dossier,
    items: list[str],
    actor: Any,
    revision: int | None = None,
    ip: str | None = None,
) -> Dossier:
    """The appraisal finds the dossier insufficient: ask the applicant for everything at once.
    The processing time starts again from zero once the supplement is in (NĐ 61/2018 Đ16)."""
    dossier = lock(dossier, revision)
    _require_status(dossier, (Status.PROCESSING,), _("ask for a supplement"))
    task = _open_task(dossier, Task.Kind.HANDLE)
    _as_handler(principal_for(actor), task, actor)
    listed = [item.strip() for item in items if item.strip()]
    if not listed or any(len(item) > 500 for item in listed):
        raise MotcuaError(
            _("List what must be supplemented (each item at most 500 characters)."),
            code="no_items",
            fields={"items": [_("List at least one item.")]},
        )
    now = timezone.now()
    before = dossier.status
    dossier.status = Status.SUPPLEMENT
    dossier.waiting_since = now
    dossier.overdue_since = None
    history.issue_slip(dossier, Slip.Kind.SUPPLEMENT, actor, listed, agency=task.agency)
    _save(dossier, actor, "supplement_requested", before, "\n".join(listed))
    _audit(actor, "supplement_after_receipt", dossier, ip, items=listed)
    return dossier


def restart_after_supplement(dossier: Dossier, actor: Any, now: dt.datetime) -> None:
    """The supplement asked for after receipt is in: the processing time counts again from
    zero, for the dossier and for its open steps. (Called inside `services.supplement_dossier`
    with the dossier locked; the caller moves it back to processing, so that its event goes
    from 5 to 4.)"""
    calendar = calendar_for(dossier.province.code)
    dossier.waiting_since = None
    dossier.clock_started_at = now
    dossier.due_at = deadlines.due_at(dossier.version.time, now, calendar)
    for task in dossier.tasks.filter(state=Task.State.OPEN):
        if task.kind == Task.Kind.CONSULT:
            task.due_at = min(task.due_at or dossier.due_at, dossier.due_at)
        else:
            step = workflow.step_named(dossier.version.spec, task.step)
            task.due_at = workflow.step_due_at(dossier, step, now, calendar)
        task.save(update_fields=["due_at"])


@transaction.atomic
def request_financial_obligation(
    *,
    dossier: Dossier,
    amount: int,
    note: str,
    actor: Any,
    revision: int | None = None,
    ip: str | None = None,
) -> Dossier:
    """The applicant must pay a financial obligation (land levy, registration tax) before the
    result: the dossier waits, and the waiting does not count against the agency."""
    dossier = lock(dossier, revision)
    _require_status(dossier, (Status.PROCESSING,), _("ask for a financial obligation"))
    task = _open_task(dossier, Task.Kind.HANDLE)
    _as_handler(principal_for(actor), task, actor)
    note = _clean(note, _("obligation"), 300)
    if amount <= 0:
        raise MotcuaError(
            _("Give the amount in đồng."), fields={"amount": [_("A positive number of đồng.")]}
        )
    payments.create_payment(
        reference=obligation_reference(dossier), purpose=note, amount=amount, actor=actor
    )
    before = dossier.status
    dossier.status = Status.FINANCIAL
    dossier.waiting_since = timezone.now()
    dossier.overdue_since = None
    _save(dossier, actor, "financial_obligation_requested", before, f"{note}: {amount} đ")
    _audit(actor, "financial_obligation", dossier, ip, amount=amount, note=note)
    return dossier


@transaction.atomic
def resume_after_payment(*, reference: str) -> Dossier | None:
    """A financial obligation is settled: processing resumes, and every open deadline moves
    later by the working time spent waiting."""
    if not reference.endswith(FINANCIAL_SUFFIX):
        return None
    found = Dossier.objects.filter(code=reference.removesuffix(FINANCIAL_SUFFIX)).first()
    if found is None:
        return None
    dossier = lock(found)
    if dossier.status != Status.FINANCIAL or dossier.waiting_since is None:
        return dossier  # already resumed (a repeated notification)
    calendar = calendar_for(dossier.province.code)
    now = timezone.now()
    waited = calendar.working_time_between(dossier.waiting_since, now)
    assert dossier.due_at is not None
    dossier.due_at = calendar.add_working_hours(dossier.due_at, waited)
    for task in dossier.tasks.filter(state=Task.State.OPEN).exclude(due_at=None):
        assert task.due_at is not None
        task.due_at = calendar.add_working_hours(task.due_at, waited)
        task.save(update_fields=["due_at"])
    dossier.waiting_since = None
    dossier.status = Status.PROCESSING
    _save(dossier, None, "financial_obligation_met", Status.FINANCIAL)
    _audit(
        None, "financial_obligation_met", dossier, None, waited_hours=waited.total_seconds() / 3600
    )
    return dossier


@transaction.atomic
def propose(
    *,
    dossier: Dossier,
    decision: str,
    note: str,
    actor: Any,
    revision: int | None = None,
    ip: str | None = None,
) -> Dossier:
    """The handler proposes the result (grant, or refuse with reasons) and hands the dossier to
    the next step: the leader's approval, or another agency's handling on a transfer."""
    dossier = lock(dossier, revision)
    _require_status(dossier, (Status.PROCESSING,), _("be proposed"))
    task = _open_task(dossier, Task.Kind.HANDLE)
    _as_handler(principal_for(actor), task, actor)
    if decision not in (GRANT, REFUSE):
        raise MotcuaError(_("Propose to grant or to refuse."), code="invalid_decision")
    note = _clean(note, _("proposal")) if decision == REFUSE else (note or "").strip()[:2000]
    waiting = task.consultations.filter(state=Task.State.OPEN).select_related("agency")
    if waiting:
        raise Conflict(
            _("Waiting for the opinion of: %(agencies)s.")
            % {"agencies": ", ".join(t.agency.name for t in waiting)},
            code="consultation_open",
        )
    now = timezone.now()
    _close(task, actor, f"proposed_{decision}", now, note)
    _hand_on(
        dossier,
        task.step,
        _label(actor, task.agency.name),
        now,
        calendar_for(dossier.province.code),
    )
    _save(dossier, actor, "proposed", dossier.status, note)
    _audit(actor, "propose", dossier, ip, decision=decision)
    return dossier


@transaction.atomic
def approve(
    *, dossier: Dossier, actor: Any, revision: int | None = None, ip: str | None = None
) -> Dossier:
    """The leader approves the proposal: at the last approving step the result is issued
    (signed after commit) and the dossier goes back to the receiving point to be returned."""
    dossier = lock(dossier, revision)
    _require_status(dossier, (Status.PROCESSING, Status.RECEIVED), _("be approved"))
    task = _open_task(dossier, Task.Kind.APPROVE)
    _in_agency(principal_for(actor), task.agency, "dossier.approve")
    now = timezone.now()
    _close(task, actor, "approved", now)
    before = dossier.status
    following = _hand_on(
        dossier,
        task.step,
        _label(actor, task.agency.name),
        now,
        calendar_for(dossier.province.code),
    )
    if following is None or following.kind == Task.Kind.RETURN:
        result = _issue_result(dossier, task.agency, actor, now)
        if following is not None and dossier.origin_code:
            _result_goes_to_origin(dossier, following, now)
        dossier.status = Status.PROCESSED
        _audit(actor, "approve", dossier, ip, result=result.kind, number=result.number)
    else:
        dossier.status = Status.PROCESSING
        _audit(actor, "approve", dossier, ip, step=task.step)
    _save(dossier, actor, "approved", before)
    return dossier


def _issue_result(dossier: Dossier, agency: Agency, actor: Any, now: dt.datetime) -> Result:
    proposal = (
        dossier.tasks.filter(kind=Task.Kind.HANDLE, state=Task.State.DONE)
        .order_by("-closed_at", "-pk")
        .first()
    )
    refused = proposal is not None and proposal.outcome == f"proposed_{REFUSE}"
    result = Result.objects.create(
        dossier=dossier,
        kind=Result.Kind.REFUSAL if refused else Result.Kind.GRANT,
        # Unique by construction: a result per dossier, numbered after it.
        number=f"{dossier.code}/KQ",
        title=dossier.version.spec["results"][0],
        reasons=_lines(proposal.note) if refused and proposal else [],
        agency=agency,
        approved_at=now,
        approved_by=staff_user(actor),
    )
    enqueue_on_commit(tasks.sign_result, result.pk)
    return result


@transaction.atomic
def send_back(
    *, dossier: Dossier, note: str, actor: Any, revision: int | None = None, ip: str | None = None
) -> Dossier:
    """The leader does not approve: the proposal goes back to its handler with the reason."""
    dossier = lock(dossier, revision)
    _require_status(dossier, (Status.PROCESSING,), _("be sent back"))
    task = _open_task(dossier, Task.Kind.APPROVE)
    _in_agency(principal_for(actor), task.agency, "dossier.approve")
    note = _clean(note, _("reason"))
    proposal = (
        dossier.tasks.filter(kind=Task.Kind.HANDLE, state=Task.State.DONE)
        .order_by("-closed_at", "-pk")
        .first()
    )
    if proposal is None:
        raise Conflict(_("There is no proposal to send back."), code="illegal_transition")
    now = timezone.now()
    _close(task, actor, "sent_back", now, note)
    step = workflow.step_named(dossier.version.spec, proposal.step)
    dossier.step = step.code
    _open(
        dossier,
        step,
        _label(actor, task.agency.name),
        now,
        calendar_for(dossier.province.code),
        assignee=proposal.closed_by,
    )
    _save(dossier, actor, "sent_back", dossier.status, note)
    _audit(actor, "send_back", dossier, ip)
    return dossier


@transaction.atomic
def return_result(
    *,
    dossier: Dossier,
    method: str,
    actor: Any,
    revision: int | None = None,
    ip: str | None = None,
) -> Dossier:
    """The receiving point returns the signed result (at the counter, by post, or online), and
    the dossier ends: its timeliness and its evaluation are stored."""
    dossier = lock(dossier, revision)
    _require_status(dossier, (Status.PROCESSED,), _("have its result returned"))
    _at_point(principal_for(actor), dossier)
    if method not in ReturnMethod.values:
        raise MotcuaError(_("Choose how the result is returned."), code="invalid_method")
    result = Result.objects.filter(dossier=dossier).first()
    if result is None or result.signed_at is None:
        raise Conflict(
            _("The result is still being signed: try again in a moment."), code="result_unsigned"
        )
    now = timezone.now()
    task = (
        dossier.tasks.select_for_update()
        .filter(state=Task.State.OPEN, kind=Task.Kind.RETURN)
        .first()
    )
    if task is not None:
        _close(task, actor, f"returned_{method}", now)
    calendar = calendar_for(dossier.province.code)
    assert dossier.due_at is not None
    dossier.finished_at = now
    dossier.timeliness = workflow.timeliness(now, dossier.due_at, calendar)
    dossier.returned_via = method
    dossier.overdue_since = None
    before = dossier.status
    dossier.status = Status.RETURNED
    # Evaluated before the state is saved, so the rollups count the evaluation with the return.
    evaluation.evaluate(dossier, calendar, now)
    _save(dossier, actor, "returned", before, str(ReturnMethod(method).label))
    _audit(actor, "return", dossier, ip, method=method, timeliness=dossier.timeliness)
    return dossier


@transaction.atomic
def extend_deadline(
    *,
    dossier: Dossier,
    new_due_date: dt.date,
    reason: str,
    actor: Any,
    revision: int | None = None,
    ip: str | None = None,
) -> Dossier:
    """Move the due date once, through the apology slip issued at least one working day before
    the due date (NĐ 61/2018 Đ19 khoản 2)."""
    dossier = lock(dossier, revision)
    _require_status(dossier, workflow.IN_PROCESS, _("be extended"))
    _in_agency(principal_for(actor), dossier.competent_agency, "dossier.process")
    reason = _clean(reason, _("reason for the delay"), 500)
    calendar = calendar_for(dossier.province.code)
    now = timezone.now()
    assert dossier.due_at is not None
    if dossier.extended_at is not None:
        raise Conflict(
            _(
                "The due date was already moved once, on %(date)s; it may be moved only once "
                "(NĐ 61/2018/NĐ-CP, Article 19)."
            )
            % {"date": timezone.localtime(dossier.extended_at).strftime("%d/%m/%Y")},
            code="already_extended",
        )
    latest = workflow.latest_extension_moment(dossier.due_at, calendar)
    if now > latest:
        raise Conflict(
            _(
                "An apology with a new date must be issued at least one working day before the "
                "due date (NĐ 61/2018/NĐ-CP, Article 19): the last moment was %(latest)s."
            )
            % {"latest": timezone.localtime(latest).strftime("%H:%M %d/%m/%Y")},
            code="extension_too_late",
        )
    new_due = calendar.end_of_working_day(new_due_date)
    if not calendar.is_working_day(new_due_date) or new_due <= dossier.due_at:
        raise MotcuaError(
            _("Choose a working day after the current due date."),
            code="invalid_date",
            fields={"new_due_date": [_("A working day after the current due date.")]},
        )
    old_due = dossier.due_at
    dossier.due_before_extension = old_due
    dossier.extended_at = now
    dossier.due_at = new_due
    dossier.overdue_since = None
    # Steps due with the dossier keep being due with it.
    dossier.tasks.filter(state=Task.State.OPEN, due_at=old_due).update(due_at=new_due)
    history.issue_slip(
        dossier,
        Slip.Kind.APOLOGY,
        actor,
        [reason],
        agency=dossier.competent_agency,
        new_due_at=new_due,
    )
    _save(dossier, actor, "extended", dossier.status, reason)
    _audit(actor, "extend", dossier, ip, old_due=old_due, new_due=new_due, reason=reason)
    return dossier


@transaction.atomic
def request_stop(
    *, dossier: Dossier, reason: str, actor: Any = None, ip: str | None = None
) -> Dossier:
    """The applicant asks to stop the processing (from the tracking page, or at the counter)."""
    dossier = lock(dossier)
    _require_status(dossier, workflow.STOPPABLE, _("be stopped"))
    if staff_user(actor) is not None:
        # At the counter, on the applicant's behalf: the receiving point records it.
        _at_point(principal_for(actor), dossier)
    reason = _clean(reason, _("reason"), 500)
    before = dossier.status
    dossier.status = Status.WITHDRAWAL
    _save(dossier, actor, "stop_requested", before, reason)
    _audit(actor, "stop_request", dossier, ip, reason=reason)
    return dossier


@transaction.atomic
def stop(
    *, dossier: Dossier, actor: Any, revision: int | None = None, ip: str | None = None
) -> Dossier:
    """No result was issued yet: the receiving point stops the dossier and issues the notice
    of stopping (TT 03/2025); every open step is cancelled."""
    dossier = lock(dossier, revision)
    _require_status(dossier, (Status.WITHDRAWAL,), _("be stopped"))
    _at_point(principal_for(actor), dossier)
    request = dossier.events.filter(action="stop_requested").order_by("-at", "-pk").first()
    reason = request.note if request else ""
    now = timezone.now()
    dossier.tasks.filter(state=Task.State.OPEN).update(
        state=Task.State.CANCELLED, closed_at=now, outcome="stopped"
    )
    dossier.finished_at = now
    dossier.waiting_since = None
    dossier.overdue_since = None
    dossier.step = ""
    before = dossier.status
    dossier.status = Status.STOPPED
    history.issue_slip(
        dossier, Slip.Kind.STOP, actor, [reason or "Theo đề nghị của người nộp hồ sơ"]
    )
    _save(dossier, actor, "stopped", before, reason)
    _audit(actor, "stop", dossier, ip)
    return dossier


# Dossiers processed by another motcua instance ---------------------------------------------
# A received dossier may be transferred to another instance (motcua.interop.transfers): this
# one keeps the original, which the applicant deals with, which is counted and which is
# reported to the national portal; the other processes a linked copy, whose statuses come back
# here through these functions. Each is called inside the transfer service's transaction with
# the dossier locked.

TRANSFERRED_STEP = "transferred"


@dataclass(frozen=True)
class RemoteResult:
    """The result another instance issued, as its signed envelope describes it."""

    kind: str
    number: str
    title: str
    reasons: list[str]
    agency_code: str
    approved_at: dt.datetime
    signed_at: dt.datetime
    by: str  # the other instance


@dataclass(frozen=True)
class RemoteStatus:
    """A status change of the other instance's copy, as its signed envelope describes it."""

    by: str  # the other instance
    status: int
    action: str  # the other instance's action, which says what the applicant is told
    note: str  # for this dossier's history
    items: list[str]  # what a supplement request asks for
    obligation: tuple[int, str] | None = None  # a financial obligation's amount and purpose


def hand_over(dossier: Dossier, actor: Any, destination: str, note: str, ip: str | None) -> None:
    """The competent agency's leader, who decides who handles a dossier (`assign_handler`),
    sends it to another instance: its open steps here are cancelled and it waits, processing
    (4), for the other instance's outcome."""
    _require_status(dossier, workflow.IN_PROCESS, _("be transferred"))
    _in_agency(principal_for(actor), dossier.competent_agency, "dossier.approve")
    if dossier.origin_code:
        raise Conflict(
            _("A dossier transferred in from another instance cannot be transferred again."),
            code="linked_copy",
        )
    now = timezone.now()
    dossier.tasks.filter(state=Task.State.OPEN).update(
        state=Task.State.CANCELLED, closed_at=now, outcome=TRANSFERRED_STEP
    )
    dossier.step = TRANSFERRED_STEP
    before = dossier.status
    dossier.status = Status.PROCESSING
    _save(dossier, actor, "transferred", before, f"{destination}: {note}" if note else destination)
    _audit(actor, "transfer", dossier, ip, to=destination)


def _result_goes_to_origin(dossier: Dossier, step: Task, now: dt.datetime) -> None:
    """A linked copy's result is not returned here: it goes back with the copy's status to the
    original's instance, whose receiving point returns it to the applicant."""
    step.state, step.closed_at, step.outcome = Task.State.CANCELLED, now, "sent_to_origin"
    step.save(update_fields=["state", "closed_at", "outcome"])
    dossier.step = ""


def take_back(dossier: Dossier, reason: str, by: str) -> None:
    """The other instance (`by`) refused the dossier: processing goes on here, from the step
    after receipt."""
    if dossier.step != TRANSFERRED_STEP:
        return
    first = workflow.steps_of(dossier.version.spec)[0]
    _hand_on(dossier, first.code, reason, timezone.now(), calendar_for(dossier.province.code))
    _save(dossier, None, "transfer_refused", dossier.status, reason, by=by)


def take_remote_result(dossier: Dossier, remote: RemoteResult, pdf: bytes, note: str) -> Result:
    """The other instance issued the result: it becomes this dossier's result, as the issuing
    agency signed it (`pdf`, checked against the hash the envelope signed), and the receiving
    point returns it to the applicant (`return_result`)."""
    _require_status(dossier, (Status.PROCESSING,), _("take another instance's result"))
    if dossier.step != TRANSFERRED_STEP:
        raise Conflict(
            _("This dossier is not waiting for another instance."), code="not_transferred"
        )
    agency = Agency.objects.filter(code=remote.agency_code).first() or dossier.competent_agency
    result = Result(
        dossier=dossier,
        kind=remote.kind if remote.kind in Result.Kind.values else Result.Kind.GRANT,
        number=remote.number,
        title=remote.title,
        reasons=remote.reasons,
        agency=agency,
        approved_at=remote.approved_at,
        signed_at=remote.signed_at,
        sha256=hashlib.sha256(pdf).hexdigest(),
    )
    result.pdf.save(f"{dossier.code}-ket-qua.pdf", ContentFile(pdf), save=False)
    result.save()
    now = timezone.now()
    last = workflow.steps_of(dossier.version.spec)[-1]
    dossier.step = ""
    if last.kind == Task.Kind.RETURN:
        dossier.step = last.code
        _open(dossier, last, note, now, calendar_for(dossier.province.code))
    before = dossier.status
    dossier.status = Status.PROCESSED
    _save(dossier, None, "result_received", before, note, by=remote.by)
    notices.tell_applicant(dossier, "approved")
    # As the results issued here: into the applicant's document store, for later dossiers.
    enqueue_on_commit(tasks.store_result, result.pk)
    return result


def mirror_remote_status(dossier: Dossier, remote: RemoteStatus) -> bool:
    """Show here what the other instance's processing waits for: a supplement (5) or a
    financial obligation (6), processing again (4), or stopped (8); the applicant is told as
    if this instance had asked. The applicant answers here: a supplement request becomes this
    receiving point's slip listing the other instance's items, an obligation this dossier's
    payment; what the applicant then hands in or pays is forwarded (interop.transfers). False
    when the status changes nothing here."""
    status = remote.status
    if dossier.step != TRANSFERRED_STEP or status == dossier.status:
        return False
    now = timezone.now()
    if status in workflow.WAITING_FOR_APPLICANT and dossier.status == Status.PROCESSING:
        dossier.waiting_since = now
        dossier.overdue_since = None
    elif status == Status.PROCESSING and dossier.status in workflow.WAITING_FOR_APPLICANT:
        dossier.waiting_since = None
    elif status == Status.STOPPED and dossier.status in workflow.STOPPABLE:
        dossier.finished_at = now
        dossier.waiting_since = None
        dossier.overdue_since = None
        dossier.step = ""
    else:
        return False
    before = dossier.status
    dossier.status = status
    if status == Status.SUPPLEMENT:
        history.issue_slip(dossier, Slip.Kind.SUPPLEMENT, None, remote.items or [remote.note])
    if status == Status.FINANCIAL and remote.obligation is not None:
        amount, purpose = remote.obligation
        payments.create_payment(
            reference=obligation_reference(dossier), purpose=purpose, amount=amount
        )
    elif (owed := payment_selectors.open_payment(obligation_reference(dossier))) is not None:
        # Settled at the other instance, or no longer asked for: nothing is owed here.
        payments.cancel_payment(payment=owed, reason=remote.note)
    _save(dossier, None, "remote_status", before, remote.note, by=remote.by)
    notices.tell_applicant(dossier, remote.action)
    return True
