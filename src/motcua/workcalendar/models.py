"""A province's working schedule and its calendar overrides.

The `holidays` package knows Vietnam's public holidays and the make-up days announced before its
release. The override table holds what the package does not know yet (a make-up Saturday
announced this year, an extra day off) and beats it.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from motcua.organisation.models import Province
from motcua.workcalendar.engine import (
    DEFAULT_SAME_DAY_CUTOFF,
    DEFAULT_SESSIONS,
    DEFAULT_WEEKDAYS,
    DayReason,
    base_day,
)

TIME_RE = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


def default_weekdays() -> list[int]:
    return list(DEFAULT_WEEKDAYS)


def default_sessions() -> list[list[str]]:
    return [list(session) for session in DEFAULT_SESSIONS]


def validate_weekdays(value: Any) -> None:
    if (
        not isinstance(value, list)
        or not value
        or len(set(value)) != len(value)
        or not all(type(day) is int and 0 <= day <= 6 for day in value)
    ):
        raise ValidationError(
            _("Working weekdays are a non-empty list of distinct numbers, 0 (Monday) to 6."),
            code="invalid_weekdays",
        )


def validate_sessions(value: Any) -> None:
    well_formed = (
        isinstance(value, list)
        and bool(value)
        and all(
            isinstance(session, list)
            and len(session) == 2
            and all(isinstance(time, str) and TIME_RE.match(time) for time in session)
            for session in value
        )
    )
    # Zero-padded HH:MM strings compare in time order.
    ordered = well_formed and all(start < end for start, end in value)
    apart = well_formed and all(value[i][1] <= value[i + 1][0] for i in range(len(value) - 1))
    if not (well_formed and ordered and apart):
        raise ValidationError(
            _(
                "Working sessions are HH:MM–HH:MM pairs, each ending after it starts, in order "
                "and not overlapping."
            ),
            code="invalid_sessions",
        )


def validate_not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError(_("This field cannot be blank."), code="blank")


class WorkingSchedule(models.Model):
    """The working week of one province: working weekdays, sessions and the same-day cut-off."""

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
        default=DEFAULT_SAME_DAY_CUTOFF,
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

    def clean(self) -> None:
        super().clean()
        try:
            validate_sessions(self.sessions)
        except ValidationError:
            return  # the field's own validator reports it
        opening, closing = self.sessions[0][0], self.sessions[-1][1]
        if not opening <= f"{self.same_day_cutoff:%H:%M}" <= closing:
            raise ValidationError(
                {
                    "same_day_cutoff": _(
                        "The cut-off must fall within working hours (%(opening)s–%(closing)s)."
                    )
                    % {"opening": opening, "closing": closing}
                }
            )


class CalendarOverride(models.Model):
    """One announced change to one day of a province: an extra day off or working day."""

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
    name = models.CharField(_("name"), max_length=200, validators=[validate_not_blank])
    decision = models.CharField(
        _("announcing decision"),
        max_length=300,
        validators=[validate_not_blank],
        help_text=_("The document that announced it, e.g. Thông báo 6150/TB-BNV ngày 10/11/2025."),
    )

    class Meta:
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(
                fields=["province", "date"],
                name="one_override_per_day",
                violation_error_message=_("This province already has an override on that date."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} — {self.name}"

    @property
    def working(self) -> bool:
        return self.kind == self.Kind.WORKING_DAY

    def clean(self) -> None:
        """Refuse an override that changes nothing: it would hide a mistake (a wrong date or
        kind) behind a row that looks like a decision."""
        super().clean()
        if self.province_id is None or self.date is None or self.kind not in self.Kind.values:
            return  # the fields' own errors are reported
        schedule = WorkingSchedule.objects.filter(province_id=self.province_id).first()
        weekdays = schedule.weekdays if schedule else DEFAULT_WEEKDAYS
        base = base_day(self.date, weekdays)
        if base.working != self.working:
            return
        day = f"{self.date:%d/%m/%Y}"
        if self.working:
            message = _(
                "%(date)s is already a working day; a make-up working day must fall on a day off."
            ) % {"date": day}
        else:
            why = base.name if base.reason == DayReason.HOLIDAY else _("weekend")
            message = _("%(date)s is already a day off (%(why)s).") % {"date": day, "why": why}
        raise ValidationError({"kind": ValidationError(message, code="changes_nothing")})
