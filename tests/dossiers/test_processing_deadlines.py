"""Deadlines of processing across Tết 2027 and weekends: the restart after a supplement, time
waiting for the applicant, the single extension, step deadlines, and the overdue job.

Tết 2027 (holidays 0.109): Thursday 4 to Wednesday 10 February are days off; 6–7 February is a
weekend anyway. The judicial record procedure takes 10 working days (80 working hours); its
handling step has half of them, its approval 30 %.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import time_machine

from motcua.core.errors import Conflict, MotcuaError
from motcua.dossiers import alerts, controls, processing, services
from motcua.dossiers.models import Channel, Dossier, Status, Task
from motcua.payments import services as payments
from motcua.payments.models import Payment
from motcua.workcalendar.engine import VN_TZ
from tests.org import Org
from tests.processing_data import judicial_record


def at(day: str, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute), tzinfo=VN_TZ)


@contextmanager
def moment(day: str, hour: int, minute: int = 0) -> Iterator[None]:
    with time_machine.travel(at(day, hour, minute), tick=False):
        yield


def receive_and_assign(org: Org, day: str = "2027-01-25", hour: int = 9) -> Dossier:
    with moment(day, hour):
        dossier = services.submit_dossier(
            submission=judicial_record(),
            channel=Channel.COUNTER,
            actor=org.users["counter_halong"],
            point=org.points["halong"],
            outcome=services.Outcome("accept"),
        )
        return processing.assign_handler(
            dossier=dossier, assignee=org.users["officer_stp"], actor=org.users["leader_stp"]
        )


def handling(dossier: Dossier) -> Task:
    return dossier.tasks.get(kind=Task.Kind.HANDLE, state=Task.State.OPEN)


def test_due_dates_skip_tet_and_weekends(processing_org: Org) -> None:
    dossier = receive_and_assign(processing_org)
    # 10 working days after Mon 25 Jan: 26–29 Jan, 1–3 Feb, (Tết), 11, 12 and Mon 15 Feb.
    assert dossier.due_at == at("2027-02-15", 17)
    # The handling step: 40 working hours from 09:00 on 25 Jan (7 h that day, 4 × 8 h, 1 h).
    assert handling(dossier).due_at == at("2027-02-01", 9)


def test_step_deadlines_and_their_timeliness(processing_org: Org) -> None:
    users = processing_org.users
    dossier = receive_and_assign(processing_org)
    with moment("2027-02-03", 10):
        processing.propose(dossier=dossier, decision="grant", note="", actor=users["officer_stp"])
    approval = dossier.tasks.get(kind=Task.Kind.APPROVE)
    # 24 working hours from Wed 3 Feb 10:00: 6 h, (Tết), 11 and 12 Feb, 2 h on Mon 15 Feb.
    assert approval.due_at == at("2027-02-15", 10)
    with moment("2027-02-15", 11):
        processing.approve(dossier=dossier, actor=users["leader_stp"])
    results = [row.result for row in controls.rows(Dossier.objects.get(pk=dossier.pk))]
    # Received early; handling (due 1 Feb 09:00, done 3 Feb) late; approval an hour late.
    assert results[:3] == ["early", "late", "late"]


def test_a_supplement_after_receipt_restarts_the_time_from_zero(processing_org: Org) -> None:
    users = processing_org.users
    dossier = receive_and_assign(processing_org)
    with moment("2027-01-28", 10):
        processing.request_supplement_after_receipt(
            dossier=dossier, items=["Tờ khai thiếu chữ ký"], actor=users["officer_stp"]
        )
    with moment("2027-02-03", 14):
        services.supplement_dossier(
            dossier=dossier,
            files={},
            on_paper=frozenset({"to_khai"}),
            actor=users["counter_halong"],
        )
    dossier.refresh_from_db()
    assert dossier.status == Status.PROCESSING
    assert dossier.clock_started_at == at("2027-02-03", 14)
    # Counted again from Wed 3 Feb: 11, 12, 15–19, 22, 23 and Wed 24 Feb (not a pause: the
    # time used before the request is not deducted).
    assert dossier.due_at == at("2027-02-24", 17)
    # The handler's step gets its 40 hours again: 3 h on 3 Feb, 11, 12, 15, 16 Feb, 5 h on 17.
    assert handling(dossier).due_at == at("2027-02-17", 14)


def test_time_waiting_for_a_financial_obligation_does_not_count(
    processing_org: Org, django_capture_on_commit_callbacks: Any
) -> None:
    users = processing_org.users
    dossier = receive_and_assign(processing_org)
    step_due = handling(dossier).due_at
    with moment("2027-01-29", 16):
        processing.request_financial_obligation(
            dossier=dossier, amount=500000, note="Lệ phí trước bạ", actor=users["officer_stp"]
        )
    payment = Payment.objects.get(reference=dossier.code + processing.FINANCIAL_SUFFIX)
    with moment("2027-02-11", 10), django_capture_on_commit_callbacks(execute=True):
        payments.record_counter_payment(
            payment=payment, method="cash", actor=users["counter_halong"]
        )
    dossier.refresh_from_db()
    assert dossier.status == Status.PROCESSING
    assert dossier.waiting_since is None
    # Waited 1 h on Fri 29 Jan, 1–3 Feb (24 h) and 2 h on Thu 11 Feb: 27 working hours, added
    # to 15 Feb 17:00 → 16, 17, 18 Feb and 3 h on Fri 19 Feb.
    assert dossier.due_at == at("2027-02-19", 11)
    # The handling step moves by the same 27 h: from 1 Feb 09:00 → 11 Feb 12:00.
    assert step_due == at("2027-02-01", 9)
    assert handling(dossier).due_at == at("2027-02-11", 12)


def test_an_extension_is_granted_once_and_only_a_working_day_before(processing_org: Org) -> None:
    users = processing_org.users
    first = receive_and_assign(processing_org)
    with moment("2027-02-12", 16):
        processing.extend_deadline(
            dossier=first,
            new_due_date=dt.date(2027, 2, 19),
            reason="Chờ kết quả xác minh",
            actor=users["officer_stp"],
        )
    first.refresh_from_db()
    assert (first.due_before_extension, first.due_at) == (
        at("2027-02-15", 17),
        at("2027-02-19", 17),
    )
    apology = first.slips.get(kind="apology")
    assert (apology.new_due_at, apology.agency) == (
        at("2027-02-19", 17),
        processing_org.agencies["stp"],
    )
    with moment("2027-02-16", 9), pytest.raises(Conflict) as twice:
        processing.extend_deadline(
            dossier=first, new_due_date=dt.date(2027, 2, 24), reason="x", actor=users["officer_stp"]
        )
    assert twice.value.code == "already_extended"
    assert "61/2018" in str(twice.value.message)

    second = receive_and_assign(processing_org)
    with moment("2027-02-12", 17, 30), pytest.raises(Conflict) as late:
        processing.extend_deadline(
            dossier=second,
            new_due_date=dt.date(2027, 2, 19),
            reason="x",
            actor=users["officer_stp"],
        )
    assert late.value.code == "extension_too_late"
    assert "17:00 12/02/2027" in str(late.value.message)
    with moment("2027-02-12", 10), pytest.raises(MotcuaError) as holiday:
        processing.extend_deadline(
            dossier=second,
            new_due_date=dt.date(2027, 2, 13),
            reason="x",
            actor=users["officer_stp"],
        )
    assert holiday.value.code == "invalid_date"  # 13 February 2027 is a Saturday
    assert Dossier.objects.get(pk=second.pk).extended_at is None


def test_the_overdue_job_marks_exactly_the_overdue_dossiers(processing_org: Org) -> None:
    users = processing_org.users
    late = receive_and_assign(processing_org)  # due 15 Feb 17:00
    on_time = receive_and_assign(processing_org, day="2027-02-03")  # due later
    waiting = receive_and_assign(processing_org)
    with moment("2027-01-27", 9):
        processing.request_supplement_after_receipt(
            dossier=waiting, items=["Bổ sung"], actor=users["officer_stp"]
        )
    extended = receive_and_assign(processing_org)
    with moment("2027-02-16", 8):
        flagged = alerts.flag_deadlines()
    assert flagged.overdue == 2
    overdue = set(Dossier.objects.exclude(overdue_since=None).values_list("pk", flat=True))
    assert overdue == {late.pk, extended.pk}
    assert on_time.pk not in overdue
    assert waiting.pk not in overdue
    # A due date moved later clears the flag at the next pass (the extension itself did here
    # before the due date; force the case where the flag was set first).
    Dossier.objects.filter(pk=extended.pk).update(
        due_at=at("2027-02-19", 17), extended_at=at("2027-02-11", 9)
    )
    with moment("2027-02-16", 8, 15):
        again = alerts.flag_deadlines()
    assert (again.overdue, again.cleared) == (0, 1)
    assert set(Dossier.objects.exclude(overdue_since=None).values_list("pk", flat=True)) == {
        late.pk
    }


def test_due_soon_alerts_tell_the_handler_and_the_leader_once(processing_org: Org) -> None:
    from motcua.core.models import Notification

    dossier = receive_and_assign(processing_org)
    with moment("2027-02-15", 9):
        assert alerts.flag_deadlines().due_soon == 1
        assert alerts.flag_deadlines().due_soon == 0
    recipients = set(
        Notification.objects.filter(topic="dossier.due_soon", reference=dossier.code).values_list(
            "recipient", flat=True
        )
    )
    # The handler has no address on file; the department's leader has.
    assert recipients == {"leader_stp@example.vn"}
