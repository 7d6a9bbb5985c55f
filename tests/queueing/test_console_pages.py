"""The staff queue pages: the counter console and its actions, the rating tablet, the live view
of the province and of one centre, the reports with the day-closing rollup, and the CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.contrib.messages import constants, get_messages
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from motcua.core.jobs import declared_schedules
from motcua.queueing import reports, services
from motcua.queueing.models import (
    CounterSession,
    DailyQueueStat,
    Rating,
    Ticket,
    TicketEvent,
)
from motcua.queueing.tasks import close_days
from motcua.workcalendar.engine import VN_TZ
from tests.org import Org

pytestmark = pytest.mark.django_db

DOSSIER_CODE = "000.01.30.H22-260101-0001"


def client_of(org: Org, key: str) -> Client:
    client = Client()
    client.force_login(org.users[key])
    return client


def act(client: Client, counter: Any, action: str, **data: Any) -> Any:
    """Press a console button; the answer is the page it leads back to (whose messages are
    those of this action only: showing them uses them up)."""
    url = reverse("queueing:console_act", args=[counter.pk, action])
    return client.post(url, data, follow=True)


def flashed(response: Any) -> list[tuple[int, str]]:
    shown = response.context["messages"] if response.context else None
    if shown is None:
        shown = get_messages(response.wsgi_request)
    return [(m.level, str(m)) for m in shown]


def vi(message: str) -> str:
    with translation.override("vi"):
        return gettext(message)


@pytest.fixture
def desk(queue_org: Org) -> Any:
    return queue_org.counters[0]  # type: ignore[attr-defined]


@pytest.fixture
def officer(queue_org: Org) -> Client:
    return client_of(queue_org, "counter_halong")


def issue(org: Org, code: str = "chung-thuc", **kwargs: Any) -> Ticket:
    return services.issue_ticket(service=org.queue_services[code], **kwargs)  # type: ignore[attr-defined]


# The console ------------------------------------------------------------------------------


def test_open_call_start_finish_with_a_dossier(queue_org: Org, desk: Any, officer: Client) -> None:
    ticket = issue(queue_org)
    page = officer.get(reverse("queueing:console", args=[desk.pk]))
    assert page.status_code == 200
    assert page.context["state"] == "closed"
    assert [row.ticket for row in page.context["waiting"]] == [ticket]
    assert 'id="open-counter"' in page.content.decode()

    response = act(officer, desk, "open")
    assert response.redirect_chain == [(reverse("queueing:console", args=[desk.pk]), 302)]
    assert CounterSession.objects.get(counter=desk, closed_at=None).officer.username == (
        "counter_halong"
    )

    act(officer, desk, "call-next")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.counter, ticket.calls) == (Ticket.Status.CALLED, desk, 1)
    page = officer.get(reverse("queueing:console", args=[desk.pk]))
    html = page.content.decode()
    assert 'id="current-number">A001<' in html
    assert 'id="call-next"' not in html
    # The intake form opens with the ticket, and the live queue is the point's board topic.
    assert f'href="{reverse("dossiers:receive_choose")}?ticket=A001"' in html
    assert f'data-live-topic="board.{desk.service_point_id}"' in html

    act(officer, desk, "recall", ticket=ticket.pk)
    act(officer, desk, "start", ticket=ticket.pk)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.calls) == (Ticket.Status.SERVING, 2)

    response = act(officer, desk, "finish", ticket=ticket.pk, dossier_code=DOSSIER_CODE)
    assert [level for level, _text in flashed(response)] == [constants.SUCCESS]
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.FINISHED
    assert ticket.dossier_code == DOSSIER_CODE
    events = list(ticket.events.values_list("action", "counter", "officer__username", "note"))
    assert events == [
        (TicketEvent.Action.ISSUED, None, None, ""),
        (TicketEvent.Action.CALLED, desk.pk, "counter_halong", ""),
        (TicketEvent.Action.RECALLED, desk.pk, "counter_halong", ""),
        (TicketEvent.Action.STARTED, desk.pk, "counter_halong", ""),
        (TicketEvent.Action.FINISHED, desk.pk, "counter_halong", DOSSIER_CODE),
    ]
    page = officer.get(reverse("queueing:console", args=[desk.pk]))
    assert page.context["current"] is None
    assert page.context["served_today"] == 1
    assert 'id="call-next"' in page.content.decode()


def test_partials_for_live_updates(queue_org: Org, desk: Any, officer: Client) -> None:
    issue(queue_org)
    issue(queue_org, "ho-tich", priority=queue_org.priorities["elderly"])  # type: ignore[attr-defined]
    url = reverse("queueing:console", args=[desk.pk])
    queue = officer.get(url + "?part=queue")
    assert queue.status_code == 200
    html = queue.content.decode()
    assert "<html" not in html
    assert 'id="waiting-list"' in html
    assert 'data-waiting-count="2"' in html
    # The elderly citizen is called first: listed first, with the priority's colour.
    assert html.index("B001") < html.index("A001")
    assert 'data-colour="#b3261e"' in html
    current = officer.get(url + "?part=current")
    assert 'id="counter-heading"' in current.content.decode()
    assert "<html" not in current.content.decode()


def test_pause_needs_a_reason_and_a_paused_counter_does_not_call(
    queue_org: Org, desk: Any, officer: Client
) -> None:
    ticket = issue(queue_org)
    act(officer, desk, "open")
    response = act(officer, desk, "pause", reason="", reason_text="  ")
    assert (constants.ERROR, vi("Say why the counter pauses.")) in flashed(response)
    session = CounterSession.objects.get(counter=desk, closed_at=None)
    assert session.state == "open"

    act(officer, desk, "pause", reason="Break", reason_text="Họp giao ban")
    session.refresh_from_db()
    assert (session.state, session.pause_reason) == ("paused", "Họp giao ban")
    page = officer.get(reverse("queueing:console", args=[desk.pk]))
    assert page.context["state"] == "paused"
    assert "Họp giao ban" in page.content.decode()

    response = act(officer, desk, "call-next")
    assert (constants.ERROR, vi("The counter is paused: resume it to call.")) in flashed(response)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.WAITING

    act(officer, desk, "resume")
    act(officer, desk, "pause", reason="Break")  # a common reason alone is enough
    session.refresh_from_db()
    assert session.pause_reason == "Break"
    act(officer, desk, "resume")
    session.refresh_from_db()
    assert session.state == "open"
    assert session.paused_seconds >= 0


def test_closing_with_a_ticket_open_is_refused(queue_org: Org, desk: Any, officer: Client) -> None:
    issue(queue_org)
    act(officer, desk, "open")
    act(officer, desk, "call-next")
    response = act(officer, desk, "close")
    assert (
        constants.ERROR,
        vi("Finish, hold or transfer the ticket being served before closing."),
    ) in flashed(response)
    assert CounterSession.objects.filter(counter=desk, closed_at=None).exists()
    act(officer, desk, "no-show")  # the ticket at the counter when the form names none
    assert Ticket.objects.get().status == Ticket.Status.NO_SHOW
    act(officer, desk, "close")
    assert not CounterSession.objects.filter(counter=desk, closed_at=None).exists()


def test_call_next_with_nobody_waiting_says_so(queue_org: Org, desk: Any, officer: Client) -> None:
    act(officer, desk, "open")
    response = act(officer, desk, "call-next")
    assert flashed(response) == [(constants.INFO, vi("Nobody is waiting for this counter."))]


def test_other_points_counters_are_not_found(queue_org: Org, officer: Client) -> None:
    other = queue_org.points["baichay"].counters.first()
    assert officer.get(reverse("queueing:console", args=[other.pk])).status_code == 404
    assert act(officer, other, "open").status_code == 404
    assert not CounterSession.objects.exists()


def test_staff_without_queue_serve_are_refused(queue_org: Org, desk: Any) -> None:
    processing = client_of(queue_org, "officer_halong")
    assert processing.get(reverse("queueing:console", args=[desk.pk])).status_code == 403
    assert act(processing, desk, "open").status_code == 403
    anonymous = Client().get(reverse("queueing:console", args=[desk.pk]))
    assert anonymous.status_code == 302
    assert reverse("core:login") in anonymous["Location"]


def test_unknown_action_and_get_are_refused(queue_org: Org, desk: Any, officer: Client) -> None:
    assert act(officer, desk, "explode").status_code == 404
    url = reverse("queueing:console_act", args=[desk.pk, "open"])
    assert officer.get(url).status_code == 405


def test_transfer_to_another_service(queue_org: Org, desk: Any, officer: Client) -> None:
    ticket = issue(queue_org)
    land = queue_org.queue_services["dat-dai"]  # type: ignore[attr-defined]
    act(officer, desk, "open")
    act(officer, desk, "call-next")
    page = officer.get(reverse("queueing:console", args=[desk.pk]))
    assert land in page.context["transfer_to"]
    assert queue_org.queue_services["chung-thuc"] not in page.context["transfer_to"]  # type: ignore[attr-defined]
    response = act(officer, desk, "transfer", ticket=ticket.pk, service=land.pk)
    assert flashed(response)[0][0] == constants.SUCCESS
    ticket.refresh_from_db()
    assert (ticket.service, ticket.status, ticket.counter) == (land, Ticket.Status.WAITING, None)
    assert ticket.events.filter(action=TicketEvent.Action.TRANSFERRED, note=land.name).exists()
    # Another point's service, or none: refused.
    act(officer, desk, "call", ticket=ticket.pk)
    foreign = queue_org.points["baichay"].queue_services.create(code="x", name="X", prefix="X")
    response = act(officer, desk, "transfer", ticket=ticket.pk, service=foreign.pk)
    assert flashed(response)[0][0] == constants.ERROR
    ticket.refresh_from_db()
    assert ticket.service == land


def test_hold_call_back_and_cancel(queue_org: Org, desk: Any, officer: Client) -> None:
    first, second = issue(queue_org), issue(queue_org)
    act(officer, desk, "open")
    act(officer, desk, "call", ticket=second.pk)  # out of order
    second.refresh_from_db()
    assert second.status == Ticket.Status.CALLED
    act(officer, desk, "hold", ticket=second.pk, note="Đi photo giấy tờ")
    page = officer.get(reverse("queueing:console", args=[desk.pk]))
    assert [row.ticket for row in page.context["held"]] == [second]
    assert [row.ticket for row in page.context["waiting"]] == [first]
    act(officer, desk, "call", ticket=second.pk)
    act(officer, desk, "finish", ticket=second.pk)
    response = act(officer, desk, "cancel", ticket=first.pk)
    assert flashed(response)[0][0] == constants.SUCCESS
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Ticket.Status.CANCELLED, Ticket.Status.FINISHED)
    # A finished ticket cannot be cancelled; a ticket of another point is not found.
    response = act(officer, desk, "cancel", ticket=second.pk)
    assert flashed(response)[0][0] == constants.ERROR


def test_open_an_existing_dossier_by_code(queue_org: Org, desk: Any, officer: Client) -> None:
    url = reverse("queueing:console", args=[desk.pk])
    response = officer.get(url, {"dossier": f" {DOSSIER_CODE} "})
    assert response["Location"] == reverse("dossiers:detail", args=[DOSSIER_CODE])
    response = officer.get(url, {"dossier": "../x"})
    assert response["Location"] == url
    assert flashed(response)[0][0] == constants.ERROR


# Rating -----------------------------------------------------------------------------------


def served_ticket(org: Org, desk: Any) -> Ticket:
    officer = org.users["counter_halong"]
    ticket = issue(org)
    if not CounterSession.objects.filter(counter=desk, closed_at=None).exists():
        services.open_counter(counter=desk, actor=officer)
    services.call_next(counter=desk, actor=officer)
    return services.finish(ticket=ticket, counter=desk, actor=officer)


SCORES = {"attitude": "5", "guidance": "4", "speed": "3", "overall": "5"}


def test_rating_at_the_tablet(queue_org: Org, desk: Any) -> None:
    tablet = Client()
    url = reverse("queueing:rate_tablet", args=[desk.pk])
    idle = tablet.get(url)
    assert idle.status_code == 200
    assert 'id="rate-idle"' in idle.content.decode()
    assert f'data-live-topic="board.{desk.service_point_id}"' in idle.content.decode()

    ticket = served_ticket(queue_org, desk)
    page = tablet.get(url)
    html = page.content.decode()
    assert page.context["ticket"] == ticket
    assert 'id="rate-number">A001<' in html
    assert reverse("queueing:rate", args=[ticket.secret]) in html
    assert html.count('type="radio"') == 4 * 5
    assert tablet.get(url + "?part=screen").content.decode().count('type="radio"') == 20

    rate = reverse("queueing:rate", args=[ticket.secret])
    bad = tablet.post(rate, {**SCORES, "speed": "9", "next": url}, follow=True)
    assert bad.redirect_chain == [(url, 302)]
    assert flashed(bad)[0] == (constants.ERROR, vi("Rate every criterion from 1 to 5."))
    assert not Rating.objects.exists()
    missing = tablet.post(rate, {"attitude": "5", "next": url}, follow=True)
    assert flashed(missing)[0][0] == constants.ERROR
    assert not Rating.objects.exists()

    done = tablet.post(rate, {**SCORES, "comment": "Cán bộ nhiệt tình", "next": url}, follow=True)
    assert done.redirect_chain == [(url, 302)]
    assert 'id="rate-idle"' in done.content.decode()
    assert flashed(done) == [(constants.SUCCESS, vi("Thank you for your rating!"))]
    rating = Rating.objects.get()
    assert rating.scores == {"attitude": 5, "guidance": 4, "speed": 3, "overall": 5}
    assert (rating.officer, rating.counter, str(rating.average)) == (
        queue_org.users["counter_halong"],
        desk,
        "4.25",
    )
    assert 'id="rate-idle"' in tablet.get(url).content.decode()

    again = tablet.post(rate, {**dict.fromkeys(SCORES, "1"), "next": url}, follow=True)
    assert flashed(again) == [
        (
            constants.ERROR,
            vi("This service was rated already. Thank you!"),
        )
    ]
    rating.refresh_from_db()
    assert rating.scores["attitude"] == 5
    assert Rating.objects.count() == 1


def test_tablet_forgets_a_ticket_after_ten_minutes(queue_org: Org, desk: Any) -> None:
    url = reverse("queueing:rate_tablet", args=[desk.pk])
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, 0, tzinfo=VN_TZ), tick=False):
        served_ticket(queue_org, desk)
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, 9, tzinfo=VN_TZ), tick=False):
        assert Client().get(url).context["ticket"] is not None
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, 11, tzinfo=VN_TZ), tick=False):
        assert Client().get(url).context["ticket"] is None


def test_rate_is_post_only_and_unknown_tickets_are_not_found(queue_org: Org, desk: Any) -> None:
    assert Client().get(reverse("queueing:rate", args=["x"])).status_code == 405
    assert Client().post(reverse("queueing:rate", args=["x"]), SCORES).status_code == 404
    assert Client().get(reverse("queueing:rate_tablet", args=[0])).status_code == 404


def test_rating_from_elsewhere_goes_back_to_the_phone_page(queue_org: Org, desk: Any) -> None:
    ticket = served_ticket(queue_org, desk)
    response = Client().post(
        reverse("queueing:rate", args=[ticket.secret]), {**SCORES, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("queueing:follow", args=[ticket.secret])


# The live views ---------------------------------------------------------------------------


def test_live_view_lists_the_points_with_their_queues(queue_org: Org, desk: Any) -> None:
    issue(queue_org)
    issue(queue_org)
    issue(queue_org, "ho-tich")
    officer = queue_org.users["counter_halong"]
    services.open_counter(counter=desk, actor=officer)
    services.call_next(counter=desk, actor=officer)
    monitor = client_of(queue_org, "monitor")
    page = monitor.get(reverse("queueing:live"))
    assert page.status_code == 200
    rows = {row["point"].code: row for row in page.context["rows"]}
    assert set(rows) == {"ttpvhcc-tinh", "ttpvhcc-06688", "ttpvhcc-06673"}
    halong = rows["ttpvhcc-06688"]
    assert (halong["waiting"], halong["serving"], halong["issued"], halong["open"]) == (2, 1, 3, 1)
    html = page.content.decode()
    assert 'data-live-topic="province.22"' in html
    point = queue_org.points["halong"]
    assert f'<tr data-point="{point.pk}">' in html
    assert reverse("queueing:live_point", args=[point.pk]) in html

    table = monitor.get(reverse("queueing:live"), {"part": "table", "sort": "waiting"})
    assert "<html" not in table.content.decode()
    assert table.context["rows"][0]["point"] == point


def test_live_view_flags_long_waits_and_sorts_by_them(queue_org: Org) -> None:
    with time_machine.travel(dt.datetime(2026, 12, 1, 8, 0, tzinfo=VN_TZ), tick=False):
        issue(queue_org)
    with time_machine.travel(dt.datetime(2026, 12, 1, 8, 45, tzinfo=VN_TZ), tick=False):
        page = client_of(queue_org, "monitor").get(
            reverse("queueing:live"), {"sort": "longest_wait"}
        )
    first = page.context["rows"][0]
    assert first["point"] == queue_org.points["halong"]
    assert (first["longest_wait"], first["alert"]) == (45, True)
    assert page.context["alerts"] == 1
    assert 'class="row-alert"' in page.content.decode()
    assert 'aria-sort="descending"' in page.content.decode()


def test_a_centres_manager_listens_to_its_board(queue_org: Org) -> None:
    page = client_of(queue_org, "manager_halong").get(reverse("queueing:live"))
    point = queue_org.points["halong"]
    assert [row["point"] for row in page.context["rows"]] == [point]
    assert page.context["topics"] == f"board.{point.pk}"


def test_live_point_shows_the_counters(queue_org: Org, desk: Any) -> None:
    officer = queue_org.users["counter_halong"]
    ticket = issue(queue_org)
    issue(queue_org, "ho-tich")
    services.open_counter(counter=desk, actor=officer)
    services.call_next(counter=desk, actor=officer)
    services.start_service(ticket=ticket, counter=desk, actor=officer)
    point = queue_org.points["halong"]
    page = client_of(queue_org, "manager_halong").get(
        reverse("queueing:live_point", args=[point.pk])
    )
    assert page.status_code == 200
    rows = page.context["counters"]
    assert [(r["counter"].number, r["state"]) for r in rows] == [(1, "open"), (2, "closed")]
    assert rows[0]["officer"] == officer
    assert rows[0]["ticket"] == ticket
    html = page.content.decode()
    assert '<tr data-counter="1" data-state="open">' in html
    assert reverse("queueing:console", args=[desk.pk]) in html  # the manager serves too
    by_code = {row["service"].code: row for row in page.context["services"]}
    assert (by_code["ho-tich"]["waiting"], by_code["chung-thuc"]["figures"].issued) == (1, 1)
    assert f'data-live-topic="board.{point.pk}"' in html

    services.pause_counter(counter=desk, actor=officer, reason="Nghỉ giải lao")
    body = client_of(queue_org, "monitor").get(
        reverse("queueing:live_point", args=[point.pk]), {"part": "body"}
    )
    assert "Nghỉ giải lao" in body.content.decode()
    assert reverse("queueing:console", args=[desk.pk]) not in body.content.decode()
    other = queue_org.points["baichay"]
    refused = client_of(queue_org, "manager_halong").get(
        reverse("queueing:live_point", args=[other.pk])
    )
    assert refused.status_code == 404


def test_live_pages_need_monitoring(queue_org: Org) -> None:
    counter_officer = client_of(queue_org, "counter_halong")
    assert counter_officer.get(reverse("queueing:live")).status_code == 403
    assert counter_officer.get(reverse("queueing:reports")).status_code == 403


# Reports ----------------------------------------------------------------------------------

DAY_1 = dt.datetime(2026, 12, 1, 23, 30, tzinfo=VN_TZ)  # 16:30 UTC, 1 December
DAY_2 = dt.datetime(2026, 12, 2, 8, 30, tzinfo=VN_TZ)  # 01:30 UTC, 2 December


def serve_at(org: Org, desk: Any, at: dt.datetime, *, wait: int, service: int) -> Ticket:
    """A ticket issued at `at`, called `wait` minutes later, served `service` minutes."""
    officer = org.users["counter_halong"]
    with time_machine.travel(at, tick=False):
        ticket = issue(org)
        if not CounterSession.objects.filter(counter=desk, closed_at=None).exists():
            services.open_counter(counter=desk, actor=officer)
    with time_machine.travel(at + dt.timedelta(minutes=wait), tick=False):
        services.call_next(counter=desk, actor=officer)
        services.start_service(ticket=ticket, counter=desk, actor=officer)
    with time_machine.travel(at + dt.timedelta(minutes=wait + service), tick=False):
        return services.finish(ticket=ticket, counter=desk, actor=officer)


@pytest.fixture
def two_days(queue_org: Org, desk: Any) -> Org:
    """Day 1 (local): two served (waits 4 and 10 min, services 6 and 8), one rated 4.25, one
    no-show, one left waiting. Day 2: one served (wait 2, service 5), one cancelled."""
    officer = queue_org.users["counter_halong"]
    first = serve_at(queue_org, desk, DAY_1 - dt.timedelta(hours=2), wait=4, service=6)
    services.rate(ticket=first, scores=SCORES)
    serve_at(queue_org, desk, DAY_1, wait=10, service=8)
    with time_machine.travel(DAY_1 + dt.timedelta(minutes=19), tick=False):
        issue(queue_org, "ho-tich")
        no_show = services.call_next(counter=desk, actor=officer)
        assert no_show is not None
        services.no_show(ticket=no_show, counter=desk, actor=officer)
        issue(queue_org, "dat-dai")  # nobody calls it
    serve_at(queue_org, desk, DAY_2, wait=2, service=5)
    with time_machine.travel(DAY_2 + dt.timedelta(minutes=20), tick=False):
        services.cancel(ticket=issue(queue_org))
    return queue_org


def test_tickets_count_in_their_local_day(two_days: Org) -> None:
    def numbers(day: dt.date) -> set[str]:
        return set(Ticket.objects.filter(day=day).values_list("number", flat=True))

    # 23:30 in Hạ Long is still the 1st (16:30 UTC); numbering starts again on the 2nd.
    assert numbers(dt.date(2026, 12, 1)) == {"A001", "A002", "B001", "C001"}
    assert numbers(dt.date(2026, 12, 2)) == {"A001", "A002"}


def test_close_day_is_idempotent(two_days: Org) -> None:
    day = dt.date(2026, 12, 1)
    fields = [
        "service__code",
        "officer__username",
        "issued",
        "served",
        "no_shows",
        "cancelled",
        "wait_seconds",
        "max_wait_seconds",
        "service_seconds",
        "ratings",
        "rating_sum",
    ]

    def rows() -> list[tuple[Any, ...]]:
        return list(
            DailyQueueStat.objects.filter(day=day).order_by("service__code").values_list(*fields)
        )

    assert reports.close_day(day) == 3
    once = rows()
    assert reports.close_day(day) == 3
    assert rows() == once
    assert DailyQueueStat.objects.count() == 3
    by_service = {row[0]: row for row in once}
    assert by_service["chung-thuc"][1:] == (
        "counter_halong",
        2,
        2,
        0,
        0,
        14 * 60,
        10 * 60,
        14 * 60,
        1,
        Decimal("4.25"),
    )
    assert by_service["ho-tich"][1:6] == ("counter_halong", 1, 0, 1, 0)
    assert by_service["dat-dai"][1:6] == (None, 1, 0, 0, 0)  # nobody served it


def test_the_hourly_job_closes_past_local_days(two_days: Org) -> None:
    assert declared_schedules()["queueing.close_days"].interval_seconds == 3600
    # At 00:30 local on 2 December (17:30 UTC on the 1st) the 1st is over.
    with time_machine.travel(dt.datetime(2026, 12, 2, 0, 30, tzinfo=VN_TZ), tick=False):
        assert reports.days_to_close() == [dt.date(2026, 12, 1)]
        assert close_days.call() == ["2026-12-01"]
        assert close_days.call() == []
    with time_machine.travel(dt.datetime(2026, 12, 3, 7, 0, tzinfo=VN_TZ), tick=False):
        assert close_days.call() == ["2026-12-02"]
    assert set(DailyQueueStat.objects.values_list("day", flat=True)) == {
        dt.date(2026, 12, 1),
        dt.date(2026, 12, 2),
    }


def test_report_over_two_days(two_days: Org) -> None:
    with time_machine.travel(DAY_2 + dt.timedelta(hours=2), tick=False):
        reports.close_pending_days()  # the 1st is history; the 2nd (today) is live
        monitor = client_of(two_days, "monitor")
        page = monitor.get(
            reverse("queueing:reports"), {"start": "2026-12-01", "end": "2026-12-02"}
        )
    assert page.status_code == 200
    rows = page.context["rows"]
    point = two_days.points["halong"]
    days = {(row.day, row.point): row for row in rows.days}
    assert set(days) == {(dt.date(2026, 12, 1), point), (dt.date(2026, 12, 2), point)}
    first, second = days[(dt.date(2026, 12, 1), point)], days[(dt.date(2026, 12, 2), point)]
    assert (first.live, second.live) == (False, True)
    f = first.figures
    assert (f.issued, f.served, f.no_shows, f.cancelled, f.unserved) == (4, 2, 1, 0, 1)
    assert (f.avg_wait, f.longest_wait, f.avg_service, str(f.avg_rating)) == (7, 10, 7, "4.25")
    s = second.figures
    assert (s.issued, s.served, s.no_shows, s.cancelled) == (2, 1, 0, 1)
    assert (s.avg_wait, s.longest_wait, s.avg_service, s.avg_rating) == (2, 2, 5, None)
    total = rows.total
    assert (total.issued, total.served, total.avg_service) == (6, 3, 6)
    officers = {row.officer_name: row.figures for row in rows.by_officer}
    assert officers["counter_halong"].served == 3
    assert officers["counter_halong"].ratings == 1
    assert officers[""].issued == 2  # the tickets nobody called (one left, one cancelled)
    html = page.content.decode()
    assert '<tr data-day="2026-12-01"' in html
    assert '<tr data-day="2026-12-02"' in html

    # The same from tickets only (nothing closed) gives the same figures.
    DailyQueueStat.objects.all().delete()
    with time_machine.travel(DAY_2 + dt.timedelta(hours=2), tick=False):
        again = reports.report(
            monitor_principal(two_days), dt.date(2026, 12, 1), dt.date(2026, 12, 2)
        )
    assert [(r.day, r.figures) for r in again.days] == [(r.day, r.figures) for r in rows.days]


def monitor_principal(org: Org) -> Any:
    from motcua.core.principal import principal_for

    return principal_for(org.users["monitor"])


def test_report_defaults_to_this_month_and_checks_the_form(queue_org: Org) -> None:
    monitor = client_of(queue_org, "monitor")
    with time_machine.travel(dt.datetime(2026, 12, 15, 9, 0, tzinfo=VN_TZ), tick=False):
        page = monitor.get(reverse("queueing:reports"))
        assert (page.context["rows"].start, page.context["rows"].end) == (
            dt.date(2026, 12, 1),
            dt.date(2026, 12, 15),
        )
        assert len(page.context["rows"].points) == 3
        bad = monitor.get(reverse("queueing:reports"), {"start": "2026-12-10", "end": "2026-12-01"})
        assert bad.status_code == 400
        assert bad.context["form"].errors["end"]
        outside = monitor.get(reverse("queueing:reports"), {"point": "999999"})
        assert outside.status_code == 400
    manager = client_of(queue_org, "manager_halong").get(reverse("queueing:reports"))
    assert manager.context["rows"].points == [queue_org.points["halong"]]
    assert not manager.context["several_points"]


def test_report_as_csv(two_days: Org) -> None:
    point = two_days.points["halong"]
    with time_machine.travel(DAY_2 + dt.timedelta(hours=2), tick=False):
        reports.close_pending_days()
        response = client_of(two_days, "manager_halong").get(
            reverse("queueing:reports"),
            {"start": "2026-12-01", "end": "2026-12-02", "point": point.pk, "format": "csv"},
        )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "queue-report-20261201-20261202.csv" in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    body = [row for row in table if row and row[0].startswith("2026-")]
    assert [(row[0], row[1], row[3], row[4]) for row in body] == [
        ("2026-12-01", "ttpvhcc-06688", "4", "2"),
        ("2026-12-02", "ttpvhcc-06688", "2", "1"),
    ]
    assert any(row[:3] == ["ttpvhcc-06688", point.name, "counter_halong"] for row in table)
