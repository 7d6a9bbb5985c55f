from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from motcua.workcalendar.limits import EARLIEST, LATEST, MAX_WORKING_DAYS, MAX_WORKING_HOURS
from motcua.workcalendar.models import WorkingSchedule

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class DeadlineForm(forms.Form):
    """The deadline calculator: when a dossier was received and how long its procedure takes."""

    DAYS, HOURS, SAME_DAY = "days", "hours", "same_day"
    MODES = [
        (DAYS, _("working days")),
        (HOURS, _("working hours")),
        (SAME_DAY, _("same-day procedure (cut-off time)")),
    ]

    received_at = forms.DateTimeField(
        label=_("Received at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    mode = forms.ChoiceField(label=_("Count in"), choices=MODES, initial=DAYS)
    amount = forms.DecimalField(
        label=_("How many"),
        min_value=0,
        max_value=MAX_WORKING_HOURS,
        decimal_places=2,
        initial=3,
        required=False,
        help_text=_("Not needed for a same-day procedure."),
    )

    def clean_received_at(self) -> dt.datetime:
        received_at: dt.datetime = self.cleaned_data["received_at"]
        if not EARLIEST <= received_at.date() <= LATEST:
            raise ValidationError(
                _("Enter a date between %(earliest)s and %(latest)s.")
                % {"earliest": f"{EARLIEST:%d/%m/%Y}", "latest": f"{LATEST:%d/%m/%Y}"},
                code="out_of_range",
            )
        return received_at

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        mode, amount = cleaned.get("mode"), cleaned.get("amount")
        if mode == self.SAME_DAY or "amount" in self.errors:
            return cleaned
        if amount is None:
            self.add_error("amount", _("Enter how many working days or hours."))
        elif mode == self.DAYS and (amount != int(amount) or not 1 <= amount <= MAX_WORKING_DAYS):
            self.add_error(
                "amount",
                _("Working days are whole numbers from 1 to %(max)d; use hours for parts.")
                % {"max": MAX_WORKING_DAYS},
            )
        return cleaned


SESSION_RE = re.compile(r"^(\d{2}:\d{2})\s*[-–]\s*(\d{2}:\d{2})$")


class SessionsField(forms.CharField):
    """Working sessions typed as text, e.g. "08:00–12:00, 13:00–17:00"; stored as pairs."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return ", ".join(f"{start}–{end}" for start, end in value)
        return value

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value) or ""
        sessions = []
        for part in filter(None, (chunk.strip() for chunk in re.split(r"[,;]", text))):
            match = SESSION_RE.match(part)
            if match is None:
                raise ValidationError(
                    _("Write the sessions as HH:MM–HH:MM, separated by commas."),
                    code="invalid_sessions",
                )
            sessions.append([match[1], match[2]])
        return sessions


class WorkingScheduleForm(forms.ModelForm):
    weekdays = forms.TypedMultipleChoiceField(
        label=_("working weekdays"),
        choices=WEEKDAYS,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    sessions = SessionsField(
        label=_("working sessions"),
        help_text=_("For example 08:00–12:00, 13:00–17:00."),
    )

    class Meta:
        model = WorkingSchedule
        fields = ["province", "weekdays", "sessions", "same_day_cutoff"]
