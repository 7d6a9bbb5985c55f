"""The outbox and its delivery engine: events written in the transaction of the state change,
claimed with leases, sent outside transactions, retried, ordered per dossier where the sink
asks for it, dead-lettered and replayed; on PostgreSQL, two workers at once."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from motcua.dossiers import history, services
from motcua.dossiers.models import Channel, Dossier, DossierEvent
from motcua.interop import delivery, sinks
from motcua.interop.models import Delivery, OutboxEvent, Subscription
from motcua.interop.outbox import as_cloudevent
from motcua.interop.sinks import DeliveryError
from tests.intake_data import certified_copy
from tests.interop.receiver import Receiver
from tests.org import Org


@dataclass
class RecordingSink:
    """A destination inside the test: records what it is sent, fails when told to."""

    name: str = "recording"
    ordered: bool = False
    sent: list[tuple[str, str]] = field(default_factory=list)
    failures: list[BaseException] = field(default_factory=list)
    delay: float = 0.0

    def targets(self, event: OutboxEvent) -> list[str]:
        return ["a"]

    def send(self, event: OutboxEvent, target: str) -> None:
        time.sleep(self.delay)
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((event.subject, event.type))


@pytest.fixture
def sink(monkeypatch: pytest.MonkeyPatch) -> RecordingSink:
    recording = RecordingSink()
    monkeypatch.setitem(sinks._SINKS, recording.name, recording)
    return recording


def submitted(org: Org) -> Dossier:
    return services.submit_dossier(submission=certified_copy(), channel=Channel.ONLINE)


def noted(dossier: Dossier, times: int) -> None:
    """State changes that keep the status (documents digitised into the dossier)."""
    for _ in range(times):
        history.append_event(dossier, None, "digitised", dossier.status)


@transaction.atomic
def note_then_fail(dossier: Dossier) -> None:
    noted(dossier, 1)
    raise RuntimeError("the state change fails")


def pending() -> Any:
    return Delivery.objects.filter(state=Delivery.State.PENDING)


def test_each_history_event_becomes_a_cloudevent_in_the_same_transaction(
    intake_org: Org, settings: Any
) -> None:
    settings.PUBLIC_URL = "https://motcua.quangninh.gov.vn"
    dossier = submitted(intake_org)
    services.accept_dossier(dossier=dossier, actor=intake_org.users["counter_halong"])
    history_events = list(DossierEvent.objects.filter(dossier=dossier).order_by("pk"))
    events = list(OutboxEvent.objects.filter(dossier=dossier).order_by("pk"))
    assert [e.data["history_id"] for e in events] == [h.pk for h in history_events]
    document = as_cloudevent(events[-1])
    assert document == {
        "specversion": "1.0",
        "id": str(events[-1].event_id),
        "type": "vn.motcua.dossier.received",
        "source": "https://motcua.quangninh.gov.vn",
        "subject": dossier.code,
        "time": document["time"],
        "datacontenttype": "application/json",
        "data": events[-1].data,
    }
    assert document["time"].endswith("Z")
    assert document["data"]["status"] == history_events[-1].to_status
    assert events[-1].procedure_code == "2.000815"
    assert events[-1].agency_ids == [intake_org.agencies["ubnd_halong"].pk]

    with pytest.raises(RuntimeError):
        note_then_fail(dossier)
    assert OutboxEvent.objects.filter(dossier=dossier).count() == 2


def test_delivery_is_enqueued_after_commit_only_when_someone_must_receive(
    intake_org: Org, sink: RecordingSink, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        dossier = submitted(intake_org)
    assert Delivery.objects.filter(event__dossier=dossier, sink="recording").count() == 1
    jobs = DBTaskResult.objects.filter(task_path="motcua.interop.tasks.deliver_due")
    assert jobs.count() == 1
    assert callbacks

    del sinks._SINKS[sink.name]
    with django_capture_on_commit_callbacks(execute=True):
        noted(dossier, 1)
    assert jobs.count() == 1  # no destination, no delivery, no job


def test_a_delivery_is_sent_once_and_recorded(intake_org: Org, sink: RecordingSink) -> None:
    dossier = submitted(intake_org)
    assert delivery.deliver_due() == 1
    assert delivery.deliver_due() == 0
    assert sink.sent == [(dossier.code, "vn.motcua.dossier.submitted")]
    (done,) = Delivery.objects.all()
    assert (done.state, done.attempts, done.leased_until) == (Delivery.State.DELIVERED, 1, None)
    assert done.delivered_at is not None


def test_a_refused_event_is_dead_at_once_and_a_fault_is_retried(
    intake_org: Org, sink: RecordingSink
) -> None:
    sink.failures = [DeliveryError("422: invalid", retryable=False), KeyError("bug")]
    submitted(intake_org)
    submitted(intake_org)
    delivery.deliver_due()
    refused, faulty = Delivery.objects.order_by("pk")
    assert (refused.state, refused.last_error) == (Delivery.State.DEAD, "422: invalid")
    assert (faulty.state, faulty.attempts) == (Delivery.State.PENDING, 1)
    assert faulty.last_error == "KeyError: 'bug'"
    assert faulty.next_attempt_at > timezone.now()


def test_after_the_last_attempt_a_delivery_is_a_dead_letter_until_replayed(
    intake_org: Org, sink: RecordingSink, settings: Any
) -> None:
    settings.OUTBOX_MAX_ATTEMPTS = 4
    sink.failures = [DeliveryError("503") for _ in range(4)]
    dossier = submitted(intake_org)
    waits = []
    for _attempt in range(4):
        delivery.deliver_due()
        (row,) = Delivery.objects.all()
        waits.append(row.next_attempt_at - timezone.now())
        Delivery.objects.update(next_attempt_at=timezone.now())
    (row,) = Delivery.objects.all()
    assert (row.state, row.attempts) == (Delivery.State.DEAD, 4)
    # 10 s, 20 s, 40 s (+ up to 10 % jitter) between the attempts.
    for wait, base in zip(waits[:3], (10, 20, 40), strict=True):
        assert timedelta(seconds=base - 1) < wait <= timedelta(seconds=base * 1.1)
    assert delivery.deliver_due() == 0

    assert delivery.replay(deliveries=Delivery.objects.all()) == 1
    assert delivery.replay(deliveries=Delivery.objects.all()) == 0  # pending: left alone
    assert delivery.deliver_due() == 1
    row.refresh_from_db()
    assert (row.state, row.attempts) == (Delivery.State.DELIVERED, 1)
    assert sink.sent == [(dossier.code, "vn.motcua.dossier.submitted")]


def test_a_live_lease_is_left_alone_and_an_expired_one_is_taken_over(
    intake_org: Org, sink: RecordingSink
) -> None:
    submitted(intake_org)
    now = timezone.now()
    Delivery.objects.update(leased_until=now + timedelta(seconds=30))
    assert delivery.deliver_due() == 0
    Delivery.objects.update(leased_until=now - timedelta(seconds=1))
    assert delivery.deliver_due() == 1
    assert len(sink.sent) == 1


def test_an_ordered_sink_gets_a_dossiers_events_in_order(
    intake_org: Org, sink: RecordingSink
) -> None:
    sink.ordered = True
    sink.failures = [DeliveryError("down")]
    first = submitted(intake_org)
    noted(first, 2)
    other = submitted(intake_org)
    delivery.deliver_due()
    # The first dossier's first event failed: its later ones wait; the other dossier goes.
    assert sink.sent == [(other.code, "vn.motcua.dossier.submitted")]
    assert pending().filter(attempts=0).count() == 2
    pending().update(next_attempt_at=timezone.now())
    delivery.deliver_due()
    assert [t for code, t in sink.sent if code == first.code] == [
        "vn.motcua.dossier.submitted",
        "vn.motcua.dossier.digitised",
        "vn.motcua.dossier.digitised",
    ]


def test_a_dead_letter_does_not_hold_up_the_events_after_it(
    intake_org: Org, sink: RecordingSink
) -> None:
    sink.ordered = True
    sink.failures = [DeliveryError("invalid", retryable=False)]
    dossier = submitted(intake_org)
    noted(dossier, 1)
    delivery.deliver_due()
    states = list(Delivery.objects.order_by("event_id").values_list("state", flat=True))
    assert states == [Delivery.State.DEAD, Delivery.State.DELIVERED]


def test_a_batch_hands_back_what_it_cannot_send_within_half_its_lease(
    intake_org: Org, sink: RecordingSink, settings: Any
) -> None:
    settings.OUTBOX_LEASE_SECONDS = 2
    dossier = submitted(intake_org)
    noted(dossier, 4)
    leases: list[Any] = []
    original_send = sink.send

    def send(event: OutboxEvent, target: str) -> None:
        leases.append(Delivery.objects.get(event=event).leased_until)
        original_send(event, target)

    sink.send = send  # type: ignore[method-assign]
    sink.delay = 0.4
    assert delivery.deliver_due() == 5
    assert len(sink.sent) == 5
    # Three sends fit in the first second of a lease: the batch was claimed again.
    assert len(set(leases)) >= 2
    assert set(Delivery.objects.values_list("state", flat=True)) == {Delivery.State.DELIVERED}


def test_deliver_due_stops_at_its_limit(intake_org: Org, sink: RecordingSink) -> None:
    dossier = submitted(intake_org)
    noted(dossier, 4)
    assert delivery.deliver_due(limit=3, batch_size=2) == 3
    assert pending().count() == 2


def test_the_periodic_schedule_picks_up_retries(intake_org: Org) -> None:
    from motcua.core.jobs import declared_schedules

    schedule = declared_schedules()["interop.deliver_due"]
    assert schedule.task_path == "motcua.interop.tasks.deliver_due"
    assert schedule.interval_seconds == 30


def webhook_to(receiver: Receiver) -> Subscription:
    subscription = Subscription(name="hook")
    subscription.callback_url = receiver.url_for("hook", subscription.issue_secret())
    subscription.save()
    return subscription


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_every_delivery_exactly_once(
    intake_org: Org, receiver: Receiver
) -> None:
    assert connection.vendor == "postgresql"
    webhook_to(receiver)
    dossier = submitted(intake_org)
    noted(dossier, 119)
    receiver.control(delay=0.005)
    tried: list[int] = []

    def worker() -> None:
        try:
            tried.append(delivery.deliver_due(batch_size=10))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sum(tried) == 120
    assert all(n > 0 for n in tried), tried  # both took part
    counts = Counter(receiver.accepted())
    assert len(counts) == 120
    assert set(counts.values()) == {1}
    assert not pending().exists()


def test_a_slow_send_past_its_lease_is_taken_over_and_not_overwritten(
    intake_org: Org, sink: RecordingSink
) -> None:
    """The one way a delivery is sent twice without a crash: its lease ran out mid-send."""
    dossier = submitted(intake_org)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        (claimed,), lease = delivery.claim(10)
        clock.shift(timedelta(seconds=delivery.lease_seconds() + 1))
        # Another worker takes the expired lease, and its send fails.
        (taken,), other_lease = delivery.claim(10)
        delivery.failed(taken, other_lease, "timeout", retryable=True)
        # The first worker's late failure no longer owns the row: nothing is overwritten.
        delivery.failed(claimed, lease, "late", retryable=True)
    (row,) = Delivery.objects.filter(event__dossier=dossier)
    assert (row.attempts, row.last_error) == (1, "timeout")
