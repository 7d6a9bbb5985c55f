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
    """Queue depth by status, recent failures, schedules and live workers (province-wide)."""
    now = timezone.now()
    return {
        "status_counts": list(
            DBTaskResult.objects.values("status").annotate(n=Count("id")).order_by("status")
        ),
        "recent_failures": DBTaskResult.objects.filter(status="FAILED").order_by("-finished_at")[
            :20
        ],
        "schedules": ScheduledJob.objects.order_by("name"),
        "workers": WorkerHeartbeat.objects.filter(seen_at__gte=now - timedelta(minutes=2)),
    }
