from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.org import Org


@pytest.fixture
def client(org: Org) -> Client:
    client = Client()
    client.force_login(org.users["counter_halong"])
    return client


@pytest.mark.django_db
def test_api_computes_deadlines(client: Client) -> None:
    added = client.get(reverse("api:add_working_days"), {"start": "2026-02-12", "days": 3})
    assert added.json()["result"] == "2026-02-24"
    assert added.json()["due_at"].startswith("2026-02-24T17:00:00+07:00")
    hours = client.get(
        reverse("api:add_working_hours"), {"start": "2026-02-13T16:00", "hours": 8}
    ).json()
    assert hours["result"].startswith("2026-02-23T16:00:00+07:00")
    span = client.get(
        reverse("api:working_time"),
        {"start": "2026-02-13T16:00:00+07:00", "end": "2026-02-23T16:00:00+07:00"},
    )
    assert span.json() == {"hours": 8.0, "working_days": 1.0}
    due = client.get(reverse("api:same_day_due"), {"received_at": "2026-02-13T15:30"}).json()
    assert due["due"].startswith("2026-02-23T17:00:00+07:00")
    days = client.get(reverse("api:calendar_days"), {"start": "2026-02-16", "end": "2026-02-22"})
    rows = days.json()
    assert [row["working"] for row in rows] == [False] * 7
    assert rows[1]["reason"] == "holiday"
    assert rows[1]["name"] == "Tết Nguyên Đán"


@pytest.mark.django_db
def test_api_refuses_bad_input_with_the_error_shape(client: Client) -> None:
    negative = client.get(reverse("api:add_working_days"), {"start": "2026-02-12", "days": -1})
    assert negative.status_code == 422
    assert negative.json()["error"] == "invalid"
    assert "days" in negative.json()["fields"]
    bad_date = client.get(reverse("api:add_working_days"), {"start": "12/02/2026", "days": 1})
    assert bad_date.status_code == 422
    too_long = client.get(
        reverse("api:calendar_days"), {"start": "2026-01-01", "end": "2028-01-01"}
    )
    assert too_long.status_code == 400
    assert too_long.json()["fields"]["end"]


@pytest.mark.django_db
def test_calendar_page_shows_the_month_and_computes(client: Client) -> None:
    page = client.get(reverse("workcalendar:calendar"), {"month": "2026-02"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Tết Nguyên Đán" in html
    assert "Tháng 02/2026" in html
    computed = client.get(
        reverse("workcalendar:calendar"),
        {"received_at": "2026-02-12T10:00", "mode": "days", "amount": "3"},
        HTTP_HX_REQUEST="true",
    )
    assert computed.templates[0].name == "workcalendar/_deadline.html"
    assert "17:00 24/02/2026" in computed.content.decode()
    wrong = client.get(
        reverse("workcalendar:calendar"),
        {"received_at": "2026-02-12T10:00", "mode": "days", "amount": "1.5"},
    )
    assert "số nguyên" in wrong.content.decode()
    assert wrong.context["result"] is None
    bad_month = client.get(reverse("workcalendar:calendar"), {"month": "2026-13"})
    assert bad_month.status_code == 200
