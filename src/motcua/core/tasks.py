"""Periodic jobs of the core kit (the job runner's own live in motcua.core.jobs.builtin)."""

from __future__ import annotations

from datetime import timedelta

from motcua.core import events
from motcua.core.jobs import job, periodic


@periodic(every=timedelta(minutes=10), name="core.prune_live_events")
@job(retries=2, backoff_seconds=60)
def prune_live_events() -> int:
    """Drop live events older than the replay window (reconnecting clients no longer need them)."""
    return events.prune_live_events()


# Provider outages last: 7 attempts, 1, 2, 4, 8, 16 and 32 min apart (about an hour).
@job(retries=6, backoff_seconds=60)
def deliver_notification(notification_id: int) -> str:
    """Send one notification to an applicant (motcua.core.notifications.deliver)."""
    # Imported here: the notifications kit imports this module to enqueue this job.
    from motcua.core.notifications import deliver

    return deliver(notification_id=notification_id)
