from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from motcua.workcalendar import services
from motcua.workcalendar.models import CalendarOverride, WorkingSchedule


class CalendarOverrideForm(forms.ModelForm):
    class Meta:
        model = CalendarOverride
        fields = ["province", "date", "kind", "name", "decision"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors:
            # The instance is filled from the form only after clean(): check the cleaned values.
            candidate = CalendarOverride(
                province=cleaned["province"], date=cleaned["date"], kind=cleaned["kind"]
            )
            try:
                services.check_override(candidate)
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    """Saves go through the calendar services: validated, audited, and seen by every process."""

    form = CalendarOverrideForm
    list_display = ["date", "kind", "name", "decision", "province"]
    list_filter = ["kind", "province"]
    search_fields = ["name", "decision"]
    date_hierarchy = "date"

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        services.save_override(override=obj, actor=request.user)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.delete_override(override=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for override in queryset:
            services.delete_override(override=override, actor=request.user)


@admin.register(WorkingSchedule)
class WorkingScheduleAdmin(admin.ModelAdmin):
    list_display = ["province", "weekdays", "sessions", "same_day_cutoff"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        services.save_schedule(schedule=obj, actor=request.user)
