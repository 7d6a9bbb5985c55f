"""The calendar page: the month grid and the deadline calculator, with and without HTMX."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from motcua.organisation.models import Province
from motcua.workcalendar import services
from tests.workcalendar.when import day

pytestmark = pytest.mark.django_db
URL = "/calendar/"


def page(client: Client, **params: Any) -> str:
    response = client.get(reverse("workcalendar:calendar"), params)
    assert response.status_code == 200
    return response.content.decode()


def cell(html: str, number: int) -> str:
    """The table cell of day `number` of the month shown."""
    match = re.search(
        rf'<td class="day [^"]*"[^>]*>\s*<span class="day-number">{number}</span>(.*?)</td>',
        html,
        re.DOTALL,
    )
    assert match, f"no cell for day {number}"
    return match.group(0)


def test_the_page_is_at_calendar() -> None:
    assert reverse("workcalendar:calendar") == URL


def test_the_month_grid_is_an_accessible_table(viewer_client: Client) -> None:
    html = page(viewer_client, month="2026-02")
    assert "<caption>Tháng 02/2026: 15 ngày làm việc</caption>" in html
    assert html.count('<th scope="col"') == 7
    assert html.count('class="day day-') == 28 + 7  # 28 days and the padding of 5 weeks
    tet = cell(html, 17)
    assert "day-off" in tet
    assert "Ngày lễ" in tet  # said in words, not by colour alone
    assert "Tết Nguyên Đán" in tet
    assert "day-working" in cell(html, 13)
    assert 'href="?month=2026-01"' in html
    assert 'href="?month=2026-03"' in html


def test_make_up_days_and_overrides_are_named_with_their_decisions(
    viewer_client: Client, province: Province
) -> None:
    services.create_override(
        province=province,
        date=day("2026-08-28"),
        kind="day_off",
        name="Nghỉ tránh bão",
        decision="Công điện 7/CĐ-UBND ngày 26/8/2026",
    )
    html = page(viewer_client, month="2026-08")
    saturday = cell(html, 22)
    assert "day-working" in saturday
    assert "Ngày làm bù" in saturday
    assert "Ngày nghỉ (thay cho ngày 22/08/2026)" in cell(html, 31)
    storm = cell(html, 28)
    assert "day-off" in storm
    assert "Nghỉ theo thông báo" in storm
    assert "Nghỉ tránh bão" in storm
    assert "Công điện 7/CĐ-UBND ngày 26/8/2026" in html


def test_today_is_marked(viewer_client: Client) -> None:
    with time_machine.travel(dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC), tick=False):
        html = page(viewer_client)
    today = cell(html, 10)
    assert 'aria-current="date"' in today
    assert "Hôm nay" in today
    assert "Tháng 03/2026" in html
    assert html.count('aria-current="date"') == 1


@pytest.mark.parametrize("month", ["2026-13", "junk", "99999-01", "1990-01"])
def test_a_bad_month_shows_the_current_one(viewer_client: Client, month: str) -> None:
    with time_machine.travel(dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC), tick=False):
        assert "Tháng 03/2026" in page(viewer_client, month=month)


def test_the_calculator_answers_htmx_with_a_fragment(viewer_client: Client) -> None:
    response = viewer_client.get(
        reverse("workcalendar:calendar"),
        {"received_at": "2026-02-12T10:00", "mode": "days", "amount": "3"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert [t.name for t in response.templates] == ["workcalendar/_deadline.html"]
    html = response.content.decode()
    assert "<caption>" not in html
    assert "17:00" in html
    assert "24/02/2026" in html
    assert "HX-Request" in response["Vary"]


def test_the_calculator_works_without_htmx(viewer_client: Client) -> None:
    html = page(
        viewer_client,
        received_at="2026-02-13T16:00",
        mode="hours",
        amount="8",
        month="2026-02",
    )
    result = html[html.index('id="deadline-result"') :]
    assert "16:00" in result
    assert "23/02/2026" in result
    assert "<caption>Tháng 02/2026" in html  # the month stays the one shown


@pytest.mark.parametrize(
    ("received_at", "due"),
    [("2026-03-02T14:30", "02/03/2026"), ("2026-03-02T15:30", "03/03/2026")],
)
def test_the_calculator_knows_the_same_day_cut_off(
    viewer_client: Client, received_at: str, due: str
) -> None:
    response = viewer_client.get(
        reverse("workcalendar:calendar"),
        {"received_at": received_at, "mode": "same_day"},
        HTTP_HX_REQUEST="true",
    )
    assert due in response.content.decode()
    assert response.context["deadline"].due.strftime("%H:%M") == "17:00"


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"received_at": "2026-02-12T10:00", "mode": "days", "amount": "1.5"}, "số nguyên"),
        ({"received_at": "2026-02-12T10:00", "mode": "days", "amount": "0"}, "số nguyên"),
        ({"received_at": "2026-02-12T10:00", "mode": "hours"}, "Nhập số ngày"),
        ({"received_at": "2026-02-12T10:00", "mode": "hours", "amount": "99999"}, ""),
        ({"received_at": "12/02/2026", "mode": "days", "amount": "3"}, ""),
        ({"received_at": "9999-01-01T10:00", "mode": "days", "amount": "3"}, "2099"),
        ({"received_at": "2026-02-12T10:00", "mode": "weeks", "amount": "3"}, ""),
    ],
)
def test_the_calculator_explains_bad_input(
    viewer_client: Client, params: dict[str, str], words: str
) -> None:
    response = viewer_client.get(reverse("workcalendar:calendar"), params, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="alert"' in html
    assert words in html
    assert response.context["deadline"] is None


def test_the_page_needs_calendar_view(make_user: Any) -> None:
    anonymous = Client().get(URL)
    assert anonymous.status_code == 302
    assert "/login" in anonymous["Location"]
    outsider = Client()
    outsider.force_login(make_user("outsider", "organisation.view"))
    assert outsider.get(URL).status_code == 403
