"""The processing API: the same services as the pages, with JSON errors (409 for an illegal
transition or a stale revision, 403 outside one's agency)."""

from __future__ import annotations

import pytest
from django.test import Client

from motcua.dossiers import results
from motcua.dossiers.models import Result, Status
from tests.dossiers.test_processing import received
from tests.org import Org


def client_of(org: Org, key: str) -> Client:
    client = Client()
    client.force_login(org.users[key])
    return client


def post(client: Client, path: str, body: dict[str, object]) -> object:
    return client.post(f"/api/v1/dossiers/{path}", body, content_type="application/json")


@pytest.mark.django_db
def test_a_dossier_walks_through_the_api(processing_org: Org) -> None:
    dossier = received(processing_org)
    code = dossier.code
    leader, handler = (
        client_of(processing_org, "leader_stp"),
        client_of(processing_org, "officer_stp"),
    )
    police = client_of(processing_org, "officer_police")

    assert leader.get("/api/v1/work").json()["assign"] == 1
    rows = leader.get("/api/v1/work/assign").json()
    assert [row["dossier"] for row in rows] == [code]

    answer = post(leader, f"{code}/assign", {"assignee": "officer_stp"})
    assert answer.status_code == 200
    assert answer.json()["status"] == Status.PROCESSING
    revision = answer.json()["revision"]

    # Before being consulted the police do not even see the dossier; the commune's officer
    # (whose centre received it) sees it but may not act for the department.
    assert post(police, f"{code}/proposal", {"decision": "grant"}).status_code == 404
    commune = client_of(processing_org, "officer_halong")
    denied = post(commune, f"{code}/proposal", {"decision": "grant"})
    assert denied.status_code == 403
    assert denied.json()["error"] == "outside_agency"

    answer = post(
        handler,
        f"{code}/consultations",
        {"agencies": ["000.00.16.H22"], "question": "Xác minh án tích", "days": 2},
    )
    assert answer.status_code == 200
    blocked = post(handler, f"{code}/proposal", {"decision": "grant"})
    assert blocked.status_code == 409
    assert blocked.json()["error"] == "consultation_open"
    (consult,) = [
        t for t in police.get(f"/api/v1/dossiers/{code}/tasks").json() if t["kind"] == "consult"
    ]
    assert (
        post(
            police, f"{code}/consultations/{consult['id']}/reply", {"reply": "Không có"}
        ).status_code
        == 200
    )
    assert post(handler, f"{code}/proposal", {"decision": "grant", "note": "Đủ"}).status_code == 200
    answer = post(leader, f"{code}/approval", {})
    assert answer.status_code == 200
    assert answer.json()["status"] == Status.PROCESSED
    again = post(leader, f"{code}/approval", {})
    assert again.status_code == 409
    assert again.json()["error"] == "illegal_transition"

    assert leader.get(f"/api/v1/dossiers/{code}/result.pdf").status_code == 404  # not signed yet
    results.sign_result(Result.objects.get().pk)
    result = leader.get(f"/api/v1/dossiers/{code}/result").json()
    assert result["kind"] == "grant"
    assert result["signed_at"]
    assert result["verify_url"]
    pdf = leader.get(f"/api/v1/dossiers/{code}/result.pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")

    counter = client_of(processing_org, "counter_halong")
    returned = post(counter, f"{code}/return", {"method": "online"}).json()
    assert returned["status"] == Status.RETURNED
    rows = counter.get(f"/api/v1/dossiers/{code}/control-slip").json()
    assert [row["result"] for row in rows] != []
    assert all(row["result"] for row in rows)
    assert returned["revision"] > revision  # every action since the assignment counted


@pytest.mark.django_db
def test_a_stale_revision_is_a_conflict_over_the_api(processing_org: Org) -> None:
    dossier = received(processing_org)
    leader = client_of(processing_org, "leader_stp")
    stale = post(leader, f"{dossier.code}/assign", {"assignee": "officer_stp", "revision": 0})
    assert stale.status_code == 409
    assert stale.json()["error"] == "stale_dossier"
    unknown = post(leader, f"{dossier.code}/assign", {"assignee": "nobody"})
    assert unknown.status_code == 400
    assert "assignee" in unknown.json()["fields"]


@pytest.mark.django_db
def test_the_applicant_asks_to_stop_with_the_tracking_secret(processing_org: Org) -> None:
    dossier = received(processing_org)
    client = Client()
    wrong = client.post(
        f"/api/v1/public/dossiers/{dossier.code}/stop-request",
        {"reason": "Không cần nữa", "secret": "sai"},
        content_type="application/json",
    )
    assert wrong.status_code == 404
    right = client.post(
        f"/api/v1/public/dossiers/{dossier.code}/stop-request",
        {"reason": "Không cần nữa", "secret": dossier.tracking_secret},
        content_type="application/json",
    )
    assert right.status_code == 200
    dossier.refresh_from_db()
    assert dossier.status == Status.WITHDRAWAL
