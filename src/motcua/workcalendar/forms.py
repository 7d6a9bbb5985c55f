from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class DeadlineForm(forms.Form):
    MODES = [
        ("days", _("working days")),
        ("hours", _("working hours")),
        ("same_day", _("same-day procedure (15:00 cut-off)")),
    ]

    received_at = forms.DateTimeField(
        label=_("Received at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    mode = forms.ChoiceField(label=_("Count in"), choices=MODES, initial="days")
    amount = forms.DecimalField(
        label=_("How many"),
        min_value=0,
        max_value=3650,
        decimal_places=2,
        initial=3,
        required=False,
    )

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        if cleaned.get("mode") in {"days", "hours"} and cleaned.get("amount") is None:
            self.add_error("amount", _("Enter how many working days or hours."))
        if (
            cleaned.get("mode") == "days"
            and cleaned.get("amount") is not None
            and (cleaned["amount"] != int(cleaned["amount"]))
        ):
            self.add_error("amount", _("Working days are whole numbers; use hours for parts."))
        return cleaned
