from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models, transaction
from django.http import HttpRequest

from motcua.core import audit
from motcua.core.models import (
    AuditEntry,
    LiveEvent,
    Notification,
    ScheduledJob,
    WorkerHeartbeat,
)


class AuditedModelAdmin(admin.ModelAdmin):
    """A ModelAdmin whose saves and deletions are written to the audit log in one transaction."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic():
            old = audit.model_values(type(obj).objects.get(pk=obj.pk)) if change else {}
            super().save_model(request, obj, form, change)
            before, after = audit.changed_values(old, audit.model_values(obj))
            audit.record(
                actor=request.user,
                action=f"{obj._meta.label_lower}.{'update' if change else 'create'}",
                obj=obj,
                old=before,
                new=after,
                ip=audit.client_ip(request),
            )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            audit.record(
                actor=request.user,
                action=f"{obj._meta.label_lower}.delete",
                obj=obj,
                old=audit.model_values(obj),
                ip=audit.client_ip(request),
            )
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet[Any]) -> None:
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    """Rows shown beside their parent, never edited there (their services write them)."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_label", "action", "object_repr", "ip"]
    list_filter = ["action"]
    search_fields = ["actor_label", "action", "object_repr", "object_id"]
    date_hierarchy = "at"


@admin.register(LiveEvent)
class LiveEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "topic", "name", "created_at"]
    list_filter = ["topic"]


@admin.register(ScheduledJob)
class ScheduledJobAdmin(AuditedModelAdmin):
    list_display = [
        "name",
        "task_path",
        "interval_seconds",
        "enabled",
        "next_run_at",
        "last_run_at",
    ]
    list_editable = ["enabled"]
    # The interval is declared in code and rewritten at every worker start.
    readonly_fields = ["name", "task_path", "interval_seconds", "last_run_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # schedules are declared in code; the admin only pauses or reschedules


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdmin):
    list_display = ["worker_id", "hostname", "pid", "queues", "started_at", "seen_at"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "channel",
        "recipient",
        "topic",
        "reference",
        "state",
        "attempts",
        "sent_at",
    ]
    list_filter = ["channel", "state", "topic"]
    search_fields = ["reference", "recipient"]
    date_hierarchy = "created_at"
