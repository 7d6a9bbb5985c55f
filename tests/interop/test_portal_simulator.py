"""The national portal simulator's rules, and the HTTP transport's reading of its answers,
over real HTTP with the simulator in its own process."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
import pytest

from motcua.interop.portal.simulator import TRANSITIONS, accepts
from motcua.interop.portal.transport import DossierSync, HttpPortalTransport, StatusChange
from motcua.interop.sinks import DeliveryError
from tests.interop import portal_sim as simulator
from tests.interop.portal_sim import PortalSimulator

CODE = "000.01.30.H22-261201-0001"
AT = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)

portal_sim = simulator.portal_sim


def sync(**changes: object) -> DossierSync:
    values: dict[str, object] = {
        "event_id": str(uuid.uuid4()),
        "code": CODE,
        "procedure": "2.000488",
        "agency": "000.01.30.H22",
        "competent_agency": "000.00.02.H22",
        "status": 2,
        "channel": "counter",
        "applicant_name": "Nguyễn Văn An",
        "applicant_id_type": "cccd",
        "applicant_id_number": "022090012345",
        "submitted_at": AT,
        "received_at": AT.isoformat(),
        "due_at": (AT + dt.timedelta(days=14)).isoformat(),
        "finished_at": None,
    }
    return DossierSync(**(values | changes))  # type: ignore[arg-type]


def change(status: int, **changes: object) -> StatusChange:
    values: dict[str, object] = {
        "event_id": str(uuid.uuid4()),
        "code": CODE,
        "status": status,
        "at": AT + dt.timedelta(hours=1),
        "note": "",
        "received_at": AT.isoformat(),
        "due_at": (AT + dt.timedelta(days=14)).isoformat(),
        "finished_at": None,
    }
    return StatusChange(**(values | changes))  # type: ignore[arg-type]


@pytest.fixture
def transport(portal_sim: PortalSimulator) -> HttpPortalTransport:
    return HttpPortalTransport(portal_sim.url, portal_sim.token)


def refusal(call: object) -> DeliveryError:
    with pytest.raises(DeliveryError) as raised:
        call()  # type: ignore[operator]
    return raised.value


def test_a_valid_push_is_recorded_and_a_repeated_event_is_a_duplicate(
    transport: HttpPortalTransport, portal_sim: PortalSimulator
) -> None:
    first = sync()
    assert transport.push_dossier(first).duplicate is False
    assert transport.push_dossier(first).duplicate is True
    entries = portal_sim.received(CODE)
    assert [(e["kind"], e["valid"], e["duplicate"]) for e in entries] == [
        ("sync", True, False),
        ("sync", True, True),
    ]
    assert entries[0]["event_id"] == first.event_id
    assert entries[0]["body"]["applicant"]["name"] == "Nguyễn Văn An"
    record = portal_sim.dossier(CODE)
    assert record is not None
    assert (record["status"], len(record["history"])) == (2, 1)
    # A procedure code with the province's locality suffix is a national code too.
    assert not transport.push_dossier(
        sync(code="000.01.30.H22-261201-0002", procedure="2.000488.000.00.00.H22")
    ).duplicate


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"code": "000.01.30.H22-2612-0001"}, "code"),
        ({"code": "000.01.30.H22-261301-0001"}, "code"),  # month 13
        ({"code": "000.00.02.H22-261201-0001"}, "code"),  # not the receiving agency's
        ({"agency": "000.01.30.h22"}, "agency"),
        ({"competent_agency": "STP"}, "competent_agency"),
        ({"procedure": "2000815"}, "procedure"),
        ({"procedure": "2.000815.xyz"}, "procedure"),
        ({"status": 11}, "status"),
        ({"status": 0}, "status"),
        ({"channel": "fax"}, "channel"),
        ({"received_at": "01/12/2026"}, "received_at"),
        ({"due_at": None}, "due_at"),  # status 2 has a due date
        ({"applicant_name": " "}, "applicant.name"),
        ({"applicant_id_type": "other"}, "applicant.id_type"),
    ],
)
def test_an_invalid_push_is_refused_with_its_field_errors(
    transport: HttpPortalTransport,
    portal_sim: PortalSimulator,
    changes: dict[str, object],
    field: str,
) -> None:
    error = refusal(lambda: transport.push_dossier(sync(**changes)))
    assert not error.retryable
    assert "422" in str(error)
    assert f"{field}:" in str(error)
    (entry,) = portal_sim.received()
    assert entry["valid"] is False
    assert field in [e["field"] for e in entry["errors"]]
    assert portal_sim.dossier(CODE) is None


def test_status_changes_follow_the_portal_transition_table(
    transport: HttpPortalTransport, portal_sim: PortalSimulator
) -> None:
    transport.push_dossier(sync())
    transport.push_status(change(4))
    transport.push_status(change(4, note="Giao lại"))  # the same status: an update
    illegal = refusal(lambda: transport.push_status(change(10)))
    assert not illegal.retryable
    assert "409" in str(illegal)
    assert "cannot go from status 4 to 10" in str(illegal)
    unknown = refusal(lambda: transport.push_status(change(4, code="000.01.30.H22-261201-0009")))
    assert (unknown.retryable, "404" in str(unknown)) == (False, True)
    transport.push_status(change(9))
    transport.push_status(change(10))
    assert portal_sim.statuses(CODE) == [2, 4, 4, 9, 10]
    record = portal_sim.dossier(CODE)
    assert record is not None
    assert record["status"] == 10


def test_a_repeated_status_event_is_applied_once(
    transport: HttpPortalTransport, portal_sim: PortalSimulator
) -> None:
    transport.push_dossier(sync())
    processing = change(4)
    transport.push_status(processing)
    transport.push_status(change(9))
    # Redelivered after the portal moved on: absorbed by its event id, not refused as 9 → 4.
    assert transport.push_status(processing).duplicate is True
    record = portal_sim.dossier(CODE)
    assert record is not None
    assert (record["status"], [h["status"] for h in record["history"]]) == (9, [2, 4, 9])


def test_the_transition_table_follows_the_dossier_lifecycle() -> None:
    # The lifecycle motcua's services produce (services.py, processing.py).
    for before, after in [(1, 2), (1, 3), (1, 5), (5, 1), (5, 2), (2, 4), (2, 9), (4, 5),
                          (5, 4), (4, 6), (6, 4), (4, 7), (7, 8), (4, 9), (9, 10)]:  # fmt: skip
        assert accepts(before, after), (before, after)
    for before, after in [(1, 4), (2, 10), (4, 10), (3, 2), (8, 4), (10, 9), (9, 4)]:
        assert not accepts(before, after), (before, after)
    assert all(accepts(status, status) for status in TRANSITIONS)


def test_failures_the_portal_may_recover_from_are_retryable(
    transport: HttpPortalTransport, portal_sim: PortalSimulator
) -> None:
    portal_sim.fail(1, status=503)
    unavailable = refusal(lambda: transport.push_dossier(sync()))
    assert (unavailable.retryable, "503" in str(unavailable)) == (True, True)

    wrong_token = HttpPortalTransport(portal_sim.url, "not-the-token")
    assert refusal(lambda: wrong_token.push_dossier(sync())).retryable

    portal_sim.fail(1, status=200, delay=1.0)
    impatient = HttpPortalTransport(
        portal_sim.url, portal_sim.token, timeout=httpx.Timeout(0.2, connect=1.0)
    )
    timed_out = refusal(lambda: impatient.push_dossier(sync()))
    assert timed_out.retryable
    assert "in time" in str(timed_out)

    portal_sim.stop()
    down = refusal(lambda: transport.push_dossier(sync()))
    assert (down.retryable, "cannot be reached" in str(down)) == (True, True)


def test_the_state_survives_a_restart(
    transport: HttpPortalTransport, portal_sim: PortalSimulator
) -> None:
    first = sync()
    transport.push_dossier(first)
    portal_sim.stop()
    portal_sim.start()
    assert transport.push_dossier(first).duplicate is True
    transport.push_status(change(4))
    assert portal_sim.statuses(CODE) == [2, 4]


def test_submissions_are_served_acknowledged_once_and_rejected(
    transport: HttpPortalTransport, portal_sim: PortalSimulator
) -> None:
    filed = portal_sim.add_submission(procedure="2.000488", agency="000.00.02.H22")
    refused = portal_sim.add_submission(procedure="2.000488", agency="000.00.02.H22")
    assert {s["id"] for s in transport.fetch_submissions()} == {filed, refused}
    transport.ack_submission(filed, CODE)
    transport.ack_submission(filed, CODE)  # idempotent
    other = refusal(lambda: transport.ack_submission(filed, "000.01.30.H22-261201-0002"))
    assert (other.retryable, "409" in str(other)) == (False, True)
    transport.reject_submission(refused, "Hồ sơ không hợp lệ", {"data.muc_dich": ["Bắt buộc"]})
    assert transport.fetch_submissions() == []
    states = {s["id"]: s for s in portal_sim.submissions()}
    assert (states[filed]["state"], states[filed]["dossier_code"]) == ("acked", CODE)
    assert states[refused]["state"] == "rejected"
    assert states[refused]["rejection"]["fields"] == {"data.muc_dich": ["Bắt buộc"]}
    # Acknowledged, the dossier is the portal's at status 1: its status changes are accepted.
    transport.push_status(change(2))
    assert portal_sim.statuses(CODE) == [2]


def test_an_unknown_submission_is_refused(transport: HttpPortalTransport) -> None:
    error = refusal(lambda: transport.ack_submission("DVC-NONE", CODE))
    assert (error.retryable, "404" in str(error)) == (False, True)
