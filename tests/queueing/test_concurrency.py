"""Queues under concurrency on PostgreSQL, with real threads each on its own connection:
parallel kiosks never share a number, parallel counters never call the same ticket."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from motcua.organisation import services as organisation
from motcua.organisation.models import Counter, Role
from motcua.queueing import services
from motcua.queueing.models import CounterService, Ticket, TicketEvent
from tests.dossiers.test_concurrency import in_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_five_hundred_parallel_issues_get_five_hundred_numbers(queue_org: Any) -> None:
    service = queue_org.queue_services["chung-thuc"]
    numbers = in_threads(500, lambda _: services.issue_ticket(service=service).number, workers=16)
    assert len(set(numbers)) == 500
    assert sorted(numbers) == [f"A{n:03d}" for n in range(1, 501)]
    assert Ticket.objects.count() == 500


def test_twenty_counters_calling_at_once_never_get_the_same_ticket(queue_org: Any) -> None:
    point = queue_org.points["halong"]
    role = Role.objects.get(code="counter_officer")
    counters = []
    for number in range(3, 23):
        counter = Counter.objects.create(service_point=point, number=number)
        for service in queue_org.queue_services.values():
            CounterService.objects.create(counter=counter, service=service)
        officer = get_user_model().objects.create_user(username=f"quay{number}", password="x")
        organisation.grant_role(user=officer, role=role, scope=point)
        services.open_counter(counter=counter, actor=officer)
        counters.append((counter, officer))
    for index in range(30):
        services.issue_ticket(service=list(queue_org.queue_services.values())[index % 3])

    def call(index: int) -> int | None:
        counter, officer = counters[index]
        ticket = services.call_next(counter=counter, actor=officer)
        return ticket.pk if ticket else None

    called = in_threads(20, call, workers=20)
    assert None not in called
    assert len(set(called)) == 20
    assert TicketEvent.objects.filter(action="called").count() == 20
    assert Ticket.objects.filter(status="called").count() == 20
    assert Ticket.objects.filter(status="waiting").count() == 10
