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
