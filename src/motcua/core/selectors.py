from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, QuerySet
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from motcua.core.models import AuditEntry, ScheduledJob, WorkerHeartbeat
from motcua.core.permissions import Principal


def audit_entries_for(principal: Principal) -> QuerySet[AuditEntry]:
    """The whole log for province-wide auditors; otherwise only one's own actions."""
    entries = AuditEntry.objects.select_related("actor")
    if settings.PROVINCE_CODE in principal.province_codes:
        return entries
    return entries.filter(actor_id=principal.user_id)


def job_overview() -> dict[str, Any]:
    """Background jobs at a glance (province-wide): counts by status (finished ones over the
    last day), what runs now, what waits for a retry, recent failures, schedules and live
    workers. Every count and list reads through an index, not the whole results table."""
    from django.db.models import Q
    from django.utils.translation import gettext_lazy as _
    from django_tasks.base import TaskResultStatus as Status

    from motcua.core.jobs import RESULT_RETENTION, STALE_AFTER, describe_interval

    now = timezone.now()
    counted = (
        DBTaskResult.objects.filter(
            Q(status__in=[Status.READY, Status.RUNNING])
            | Q(
                status__in=[Status.FAILED, Status.SUCCESSFUL],
                finished_at__gte=now - timedelta(hours=24),
            )
        )
        .values("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {row["status"]: row["n"] for row in counted}
    labels = [
        (Status.READY, _("Queued")),
        (Status.RUNNING, _("Running")),
        (Status.FAILED, _("Failed in the last 24 hours")),
        (Status.SUCCESSFUL, _("Succeeded in the last 24 hours")),
    ]
    results = DBTaskResult.objects.defer("args_kwargs", "return_value")
    schedules = list(ScheduledJob.objects.order_by("name"))
    for schedule in schedules:
        schedule.every = describe_interval(schedule.interval_seconds)  # type: ignore[attr-defined]
    return {
        "status_counts": [
            {"status": code, "label": label, "n": counts.get(code, 0)} for code, label in labels
        ],
        "running": results.filter(status=Status.RUNNING).order_by("started_at")[:20],
        "retrying": results.filter(status=Status.READY)
        .exclude(exception_class_path="")
        .order_by("run_after")[:20],
        "recent_failures": results.filter(status=Status.FAILED).order_by("-finished_at")[:20],
        "schedules": schedules,
        "workers": WorkerHeartbeat.objects.filter(seen_at__gte=now - STALE_AFTER).order_by(
            "hostname", "started_at"
        ),
        "retention_days": RESULT_RETENTION.days,
    }
