"""The citizen's queue pages: the kiosk (take a number, check in with a booking code), the
printed ticket, the phone page that follows a ticket, and appointments booked online."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from motcua.dossiers.slips import qr_data_uri
from motcua.queueing import services
from motcua.queueing.models import Appointment, Ticket
from motcua.workcalendar.engine import VN_TZ
from tests.org import Org

pytestmark = pytest.mark.django_db

POINT = "ttpvhcc-06688"
MONDAY = dt.date(2026, 3, 9)  # a working day without holidays around it


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=VN_TZ)


def kiosk_url(point: str = POINT) -> str:
    return reverse("queueing:kiosk", args=[point])


def key_of(page: Any) -> str:
    match = re.search(r'name="key" value="([^"]+)"', page.content.decode())
    assert match, "the second step carries a one-time key"
    return match.group(1)


def take(client: Client, org: Org, code: str = "chung-thuc", priority: str = "") -> Any:
    """Walk the kiosk's two steps; the POST's response."""
    service = org.queue_services[code]  # type: ignore[attr-defined]
    step = client.get(kiosk_url(), {"service": service.pk})
    assert step.status_code == 200
    return client.post(
        kiosk_url(), {"service": service.pk, "priority": priority, "key": key_of(step)}
    )


def issue(org: Org, code: str = "chung-thuc", **kwargs: Any) -> Ticket:
    return services.issue_ticket(service=org.queue_services[code], **kwargs)  # type: ignore[attr-defined]


def html(response: Any) -> str:
    return str(response.content.decode())


# The kiosk ---------------------------------------------------------------------------------


def test_the_kiosk_lists_the_services_then_the_priorities(queue_org: Org) -> None:
    client = Client()
    start = client.get(kiosk_url())
    assert start.status_code == 200
    page = html(start)
    for code in ("chung-thuc", "ho-tich", "dat-dai"):
        assert f'data-service="{code}"' in page
    assert ">Chứng thực<" in page
    assert ">Hộ tịch<" in page
    assert ">Đất đai<" in page
    assert 'id="booking-code"' in page  # the check-in box
    assert f'action="{reverse("queueing:check_in", args=[POINT])}"' in page
    assert 'class="site-header"' not in page  # the kiosk's own layout, no staff navigation
    assert "kiosk.js" in page
    assert "kiosk.css" in page

    service = queue_org.queue_services["ho-tich"]  # type: ignore[attr-defined]
    step = html(client.get(kiosk_url(), {"service": service.pk}))
    assert 'id="no-priority"' in step
    assert 'data-priority="elderly"' in step
    assert 'data-priority="pregnant"' in step
    assert 'data-colour="#b3261e"' in step  # coloured by kiosk.js from the data attribute
    assert "Người cao tuổi" in step
    assert "Phụ nữ mang thai" in step
    assert f'name="service" value="{service.pk}"' in step
    assert len(key_of(client.get(kiosk_url(), {"service": service.pk}))) >= 16
    assert key_of(client.get(kiosk_url(), {"service": service.pk})) != key_of(
        client.get(kiosk_url(), {"service": service.pk})
    )  # a key per page load


def test_the_start_screen_shows_how_many_wait_for_each_service(queue_org: Org) -> None:
    issue(queue_org)
    issue(queue_org)
    page = html(Client().get(kiosk_url()))
    assert page.count('data-waiting="2"') == 1
    assert page.count('data-waiting="0"') == 2


def test_a_tap_issues_a_ticket_and_goes_to_its_print_page(queue_org: Org) -> None:
    elderly = queue_org.priorities["elderly"]  # type: ignore[attr-defined]
    response = take(Client(), queue_org, "ho-tich", priority=str(elderly.pk))
    ticket = Ticket.objects.get()
    assert (ticket.number, ticket.priority, ticket.service.code) == ("B001", elderly, "ho-tich")
    assert response.status_code == 302
    assert response["Location"] == (
        reverse("queueing:ticket_print", args=[ticket.secret]) + "?kiosk=1"
    )


def test_no_priority_issues_an_ordinary_ticket(queue_org: Org) -> None:
    take(Client(), queue_org, "chung-thuc")
    ticket = Ticket.objects.get()
    assert ticket.priority is None
    assert ticket.number == "A001"


def test_a_double_tap_gives_one_ticket(queue_org: Org) -> None:
    client = Client()
    service = queue_org.queue_services["chung-thuc"]  # type: ignore[attr-defined]
    key = key_of(client.get(kiosk_url(), {"service": service.pk}))
    form = {"service": service.pk, "priority": "", "key": key}
    first = client.post(kiosk_url(), form)
    second = client.post(kiosk_url(), form)
    assert Ticket.objects.count() == 1
    assert first["Location"] == second["Location"]
    # The next citizen's page load has another key, so another ticket.
    take(client, queue_org)
    assert Ticket.objects.count() == 2


def test_a_post_without_a_valid_key_issues_nothing(queue_org: Org) -> None:
    service = queue_org.queue_services["chung-thuc"]  # type: ignore[attr-defined]
    response = Client().post(kiosk_url(), {"service": service.pk, "key": "short"})
    assert response.status_code == 400
    assert 'id="kiosk-error"' in html(response)
    assert not Ticket.objects.exists()


def test_an_unknown_point_is_not_found(queue_org: Org) -> None:
    client = Client()
    assert client.get(kiosk_url("ttpvhcc-nowhere")).status_code == 404
    assert client.post(kiosk_url("ttpvhcc-nowhere"), {"key": "x" * 22}).status_code == 404
    assert client.get(reverse("queueing:book", args=["ttpvhcc-nowhere"])).status_code == 404
    check_in = reverse("queueing:check_in", args=["ttpvhcc-nowhere"])
    assert client.post(check_in, {"code": "ABCDEF"}).status_code == 404


def test_a_service_of_another_point_is_refused(queue_org: Org) -> None:
    service = queue_org.queue_services["chung-thuc"]  # type: ignore[attr-defined]
    response = Client().post(kiosk_url("ttpvhcc-06673"), {"service": service.pk, "key": "k" * 22})
    assert response.status_code == 400
    assert not Ticket.objects.exists()


def test_an_inactive_service_gives_a_clear_error_and_no_ticket(queue_org: Org) -> None:
    client = Client()
    service = queue_org.queue_services["dat-dai"]  # type: ignore[attr-defined]
    key = key_of(client.get(kiosk_url(), {"service": service.pk}))
    service.active = False
    service.save()
    response = client.post(kiosk_url(), {"service": service.pk, "priority": "", "key": key})
    assert response.status_code == 409
    page = html(response)
    assert re.search(r'id="kiosk-error">[^<]*Đất đai', page)  # the service's own message
    assert 'data-service="dat-dai"' not in page  # the start screen without it
    assert not Ticket.objects.exists()
    # Its second step is gone too.
    again = client.get(kiosk_url(), {"service": service.pk})
    assert again.status_code == 404
    assert 'id="kiosk-error"' in html(again)


# The printed ticket ------------------------------------------------------------------------


def test_the_print_page_has_the_number_the_place_and_the_qr_code(
    queue_org: Org, settings: Any
) -> None:
    settings.PUBLIC_URL = "https://motcua.quangninh.gov.vn"
    issue(queue_org)
    ticket = issue(queue_org)
    response = Client().get(reverse("queueing:ticket_print", args=[ticket.secret]), {"kiosk": 1})
    assert response.status_code == 200
    page = html(response)
    assert '<p class="ticket-number" id="ticket-number">A002</p>' in page
    assert "Chứng thực" in page
    assert "Trung tâm PVHCC Phường Hạ Long" in page
    assert 'id="ticket-ahead" data-ahead="1"' in page
    phone = "https://motcua.quangninh.gov.vn" + reverse("queueing:follow", args=[ticket.secret])
    qr = re.search(r'id="ticket-qr" src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert qr
    assert qr.group(1) == qr_data_uri(phone).split(",", 1)[1]  # the QR code of the phone page
    assert f'href="{phone}"' in page
    local = ticket.issued_at.astimezone(VN_TZ)
    assert local.strftime("%H:%M %d/%m/%Y") in page
    # From the kiosk it prints itself once and counts down back to the start screen.
    assert f'data-kiosk-print="{ticket.secret}"' in page
    assert f'data-kiosk-home="{kiosk_url()}"' in page
    assert 'data-kiosk-idle="30"' in page
    assert 'id="kiosk-done"' in page
    # Opened elsewhere, it neither prints by itself nor leaves for the kiosk.
    plain = html(Client().get(reverse("queueing:ticket_print", args=[ticket.secret])))
    assert "data-kiosk-print" not in plain
    assert 'data-kiosk-idle="0"' in plain


def test_the_print_page_of_an_unknown_ticket_is_not_found(queue_org: Org) -> None:
    assert Client().get(reverse("queueing:ticket_print", args=["nope"])).status_code == 404
    assert Client().get(reverse("queueing:follow", args=["nope"])).status_code == 404


# The phone page ----------------------------------------------------------------------------


def ahead(response: Any) -> int:
    match = re.search(r'id="place-ahead" data-ahead="(\d+)"', html(response))
    assert match, html(response)
    return int(match.group(1))


def test_the_phone_page_counts_down_as_counters_call(queue_org: Org) -> None:
    first, _second, mine = issue(queue_org), issue(queue_org), issue(queue_org)
    client = Client()
    url = reverse("queueing:follow", args=[mine.secret])
    page = client.get(url)
    assert page.status_code == 200
    text = html(page)
    assert '<p class="place-number" id="place-number">A003</p>' in text
    assert f'data-live-topic="board.{mine.service_point_id}"' in text
    assert f'data-live-swap-url="{url}?partial=1"' in text
    assert "follow.js" in text
    assert 'id="leave"' in text
    assert ahead(page) == 2
    assert 'id="place-near"' in text  # 3 or fewer ahead: "almost your turn"
    assert 'id="place-wait"' in text

    officer = queue_org.users["counter_halong"]
    counter = queue_org.counters[0]  # type: ignore[attr-defined]
    services.open_counter(counter=counter, actor=officer)
    assert services.call_next(counter=counter, actor=officer) == first
    assert ahead(client.get(url)) == 1

    called = html(client.get(reverse("queueing:follow", args=[first.secret])))
    assert f'id="place-call" data-counter="{counter.number}"' in called
    assert 'data-status="called"' in called
    assert 'data-calls="1"' in called
    assert 'id="leave"' not in called  # a called ticket cannot leave from the phone


def test_the_phone_page_says_when_many_are_ahead_without_the_near_notice(
    queue_org: Org,
) -> None:
    tickets = [issue(queue_org) for _ in range(5)]
    page = Client().get(reverse("queueing:follow", args=[tickets[-1].secret]))
    assert ahead(page) == 4
    assert 'id="place-near"' not in html(page)
    assert 'data-near="false"' in html(page)


def test_the_place_block_renders_alone_for_live_updates(queue_org: Org) -> None:
    issue(queue_org)
    ticket = issue(queue_org)
    url = reverse("queueing:follow", args=[ticket.secret])
    for response in (
        Client().get(url, {"partial": "1"}),
        Client().get(url, HTTP_HX_REQUEST="true"),
    ):
        assert response.status_code == 200
        text = html(response)
        assert "<html" not in text
        assert "<body" not in text
        assert text.lstrip().startswith('<div class="place place-waiting')
        assert ahead(response) == 1


def test_a_citizen_leaves_the_queue_once(queue_org: Org) -> None:
    ticket = issue(queue_org)
    client = Client()
    cancel = reverse("queueing:follow_cancel", args=[ticket.secret])
    follow = reverse("queueing:follow", args=[ticket.secret])
    assert client.get(cancel).status_code == 405  # a POST only
    response = client.post(cancel)
    assert response.status_code == 302
    assert response["Location"] == follow
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CANCELLED
    page = html(client.get(follow))
    assert 'class="message-success"' in page
    assert 'id="place-cancelled"' in page
    assert "data-live-topic" not in page  # nothing more to listen for
    assert 'id="leave"' not in page

    again = client.post(cancel, follow=True)
    assert again.status_code == 200
    assert 'class="message-error"' in html(again)  # the service's refusal, flashed
    assert ticket.events.filter(action="cancelled").count() == 1


# Appointments -----------------------------------------------------------------------------


def book_url(**query: Any) -> str:
    url = reverse("queueing:book", args=[POINT])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def slot_free(page: Any, moment: dt.datetime) -> int:
    pattern = (
        rf'value="{re.escape(moment.isoformat())}"[^>]*>\s*'
        r'<span class="slot-time">[^<]*</span>\s*<span class="slot-free" data-free="(\d+)"'
    )
    match = re.search(pattern, html(page))
    assert match, html(page)
    return int(match.group(1))


def book(client: Client, org: Org, moment: dt.datetime, **changes: str) -> Any:
    service = org.queue_services["ho-tich"]  # type: ignore[attr-defined]
    form = {
        "service": str(service.pk),
        "day": moment.date().isoformat(),
        "slot": moment.isoformat(),
        "name": "Trần Văn Bình",
        "phone": "0912 345 678",
    } | changes
    return client.post(reverse("queueing:book", args=[POINT]), form)


def test_only_services_with_appointments_are_offered(queue_org: Org) -> None:
    with time_machine.travel(at(MONDAY, 7), tick=False):
        page = html(Client().get(book_url()))
    assert 'data-service="ho-tich"' in page
    assert 'data-service="chung-thuc"' not in page
    assert 'data-service="dat-dai"' not in page


def test_working_days_and_their_free_slots_are_listed(queue_org: Org) -> None:
    service = queue_org.queue_services["ho-tich"]  # type: ignore[attr-defined]
    with time_machine.travel(at(MONDAY, 7), tick=False):
        days = html(Client().get(book_url(service=service.pk)))
        response = Client().get(book_url(service=service.pk, day=MONDAY.isoformat()))
    offered = re.findall(r'data-day="([\d-]+)"', days)
    assert offered[0] == "2026-03-09"
    assert "2026-03-13" in offered
    assert "2026-03-14" not in offered
    assert "2026-03-15" not in offered
    assert len(offered) == 10  # two weeks of working days
    assert response.status_code == 200
    assert slot_free(response, at(MONDAY, 8)) == 2
    assert slot_free(response, at(MONDAY, 16, 30)) == 2
    assert at(MONDAY, 12).isoformat() not in html(response)  # the lunch break


def test_a_booking_gives_a_code_and_takes_a_place_of_its_slot(queue_org: Org) -> None:
    service = queue_org.queue_services["ho-tich"]  # type: ignore[attr-defined]
    client = Client()
    with time_machine.travel(at(MONDAY, 7), tick=False):
        response = book(client, queue_org, at(MONDAY, 9))
        appointment = Appointment.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("queueing:booking", args=[appointment.secret])
        page = html(client.get(response["Location"]))
        slots = client.get(book_url(service=service.pk, day=MONDAY.isoformat()))
    assert f'id="booking-code">{appointment.code}<' in page
    assert "09:00" in page
    assert "Hộ tịch" in page
    assert "Trung tâm PVHCC Phường Hạ Long" in page
    assert "08:30" in page
    assert "09:15" in page
    assert (appointment.name, appointment.phone) == ("Trần Văn Bình", "0912345678")
    assert slot_free(slots, at(MONDAY, 9)) == 1
    assert slot_free(slots, at(MONDAY, 9, 30)) == 2


def test_a_full_slot_is_refused(queue_org: Org) -> None:
    service = queue_org.queue_services["ho-tich"]  # type: ignore[attr-defined]
    service.appointment_capacity = 1
    service.save()
    with time_machine.travel(at(MONDAY, 7), tick=False):
        assert book(Client(), queue_org, at(MONDAY, 10)).status_code == 302
        refused = book(Client(), queue_org, at(MONDAY, 10), name="Lê Thị Hoa")
        slots = Client().get(book_url(service=service.pk, day=MONDAY.isoformat()))
    assert refused.status_code == 409
    assert 'id="book-error"' in html(refused)
    assert Appointment.objects.count() == 1
    assert slot_free(slots, at(MONDAY, 10)) == 0
    assert re.search(rf'value="{re.escape(at(MONDAY, 10).isoformat())}" disabled', html(slots))


def test_a_booking_needs_a_name_and_a_phone(queue_org: Org) -> None:
    with time_machine.travel(at(MONDAY, 7), tick=False):
        refused = book(Client(), queue_org, at(MONDAY, 10), name="", phone="12")
    assert refused.status_code == 400
    page = html(refused)
    assert 'id="book-name-error"' in page
    assert 'id="book-phone-error"' in page
    assert not Appointment.objects.exists()


def test_a_booking_on_a_day_off_is_refused(queue_org: Org) -> None:
    with time_machine.travel(at(MONDAY, 7), tick=False):
        refused = book(Client(), queue_org, at(dt.date(2026, 3, 14), 9))  # a Saturday
    assert refused.status_code == 400
    assert not Appointment.objects.exists()


def test_checking_in_at_the_kiosk_gives_the_appointment_its_ticket(queue_org: Org) -> None:
    with time_machine.travel(at(MONDAY, 7), tick=False):
        book(Client(), queue_org, at(MONDAY, 9))
    appointment = Appointment.objects.get()
    check_in = reverse("queueing:check_in", args=[POINT])
    with time_machine.travel(at(MONDAY, 8), tick=False):
        early = Client().post(check_in, {"code": appointment.code})
        assert early.status_code == 409
        assert 'id="kiosk-error"' in html(early)
        assert "08:30" in html(early)
        assert not Ticket.objects.exists()
    with time_machine.travel(at(MONDAY, 9), tick=False):
        response = Client().post(check_in, {"code": appointment.code.lower()})
        ticket = Ticket.objects.get()
        assert response.status_code == 302
        assert response["Location"] == (
            reverse("queueing:ticket_print", args=[ticket.secret]) + "?kiosk=1"
        )
        booking = html(Client().get(reverse("queueing:booking", args=[appointment.secret])))
    assert ticket.appointment == appointment
    assert ticket.service.code == "ho-tich"
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CHECKED_IN
    assert f'href="{reverse("queueing:follow", args=[ticket.secret])}"' in booking


def test_an_unknown_booking_code_is_refused_at_the_kiosk(queue_org: Org) -> None:
    check_in = reverse("queueing:check_in", args=[POINT])
    response = Client().post(check_in, {"code": "ZZZZZZ"})
    assert response.status_code == 404
    page = html(response)
    assert 'id="kiosk-error"' in page
    assert 'value="ZZZZZZ"' in page  # the code stays, to correct it
    service = queue_org.queue_services["chung-thuc"]  # type: ignore[attr-defined]
    assert f'href="{kiosk_url()}?service={service.pk}"' in page  # not relative to check-in
    empty = Client().post(check_in, {"code": " "})
    assert empty.status_code == 400
    assert not Ticket.objects.exists()


def test_a_booking_of_another_point_is_refused_at_this_kiosk(queue_org: Org) -> None:
    with time_machine.travel(at(MONDAY, 7), tick=False):
        book(Client(), queue_org, at(MONDAY, 9))
    appointment = Appointment.objects.get()
    with time_machine.travel(at(MONDAY, 9), tick=False):
        response = Client().post(
            reverse("queueing:check_in", args=["ttpvhcc-06673"]), {"code": appointment.code}
        )
    assert response.status_code == 409
    assert "Trung tâm PVHCC Phường Hạ Long" in html(response)
    assert not Ticket.objects.exists()


def test_an_unknown_booking_is_not_found(queue_org: Org) -> None:
    assert Client().get(reverse("queueing:booking", args=["nope"])).status_code == 404


def test_a_ticket_of_an_earlier_day_is_over(queue_org: Org) -> None:
    with time_machine.travel(at(MONDAY, 9), tick=False):
        ticket = issue(queue_org)
    with time_machine.travel(at(MONDAY + dt.timedelta(days=1), 9), tick=False):
        page = html(Client().get(reverse("queueing:follow", args=[ticket.secret])))
    assert 'id="place-expired"' in page
    assert "data-live-topic" not in page
    assert 'id="leave"' not in page


def test_the_pages_answer_at_a_point_without_queues(org: Org) -> None:
    """The route matrix's organisation has no queue services."""
    client = Client()
    kiosk = client.get(kiosk_url())
    assert kiosk.status_code == 200
    assert 'id="no-services"' in html(kiosk)
    booking = client.get(reverse("queueing:book", args=[POINT]))
    assert booking.status_code == 200
    assert 'id="no-appointments"' in html(booking)
    assert client.post(reverse("queueing:book", args=[POINT])).status_code == 400
    assert client.post(reverse("queueing:check_in", args=[POINT])).status_code == 400
    assert client.post(kiosk_url()).status_code == 400
    for name in ("follow", "ticket_print", "booking"):
        assert client.get(reverse(f"queueing:{name}", args=["x"])).status_code == 404
    assert client.post(reverse("queueing:follow_cancel", args=["x"])).status_code == 404


def test_a_booking_is_cancelled_from_its_page_once(queue_org: Any) -> None:
    slot = dt.datetime(2026, 12, 2, 9, 0, tzinfo=VN_TZ)
    with time_machine.travel(dt.datetime(2026, 12, 1, 10, 0, tzinfo=VN_TZ), tick=False):
        booking = services.book_appointment(
            service=queue_org.queue_services["ho-tich"],
            starts_at=slot,
            name="A",
            phone="0912345678",
        )
        page = reverse("queueing:booking", args=[booking.secret])
        assert Client().post(page).status_code == 200
        booking.refresh_from_db()
        assert booking.status == "cancelled"
        assert Client().post(page).status_code == 409
