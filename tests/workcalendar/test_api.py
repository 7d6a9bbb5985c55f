"""The calendar API: answers, the error shape for bad parameters, and who may ask."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from motcua.organisation.models import Province
from motcua.workcalendar import services
from tests.workcalendar.when import day

pytestmark = pytest.mark.django_db


def get(client: Client, name: str, **params: Any) -> Any:
    return client.get(reverse(f"api:{name}"), params)


def test_add_working_days(viewer_client: Client) -> None:
    response = get(viewer_client, "add_working_days", start="2026-02-12", days=3)
    assert response.status_code == 200
    assert response.json() == {
        "start": "2026-02-12",
        "days": 3,
        "result": "2026-02-24",
        "due_at": "2026-02-24T17:00:00+07:00",
    }


def test_add_working_hours(viewer_client: Client) -> None:
    local = get(viewer_client, "add_working_hours", start="2026-02-13T16:00", hours=8)
    assert local.status_code == 200
    assert local.json() == {
        "start": "2026-02-13T16:00:00+07:00",
        "hours": 8.0,
        "result": "2026-02-23T16:00:00+07:00",
    }
    utc = get(viewer_client, "add_working_hours", start="2026-02-13T09:00:00Z", hours=8)
    assert utc.json()["start"] == "2026-02-13T16:00:00+07:00"
    assert utc.json()["result"] == "2026-02-23T16:00:00+07:00"


def test_working_time(viewer_client: Client) -> None:
    response = get(
        viewer_client, "working_time", start="2026-02-13T16:00", end="2026-02-23T16:00+07:00"
    )
    assert response.status_code == 200
    assert response.json() == {
        "start": "2026-02-13T16:00:00+07:00",
        "end": "2026-02-23T16:00:00+07:00",
        "hours": 8.0,
        "working_days": 1.0,
    }
    backwards = get(viewer_client, "working_time", start="2026-03-03T08:00", end="2026-03-02T08:00")
    assert backwards.json()["hours"] == -8.0


def test_same_day_due(viewer_client: Client) -> None:
    before = get(viewer_client, "same_day_due", received_at="2026-03-02T14:30")
    assert before.json() == {
        "received_at": "2026-03-02T14:30:00+07:00",
        "due": "2026-03-02T17:00:00+07:00",
    }
    after = get(viewer_client, "same_day_due", received_at="2026-02-13T15:30")
    assert after.json()["due"] == "2026-02-23T17:00:00+07:00"


def test_days_say_why(viewer_client: Client, province: Province) -> None:
    services.create_override(
        province=province,
        date=day("2026-08-31"),
        kind="working_day",
        name="Làm việc",
        decision="TB 9/TB-UBND",
    )
    response = get(viewer_client, "calendar_days", start="2026-08-21", end="2026-08-31")
    assert response.status_code == 200
    rows = {row["date"]: row for row in response.json()}
    assert len(rows) == 11
    assert rows["2026-08-21"] == {
        "date": "2026-08-21",
        "working": True,
        "reason": "weekday",
        "name": "",
        "decision": "",
    }
    assert rows["2026-08-22"]["reason"] == "make_up_day"
    assert rows["2026-08-22"]["working"] is True
    assert rows["2026-08-23"]["reason"] == "weekend"
    assert rows["2026-08-31"] == {
        "date": "2026-08-31",
        "working": True,
        "reason": "override_working",
        "name": "Làm việc",
        "decision": "TB 9/TB-UBND",
    }
    tet = get(viewer_client, "calendar_days", start="2026-02-17", end="2026-02-17").json()
    assert tet == [
        {
            "date": "2026-02-17",
            "working": False,
            "reason": "holiday",
            "name": "Tết Nguyên Đán",
            "decision": "",
        }
    ]


def test_holiday_names_follow_the_chosen_language(viewer_client: Client) -> None:
    viewer_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = get(viewer_client, "calendar_days", start="2026-02-17", end="2026-02-17")
    assert response.json()[0]["name"] == "Lunar New Year"


@pytest.mark.parametrize(
    ("name", "params", "field"),
    [
        ("add_working_days", {"start": "2026-02-12", "days": -1}, "days"),
        ("add_working_days", {"start": "2026-02-12", "days": 0}, "days"),
        ("add_working_days", {"start": "2026-02-12", "days": 3661}, "days"),
        ("add_working_days", {"start": "12/02/2026", "days": 1}, "start"),
        ("add_working_days", {"start": "2100-01-01", "days": 1}, "start"),
        ("add_working_days", {"start": "2026-02-12"}, "days"),
        ("add_working_hours", {"start": "2026-02-12T10:00", "hours": -1}, "hours"),
        ("add_working_hours", {"start": "2026-02-12T10:00", "hours": 29281}, "hours"),
        ("add_working_hours", {"start": "9999-12-31T10:00", "hours": 1}, "start"),
        ("add_working_hours", {"start": "tomorrow", "hours": 1}, "start"),
        ("working_time", {"start": "2026-01-01T08:00", "end": "2036-12-31T08:00"}, "__all__"),
        ("same_day_due", {"received_at": "1999-12-31T10:00"}, "received_at"),
        ("calendar_days", {"start": "2026-01-01", "end": "2027-01-02"}, "__all__"),
        ("calendar_days", {"start": "2026-02-10", "end": "2026-02-01"}, "__all__"),
    ],
)
def test_bad_parameters_get_422_with_the_error_shape(
    viewer_client: Client, name: str, params: dict[str, Any], field: str
) -> None:
    response = get(viewer_client, name, **params)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid"
    assert body["detail"]
    assert any(key == field or key.endswith(f".{field}") for key in body["fields"]), body


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("calendar_days", {"start": "2026-02-01", "end": "2026-02-28"}),
        ("add_working_days", {"start": "2026-02-12", "days": 3}),
        ("add_working_hours", {"start": "2026-02-12T10:00", "hours": 8}),
        ("working_time", {"start": "2026-02-12T10:00", "end": "2026-02-24T10:00"}),
        ("same_day_due", {"received_at": "2026-02-13T16:00"}),
    ],
)
def test_only_holders_of_calendar_view_may_ask(
    make_user: Any, name: str, params: dict[str, Any]
) -> None:
    anonymous = get(Client(), name, **params)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"] == "unauthenticated"
    outsider = Client()
    outsider.force_login(make_user("outsider", "organisation.view"))
    forbidden = get(outsider, name, **params)
    assert forbidden.status_code == 403
    assert forbidden.json()["error"] == "forbidden"


def test_the_largest_requests_are_answered(viewer_client: Client) -> None:
    days = get(viewer_client, "add_working_days", start="2026-01-01", days=3660)
    assert days.status_code == 200
    assert days.json()["result"] > "2040-01-01"
    hours = get(viewer_client, "add_working_hours", start="2026-01-01T08:00", hours=29280)
    assert hours.status_code == 200
    listed = get(viewer_client, "calendar_days", start="2028-01-01", end="2028-12-31")
    assert len(listed.json()) == 366  # a leap year
