"""Calendar admin. Saves go through the calendar services (validated, audited, and seen by every
process at once); the forms validate through the models' `clean`, as the services do."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from motcua.core import audit
from motcua.core.admin import AuditedModelAdmin
from motcua.organisation.models import Province
from motcua.workcalendar import services
from motcua.workcalendar.forms import WEEKDAYS, WorkingScheduleForm
from motcua.workcalendar.models import CalendarOverride, WorkingSchedule


def _deployment_province() -> dict[str, Any]:
    province = Province.objects.filter(code=settings.PROVINCE_CODE).first()
    return {"province": province.pk} if province else {}


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(AuditedModelAdmin):
    list_display = ["date", "weekday", "kind", "name", "decision", "province"]
    list_filter = ["kind", "province"]
    search_fields = ["name", "decision"]
    date_hierarchy = "date"
    list_select_related = ["province"]

    @admin.display(description=_("weekday"), ordering="date")
    def weekday(self, obj: CalendarOverride) -> str:
        return str(dict(WEEKDAYS)[obj.date.weekday()])

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["province"] if obj is not None else []

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return _deployment_province() | super().get_changeform_initial_data(request)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data, ip = form.cleaned_data, audit.client_ip(request)
        if change:
            services.update_override(
                override=obj,
                date=data["date"],
                kind=data["kind"],
                name=data["name"],
                decision=data["decision"],
                actor=request.user,
                ip=ip,
            )
        else:
            obj.pk = services.create_override(
                province=obj.province,
                date=data["date"],
                kind=data["kind"],
                name=data["name"],
                decision=data["decision"],
                actor=request.user,
                ip=ip,
            ).pk

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.delete_override(override=obj, actor=request.user, ip=audit.client_ip(request))


@admin.register(WorkingSchedule)
class WorkingScheduleAdmin(AuditedModelAdmin):
    form = WorkingScheduleForm
    list_display = ["province", "weekday_names", "session_times", "same_day_cutoff"]

    @admin.display(description=_("working weekdays"))
    def weekday_names(self, obj: WorkingSchedule) -> str:
        names = dict(WEEKDAYS)
        return ", ".join(str(names[day]) for day in obj.weekdays)

    @admin.display(description=_("working sessions"))
    def session_times(self, obj: WorkingSchedule) -> str:
        return ", ".join(f"{start}–{end}" for start, end in obj.sessions)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["province"] if obj is not None else []

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return _deployment_province() | super().get_changeform_initial_data(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # every province has a week; edit it instead

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.pk = services.update_schedule(
            province=obj.province,
            weekdays=obj.weekdays,
            sessions=obj.sessions,
            same_day_cutoff=obj.same_day_cutoff,
            actor=request.user,
            ip=audit.client_ip(request),
        ).pk
