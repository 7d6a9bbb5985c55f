"""At least once, for real: a `motcua worker` process is killed with SIGKILL in the middle of a
batch of webhook deliveries; after a restart every event reaches the receiver process, and the
only duplicates are deliveries that were in flight at the kill (absorbed by the receiver's
idempotency key, the event id).

PostgreSQL only: the worker is a separate process on the test database (see
tests/core/test_jobs_concurrency.py for how workers are started).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from motcua.interop import delivery
from motcua.interop.models import Delivery, OutboxEvent
from tests.core.test_jobs_concurrency import Workers
from tests.interop.receiver import Receiver
from tests.interop.test_outbox import noted, submitted, webhook_to
from tests.org import Org

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

EVENTS = 200
# Short leases, so that the killed worker's deliveries are taken over within seconds.
LEASE_SECONDS = "2"
DRAIN_TIMEOUT = 150.0


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Workers]:
    pool = Workers(tmp_path)
    pool.env["MOTCUA_OUTBOX_LEASE_SECONDS"] = LEASE_SECONDS
    try:
        yield pool
    finally:
        pool.kill_all()


def delivered_ids() -> set[str]:
    rows = Delivery.objects.filter(state=Delivery.State.DELIVERED)
    return {str(pk) for pk in rows.values_list("event__event_id", flat=True)}


def test_a_worker_killed_mid_batch_loses_no_event(
    intake_org: Org, receiver: Receiver, workers: Workers
) -> None:
    webhook_to(receiver)
    dossier = submitted(intake_org)
    noted(dossier, EVENTS - 1)
    all_ids = {str(pk) for pk in OutboxEvent.objects.values_list("event_id", flat=True)}
    assert len(all_ids) == Delivery.objects.count() == EVENTS
    receiver.control(delay=0.02)

    first = workers.start("--interval=0.05")
    workers.wait_until(lambda: len(receiver.accepted()) >= EVENTS // 2, "half delivered")
    first.kill()
    first.wait()
    time.sleep(0.2)  # a request the worker was waiting on is answered (and logged) meanwhile
    seen_at_kill = set(receiver.accepted())
    recorded_at_kill = delivered_ids()
    leased_at_kill = Delivery.objects.filter(
        state=Delivery.State.PENDING, leased_until__isnull=False
    ).count()
    assert 0 < len(recorded_at_kill) < EVENTS
    assert leased_at_kill <= delivery.BATCH_SIZE

    started = time.monotonic()
    second = workers.start("--interval=0.05")
    # Not workers.wait_until: it gives up as soon as it sees the killed worker.
    while Delivery.objects.exclude(state=Delivery.State.DELIVERED).exists():
        if second.poll() is not None or time.monotonic() - started > DRAIN_TIMEOUT:
            raise AssertionError(f"not every delivery was delivered\n{workers.logs()}")
        time.sleep(0.1)
    drained_in = time.monotonic() - started

    counts = Counter(receiver.accepted())
    assert set(counts) == all_ids
    duplicates = {event_id for event_id, n in counts.items() if n > 1}
    # Only what the killed worker had sent but not yet recorded arrives twice.
    assert duplicates <= seen_at_kill - recorded_at_kill
    assert sum(counts.values()) - EVENTS == len(duplicates) <= delivery.BATCH_SIZE
    assert all(r["valid"] for r in receiver.requests())
    print(
        f"killed after {len(seen_at_kill)} received ({len(recorded_at_kill)} recorded, "
        f"{leased_at_kill} leased); duplicates: {len(duplicates)}; "
        f"rest drained in {drained_in:.1f} s"
    )
