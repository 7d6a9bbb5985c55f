"""Dossier synchronisation with the national portal: real dossier services write the outbox,
the delivery engine sends through the portal sink, the simulator (its own process, real HTTP)
validates and records what arrives."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from motcua.dossiers import history, processing, results, services
from motcua.dossiers.models import Channel, Dossier, Result, Status
from motcua.interop import sinks
from motcua.interop.models import Delivery, OutboxEvent, PortalDossier, PortalProcedure
from motcua.interop.portal import mapping
from motcua.workcalendar.selectors import calendar_for
from tests.intake_data import certified_copy
from tests.interop import portal_sim as simulator
from tests.interop.portal_sim import PortalSimulator
from tests.org import Org
from tests.processing_data import judicial_record

portal_sim = simulator.portal_sim
portal_sync = simulator.portal_sync


def drain() -> None:
    """Run the delivery engine until nothing is due (a retry is made due at once)."""
    from motcua.interop import delivery

    for _round in range(20):
        delivery.deliver_due()
        due = Delivery.objects.filter(sink="portal", state=Delivery.State.PENDING)
        if not due.exists():
            return
        due.update(next_attempt_at=timezone.now(), leased_until=None)


def deliver_once() -> None:
    from motcua.interop import delivery

    delivery.deliver_due()


def portal_deliveries(dossier: Dossier) -> Any:
    return Delivery.objects.filter(sink="portal", event__dossier=dossier).order_by("event_id")


def received(org: Org) -> Dossier:
    return services.submit_dossier(
        submission=judicial_record(),
        channel=Channel.COUNTER,
        actor=org.users["counter_halong"],
        point=org.points["halong"],
        outcome=services.Outcome("accept"),
    )


def assigned(org: Org, dossier: Dossier) -> Dossier:
    return processing.assign_handler(
        dossier=dossier, assignee=org.users["officer_stp"], actor=org.users["leader_stp"]
    )


def returned(org: Org, dossier: Dossier) -> Dossier:
    users = org.users
    processing.propose(dossier=dossier, decision="grant", note="", actor=users["officer_stp"])
    dossier = processing.approve(dossier=dossier, actor=users["leader_stp"])
    results.sign_result(Result.objects.get(dossier=dossier).pk)
    return processing.return_result(
        dossier=dossier, method="counter", actor=users["counter_halong"]
    )


def test_a_counter_dossier_reaches_the_portal_in_order_from_its_receipt(
    processing_org: Org, portal_sync: PortalSimulator
) -> None:
    dossier = returned(processing_org, assigned(processing_org, received(processing_org)))
    assert dossier.status == Status.RETURNED
    drain()
    # Submitted at the counter and received at once: the portal first sees the receipt; the
    # proposal (an internal step, status unchanged) is not reported.
    assert portal_sync.statuses(dossier.code) == [2, 4, 9, 10]
    entries = [e for e in portal_sync.received(dossier.code) if e["kind"] in ("sync", "status")]
    assert [e["kind"] for e in entries] == ["sync", "status", "status", "status"]
    assert all(e["valid"] and not e["duplicate"] for e in entries)
    first = entries[0]["body"]
    assert first["code"] == dossier.code
    assert first["procedure"] == "2.000488"
    assert (first["agency"], first["competent_agency"]) == ("000.01.30.H22", "000.00.02.H22")
    assert first["applicant"] == {
        "name": "Nguyễn Văn An",
        "id_type": "cccd",
        "id_number": "022090012345",
    }
    assert first["received_at"]
    assert first["due_at"]
    assert entries[-1]["body"]["finished_at"]
    # Each push carries its outbox event's id, the portal's idempotency key.
    event_ids = [str(e.event_id) for e in OutboxEvent.objects.filter(dossier=dossier)]
    assert {e["event_id"] for e in entries} <= set(event_ids)
    portal_record = portal_sync.dossier(dossier.code)
    assert portal_record is not None
    assert portal_record["status"] == 10
    assert PortalDossier.objects.get(dossier=dossier).source == "pushed"
    assert set(portal_deliveries(dossier).values_list("state", flat=True)) == {"delivered"}


def test_an_online_dossier_starts_newly_registered(
    intake_org: Org, portal_sync: PortalSimulator
) -> None:
    dossier = services.submit_dossier(submission=certified_copy(), channel=Channel.ONLINE)
    services.accept_dossier(dossier=dossier, actor=intake_org.users["counter_halong"])
    drain()
    assert portal_sync.statuses(dossier.code) == [1, 2]
    sync_entry = portal_sync.received(dossier.code)[0]
    assert (sync_entry["body"]["channel"], sync_entry["body"]["received_at"]) == ("online", None)


def test_the_procedure_code_on_the_portal_is_mapped(
    intake_org: Org, portal_sync: PortalSimulator, settings: Any
) -> None:
    settings.PORTAL_PROCEDURE_SUFFIX = "000.00.00.H22"
    dossier = services.submit_dossier(submission=certified_copy(), channel=Channel.ONLINE)
    assert mapping.portal_code(dossier.procedure) == "2.000815.000.00.00.H22"
    PortalProcedure.objects.create(
        procedure=dossier.procedure, portal_code="2.000815.000.00.00.H23"
    )
    drain()
    (entry,) = portal_sync.received(dossier.code)
    assert (entry["valid"], entry["body"]["procedure"]) == (True, "2.000815.000.00.00.H23")
    assert mapping.local_code("2.000815.000.00.00.H23") == "2.000815"
    assert mapping.local_code("2.000488.000.00.00.H22") == "2.000488"


def test_an_illegal_transition_is_a_dead_letter_with_the_portals_reason(
    processing_org: Org, portal_sync: PortalSimulator
) -> None:
    dossier = received(processing_org)
    # A correction that jumps from received to returned: the portal refuses it.
    dossier.status = Status.RETURNED
    dossier.save(update_fields=["status"])
    history.append_event(dossier, None, "returned", Status.RECEIVED)
    drain()
    receipt, jump = portal_deliveries(dossier)
    assert receipt.state == Delivery.State.DELIVERED
    assert jump.state == Delivery.State.DEAD
    assert "409" in jump.last_error
    assert "cannot go from status 2 to 10" in jump.last_error
    assert portal_sync.statuses(dossier.code) == [2]


def test_a_redelivered_event_is_absorbed_by_its_id(
    processing_org: Org, portal_sync: PortalSimulator
) -> None:
    dossier = assigned(processing_org, received(processing_org))
    drain()
    # A worker killed after sending, before recording the delivery: both are sent again.
    portal_deliveries(dossier).update(
        state=Delivery.State.PENDING, next_attempt_at=timezone.now(), delivered_at=None
    )
    drain()
    entries = [e for e in portal_sync.received(dossier.code) if e["kind"] in ("sync", "status")]
    assert [(e["status"], e["duplicate"]) for e in entries] == [
        (2, False),
        (4, False),
        (2, True),
        (4, True),
    ]
    assert portal_sync.statuses(dossier.code) == [2, 4]
    record = portal_sync.dossier(dossier.code)
    assert record is not None
    assert [h["status"] for h in record["history"]] == [2, 4]
    assert set(portal_deliveries(dossier).values_list("state", flat=True)) == {"delivered"}


def test_events_wait_while_the_portal_is_down_and_drain_in_order(
    processing_org: Org, portal_sync: PortalSimulator
) -> None:
    dossier = received(processing_org)
    drain()
    portal_sync.stop()
    dossier = assigned(processing_org, dossier)
    dossier = returned(processing_org, dossier)
    deliver_once()
    waiting = portal_deliveries(dossier).filter(state=Delivery.State.PENDING)
    assert waiting.count() == 3
    assert not portal_deliveries(dossier).filter(state=Delivery.State.DEAD).exists()
    tried = [d for d in waiting if d.attempts]
    assert tried
    assert all("cannot be reached" in d.last_error for d in tried)

    portal_sync.start()  # its state kept: it still knows the dossier at status 2
    drain()
    assert portal_sync.statuses(dossier.code) == [2, 4, 9, 10]
    assert set(portal_deliveries(dossier).values_list("state", flat=True)) == {"delivered"}


def test_an_overloaded_portal_is_retried(processing_org: Org, portal_sync: PortalSimulator) -> None:
    portal_sync.fail(2, status=503)
    dossier = received(processing_org)
    drain()
    (delivery,) = portal_deliveries(dossier)
    assert (delivery.state, delivery.attempts) == (Delivery.State.DELIVERED, 3)
    assert portal_sync.statuses(dossier.code) == [2]


def test_a_transferred_in_dossier_is_not_reported(
    processing_org: Org, portal_sync: PortalSimulator
) -> None:
    dossier = services.submit_dossier(
        submission=judicial_record(),
        channel=Channel.COUNTER,
        actor=processing_org.users["counter_halong"],
        point=processing_org.points["halong"],
    )
    Dossier.objects.filter(pk=dossier.pk).update(
        origin_instance="https://motcua.hanoi.example", origin_code="000.00.01.H01-261201-0007"
    )
    dossier.refresh_from_db()
    dossier = services.accept_dossier(dossier=dossier, actor=processing_org.users["counter_halong"])
    assigned(processing_org, dossier)
    assert OutboxEvent.objects.filter(dossier=dossier).count() == 3
    assert not portal_deliveries(dossier).exists()
    drain()
    assert portal_sync.received(dossier.code) == []


def test_only_what_the_portal_shows_is_reported(
    processing_org: Org, portal_sync: PortalSimulator
) -> None:
    dossier = assigned(processing_org, received(processing_org))
    users = processing_org.users
    processing.propose(dossier=dossier, decision="grant", note="", actor=users["officer_stp"])
    due = dossier.due_at
    assert due is not None
    processing.extend_deadline(
        dossier=dossier,
        new_due_date=calendar_for("22").add_working_days(timezone.localdate(due), 2),
        reason="Chờ xác minh",
        actor=users["officer_stp"],
    )
    reported = [d.event.data["action"] for d in portal_deliveries(dossier).select_related("event")]
    assert reported == ["received", "assigned", "extended"]
    drain()
    *_before, extension = portal_sync.received(dossier.code)
    assert (extension["status"], extension["valid"]) == (4, True)
    assert extension["body"]["note"] == "Chờ xác minh"
    record = portal_sync.dossier(dossier.code)
    assert record is not None
    assert record["due_at"] == extension["body"]["due_at"] != record["received_at"]


def test_sync_off_writes_no_portal_delivery(processing_org: Org, settings: Any) -> None:
    settings.PORTAL_URL = ""
    dossier = received(processing_org)
    assert OutboxEvent.objects.filter(dossier=dossier).exists()
    assert not portal_deliveries(dossier).exists()
    assert sinks.get("portal").ordered is True


def test_the_status_pushed_is_the_events_not_the_dossiers(
    processing_org: Org, portal_sync: PortalSimulator
) -> None:
    dossier = received(processing_org)
    assigned(processing_org, dossier)  # the dossier is at 4 before its receipt is sent
    (receipt, _assignment) = portal_deliveries(dossier).select_related("event")
    sinks.get("portal").send(receipt.event, "")
    assert portal_sync.statuses(dossier.code) == [Status.RECEIVED]
