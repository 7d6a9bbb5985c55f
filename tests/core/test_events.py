"""Live events: publish after commit, topic authorisation, replay, pruning, in-process streaming.

These run on SQLite and on PostgreSQL; the cross-process acceptance tests are in
test_events_postgres.py.
"""

from __future__ import annotations

import asyncio
import json
from contextlib import suppress
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from motcua.asgi import application
from motcua.core import events, sse
from motcua.core.events import Event, can_subscribe, publish
from motcua.core.models import LiveEvent
from motcua.core.permissions import ANONYMOUS, Principal
from motcua.organisation.models import Agency, ServicePoint
from motcua.organisation.selectors import principal_for_user
from tests.core.events_support import (
    AsgiStream,
    in_thread,
    make_scope,
    publish_committed,
    run,
    session_cookie,
)
from tests.org import Org

STREAM = "/events/stream"


class Boom(Exception):
    pass


# --- publish -------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_publish_delivers_after_commit_to_subscribers_of_the_topic() -> None:
    async def scenario() -> None:
        async with events.subscribe(["commune.06688"]) as sub:
            await in_thread(lambda: publish_committed("commune.06673", "other"))
            row = await in_thread(
                lambda: publish_committed("commune.06688", "ticket.called", {"n": "A012"})
            )
            event = await asyncio.wait_for(sub.get(), 10)
            assert event == Event(row.pk, "commune.06688", "ticket.called", {"n": "A012"})
            assert sub.queue.empty()  # the other commune's event never came here

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_rolled_back_publish_leaves_no_row_and_delivers_nothing() -> None:
    def rolled_back() -> None:
        with suppress(Boom), transaction.atomic():
            publish("commune.06688", "never", {"x": 1})
            raise Boom

    def savepoint_rolled_back() -> None:
        with transaction.atomic():
            publish("commune.06688", "kept")
            with suppress(Boom), transaction.atomic():
                publish("commune.06688", "undone")
                raise Boom

    async def scenario() -> list[str]:
        async with events.subscribe(["commune.06688"]) as sub:
            await in_thread(rolled_back)
            await in_thread(savepoint_rolled_back)
            await in_thread(lambda: publish_committed("commune.06688", "marker"))
            names = [(await asyncio.wait_for(sub.get(), 10)).name for _ in range(2)]
            assert sub.queue.empty()
            return names

    # Deliveries arrive in commit order: had the rolled-back ones been sent, they would come first.
    assert run(scenario) == ["kept", "marker"]
    assert sorted(LiveEvent.objects.values_list("name", flat=True)) == ["kept", "marker"]


