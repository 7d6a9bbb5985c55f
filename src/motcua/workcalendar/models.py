"""A province's working calendar: its weekly sessions and the days announced as exceptions.

Public holidays come from the `holidays` package (VN); `CalendarOverride` adds what the package
does not know yet (a make-up Saturday announced this year, an extra day off) and beats it.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from motcua.organisation.models import Province

DEFAULT_SESSIONS = [["08:00", "12:00"], ["13:00", "17:00"]]
DEFAULT_WEEKDAYS = [0, 1, 2, 3, 4]
TIME_RE = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


def default_sessions() -> list[list[str]]:
    return [list(session) for session in DEFAULT_SESSIONS]


def default_weekdays() -> list[int]:
    return list(DEFAULT_WEEKDAYS)


def validate_sessions(value: Any) -> None:
    message = _(
        'Sessions are a list of ["HH:MM", "HH:MM"] pairs, each ending after it starts, in '
        "order and not overlapping."
    )
    if not isinstance(value, list) or not value:
        raise ValidationError(message)
    previous_end = ""
    for session in value:
        if (
            not isinstance(session, list)
            or len(session) != 2
            or not all(isinstance(t, str) and TIME_RE.match(t) for t in session)
            or session[0] >= session[1]
            or session[0] < previous_end
        ):
            raise ValidationError(message)
        previous_end = session[1]


def validate_weekdays(value: Any) -> None:
    if (
        not isinstance(value, list)
        or not value
        or len(set(value)) != len(value)
        or not all(isinstance(day, int) and 0 <= day <= 6 for day in value)
    ):
        raise ValidationError(_("Working weekdays are a list of numbers 0 (Monday) to 6."))


class WorkingSchedule(models.Model):
    province = models.OneToOneField(
        Province,
        verbose_name=_("province"),
        on_delete=models.CASCADE,
        related_name="working_schedule",
    )
    weekdays = models.JSONField(
        _("working weekdays"),
        default=default_weekdays,
        validators=[validate_weekdays],
        help_text=_("0 = Monday … 6 = Sunday."),
    )
    sessions = models.JSONField(
        _("working sessions"),
        default=default_sessions,
        validators=[validate_sessions],
        help_text=_('For example [["08:00", "12:00"], ["13:00", "17:00"]].'),
    )
    same_day_cutoff = models.TimeField(
        _("same-day cut-off"),
        default=dt.time(15, 0),
        help_text=_("Same-day procedures received after this time are due the next working day."),
    )
    # Renewed by every change to the schedule or its overrides, so that long-running processes
    # know their cached calendar is stale with one cheap query. Random rather than a counter:
    # a deleted and re-created schedule must never look like the one a process cached.
    revision = models.UUIDField(default=uuid.uuid4, editable=False)

    class Meta:
        verbose_name = _("working schedule")
        verbose_name_plural = _("working schedules")

    def __str__(self) -> str:
        return str(self.province)


class CalendarOverride(models.Model):
    class Kind(models.TextChoices):
        DAY_OFF = "day_off", _("Day off")
        WORKING_DAY = "working_day", _("Working day (make-up day)")

    province = models.ForeignKey(
        Province,
        verbose_name=_("province"),
        on_delete=models.CASCADE,
        related_name="calendar_overrides",
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    decision = models.CharField(
        _("announcing decision"),
        max_length=300,
        help_text=_("The document that announced it, e.g. Thông báo 6150/TB-BNV ngày 10/11/2025."),
    )

    class Meta:
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(fields=["province", "date"], name="one_override_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} — {self.name}"
