"""Webhooks over real HTTP: real dossier flows write the outbox, the delivery engine sends
through the webhook sink to the receiver process (tests/interop/receiver.py), which checks
every signature as a Standard Webhooks receiver does and records what it accepted."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import httpx
import time_machine
from django.urls import reverse
from django.utils import timezone

from motcua.catalogue.models import Procedure
from motcua.dossiers import services
from motcua.dossiers.models import Channel, Dossier
from motcua.interop import (
    delivery,
    webhooks,
)
from motcua.interop.models import Delivery, OutboxEvent, Subscription
from motcua.interop.outbox import as_cloudevent
from tests.intake_data import certified_copy
from tests.interop.receiver import Receiver
from tests.interop.test_portal_sync import assigned, received, returned
from tests.org import Org

JUDICIAL_RECORD = "2.000488"
CERTIFIED_COPY = "2.000815"


def subscribe(
    receiver: Receiver,
    hook: str,
    *,
    event_types: list[str] | None = None,
    agencies: Sequence[Any] = (),
    procedures: Sequence[str] = (),
) -> Subscription:
    subscription = Subscription(name=hook, event_types=event_types or [])
    secret = subscription.issue_secret()
    subscription.callback_url = receiver.url_for(hook, secret)
    subscription.full_clean()
    subscription.save()
    subscription.agencies.set(agencies)
    subscription.procedures.set(Procedure.objects.filter(code__in=procedures))
    return subscription


def drain(rounds: int = 20) -> None:
    """Run the engine until nothing is pending, making each retry due at once."""
    for _round in range(rounds):
        delivery.deliver_due()
        pending = Delivery.objects.filter(state=Delivery.State.PENDING)
        if not pending.exists():
            return
        pending.update(next_attempt_at=timezone.now(), leased_until=None)
    raise AssertionError("deliveries still pending")


def event_ids(**filters: Any) -> list[str]:
    return [
        str(pk) for pk in OutboxEvent.objects.filter(**filters).values_list("event_id", flat=True)
    ]


def online_copy(org: Org) -> Dossier:
    dossier = services.submit_dossier(submission=certified_copy(), channel=Channel.ONLINE)
    return services.accept_dossier(dossier=dossier, actor=org.users["counter_halong"])


def test_subscriptions_get_exactly_the_events_their_filters_pass(
    processing_org: Org, receiver: Receiver
) -> None:
    agencies = processing_org.agencies
    subscribe(receiver, "all")
    subscribe(
        receiver,
        "justice",
        event_types=["vn.motcua.dossier.received", "vn.motcua.dossier.returned"],
        agencies=[agencies["stp"]],
    )
    # The province's People's Committee: its sub-agency (the ward) received the dossier.
    subscribe(
        receiver,
        "copies",
        event_types=["vn.motcua.dossier"],
        agencies=[agencies["ubnd_tinh"]],
        procedures=[CERTIFIED_COPY],
    )
    subscribe(receiver, "ward_police", agencies=[agencies["ca_halong"]])
    judicial = returned(processing_org, assigned(processing_org, received(processing_org)))
    copy = online_copy(processing_org)
    drain()

    assert sorted(receiver.accepted("all")) == sorted(event_ids())
    assert OutboxEvent.objects.count() == 8
    assert sorted(receiver.accepted("justice")) == sorted(
        event_ids(
            dossier=judicial, type__in=["vn.motcua.dossier.received", "vn.motcua.dossier.returned"]
        )
    )
    assert len(receiver.accepted("justice")) == 2
    assert sorted(receiver.accepted("copies")) == sorted(event_ids(dossier=copy))
    assert len(receiver.accepted("copies")) == 2
    assert receiver.accepted("ward_police") == []
    requests = receiver.requests()
    assert requests
    assert all(r["valid"] for r in requests)
    assert {r["content_type"] for r in requests} == {"application/cloudevents+json"}
    assert {r["specversion"] for r in requests} == {"1.0"}
    assert set(Delivery.objects.values_list("state", flat=True)) == {"delivered"}


def test_a_dossier_write_finds_its_subscriptions_in_one_query(
    processing_org: Org, receiver: Receiver, django_assert_num_queries: Any
) -> None:
    agencies = processing_org.agencies
    subscribe(receiver, "all")
    subscribe(receiver, "stp", agencies=[agencies["stp"]], procedures=[JUDICIAL_RECORD])
    subscribe(receiver, "province", agencies=[agencies["ubnd_tinh"]], event_types=["x.y"])
    subscribe(receiver, "copies", procedures=[CERTIFIED_COPY])
    dossier = received(processing_org)
    event = OutboxEvent.objects.filter(dossier=dossier).last()
    assert event is not None
    with django_assert_num_queries(1):
        targets = list(webhooks.WebhookSink().targets(event))
    names = Subscription.objects.filter(pk__in=targets).values_list("name", flat=True)
    assert sorted(names) == ["all", "stp"]


def test_the_receiver_refuses_a_wrong_signature_and_the_event_becomes_a_dead_letter(
    intake_org: Org, receiver: Receiver
) -> None:
    subscription = subscribe(receiver, "hook")
    # The receiver was given another secret than the one motcua signs with.
    receiver.url_for(
        "hook", "whsec_" + base64.b64encode(b"another key of 32 bytes, really!").decode()
    )
    dossier = online_copy(intake_org)
    drain()
    (entry, *_rest) = receiver.requests()
    assert (entry["valid"], entry["answered"]) == (False, 401)
    dead = Delivery.objects.filter(event__dossier=dossier, state=Delivery.State.DEAD)
    assert dead.count() == 2
    assert all(d.attempts == 1 and "HTTP 401" in d.last_error for d in dead)
    assert receiver.accepted() == []

    # A request signed with the right secret but a changed body is refused too.
    event = OutboxEvent.objects.filter(dossier=dossier).first()
    assert event is not None
    body = json.dumps(as_cloudevent(event)).encode()
    timestamp = str(int(timezone.now().timestamp()))
    signature = webhooks.sign(subscription.secret, str(event.event_id), timestamp, body)
    headers = {
        "webhook-id": str(event.event_id),
        "webhook-timestamp": timestamp,
        "webhook-signature": signature,
    }
    receiver.url_for("hook", subscription.secret)
    assert httpx.post(subscription.callback_url, content=body, headers=headers).status_code == 204
    tampered = body.replace(b'"specversion"', b'"specversion" ')
    response = httpx.post(subscription.callback_url, content=tampered, headers=headers)
    assert response.status_code == 401


def test_server_errors_are_retried_with_exponential_backoff(
    intake_org: Org, receiver: Receiver
) -> None:
    subscribe(receiver, "hook", event_types=["vn.motcua.dossier.submitted"])
    receiver.control(fail=2, status=500)
    with time_machine.travel(timezone.now(), tick=True) as clock:
        dossier = services.submit_dossier(submission=certified_copy(), channel=Channel.ONLINE)
        (pending,) = Delivery.objects.filter(event__dossier=dossier)
        delivery.deliver_due()
        pending.refresh_from_db()
        assert (pending.state, pending.attempts) == (Delivery.State.PENDING, 1)
        assert "HTTP 500" in pending.last_error
        wait = pending.next_attempt_at - timezone.now()
        assert timedelta(seconds=8) < wait <= timedelta(seconds=11)
        # Not due yet: the next run leaves it alone.
        assert delivery.deliver_due() == 0
        clock.shift(timedelta(seconds=12))
        assert delivery.deliver_due() == 1
        pending.refresh_from_db()
        assert pending.attempts == 2
        wait = pending.next_attempt_at - timezone.now()
        assert timedelta(seconds=18) < wait <= timedelta(seconds=22)
        clock.shift(timedelta(seconds=23))
        delivery.deliver_due()
    pending.refresh_from_db()
    assert (pending.state, pending.attempts) == (Delivery.State.DELIVERED, 3)
    assert pending.delivered_at is not None
    requests = receiver.requests()
    assert [r["answered"] for r in requests] == [500, 500, 204]
    assert {r["id"] for r in requests} == {str(pending.event.event_id)}


def test_a_dead_letter_replayed_from_the_admin_arrives_with_the_same_id(
    intake_org: Org, receiver: Receiver, client: Any, settings: Any
) -> None:
    settings.OUTBOX_MAX_ATTEMPTS = 3
    subscribe(receiver, "hook", event_types=["vn.motcua.dossier.submitted"])
    receiver.control(fail=3, status=503)
    dossier = services.submit_dossier(submission=certified_copy(), channel=Channel.ONLINE)
    for _attempt in range(3):
        delivery.deliver_due()
        Delivery.objects.update(next_attempt_at=timezone.now())
    (dead,) = Delivery.objects.filter(event__dossier=dossier)
    assert (dead.state, dead.attempts) == (Delivery.State.DEAD, 3)
    assert delivery.deliver_due() == 0

    client.force_login(intake_org.users["sysadmin"])
    response = client.post(
        reverse("admin:interop_delivery_changelist"),
        {"action": "replay", "_selected_action": [dead.pk]},
        follow=True,
    )
    assert response.status_code == 200
    dead.refresh_from_db()
    assert (dead.state, dead.attempts) == (Delivery.State.PENDING, 0)
    delivery.deliver_due()
    dead.refresh_from_db()
    assert dead.state == Delivery.State.DELIVERED
    event_id = str(dead.event.event_id)
    assert [(r["id"], r["answered"]) for r in receiver.requests()] == [
        (event_id, 503),
        (event_id, 503),
        (event_id, 503),
        (event_id, 204),
    ]


def test_a_dead_letter_is_not_replayed_by_staff_without_the_permission(
    intake_org: Org, receiver: Receiver, client: Any
) -> None:
    subscribe(receiver, "hook", event_types=["vn.motcua.dossier.submitted"])
    receiver.control(fail=1, status=400)
    services.submit_dossier(submission=certified_copy(), channel=Channel.ONLINE)
    delivery.deliver_due()
    (dead,) = Delivery.objects.all()
    assert dead.state == Delivery.State.DEAD
    client.force_login(intake_org.users["manager_halong"])
    client.post(
        reverse("admin:interop_delivery_changelist"),
        {"action": "replay", "_selected_action": [dead.pk]},
    )
    dead.refresh_from_db()
    assert dead.state == Delivery.State.DEAD


def test_410_gone_deactivates_the_subscription(intake_org: Org, receiver: Receiver) -> None:
    subscription = subscribe(receiver, "hook")
    receiver.control(fail=1, status=410)
    dossier = services.submit_dossier(submission=certified_copy(), channel=Channel.ONLINE)
    delivery.deliver_due()
    (gone,) = Delivery.objects.filter(event__dossier=dossier)
    assert gone.state == Delivery.State.DEAD
    assert "HTTP 410" in gone.last_error
    subscription.refresh_from_db()
    assert not subscription.active
    assert subscription.deactivated_at is not None
    # The next event of the flow is no longer for it.
    services.accept_dossier(dossier=dossier, actor=intake_org.users["counter_halong"])
    assert Delivery.objects.filter(event__dossier=dossier).count() == 1
    assert len(receiver.requests()) == 1


def test_events_wait_while_the_receiver_is_down_and_drain_when_it_is_back(
    intake_org: Org, receiver: Receiver
) -> None:
    subscribe(receiver, "hook")
    receiver.stop()
    dossiers = [online_copy(intake_org) for _ in range(3)]
    delivery.deliver_due()
    deliveries = Delivery.objects.filter(event__dossier__in=dossiers)
    assert deliveries.count() == 6
    for waiting in deliveries:
        assert (waiting.state, waiting.attempts) == (Delivery.State.PENDING, 1)
        assert "Cannot be reached" in waiting.last_error
        assert waiting.next_attempt_at > timezone.now()
    # Still down at the next retry: a longer wait.
    deliveries.update(next_attempt_at=timezone.now())
    delivery.deliver_due()
    assert set(deliveries.values_list("attempts", flat=True)) == {2}
    assert (
        deliveries.filter(next_attempt_at__gt=timezone.now() + timedelta(seconds=15)).count() == 6
    )

    receiver.start()
    assert delivery.deliver_due() == 0  # the retry wait is honoured
    deliveries.update(next_attempt_at=timezone.now())
    assert delivery.deliver_due() == 6
    assert set(deliveries.values_list("state", flat=True)) == {"delivered"}
    assert sorted(receiver.accepted()) == sorted(event_ids(dossier__in=dossiers))


def test_callback_addresses_must_use_https_except_on_this_machine(settings: Any) -> None:
    from motcua.interop.models.webhooks import callback_allowed

    assert callback_allowed("https://agency.example.vn/hooks")
    assert callback_allowed("http://127.0.0.1:8000/hook")
    assert callback_allowed("http://localhost/hook")
    assert not callback_allowed("http://agency.example.vn/hooks")
    assert not callback_allowed("ftp://agency.example.vn/hooks")
    settings.WEBHOOKS_ALLOW_HTTP = True
    assert callback_allowed("http://agency.example.vn/hooks")


def test_the_secret_is_stored_encrypted_and_survives_a_key_rotation(db: Any, settings: Any) -> None:
    subscription = Subscription(name="hook", callback_url="https://agency.example.vn/h")
    secret = subscription.issue_secret()
    subscription.save()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret[6:])) == 32
    assert secret not in subscription.sealed_secret
    stored = Subscription.objects.get(pk=subscription.pk)
    assert stored.secret == secret
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-after-rotation"
    assert stored.secret == secret
