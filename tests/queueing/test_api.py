"""The queue API: issuing (public, idempotent with a kiosk key), a ticket's place, a board, and
the counter's calls (the same services as the pages; JSON errors)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/queue/tickets"


def post(client: Client, path: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(path, body or {}, content_type="application/json")


def test_a_kiosk_issues_once_per_key_and_the_citizen_follows(queue_org: Any) -> None:
    body = {"service_point": "ttpvhcc-06688", "service": "chung-thuc", "key": "kiosk-1"}
    first = post(Client(), TICKETS, body)
    assert first.status_code == 201
    assert first.json()["number"] == "A001"
    again = post(Client(), TICKETS, body)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    second = post(Client(), TICKETS, body | {"key": "kiosk-2", "priority": "elderly"})
    assert second.status_code == 201
    assert second.json()["priority"] == "elderly"
    place = Client().get(f"{TICKETS}/{first.json()['secret']}/place").json()
    assert (place["number"], place["status"], place["ahead"]) == ("A001", "waiting", 1)
    unknown = post(Client(), TICKETS, body | {"service": "nope", "key": "kiosk-3"})
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "not_found"
    bad_priority = post(Client(), TICKETS, body | {"priority": "vip", "key": "kiosk-4"})
    assert bad_priority.status_code == 400
    assert "priority" in bad_priority.json()["fields"]


def test_a_counter_calls_over_the_api(queue_org: Any) -> None:
    post(Client(), TICKETS, {"service_point": "ttpvhcc-06688", "service": "chung-thuc"})
    counter = queue_org.counters[0]
    officer = Client()
    officer.force_login(queue_org.users["counter_halong"])
    base = f"/api/v1/queue/counters/{counter.pk}"
    closed = post(officer, f"{base}/call-next")
    assert closed.status_code == 409
    assert closed.json()["error"] == "counter_closed"
    assert post(officer, f"{base}/open").json() == {"state": "open"}
    called = post(officer, f"{base}/call-next").json()["ticket"]
    assert (called["number"], called["status"], called["counter"]) == ("A001", "called", 1)
    ticket = f"{base}/tickets/{called['id']}"
    elsewhere = post(officer, f"{ticket}/transfer", {"service": "nope"})
    assert elsewhere.status_code == 409
    assert elsewhere.json()["error"] == "service_not_offered"
    assert post(officer, f"{ticket}/start").json()["status"] == "serving"
    finished = post(officer, f"{ticket}/finish", {"dossier": "000.01.30.H22-261201-0001"})
    assert finished.json()["status"] == "finished"
    assert post(officer, f"{base}/call-next").json() == {"ticket": None}
    board = Client().get("/api/v1/queue/points/ttpvhcc-06688/board").json()
    assert board["recent"][0]["number"] == "A001"
    assert board["waiting"] == {}
    outsider = Client()
    outsider.force_login(queue_org.users["counter_tinh"])
    assert post(outsider, f"{base}/call-next").status_code == 404
