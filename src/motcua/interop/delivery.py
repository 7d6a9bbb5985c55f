"""Sending the outbox: at least once, in order where a sink needs it, safe with many workers.

A worker claims due deliveries in a short transaction (`SELECT … FOR UPDATE SKIP LOCKED` on
PostgreSQL) and leases them (`leased_until`); it sends each one outside any transaction, then
records the outcome. A worker killed mid-send leaves its leases to run out: another worker sends
those deliveries again, with the same event id, which receivers use to discard the repeat.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from motcua.core.jobs import RetryPolicy, backoff_delay, enqueue_on_commit
from motcua.interop import sinks
from motcua.interop.models import Delivery

logger = logging.getLogger(__name__)

BATCH_SIZE = 50
# 10 s, 20 s, … doubling up to the job runner's 6 h cap: twelve attempts span about a day.
RETRY_POLICY = RetryPolicy(retries=settings.OUTBOX_MAX_ATTEMPTS, backoff_seconds=10)

PENDING = Delivery.State.PENDING


def deliver_due(*, limit: int | None = None) -> int:
    """Send what is due, batch after batch, until nothing is (or `limit` were sent). Returns the
    number of deliveries attempted."""
    attempted = 0
    while limit is None or attempted < limit:
        batch = claim(BATCH_SIZE if limit is None else min(BATCH_SIZE, limit - attempted))
        if not batch:
            break
        for delivery in batch:
            attempt(delivery)
        attempted += len(batch)
    return attempted


def claim(size: int) -> list[Delivery]:
    """Lease up to `size` due deliveries. A delivery of an ordered sink waits while an earlier
    event of the same subject to the same target is still pending (leased or not)."""
    now = timezone.now()
    earlier_pending = Delivery.objects.filter(
        state=PENDING,
        sink=OuterRef("sink"),
        target=OuterRef("target"),
        subject=OuterRef("subject"),
        event_id__lt=OuterRef("event_id"),
    )
    unordered = [sink.name for sink in sinks.registered() if not sink.ordered]
    with transaction.atomic():
        batch = list(
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("event")
            .filter(state=PENDING, next_attempt_at__lte=now)
            .filter(Q(leased_until__isnull=True) | Q(leased_until__lte=now))
            .filter(Q(sink__in=unordered) | ~Exists(earlier_pending))
            .order_by("event_id")[:size]
        )
        if batch:
            Delivery.objects.filter(pk__in=[d.pk for d in batch]).update(
                leased_until=now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS),
                attempts=F("attempts") + 1,
            )
    for delivery in batch:
        delivery.attempts += 1
    return batch


def attempt(delivery: Delivery) -> None:
    """Send one claimed delivery and record what happened."""
    try:
        sinks.get(delivery.sink).send(delivery.event, delivery.target)
    except sinks.DeliveryError as error:
        _failed(delivery, str(error), retryable=error.retryable)
    except Exception as error:  # a broken sink must not stop the worker's other deliveries
        logger.exception("Sink %s failed on delivery %s", delivery.sink, delivery.pk)
        _failed(delivery, f"{type(error).__name__}: {error}", retryable=True)
    else:
        Delivery.objects.filter(pk=delivery.pk, state=PENDING).update(
            state=Delivery.State.DELIVERED,
            delivered_at=timezone.now(),
            leased_until=None,
            last_error="",
        )


def _failed(delivery: Delivery, error: str, *, retryable: bool) -> None:
    pending = Delivery.objects.filter(pk=delivery.pk, state=PENDING)
    if not retryable or delivery.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        pending.update(state=Delivery.State.DEAD, leased_until=None, last_error=error)
        logger.warning("Delivery %s is a dead letter: %s", delivery.pk, error)
        return
    pending.update(
        next_attempt_at=timezone.now() + backoff_delay(RETRY_POLICY, delivery.attempts),
        leased_until=None,
        last_error=error,
    )


@transaction.atomic
def replay(deliveries: QuerySet[Delivery] | Iterable[Delivery]) -> int:
    """Put dead letters back in line, with their attempts reset. They carry their event's id
    as before, so a receiver that did get one after all discards it."""
    ids = [d.pk for d in deliveries]
    count = Delivery.objects.filter(pk__in=ids, state=Delivery.State.DEAD).update(
        state=PENDING, attempts=0, next_attempt_at=timezone.now(), leased_until=None
    )
    if count:
        from motcua.interop import tasks

        enqueue_on_commit(tasks.deliver_due)
    return count