@pytest.mark.django_db
def test_nothing_is_announced_before_the_commit(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        row = publish("province.22", "kpi.updated", {"when": timezone.now()})
    assert len(callbacks) == 1  # the announcement waits for the commit
    assert isinstance(row.data["when"], str)  # stored as JSON, as subscribers will get it


def test_publish_refuses_bad_topics_and_names() -> None:
    for bad in ["", "commune", "Commune.1", "commune.", "commune.a b", "x" * 201 + ".1"]:
        with pytest.raises(ValueError, match="topic"):
            publish(bad, "changed")
    with pytest.raises(ValueError, match="name"):
        publish("commune.06688", "")
    with pytest.raises(ValueError, match="name"):
        publish("commune.06688", "n" * 101)


def test_notify_payload_carries_the_event_or_only_its_id_when_too_long() -> None:
    small = Event(7, "commune.06688", "changed", {"tên": "Hạ Long"})
    assert json.loads(events.notify_payload(small)) == small.as_dict()
    big = Event(8, "commune.06688", "changed", {"blob": "ắ" * 3000})  # > 7,500 bytes in UTF-8
    assert json.loads(events.notify_payload(big)) == {"id": 8}


# --- who may subscribe --------------------------------------------------------------------------


def unit_topics(org: Org) -> dict[str, str]:
    topics = {"province": "province.22", "province_other": "province.01"}
    topics |= {f"commune_{key}": f"commune.{c.code}" for key, c in org.communes.items()}
    topics |= {f"agency_{key}": f"agency.{a.pk}" for key, a in org.agencies.items()}
    topics |= {f"point_{key}": f"service_point.{p.pk}" for key, p in org.points.items()}
    return topics


# Which unit topics each test user may subscribe to: the units their jurisdiction contains.
ALLOWED = {
    # Service point memberships: the point, and for a commune centre its commune and what stands
    # in that commune.
    "counter_halong": {
        "point_halong",
        "commune_halong",
        "agency_ubnd_halong",
        "agency_ca_halong",
    },
    "manager_halong": {
        "point_halong",
        "commune_halong",
        "agency_ubnd_halong",
        "agency_ca_halong",
    },
    "counter_tinh": {"point_tinh"},  # the provincial centre serves no single commune
    # A commune membership: the commune and what stands in it.
    "chair_halong": {"point_halong", "commune_halong", "agency_ubnd_halong", "agency_ca_halong"},
    # Agency memberships: the agency, the agencies below it, and the service points that receive
    # dossiers for it (the same reach as every read: tests/test_route_permissions.py).
    "officer_halong": {"agency_ubnd_halong", "point_halong"},
    "leader_halong": {"agency_ubnd_halong", "point_halong"},
    "officer_stp": {"agency_stp", "point_tinh"},
    # Province memberships: everything in the province.
    "monitor": {
        "province",
        "commune_halong",
        "commune_baichay",
        "commune_honggai",
        "agency_ubnd_tinh",
        "agency_stp",
        "agency_ubnd_halong",
        "agency_ca_halong",
        "agency_ubnd_baichay",
        "point_tinh",
        "point_halong",
        "point_baichay",
    },
}
ALLOWED["sysadmin"] = ALLOWED["monitor"]


@pytest.mark.django_db
def test_every_user_may_subscribe_to_exactly_the_units_their_jurisdiction_contains(
    org: Org,
) -> None:
    topics = unit_topics(org)
    for user_key, user in org.users.items():
        principal = principal_for_user(user)
        allowed = {key for key, name in topics.items() if can_subscribe(principal, name)}
        assert allowed == ALLOWED[user_key], user_key


@pytest.mark.django_db
def test_a_commune_scoped_principal_reaches_its_commune_only() -> None:
    scope = make_scope()
    officer = principal_for_user(scope["officer"])
    point = ServicePoint.objects.create(
        code="ttpvhcc-06688",
        name="TTPVHCC Hạ Long",
        kind="commune_centre",
        province=scope["province"],
        commune=scope["commune"],
    )
    elsewhere = ServicePoint.objects.create(
        code="ttpvhcc-06673",
        name="TTPVHCC Bãi Cháy",
        kind="commune_centre",
        province=scope["province"],
        commune=scope["other"],
    )
    assert can_subscribe(officer, "commune.06688")
    assert can_subscribe(officer, f"service_point.{point.pk}")
    assert not can_subscribe(officer, "commune.06673")
    assert not can_subscribe(officer, f"service_point.{elsewhere.pk}")
    assert not can_subscribe(officer, "province.22")


@pytest.mark.django_db
def test_unknown_malformed_and_anonymous_are_refused(org: Org) -> None:
    monitor = principal_for_user(org.users["monitor"])
    no_point = ServicePoint.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1
    no_agency = Agency.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1
    assert not can_subscribe(ANONYMOUS, "province.22")
    for refused in [
        "dossier.1",  # no app has registered this kind yet
        "nonsense.22",
        "province",
        "province.22 ",
        "agency.x",
        "agency.99999999999999999999",
        f"service_point.{no_point}",
        f"agency.{no_agency}",
        "commune.99999",
    ]:
        assert not can_subscribe(monitor, refused), refused


def test_apps_register_topic_kinds() -> None:
    seen: list[tuple[int | None, str]] = []

    def dossier_check(principal: Principal, key: str) -> bool:
        seen.append((principal.user_id, key))
        return key == "42"

    someone = Principal(user_id=1)
    assert "dossier" not in events.topic_kinds()
    events.register_topic_kind("dossier", dossier_check)
    try:
        assert "dossier" in events.topic_kinds()
        assert can_subscribe(someone, "dossier.42")
        assert not can_subscribe(someone, "dossier.43")
        assert not can_subscribe(ANONYMOUS, "dossier.42")  # never asked for the anonymous
        assert seen == [(1, "42"), (1, "43")]
        with pytest.raises(ValueError, match="already registered"):
            events.register_topic_kind("dossier", lambda p, k: True)
        events.register_topic_kind("dossier", lambda p, k: True, replace=True)
        assert can_subscribe(someone, "dossier.43")
    finally:
        events.unregister_topic_kind("dossier")
    assert not can_subscribe(someone, "dossier.42")
    with pytest.raises(ValueError, match="kind"):
        events.register_topic_kind("Bad.Kind", dossier_check)


def test_public_topic_kinds_are_open_to_the_anonymous_and_only_them() -> None:
    """A display board in a waiting room listens without a login to a public kind; the same
    check still decides which keys exist."""
    someone = Principal(user_id=1)
    events.register_topic_kind("lobby", lambda p, k: k == "7", public=True)
    try:
        assert events.is_public_topic("lobby.7")
        assert can_subscribe(ANONYMOUS, "lobby.7")
        assert can_subscribe(someone, "lobby.7")
        assert not can_subscribe(ANONYMOUS, "lobby.8")
        assert not can_subscribe(ANONYMOUS, "province.22")
        events.register_topic_kind("lobby", lambda p, k: True, replace=True)  # not public now
        assert not can_subscribe(ANONYMOUS, "lobby.7")
    finally:
        events.unregister_topic_kind("lobby")
    assert not events.is_public_topic("lobby.7")


# --- the endpoint's refusals ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_stream_needs_a_login() -> None:
    response = Client().get(STREAM, {"topic": "province.22"})
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"
    assert reverse("core:event_stream") == STREAM


@pytest.mark.django_db
def test_a_public_topic_streams_without_a_login_but_not_mixed_with_a_private_one(
    org: Org,
) -> None:
    point = org.points["halong"].pk
    assert Client().get(STREAM, {"topic": f"board.{point}"}).status_code == 200
    mixed = Client().get(STREAM, {"topic": [f"board.{point}", "province.22"]})
    assert mixed.status_code == 401


@pytest.mark.django_db
def test_a_commune_officer_is_refused_another_communes_topic() -> None:
    scope = make_scope()
    client = Client()
    client.force_login(scope["officer"])
    response = client.get(STREAM, {"topic": ["commune.06688", "commune.06673"]})
    assert response.status_code == 403
    body = response.json()
    assert body["error"] == "forbidden"
    assert "commune.06673" in body["detail"]
    assert "commune.06673" in body["fields"]["topic"][0]
    assert client.get(STREAM, {"topic": "dossier.1"}).status_code == 403


@pytest.mark.django_db
def test_the_stream_needs_valid_topics_and_a_get(org: Org) -> None:
    client = Client()
    client.force_login(org.users["monitor"])
    assert client.get(STREAM).status_code == 400
    assert client.get(STREAM, {"topic": "not a topic"}).status_code == 400
    many = [f"commune.{n:05d}" for n in range(sse.MAX_TOPICS + 1)]
    assert client.get(STREAM, {"topic": many}).status_code == 400
    assert client.post(STREAM, {"topic": "province.22"}).status_code == 405


# --- streaming through the ASGI application (one process) ------------------------------------


def stream(cookie: str, *topics: str, **options: Any) -> AsgiStream:
    query: list[tuple[str, str]] = [("topic", name) for name in topics]
    if "last_event_id" in options:
        query.append(("last_event_id", str(options["last_event_id"])))
    headers = {}
    if "last_event_id_header" in options:
        headers["Last-Event-ID"] = str(options["last_event_id_header"])
    return AsgiStream(application, STREAM, query, cookie=cookie, headers=headers)


@pytest.mark.django_db(transaction=True)
def test_an_sse_client_receives_events_published_in_the_same_process() -> None:
    scope = make_scope()
    cookie = session_cookie(scope["officer"])

    async def scenario() -> None:
        client = await stream(cookie, "commune.06688").open()
        assert client.status == 200
        assert client.headers["content-type"] == "text/event-stream"
        assert client.headers["cache-control"] == "no-cache"
        assert client.headers["x-accel-buffering"] == "no"
        assert "content-encoding" not in client.headers
        hello = await client.messages(1)
        assert hello[0].retry == sse.RETRY_MILLISECONDS
        # Published from a worker thread, as a sync view or job would.
        row = await in_thread(
            lambda: publish_committed("commune.06688", "ticket.called", {"ticket": "A012"})
        )
        [message] = await client.messages(1, where=lambda m: m.data)
        assert message.id == str(row.pk)
        assert message.event == {
            "id": row.pk,
            "topic": "commune.06688",
            "name": "ticket.called",
            "data": {"ticket": "A012"},
        }
        await client.close()
        # The disconnect ended the generator and removed the subscription.
        assert events.broker().subscription_count() == 0

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_last_event_id_replays_only_missed_subscribed_events_within_the_window() -> None:
    scope = make_scope()
    cookie = session_cookie(scope["monitor"])
    first = publish_committed("commune.06688", "e1")
    publish_committed("commune.06673", "other-topic")
    missed = publish_committed("commune.06688", "e3")
    stale = publish_committed("commune.06688", "too-old")
    LiveEvent.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(seconds=901))
    second_topic = publish_committed("province.22", "e5")

    async def scenario() -> None:
        client = await stream(
            cookie, "commune.06688", "province.22", last_event_id_header=first.pk
        ).open()
        replayed = await client.events(2)
        assert [e["id"] for e in replayed] == [missed.pk, second_topic.pk]
        live = await in_thread(lambda: publish_committed("province.22", "live"))
        assert (await client.events(3))[-1]["id"] == live.pk
        await client.close()

        # The query parameter does the same for EventSource polyfills.
        client = await stream(
            cookie, "commune.06688", "province.22", last_event_id=missed.pk
        ).open()
        assert [e["name"] for e in await client.events(2)] == ["e5", "live"]
        assert [m for m in await client.quiet(0.3) if m.data] == []
        await client.close()

        # Without an id nothing is replayed: a fresh page renders the current state itself.
        client = await stream(cookie, "commune.06688").open()
        await client.messages(1)
        assert [m for m in await client.quiet(0.3) if m.data] == []
        await client.close()

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_replay_and_live_overlap_is_sent_once() -> None:
    scope = make_scope()
    cookie = session_cookie(scope["monitor"])
    first = publish_committed("province.22", "e1")

    async def scenario() -> None:
        client = await stream(cookie, "province.22", last_event_id_header=first.pk).open()
        await client.messages(1)
        # Stored (so replayed) and delivered live, then delivered again as a listener's
        # catch-up after a reconnect would.
        row = await in_thread(lambda: publish_committed("province.22", "both"))
        for _ in range(2):
            events.broker().deliver(Event(row.pk, "province.22", "both", {}))
        after = await in_thread(lambda: publish_committed("province.22", "after"))
        received = await client.events(2)
        assert [e["id"] for e in received] == [row.pk, after.pk]
        assert [m for m in await client.quiet(0.2) if m.data] == []
        await client.close()

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_a_fresh_client_is_given_a_point_to_resume_from() -> None:
    scope = make_scope()
    cookie = session_cookie(scope["officer"])
    latest = publish_committed("commune.06673", "elsewhere")

    async def scenario() -> None:
        client = await stream(cookie, "commune.06688").open()
        [hello] = await client.messages(1)
        assert hello.id == str(latest.pk)
        assert not hello.data  # sets the browser's last event id, dispatches nothing
        await client.close()
        missed = await in_thread(lambda: publish_committed("commune.06688", "in-the-gap"))
        client = await stream(cookie, "commune.06688", last_event_id_header=hello.id).open()
        assert [e["id"] for e in await client.events(1)] == [missed.pk]
        await client.close()

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_streams_end_after_their_lifetime(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sse, "MAX_STREAM_SECONDS", 0.2)
    scope = make_scope()
    cookie = session_cookie(scope["officer"])

    async def scenario() -> None:
        client = await stream(cookie, "commune.06688").open()
        await client.read_all()  # ends by itself: the browser reconnects and is checked again
        await client.close()
        assert events.broker().subscription_count() == 0

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_idle_streams_get_heartbeats(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sse, "HEARTBEAT_SECONDS", 0.05)
    scope = make_scope()
    cookie = session_cookie(scope["officer"])

    async def scenario() -> None:
        client = await stream(cookie, "commune.06688").open()
        await client.messages(1, where=lambda m: "keep-alive" in m.comments)
        await client.close()

    run(scenario)


