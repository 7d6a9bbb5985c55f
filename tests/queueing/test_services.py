"""Queue services: numbering by local day, the calling rules, ticket transitions, counter
sessions, ratings and appointments."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from motcua.core.errors import Conflict, MotcuaError, PermissionDenied
from motcua.queueing import selectors, services
from motcua.queueing.models import Appointment, Ticket, TicketEvent
from motcua.workcalendar.engine import VN_TZ
from tests.org import Org

pytestmark = pytest.mark.django_db


def at(day: str, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute), tzinfo=VN_TZ)


def issue(org: Any, code: str = "chung-thuc", **extra: Any) -> Ticket:
    return services.issue_ticket(service=org.queue_services[code], **extra)


def opened(org: Any, index: int = 0, user: str = "counter_halong") -> Any:
    counter = org.counters[index]
    services.open_counter(counter=counter, actor=org.users[user])
    return counter


def test_numbers_follow_the_local_day_and_restart_at_local_midnight(queue_org: Any) -> None:
    # 23:59 on 1 December in Hạ Long is 16:59 UTC; one minute later it is the next local day.
    with time_machine.travel(at("2026-12-01", 23, 58), tick=False):
        first, second = issue(queue_org), issue(queue_org)
    with time_machine.travel(at("2026-12-02", 0, 0), tick=False):
        next_day = issue(queue_org)
    assert (first.number, second.number, next_day.number) == ("A001", "A002", "A001")
    assert (first.day, next_day.day) == (dt.date(2026, 12, 1), dt.date(2026, 12, 2))
    assert next_day.pk != first.pk  # the display number is not the id
    other = issue(queue_org, "ho-tich")
    assert other.number.startswith("B")


def test_the_number_range_wraps(queue_org: Any) -> None:
    service = queue_org.queue_services["dat-dai"]
    service.number_start, service.number_end = 98, 99
    service.save()
    numbers = [issue(queue_org, "dat-dai").number for _ in range(3)]
    assert numbers == ["C098", "C099", "C098"]


def test_a_double_tap_returns_the_same_ticket(queue_org: Any) -> None:
    first = issue(queue_org, key="kiosk-key-1")
    again = issue(queue_org, key="kiosk-key-1")
    assert first.pk == again.pk
    assert Ticket.objects.count() == 1


def test_an_inactive_service_issues_nothing(queue_org: Any) -> None:
    service = queue_org.queue_services["dat-dai"]
    service.active = False
    service.save()
    with pytest.raises(MotcuaError) as refused:
        issue(queue_org, "dat-dai")
    assert refused.value.code == "service_not_offered"
    assert not Ticket.objects.exists()


def test_calling_rules_priority_preference_and_the_wait_cap(queue_org: Any) -> None:
    with time_machine.travel(at("2026-12-01", 8, 0), tick=False):
        walk_in_b = issue(queue_org, "ho-tich")
    with time_machine.travel(at("2026-12-01", 8, 5), tick=False):
        walk_in_a = issue(queue_org, "chung-thuc")
        elderly = issue(queue_org, "dat-dai", priority=queue_org.priorities["elderly"])
        pregnant = issue(queue_org, "dat-dai", priority=queue_org.priorities["pregnant"])
    with time_machine.travel(at("2026-12-01", 8, 10), tick=False):
        counter = opened(queue_org)  # counter 1 prefers A
        order = []
        for _ in range(2):
            ticket = services.call_next(counter=counter, actor=queue_org.users["counter_halong"])
            assert ticket is not None
            order.append(ticket.pk)
            services.finish(ticket=ticket, counter=counter, actor=queue_org.users["counter_halong"])
        # Priorities first, heavier first; then the counter's preferred service before an
        # earlier walk-in of another service.
        ticket = services.call_next(counter=counter, actor=queue_org.users["counter_halong"])
        assert ticket is not None
        order.append(ticket.pk)
        services.finish(ticket=ticket, counter=counter, actor=queue_org.users["counter_halong"])
    assert order == [elderly.pk, pregnant.pk, walk_in_a.pk]
    # Past the cap, the longest wait goes first whatever the priorities.
    with time_machine.travel(at("2026-12-01", 8, 40), tick=False):
        late_elderly = issue(queue_org, "chung-thuc", priority=queue_org.priorities["elderly"])
        ticket = services.call_next(counter=counter, actor=queue_org.users["counter_halong"])
    assert ticket is not None
    assert ticket.pk == walk_in_b.pk
    assert late_elderly.status == Ticket.Status.WAITING


def test_a_closed_or_paused_counter_cannot_call(queue_org: Any) -> None:
    issue(queue_org)
    counter = queue_org.counters[0]
    officer = queue_org.users["counter_halong"]
    with pytest.raises(Conflict) as closed:
        services.call_next(counter=counter, actor=officer)
    assert closed.value.code == "counter_closed"
    services.open_counter(counter=counter, actor=officer)
    with pytest.raises(MotcuaError):
        services.pause_counter(counter=counter, actor=officer, reason=" ")
    services.pause_counter(counter=counter, actor=officer, reason="Họp giao ban")
    with pytest.raises(Conflict) as paused:
        services.call_next(counter=counter, actor=officer)
    assert paused.value.code == "counter_paused"
    services.resume_counter(counter=counter, actor=officer)
    assert services.call_next(counter=counter, actor=officer) is not None
    with pytest.raises(Conflict):
        services.close_counter(counter=counter, actor=officer)  # a ticket is open


def test_only_the_points_officers_serve_at_its_counters(queue_org: Any) -> None:
    counter = queue_org.counters[0]
    for outsider in ("counter_tinh", "officer_halong", "monitor"):
        with pytest.raises(PermissionDenied):
            services.open_counter(counter=counter, actor=queue_org.users[outsider])
    services.open_counter(counter=counter, actor=queue_org.users["counter_halong"])
    with pytest.raises(Conflict) as taken:
        services.open_counter(counter=counter, actor=queue_org.users["manager_halong"])
    assert taken.value.code == "counter_taken"


def test_a_ticket_goes_through_its_life_and_every_step_is_logged(queue_org: Any) -> None:
    officer = queue_org.users["counter_halong"]
    counter = opened(queue_org)
    ticket = issue(queue_org)
    ticket = services.call_next(counter=counter, actor=officer)
    assert ticket is not None
    ticket = services.recall(ticket=ticket, counter=counter, actor=officer)
    assert ticket.calls == 2
    ticket = services.start_service(ticket=ticket, counter=counter, actor=officer)
    ticket = services.hold(ticket=ticket, counter=counter, actor=officer, note="Đi lấy giấy tờ")
    with pytest.raises(Conflict):
        services.start_service(ticket=ticket, counter=counter, actor=officer)
    ticket = services.call_ticket(ticket=ticket, counter=counter, actor=officer)
    ticket = services.transfer(
        ticket=ticket, counter=counter, actor=officer, service=queue_org.queue_services["dat-dai"]
    )
    assert (ticket.status, ticket.service.code, ticket.counter) == ("waiting", "dat-dai", None)
    ticket = services.call_next(counter=counter, actor=officer)
    assert ticket is not None
    ticket = services.finish(ticket=ticket, counter=counter, actor=officer, dossier_code="X-1")
    assert ticket.dossier_code == "X-1"
    assert ticket.finished_at is not None
    actions = list(ticket.events.values_list("action", flat=True))
    assert actions == [
        "issued",
        "called",
        "recalled",
        "started",
        "held",
        "called",
        "transferred",
        "called",
        "finished",
    ]


def test_transfers_stay_within_the_point(queue_org: Any, org: Org) -> None:
    from motcua.queueing.models import QueueService

    elsewhere = QueueService.objects.create(
        service_point=org.points["baichay"], code="khac", name="Khác", prefix="A"
    )
    officer = queue_org.users["counter_halong"]
    counter = opened(queue_org)
    issue(queue_org)
    ticket = services.call_next(counter=counter, actor=officer)
    assert ticket is not None
    with pytest.raises(MotcuaError) as refused:
        services.transfer(ticket=ticket, counter=counter, actor=officer, service=elsewhere)
    assert refused.value.code == "service_not_offered"
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.CALLED


def test_a_rating_is_given_once(queue_org: Any) -> None:
    officer = queue_org.users["counter_halong"]
    counter = opened(queue_org)
    issue(queue_org)
    ticket = services.call_next(counter=counter, actor=officer)
    assert ticket is not None
    scores = {"attitude": 5, "guidance": 4, "speed": "4", "overall": 5}
    with pytest.raises(Conflict):
        services.rate(ticket=ticket, scores=scores)  # not finished yet
    services.finish(ticket=ticket, counter=counter, actor=officer)
    with pytest.raises(MotcuaError) as invalid:
        services.rate(ticket=ticket, scores={"attitude": 7})
    assert set(invalid.value.fields) == {"attitude", "guidance", "speed", "overall"}
    rating = services.rate(ticket=ticket, scores=scores, comment="Nhanh")
    assert (rating.officer, float(rating.average)) == (officer, 4.5)
    with pytest.raises(Conflict) as twice:
        services.rate(ticket=ticket, scores=scores)
    assert twice.value.code == "already_rated"


def test_an_appointment_is_booked_checked_in_and_called_by_its_slot(queue_org: Any) -> None:
    service = queue_org.queue_services["ho-tich"]
    slot = at("2026-12-02", 9, 0)
    with time_machine.travel(at("2026-12-01", 10, 0), tick=False):
        free = {s.starts_at: s.free for s in selectors.slots_of(service, slot.date())}
        assert free[slot] == 2
        booking = services.book_appointment(
            service=service, starts_at=slot, name="Trần Thị Bình", phone="0912 345 678"
        )
        services.book_appointment(
            service=service, starts_at=slot, name="Lê Văn Cường", phone="0987654321"
        )
        with pytest.raises(Conflict) as full:
            services.book_appointment(service=service, starts_at=slot, name="X", phone="0900000000")
        assert full.value.code == "slot_taken"
    with time_machine.travel(at("2026-12-02", 8, 0), tick=False), pytest.raises(Conflict):
        services.check_in(code=booking.code)  # an hour early
    with time_machine.travel(at("2026-12-02", 8, 40), tick=False):
        walk_in = issue(queue_org, "ho-tich", priority=queue_org.priorities["elderly"])
        booked = services.check_in(code=booking.code.lower())
        assert services.check_in(code=booking.code).pk == booked.pk  # a second check-in
        counter = opened(queue_org, 1)
        first = services.call_next(counter=counter, actor=queue_org.users["counter_halong"])
    assert first is not None
    assert first.pk == booked.pk
    assert walk_in.status == Ticket.Status.WAITING
    assert Appointment.objects.get(pk=booking.pk).status == Appointment.Status.CHECKED_IN


def test_a_late_appointment_joins_the_walk_in_queue(queue_org: Any) -> None:
    service = queue_org.queue_services["ho-tich"]
    slot = at("2026-12-02", 9, 0)
    with time_machine.travel(at("2026-12-01", 10, 0), tick=False):
        booking = services.book_appointment(
            service=service, starts_at=slot, name="A", phone="0912345678"
        )
    with time_machine.travel(at("2026-12-02", 9, 30), tick=False):
        ticket = services.check_in(code=booking.code)
    assert ticket.appointment is None


def test_the_place_in_the_queue_falls_as_tickets_are_called(queue_org: Any) -> None:
    tickets = [issue(queue_org) for _ in range(3)]
    assert selectors.place_of(tickets[2]).ahead == 2
    counter = opened(queue_org)
    services.call_next(counter=counter, actor=queue_org.users["counter_halong"])
    assert selectors.place_of(tickets[2]).ahead == 1
    assert TicketEvent.objects.filter(action="called").count() == 1


def test_a_citizen_or_the_points_staff_cancel_a_waiting_ticket(queue_org: Any) -> None:
    ticket = issue(queue_org)
    with pytest.raises(PermissionDenied):
        services.cancel(ticket=ticket, actor=queue_org.users["counter_tinh"])
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.WAITING
    services.cancel(ticket=ticket, actor=queue_org.users["counter_halong"])
    with pytest.raises(Conflict):
        services.cancel(ticket=ticket)  # already cancelled
    left = issue(queue_org)
    assert services.cancel(ticket=left).status == Ticket.Status.CANCELLED  # from the phone
