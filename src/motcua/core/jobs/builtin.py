"""Jobs of the job runner itself."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from motcua.core.jobs.declare import job, periodic

# Finished results (successful or failed) are kept this long, then pruned.
RESULT_RETENTION = timedelta(days=14)
# Rows deleted per statement, so that pruning never holds a long lock on the results table.
PRUNE_CHUNK = 1000


@periodic(every=timedelta(hours=1), name="core.prune_task_results")
@job(retries=2, backoff_seconds=60)
def prune_task_results() -> int:
    """Delete finished task results older than RESULT_RETENTION; return how many."""
    cutoff = timezone.now() - RESULT_RETENTION
    old = DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED],
        finished_at__lt=cutoff,
    )
    deleted = 0
    while ids := list(old.values_list("pk", flat=True)[:PRUNE_CHUNK]):
        deleted += DBTaskResult.objects.filter(pk__in=ids).delete()[0]
    return deleted
