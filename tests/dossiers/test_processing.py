"""Processing after receipt: the workflow from the process definition, who may do what, legal
transitions, consultations, results, returns and stops."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from motcua.core.errors import Conflict, MotcuaError, PermissionDenied
from motcua.core.principal import principal_for
from motcua.dossiers import controls, inbox, processing, results, selectors, services, signing
from motcua.dossiers.models import (
    Channel,
    Dossier,
    DossierEvent,
    Evaluation,
    Result,
    Slip,
    Status,
    Task,
)
from motcua.workcalendar.engine import VN_TZ
from tests.org import Org
from tests.processing_data import judicial_record


def received(org: Org, point: str = "halong", officer: str = "counter_halong") -> Dossier:
    """A judicial record dossier received at a commune centre (borderless)."""
    return services.submit_dossier(
        submission=judicial_record(),
        channel=Channel.COUNTER,
        actor=org.users[officer],
        point=org.points[point],
        outcome=services.Outcome("accept"),
    )


def assigned(org: Org) -> Dossier:
    dossier = received(org)
    return processing.assign_handler(
        dossier=dossier, assignee=org.users["officer_stp"], actor=org.users["leader_stp"]
    )


def approved(org: Org, decision: str = "grant", note: str = "") -> Dossier:
    dossier = assigned(org)
    processing.propose(
        dossier=dossier, decision=decision, note=note, actor=org.users["officer_stp"]
    )
    return processing.approve(dossier=dossier, actor=org.users["leader_stp"])


def test_receipt_hands_the_dossier_to_the_competent_department(processing_org: Org) -> None:
    dossier = received(processing_org)
    assert dossier.status == Status.RECEIVED
    receive, handle = dossier.tasks.order_by("pk")
    assert (receive.kind, receive.state, receive.service_point) == (
        Task.Kind.RECEIVE,
        Task.State.DONE,
        processing_org.points["halong"],
    )
    assert (handle.kind, handle.state, handle.agency) == (
        Task.Kind.HANDLE,
        Task.State.OPEN,
        processing_org.agencies["stp"],
    )
    assert handle.assignee is None
    assert handle.due_at is not None
    assert handle.due_at <= dossier.due_at
    assert dossier.step == "tra_cuu"
    # The department now sees the dossier, though another centre received it.
    stp = principal_for(processing_org.users["leader_stp"])
    assert selectors.dossiers_for(stp).filter(pk=dossier.pk).exists()
    assert [t.pk for t in inbox.inbox(stp, processing_org.users["leader_stp"].pk, "assign")] == [
        handle.pk
    ]


@time_machine.travel(dt.datetime(2026, 12, 1, 9, 0, tzinfo=VN_TZ), tick=False)
def test_a_walk_through_consultation_approval_signature_and_return(
    processing_org: Org,
) -> None:
    """Done within the morning: every step is early, and the evaluation is full marks."""
    users = processing_org.users
    dossier = assigned(processing_org)
    assert dossier.status == Status.PROCESSING
    officer = principal_for(users["officer_stp"])
    assert inbox.counts(officer, users["officer_stp"].pk)["handle"] == 1

    (consultation,) = processing.consult_agencies(
        dossier=dossier,
        agencies=[processing_org.agencies["police"]],
        question="Đề nghị xác minh án tích",
        days=3,
        actor=users["officer_stp"],
    )
    police = principal_for(users["officer_police"])
    assert selectors.dossiers_for(police).filter(pk=dossier.pk).exists()
    with pytest.raises(Conflict) as waiting:
        processing.propose(dossier=dossier, decision="grant", note="", actor=users["officer_stp"])
    assert waiting.value.code == "consultation_open"
    assert "Công an tỉnh" in str(waiting.value.message)

    processing.reply_consultation(
        dossier=dossier,
        task_id=consultation.pk,
        reply="Không có án tích",
        actor=users["officer_police"],
    )
    processing.propose(
        dossier=dossier, decision="grant", note="Đủ điều kiện", actor=users["officer_stp"]
    )
    dossier = processing.approve(dossier=dossier, actor=users["leader_stp"])
    assert dossier.status == Status.PROCESSED
    result = Result.objects.get(dossier=dossier)
    assert (result.kind, result.agency, result.signed_at) == (
        Result.Kind.GRANT,
        processing_org.agencies["stp"],
        None,
    )
    with pytest.raises(Conflict) as unsigned:
        processing.return_result(dossier=dossier, method="counter", actor=users["counter_halong"])
    assert unsigned.value.code == "result_unsigned"

    results.sign_result(result.pk)
    result.refresh_from_db()
    report = signing.validate_pdf(results.result_pdf(result))
    assert report.valid
    assert report.agency_code == "000.00.02.H22"

    dossier = processing.return_result(
        dossier=dossier, method="counter", actor=users["counter_halong"]
    )
    assert dossier.status == Status.RETURNED
    assert dossier.timeliness == "early"
    assert not dossier.tasks.filter(state=Task.State.OPEN).exists()
    evaluation = Evaluation.objects.get(dossier=dossier)
    assert (evaluation.total_time, evaluation.agency_time, evaluation.contacts) == (2, 2, 2)
    assert evaluation.agencies_contacted == 2
    assert evaluation.score == 8
    assert set(evaluation.per_agency) == {"000.01.30.H22", "000.00.02.H22", "000.00.16.H22"}

    actions = list(dossier.events.values_list("action", flat=True))
    assert actions == [
        "submitted",
        "received",
        "assigned",
        "consultation_requested",
        "consultation_replied",
        "proposed",
        "approved",
        "returned",
    ]
    rows = controls.rows(dossier)
    assert [row.receiver.split(" — ")[0] for row in rows] == [
        "Trung tâm PVHCC Phường Hạ Long",
        "Sở Tư pháp",
        "Công an tỉnh Quảng Ninh",
        "Sở Tư pháp",
        "Trung tâm PVHCC Phường Hạ Long",
    ]
    assert all(row.result == "early" for row in rows)


def test_only_the_agency_and_the_role_that_own_a_step_may_act(processing_org: Org) -> None:
    users = processing_org.users
    dossier = received(processing_org)
    for outsider in ("counter_halong", "officer_stp", "leader_police", "leader_halong"):
        with pytest.raises(PermissionDenied):
            processing.assign_handler(
                dossier=dossier, assignee=users["officer_stp"], actor=users[outsider]
            )
    with pytest.raises(MotcuaError) as not_a_handler:
        processing.assign_handler(
            dossier=dossier, assignee=users["officer_police"], actor=users["leader_stp"]
        )
    assert not_a_handler.value.code == "not_a_handler"
    processing.assign_handler(
        dossier=dossier, assignee=users["officer_stp"], actor=users["leader_stp"]
    )
    for outsider in ("officer_halong", "officer_police", "counter_halong"):
        with pytest.raises(PermissionDenied):
            processing.propose(dossier=dossier, decision="grant", note="", actor=users[outsider])
    (consultation,) = processing.consult_agencies(
        dossier=dossier,
        agencies=[processing_org.agencies["police"]],
        question="?",
        days=1,
        actor=users["officer_stp"],
    )
    with pytest.raises(PermissionDenied):
        processing.reply_consultation(
            dossier=dossier, task_id=consultation.pk, reply="ok", actor=users["officer_stp"]
        )
    assert Task.objects.get(pk=consultation.pk).state == Task.State.OPEN


def test_illegal_transitions_are_conflicts_and_change_nothing(processing_org: Org) -> None:
    users = processing_org.users
    dossier = received(processing_org)
    revision = Dossier.objects.get(pk=dossier.pk).revision
    with pytest.raises(Conflict) as no_approval:
        processing.approve(dossier=dossier, actor=users["leader_stp"])
    assert no_approval.value.code == "illegal_transition"
    with pytest.raises(Conflict):
        processing.return_result(dossier=dossier, method="counter", actor=users["counter_halong"])
    with pytest.raises(Conflict):
        processing.stop(dossier=dossier, actor=users["counter_halong"])
    assert Dossier.objects.get(pk=dossier.pk).revision == revision

    dossier = approved(processing_org)
    with pytest.raises(Conflict):
        processing.approve(dossier=dossier, actor=users["leader_stp"])
    with pytest.raises(Conflict):
        processing.request_stop(dossier=dossier, reason="Không cần nữa")
    assert Result.objects.filter(dossier=dossier).count() == 1


def test_a_stale_revision_is_refused(processing_org: Org) -> None:
    users = processing_org.users
    dossier = received(processing_org)
    read = Dossier.objects.get(pk=dossier.pk).revision
    processing.assign_handler(
        dossier=dossier, assignee=users["officer_stp"], actor=users["leader_stp"]
    )
    with pytest.raises(Conflict) as stale:
        processing.assign_handler(
            dossier=dossier, assignee=users["officer_stp"], actor=users["leader_stp"], revision=read
        )
    assert stale.value.code == "stale_dossier"


def test_a_refusal_needs_reasons_and_becomes_a_signed_refusal(processing_org: Org) -> None:
    users = processing_org.users
    dossier = assigned(processing_org)
    with pytest.raises(MotcuaError):
        processing.propose(dossier=dossier, decision="refuse", note=" ", actor=users["officer_stp"])
    processing.propose(
        dossier=dossier,
        decision="refuse",
        note="- Không thuộc đối tượng được cấp\n- Thiếu thông tin cư trú",
        actor=users["officer_stp"],
    )
    processing.approve(dossier=dossier, actor=users["leader_stp"])
    result = Result.objects.get(dossier=dossier)
    assert result.kind == Result.Kind.REFUSAL
    assert result.reasons == ["Không thuộc đối tượng được cấp", "Thiếu thông tin cư trú"]
    results.sign_result(result.pk)
    results.sign_result(result.pk)  # a retried job changes nothing
    result.refresh_from_db()
    assert result.signed_at is not None
    assert signing.validate_pdf(results.result_pdf(result)).valid


def test_sending_back_reopens_the_handlers_step(processing_org: Org) -> None:
    users = processing_org.users
    dossier = assigned(processing_org)
    processing.propose(dossier=dossier, decision="grant", note="", actor=users["officer_stp"])
    with pytest.raises(MotcuaError):
        processing.send_back(dossier=dossier, note="", actor=users["leader_stp"])
    processing.send_back(dossier=dossier, note="Xác minh lại", actor=users["leader_stp"])
    handle = dossier.tasks.get(state=Task.State.OPEN)
    assert (handle.kind, handle.assignee) == (Task.Kind.HANDLE, users["officer_stp"])
    assert Dossier.objects.get(pk=dossier.pk).status == Status.PROCESSING


def test_a_supplement_after_receipt_waits_for_the_applicant(processing_org: Org) -> None:
    users = processing_org.users
    dossier = assigned(processing_org)
    processing.request_supplement_after_receipt(
        dossier=dossier, items=["Tờ khai ký thiếu trang 2"], actor=users["officer_stp"]
    )
    dossier.refresh_from_db()
    assert dossier.status == Status.SUPPLEMENT
    assert dossier.waiting_since is not None
    slip = dossier.slips.get(kind=Slip.Kind.SUPPLEMENT)
    assert (slip.agency, slip.items) == (
        processing_org.agencies["stp"],
        ["Tờ khai ký thiếu trang 2"],
    )
    # Received already: the counter cannot take it for a new check at receipt.
    with pytest.raises(Conflict):
        services.decide(
            dossier=dossier, outcome=services.Outcome("accept"), actor=users["counter_halong"]
        )
    assert Dossier.objects.get(pk=dossier.pk).status == Status.SUPPLEMENT
    services.supplement_dossier(
        dossier=dossier, files={}, on_paper=frozenset({"to_khai"}), actor=users["counter_halong"]
    )
    dossier.refresh_from_db()
    assert dossier.status == Status.PROCESSING
    assert dossier.waiting_since is None
    assert dossier.tasks.get(state=Task.State.OPEN).assignee == users["officer_stp"]
    # The history (and so the portal and the webhooks) sees the dossier leave the supplement.
    event = dossier.events.get(action="supplemented")
    assert (event.from_status, event.to_status, event.note) == (
        Status.SUPPLEMENT,
        Status.PROCESSING,
        "to_khai",
    )


def test_the_applicant_may_ask_to_stop_until_the_result(processing_org: Org) -> None:
    users = processing_org.users
    dossier = assigned(processing_org)
    with pytest.raises(MotcuaError):
        processing.request_stop(dossier=dossier, reason="")
    processing.request_stop(dossier=dossier, reason="Đã có Phiếu từ nơi khác")
    assert Dossier.objects.get(pk=dossier.pk).status == Status.WITHDRAWAL
    with pytest.raises(PermissionDenied):
        processing.stop(dossier=dossier, actor=users["counter_tinh"])
    dossier = processing.stop(dossier=dossier, actor=users["counter_halong"])
    assert dossier.status == Status.STOPPED
    assert dossier.finished_at is not None
    assert not dossier.tasks.filter(state=Task.State.OPEN).exists()
    assert dossier.slips.get(kind=Slip.Kind.STOP).items == ["Đã có Phiếu từ nơi khác"]


def test_every_status_change_tells_the_applicant(processing_org: Org) -> None:
    from motcua.core.models import Notification

    dossier = approved(processing_org)
    topics = list(
        Notification.objects.filter(reference=dossier.code, channel="email")
        .order_by("pk")
        .values_list("topic", flat=True)
    )
    assert topics == ["dossier.received", "dossier.assigned", "dossier.approved"]
    sms = Notification.objects.filter(reference=dossier.code, channel="sms").first()
    assert sms is not None
    assert dossier.code in sms.body


def test_events_are_never_edited(processing_org: Org) -> None:
    dossier = approved(processing_org)
    first = DossierEvent.objects.filter(dossier=dossier).order_by("pk").first()
    assert first is not None
    assert first.action == "submitted"
    assert dossier.events.count() == 5


def test_a_step_at_another_level_transfers_the_dossier(processing_org: Org) -> None:
    """A commune procedure whose approval is the department's: the commune handles, the
    department approves (a transfer across levels named by agency code in the process)."""
    from motcua.catalogue.services import import_procedures
    from tests.catalogue_data import procedure

    import_procedures(
        documents=[
            procedure(
                code="1.000001",
                name="Thủ tục liên thông hai cấp",
                time={"kind": "working_days", "value": 5},
                fee={"kind": "free"},
                process=[
                    {
                        "code": "tn",
                        "name": "Tiếp nhận",
                        "role": "counter_officer",
                        "agency": "receiving",
                        "share": 0.1,
                    },
                    {
                        "code": "xl",
                        "name": "Xã thẩm định",
                        "role": "processing_officer",
                        "agency": "competent",
                        "share": 0.4,
                    },
                    {
                        "code": "pd",
                        "name": "Sở phê duyệt",
                        "role": "agency_leader",
                        "agency": "000.00.02.H22",
                        "share": 0.4,
                    },
                    {
                        "code": "tkq",
                        "name": "Trả kết quả",
                        "role": "counter_officer",
                        "agency": "receiving",
                        "share": 0.1,
                    },
                ],
            )
        ]
    )
    users = processing_org.users
    from tests.intake_data import certified_copy

    dossier = services.submit_dossier(
        submission=certified_copy(procedure_code="1.000001"),
        channel=Channel.COUNTER,
        actor=users["counter_halong"],
        point=processing_org.points["halong"],
        outcome=services.Outcome("accept"),
    )
    processing.assign_handler(
        dossier=dossier, assignee=users["officer_halong"], actor=users["leader_halong"]
    )
    processing.propose(dossier=dossier, decision="grant", note="", actor=users["officer_halong"])
    approval = dossier.tasks.get(state=Task.State.OPEN)
    assert (approval.kind, approval.agency) == (Task.Kind.APPROVE, processing_org.agencies["stp"])
    with pytest.raises(PermissionDenied):
        processing.approve(dossier=dossier, actor=users["leader_halong"])
    dossier = processing.approve(dossier=dossier, actor=users["leader_stp"])
    assert dossier.status == Status.PROCESSED
    assert Result.objects.get(dossier=dossier).agency == processing_org.agencies["stp"]
    assert dossier.tasks.get(state=Task.State.OPEN).service_point == processing_org.points["halong"]


def test_inbox_filters_and_search(processing_org: Org) -> None:
    users = processing_org.users
    first, second = assigned(processing_org), assigned(processing_org)
    officer = principal_for(users["officer_stp"])
    uid = users["officer_stp"].pk
    assert {t.dossier_id for t in inbox.inbox(officer, uid, "handle")} == {first.pk, second.pk}
    found = inbox.inbox(officer, uid, "handle", query=second.code)
    assert [t.dossier_id for t in found] == [second.pk]
    processing.request_supplement_after_receipt(
        dossier=first, items=["Bổ sung"], actor=users["officer_stp"]
    )
    waiting = inbox.inbox(officer, uid, "handle", filter_name="waiting")
    assert [t.dossier_id for t in waiting] == [first.pk]
    assert not inbox.inbox(officer, uid, "handle", filter_name="overdue")
    later = first.due_at + dt.timedelta(days=30)
    overdue = inbox.inbox(officer, uid, "handle", filter_name="overdue", now=later)
    assert {t.dossier_id for t in overdue} == {first.pk, second.pk}
    # Boxes of other roles stay empty for the handler; the counter sees the supplement.
    assert not inbox.inbox(officer, uid, "approve")
    counter = principal_for(users["counter_halong"])
    assert [d.pk for d in inbox.inbox(counter, users["counter_halong"].pk, "receive")] == [first.pk]
