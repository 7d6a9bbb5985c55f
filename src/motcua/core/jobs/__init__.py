"""motcua's background jobs: django-tasks (`django_tasks_db` backend) plus what it lacks.

Declaring a job (in an app's `tasks.py`; arguments and return values are JSON values)::

    from motcua.core.jobs import job, periodic

    @job(retries=5, backoff_seconds=10, queue_name="slow")
    def render_result(dossier_id: int) -> None: ...

    @periodic(every=timedelta(minutes=15), name="dossiers.deadline_alerts")
    @job
    def deadline_alerts() -> None: ...

Enqueueing, from a service (inside its `@transaction.atomic`)::

    enqueue_on_commit(render_result, dossier.pk)       # or render_result.enqueue_on_commit(...)

Services always enqueue with `enqueue_on_commit`, never `task.enqueue()`: the job is created only
if the transaction commits, so no job runs for a rolled-back write or reads uncommitted data.

Guarantees:
- At least once. A failed attempt is retried after backoff × 2^(attempt-1) (+ up to 10 %
  jitter, at most 6 h) until `retries` are used, then the result stays FAILED (jobs page).
  Raise `PermanentJobError` to fail at once. A job whose worker dies (kill -9) is put back to
  READY once the worker's heartbeat is 60 s old. Jobs must therefore be idempotent.
- Schedules run once per interval across all workers; missed runs are made up once.
- `motcua worker` runs a worker process; `start_in_process_worker()` runs the same loop in a
  thread (`motcua demo`). Do not use django-tasks-db's `db_worker`: it keeps no heartbeat, so
  its running jobs would be taken for lost.
"""

from motcua.core.jobs.builtin import RESULT_RETENTION, prune_task_results
from motcua.core.jobs.declare import (
    Job,
    PermanentJobError,
    RetryPolicy,
    Schedule,
    backoff_delay,
    declared_schedules,
    enqueue_on_commit,
    job,
    periodic,
    retry_policy,
)
from motcua.core.jobs.recovery import (
    HEARTBEAT_SECONDS,
    STALE_AFTER,
    WorkerLost,
    recover_lost_tasks,
)
from motcua.core.jobs.schedules import describe_interval, run_due_schedules, sync_schedules
from motcua.core.jobs.worker import InProcessWorker, Worker, start_in_process_worker

__all__ = [
    "HEARTBEAT_SECONDS",
    "RESULT_RETENTION",
    "STALE_AFTER",
    "InProcessWorker",
    "Job",
    "PermanentJobError",
    "RetryPolicy",
    "Schedule",
    "Worker",
    "WorkerLost",
    "backoff_delay",
    "declared_schedules",
    "describe_interval",
    "enqueue_on_commit",
    "job",
    "periodic",
    "prune_task_results",
    "recover_lost_tasks",
    "retry_policy",
    "run_due_schedules",
    "start_in_process_worker",
    "sync_schedules",
]
