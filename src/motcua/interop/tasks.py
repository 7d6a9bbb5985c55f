"""Jobs of the interop app."""

from __future__ import annotations

from datetime import timedelta

from motcua.core.jobs import job, periodic


# Enqueued after each commit that writes deliveries (`outbox.record`, `delivery.replay`); the
# schedule sends retries once their backoff has passed, and whatever a lost job left behind.
@periodic(every=timedelta(seconds=30), name="interop.deliver_due")
@job(retries=0)
def deliver_due() -> int:
    """Send the outbox deliveries that are due; returns how many were tried."""
    from motcua.interop import delivery

    return delivery.deliver_due()
