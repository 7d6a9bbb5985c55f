"""Worker heartbeats and crash recovery.

Each worker keeps a `WorkerHeartbeat` row fresh every HEARTBEAT_SECONDS (from a thread of its
own, so a long job does not stop it). A RUNNING result whose worker has no fresh heartbeat was
lost with its worker (kill -9, OOM, power cut): it is put back to READY (the lost run counts as
an attempt) or, once it has used its attempts, marked FAILED with `WorkerLost`. The clocks of
the worker hosts are assumed to agree to within a few seconds (NTP).
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.module_loading import import_string
from django_tasks.base import Task, TaskResultStatus
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from motcua.core.jobs.declare import UNKNOWN_TASK_POLICY, RetryPolicy, retry_policy
from motcua.core.models import WorkerHeartbeat

logger = logging.getLogger("motcua.jobs")

HEARTBEAT_SECONDS = 5
# A worker not seen for this long is dead; its RUNNING results are taken back.
STALE_AFTER = timedelta(seconds=60)
# How often each worker looks for lost results.
RECOVERY_SECONDS = 15
# A result lost with its worker is run again until it has had this many attempts (or its own
# policy's, if more): a job that kills every worker that runs it ends FAILED, not in a loop.
LOST_TASK_MAX_ATTEMPTS = 3

WORKER_LOST = "motcua.core.jobs.recovery.WorkerLost"


class WorkerLost(Exception):
    """Recorded as the error of a result whose worker died while running it."""


def new_worker_id() -> str:
    """host-pid-random, at most 64 characters (the column and django-tasks' limit)."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{get_random_string(8)}"


def register_worker(worker_id: str, queues: str) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "hostname": socket.gethostname()[:200],
            "pid": os.getpid(),
            "queues": queues[:200],
            "started_at": now,
            "seen_at": now,
        },
    )


def beat(worker_id: str, queues: str) -> None:
    """Refresh this worker's heartbeat; re-create it if another worker removed it as stale
    (this one was paused or cut off from the database for a while)."""
    if not WorkerHeartbeat.objects.filter(worker_id=worker_id).update(seen_at=timezone.now()):
        logger.warning("Heartbeat of worker %s was removed as stale; re-registering", worker_id)
        register_worker(worker_id, queues)


def unregister_worker(worker_id: str) -> None:
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def _policy(task_path: str) -> RetryPolicy:
    try:
        task = import_string(task_path)
    except ImportError:
        return UNKNOWN_TASK_POLICY
    return retry_policy(task) if isinstance(task, Task) else UNKNOWN_TASK_POLICY


def recover_lost_tasks(*, now: datetime | None = None) -> dict[str, list[str]]:
    """Delete stale heartbeats; take back the RUNNING results of workers that are gone.

    Returns the ids of the results put back to READY ("requeued") and marked FAILED
    ("failed"). Several workers may run this at once: each locks the rows it handles and skips
    rows locked by another. A result is only touched if it is still in the run that was seen
    (same `started_at`), and a worker that finishes a result it no longer owns has its outcome
    discarded (see `worker._write_outcome`).
    """
    now = now or timezone.now()
    cutoff = now - STALE_AFTER
    done: dict[str, list[str]] = {"requeued": [], "failed": []}
    with exclusive_transaction(DBTaskResult.objects.db):
        stale = list(
            WorkerHeartbeat.objects.filter(seen_at__lt=cutoff).values_list("worker_id", flat=True)
        )
        if stale:
            WorkerHeartbeat.objects.filter(worker_id__in=stale, seen_at__lt=cutoff).delete()
            logger.warning("Removed stale worker heartbeats: %s", ", ".join(stale))
        live = set(WorkerHeartbeat.objects.values_list("worker_id", flat=True))
        # `started_at < cutoff`: a grace period (workers register before they claim, but the
        # clocks of two hosts may differ by a few seconds).
        running = DBTaskResult.objects.filter(
            status=TaskResultStatus.RUNNING, started_at__lt=cutoff
        )
        lost = [
            pk
            for pk, worker_ids in running.values_list("pk", "worker_ids")
            if not worker_ids or worker_ids[-1] not in live
        ]
        if lost:
            _take_back(running.filter(pk__in=lost), now, done)
    return done


def release_tasks_of(worker_id: str, *, now: datetime | None = None) -> dict[str, list[str]]:
    """Take back the RUNNING results of an earlier process that used this worker id (a
    worker started with a fixed `--worker-id` after a crash): called before it registers,
    when it runs nothing yet. Same outcome as `recover_lost_tasks`."""
    now = now or timezone.now()
    done: dict[str, list[str]] = {"requeued": [], "failed": []}
    with exclusive_transaction(DBTaskResult.objects.db):
        running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING)
        mine = [
            pk
            for pk, worker_ids in running.values_list("pk", "worker_ids")
            if worker_ids and worker_ids[-1] == worker_id
        ]
        if mine:
            _take_back(running.filter(pk__in=mine), now, done)
    return done


def _take_back(rows: QuerySet[DBTaskResult], now: datetime, done: dict[str, list[str]]) -> None:
    """Requeue (or, attempts used, fail) RUNNING results whose worker is gone. Locks them,
    skipping rows another worker is taking back."""
    for row in rows.select_for_update(skip_locked=True).only(
        "pk", "task_path", "worker_ids", "started_at"
    ):
        attempts = len(row.worker_ids)
        limit = max(_policy(row.task_path).max_attempts, LOST_TASK_MAX_ATTEMPTS)
        worker = row.worker_ids[-1] if row.worker_ids else "?"
        same_run = Q(pk=row.pk, status=TaskResultStatus.RUNNING, started_at=row.started_at)
        if attempts < limit:
            DBTaskResult.objects.filter(same_run).update(
                status=TaskResultStatus.READY, run_after=now, finished_at=None
            )
            done["requeued"].append(str(row.pk))
            logger.warning(
                "Task id=%s path=%s was running on worker %s, which is gone: requeued "
                "(attempt %d of %d)",
                row.pk,
                row.task_path,
                worker,
                attempts,
                limit,
            )
        else:
            DBTaskResult.objects.filter(same_run).update(**_lost_fields(now, worker, attempts))
            done["failed"].append(str(row.pk))
            logger.error(
                "Task id=%s path=%s was running on worker %s, which is gone, and has used "
                "its %d attempts: failed",
                row.pk,
                row.task_path,
                worker,
                attempts,
            )


def _lost_fields(now: datetime, worker: str, attempts: int) -> dict[str, Any]:
    return {
        "status": TaskResultStatus.FAILED,
        "finished_at": now,
        "exception_class_path": WORKER_LOST,
        "traceback": (
            f"{WORKER_LOST}: worker {worker} stopped sending heartbeats while running this "
            f"task (attempt {attempts}).\n"
        ),
        "return_value": None,
    }
