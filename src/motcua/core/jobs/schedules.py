"""Periodic schedules: sync the declared ones into `ScheduledJob` rows; enqueue the due ones.

Every worker ticks. A tick locks the due rows with `select_for_update(skip_locked=True)`,
enqueues their tasks and moves `next_run_at` on in the same transaction: a row locked by one
worker is skipped by the others, and a row another worker has just advanced no longer matches
(PostgreSQL re-checks the condition on the new row version), so each run is enqueued exactly
once. On SQLite the exclusive transaction serialises ticks.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import ngettext
from django_tasks.base import Task
from django_tasks.exceptions import InvalidTaskError
from django_tasks_db.utils import exclusive_transaction

from motcua.core.jobs.declare import Schedule, declared_schedules
from motcua.core.models import ScheduledJob

logger = logging.getLogger("motcua.jobs")

# Due schedules claimed by one tick transaction; the rest wait for the next tick.
TICK_BATCH = 50


@dataclass(frozen=True)
class SyncResult:
    created: list[str]
    updated: list[str]
    removed: list[str]


def sync_schedules(
    declared: Mapping[str, Schedule] | None = None, *, now: datetime | None = None
) -> SyncResult:
    """Make the `ScheduledJob` rows match the schedules declared in code.

    New schedules are created, due at once; changed ones get the new task path and interval
    (and run no later than one new interval from now); the admin's `enabled` is kept. Rows
    whose schedule is no longer declared are deleted. Safe when several workers start at once.
    """
    declared = declared_schedules() if declared is None else dict(declared)
    now = now or timezone.now()
    with exclusive_transaction(ScheduledJob.objects.db):
        existing = set(
            ScheduledJob.objects.filter(name__in=declared).values_list("name", flat=True)
        )
        ScheduledJob.objects.bulk_create(
            [
                ScheduledJob(
                    name=s.name,
                    task_path=s.task_path,
                    interval_seconds=s.interval_seconds,
                    enabled=True,
                    next_run_at=now,
                )
                for s in declared.values()
                if s.name not in existing
            ],
            ignore_conflicts=True,  # another worker starting now may have created it
        )
        updated: list[str] = []
        for row in ScheduledJob.objects.select_for_update().filter(name__in=existing):
            schedule = declared[row.name]
            fields = []
            if row.task_path != schedule.task_path:
                row.task_path = schedule.task_path
                fields.append("task_path")
            if row.interval_seconds != schedule.interval_seconds:
                row.interval_seconds = schedule.interval_seconds
                row.next_run_at = min(
                    row.next_run_at, now + timedelta(seconds=schedule.interval_seconds)
                )
                fields += ["interval_seconds", "next_run_at"]
            if fields:
                row.save(update_fields=fields)
                updated.append(row.name)
        removed = sorted(
            ScheduledJob.objects.exclude(name__in=declared).values_list("name", flat=True)
        )
        if removed:
            ScheduledJob.objects.filter(name__in=removed).delete()
    created = sorted(set(declared) - existing)
    if created or updated or removed:
        logger.info("Schedules synced: created=%s updated=%s removed=%s", created, updated, removed)
    return SyncResult(created=created, updated=sorted(updated), removed=removed)


def next_run_after(previous: datetime, interval_seconds: int, now: datetime) -> datetime:
    """The first run time after `now` on the grid previous + k × interval (missed runs are
    coalesced into the one being enqueued now)."""
    interval = timedelta(seconds=interval_seconds)
    if previous > now:
        return previous
    steps = (now - previous) // interval + 1
    return previous + steps * interval


def run_due_schedules(*, now: datetime | None = None, limit: int = TICK_BATCH) -> list[str]:
    """Enqueue the tasks of the enabled schedules that are due; return their names."""
    now = now or timezone.now()
    due = ScheduledJob.objects.filter(enabled=True, next_run_at__lte=now)
    if not due.exists():  # the common case: no lock, no write transaction
        return []
    enqueued: list[str] = []
    with exclusive_transaction(ScheduledJob.objects.db):
        rows = list(due.select_for_update(skip_locked=True).order_by("next_run_at")[:limit])
        for row in rows:
            try:
                task = import_string(row.task_path)
                if not isinstance(task, Task):
                    raise TypeError(f"{row.task_path} is not a task")
            except (ImportError, TypeError):
                # Still advance next_run_at: a broken schedule must not be retried every tick.
                logger.exception("Schedule %s: cannot load task %s", row.name, row.task_path)
            else:
                try:
                    task.enqueue()
                    enqueued.append(row.name)
                except (InvalidTaskError, TypeError):
                    logger.exception("Schedule %s: cannot enqueue %s", row.name, row.task_path)
            row.last_run_at = now
            row.next_run_at = next_run_after(row.next_run_at, row.interval_seconds, now)
            row.save(update_fields=["last_run_at", "next_run_at"])
    for name in enqueued:
        logger.info("Schedule %s: run enqueued", name)
    return enqueued


def describe_interval(seconds: int) -> str:
    """'every 2 hours', in the active language, for the jobs page."""
    if seconds % 86400 == 0:
        n = seconds // 86400
        return ngettext("every %(n)d day", "every %(n)d days", n) % {"n": n}
    if seconds % 3600 == 0:
        n = seconds // 3600
        return ngettext("every %(n)d hour", "every %(n)d hours", n) % {"n": n}
    if seconds % 60 == 0:
        n = seconds // 60
        return ngettext("every %(n)d minute", "every %(n)d minutes", n) % {"n": n}
    return ngettext("every %(n)d second", "every %(n)d seconds", seconds) % {"n": seconds}
