"""The delivery engine: sends the outbox's due deliveries through their sinks, at least once.

A worker claims a batch of due deliveries in one short transaction (`select_for_update` with
`skip_locked`, so several workers on PostgreSQL take different rows) and leases them for
OUTBOX_LEASE_SECONDS. It sends each one outside any transaction, a network call never holding
a row lock or a connection in a transaction, then records the outcome: DELIVERED; PENDING
again after an exponential backoff; or DEAD (the dead-letter list) when the sink refused the
event for good or OUTBOX_MAX_ATTEMPTS are used.

A worker killed mid-batch leaves its leases behind; once they run out another worker claims
those deliveries and sends them again. An event can thus arrive twice, always with the same
id: receivers deduplicate on it (the CloudEvents `id`, the `webhook-id` header).

The lease must outlast one send (a sink's connect and read timeouts): a worker stops sending
from a batch once half of the lease is gone and hands the rest back, so that a slow
destination does not let its leases run out while they are still queued in one worker.

For an `ordered` sink, a delivery is not claimed while an earlier event of the same subject
(dossier) still waits for the same target: a dossier's status changes arrive in order.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from motcua.core import audit
from motcua.core.jobs import RetryPolicy, backoff_delay, enqueue_on_commit
from motcua.interop import sinks, tasks
from motcua.interop.models import Delivery
from motcua.interop.sinks import DeliveryError

logger = logging.getLogger("motcua.interop")

# Deliveries claimed by one transaction. Small enough that a batch is sent well within the
# lease, large enough that claiming costs little per delivery.
BATCH_SIZE = 20
# The first retry waits this long, each next one twice as long (capped at 6 h, with jitter):
# a blip is over within seconds; with the default 15 attempts (OUTBOX_MAX_ATTEMPTS) a
# destination may stay down about a day before its deliveries become dead letters.
RETRY_BACKOFF_SECONDS = 10.0
# Error texts kept on a delivery are cut to this length (a destination's error page can be big).
ERROR_LENGTH = 2000


def lease_seconds() -> int:
    return int(settings.OUTBOX_LEASE_SECONDS)


def max_attempts() -> int:
    return int(settings.OUTBOX_MAX_ATTEMPTS)


def retry_policy() -> RetryPolicy:
    return RetryPolicy(retries=max_attempts() - 1, backoff_seconds=RETRY_BACKOFF_SECONDS)


def deliver_due(limit: int | None = None, *, batch_size: int = BATCH_SIZE) -> int:
    """Send due deliveries, batch after batch, until none is due (or `limit` were tried).
    Returns how many were tried. A failed delivery is due again only after its backoff, so
    the loop ends even while a destination is down."""
    tried = 0
    while limit is None or tried < limit:
        size = batch_size if limit is None else min(batch_size, limit - tried)
        batch, leased_until = claim(size)
        if not batch:
            break
        tried += send_batch(batch, leased_until)
    return tried


def claim(size: int) -> tuple[list[Delivery], datetime]:
    """Lease up to `size` due deliveries of the sinks this process knows (a worker older than
    a new sink leaves that sink's deliveries to the others)."""
    now = timezone.now()
    leased_until = now + timedelta(seconds=lease_seconds())
    known = [sink.name for sink in sinks.registered()]
    ordered = [sink.name for sink in sinks.registered() if sink.ordered]
    waiting_behind = Exists(
        Delivery.objects.filter(
            sink=OuterRef("sink"),
            target=OuterRef("target"),
            subject=OuterRef("subject"),
            event_id__lt=OuterRef("event_id"),
            state=Delivery.State.PENDING,
        )
    )
    due = Delivery.objects.filter(
        Q(leased_until__isnull=True) | Q(leased_until__lte=now),
        state=Delivery.State.PENDING,
        next_attempt_at__lte=now,
        sink__in=known,
    )
    if ordered:
        due = due.exclude(Q(sink__in=ordered) & waiting_behind)
    with transaction.atomic():
        batch = list(
            due.order_by("next_attempt_at", "pk")
            .select_related("event")
            .select_for_update(skip_locked=True, of=("self",))[:size]
        )
        if batch:
            Delivery.objects.filter(pk__in=[d.pk for d in batch]).update(leased_until=leased_until)
    return batch, leased_until


def send_batch(batch: Iterable[Delivery], leased_until: datetime) -> int:
    """Send a claimed batch; returns how many were tried. The batch's lease time is its token:
    an outcome is written only while the row still carries it, so a worker that lost a
    delivery to another (its lease ran out) does not overwrite the other's outcome."""
    stop_at = leased_until - timedelta(seconds=lease_seconds() / 2)
    pending = list(batch)
    tried = 0
    while pending:
        if timezone.now() >= stop_at:
            release(pending, leased_until)
            break
        delivery = pending.pop(0)
        send_one(delivery, leased_until)
        tried += 1
    return tried


def send_one(delivery: Delivery, leased_until: datetime) -> None:
    sink = sinks.get(delivery.sink)
    try:
        sink.send(delivery.event, delivery.target)
    except DeliveryError as exc:
        failed(delivery, leased_until, str(exc), retryable=exc.retryable)
    except Exception as exc:
        # A fault in a sink's own code: kept on the delivery and retried like an outage, so
        # that one bad event does not stop the others.
        logger.exception("Sink %s failed on delivery %s", delivery.sink, delivery.pk)
        failed(delivery, leased_until, f"{type(exc).__name__}: {exc}", retryable=True)
    else:
        # Recorded whoever holds the lease now: the event has arrived.
        Delivery.objects.filter(pk=delivery.pk, state=Delivery.State.PENDING).update(
            state=Delivery.State.DELIVERED,
            delivered_at=timezone.now(),
            attempts=F("attempts") + 1,
            leased_until=None,
        )


def failed(delivery: Delivery, leased_until: datetime, error: str, *, retryable: bool) -> None:
    attempts = delivery.attempts + 1
    now = timezone.now()
    fields: dict[str, object] = {
        "attempts": attempts,
        "last_error": error[:ERROR_LENGTH],
        "leased_until": None,
    }
    if retryable and attempts < max_attempts():
        fields["next_attempt_at"] = now + backoff_delay(retry_policy(), attempts)
    else:
        fields["state"] = Delivery.State.DEAD
    updated = Delivery.objects.filter(
        pk=delivery.pk, state=Delivery.State.PENDING, leased_until=leased_until
    ).update(**fields)
    if updated and fields.get("state") == Delivery.State.DEAD:
        logger.warning(
            "Delivery %s (%s:%s) is a dead letter after %d attempts: %s",
            delivery.pk,
            delivery.sink,
            delivery.target,
            attempts,
            error[:200],
        )


def release(deliveries: Iterable[Delivery], leased_until: datetime) -> None:
    """Hand back leased deliveries that were not sent, due at once for any worker."""
    Delivery.objects.filter(
        pk__in=[d.pk for d in deliveries], state=Delivery.State.PENDING, leased_until=leased_until
    ).update(leased_until=None)


@transaction.atomic
def replay(*, deliveries: Iterable[Delivery], actor: Any = None, ip: str | None = None) -> int:
    """Send dead letters again, from the first attempt: the same event, with the same id, so
    that a receiver that did get it after all drops the copy. Returns how many were put back;
    deliveries that are not dead are left alone. Delivery starts after commit."""
    ids = sorted(
        Delivery.objects.filter(
            pk__in=[d.pk for d in deliveries], state=Delivery.State.DEAD
        ).values_list("pk", flat=True)
    )
    if not ids:
        return 0
    Delivery.objects.filter(pk__in=ids).update(
        state=Delivery.State.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        leased_until=None,
    )
    audit.record(
        actor=actor,
        action="interop.delivery.replay",
        object_type=Delivery._meta.label_lower,
        object_repr=f"{len(ids)} dead letters",
        new={"deliveries": ids},
        ip=ip,
    )
    enqueue_on_commit(tasks.deliver_due)
    return len(ids)
