from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ScheduledJob(models.Model):
    """A periodic schedule: enqueue `task_path` every `interval_seconds`.

    Declared in code with `@periodic(...)` and synced here at worker start; the row holds the
    state (`next_run_at`) that workers claim under a row lock, so several workers never enqueue
    the same run twice.
    """

    name = models.CharField(_("name"), max_length=200, unique=True)
    task_path = models.CharField(_("task"), max_length=300)
    interval_seconds = models.PositiveIntegerField(_("interval (seconds)"))
    enabled = models.BooleanField(_("enabled"), default=True)
    next_run_at = models.DateTimeField(_("next run at"))
    last_run_at = models.DateTimeField(_("last run at"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("scheduled job")
        verbose_name_plural = _("scheduled jobs")

    def __str__(self) -> str:
        return self.name


class WorkerHeartbeat(models.Model):
    """A running worker process; a stale heartbeat means the worker died."""

    worker_id = models.CharField(_("worker id"), max_length=64, primary_key=True)
    hostname = models.CharField(_("host"), max_length=200)
    pid = models.PositiveIntegerField(_("process id"))
    queues = models.CharField(_("queues"), max_length=200, blank=True, default="")
    started_at = models.DateTimeField(_("started at"))
    seen_at = models.DateTimeField(_("last seen at"))

    class Meta:
        ordering = ["hostname", "started_at"]
        verbose_name = _("worker")
        verbose_name_plural = _("workers")

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.hostname}:{self.pid})"