@pytest.mark.django_db(transaction=True)
def test_a_client_too_far_behind_is_disconnected_to_resume(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(events, "QUEUE_SIZE", 2)
    scope = make_scope()
    cookie = session_cookie(scope["officer"])

    async def scenario() -> None:
        client = await stream(cookie, "commune.06688").open()
        await client.messages(1)
        for n in range(1, 5):  # delivered without yielding to the stream: the queue overflows
            events.broker().deliver(Event(n, "commune.06688", "burst", {}))
        await client.read_all()
        assert client.finished
        await client.close()
        assert events.broker().subscription_count() == 0

    run(scenario)


# --- pruning -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_prune_deletes_events_older_than_the_replay_window(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.EVENTS_REPLAY_SECONDS = 600
    monkeypatch.setattr(events, "BATCH", 2)  # several delete statements
    now = timezone.now()
    ages = [0, 30, 599, 601, 900, 3600, 86400]
    for age in ages:
        row = publish("province.22", f"age-{age}")
        LiveEvent.objects.filter(pk=row.pk).update(created_at=now - timedelta(seconds=age))
    assert events.prune_live_events() == 4
    assert sorted(LiveEvent.objects.values_list("name", flat=True)) == [
        "age-0",
        "age-30",
        "age-599",
    ]
    assert events.prune_live_events() == 0
