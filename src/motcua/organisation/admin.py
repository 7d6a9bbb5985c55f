from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from motcua.core import audit
from motcua.core.admin import AuditedModelAdmin
from motcua.organisation.models import (
    Agency,
    Commune,
    Counter,
    Province,
    Role,
    RoleMembership,
    ServicePoint,
)


@admin.register(Province)
class ProvinceAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "kind", "commune_count"]
    search_fields = ["code", "name", "short_name"]
    list_filter = ["kind"]

    @admin.display(description=_("Number of commune-level units"))
    def commune_count(self, obj: Province) -> int:
        return obj.communes.count()


@admin.register(Commune)
class CommuneAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "kind", "province"]
    list_filter = ["kind", "province"]
    search_fields = ["code", "name", "short_name"]
    list_select_related = ["province"]


@admin.register(Agency)
class AgencyAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "level", "kind", "commune", "active"]
    list_filter = ["level", "kind", "active", "province"]
    search_fields = ["code", "name", "short_name"]
    autocomplete_fields = ["parent", "commune"]
    filter_horizontal = ["served_communes"]
    list_select_related = ["commune__province"]


class CounterInline(admin.TabularInline):
    model = Counter
    extra = 0


@admin.register(ServicePoint)
class ServicePointAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "kind", "commune", "agency", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["commune", "agency"]
    filter_horizontal = ["agencies"]
    inlines = [CounterInline]
    list_select_related = ["commune__province"]


@admin.register(Counter)
class CounterAdmin(AuditedModelAdmin):
    list_display = ["service_point", "number", "name", "active"]
    list_filter = ["active"]
    search_fields = ["service_point__name", "name"]
    autocomplete_fields = ["service_point"]


@admin.register(Role)
class RoleAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "scope_kind"]
    search_fields = ["code", "name"]


@admin.register(RoleMembership)
class RoleMembershipAdmin(AuditedModelAdmin):
    list_display = ["user", "role", "province", "commune", "agency", "service_point"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    autocomplete_fields = ["user", "commune", "agency", "service_point"]
    list_select_related = ["user", "role", "province", "commune", "agency", "service_point"]


class RoleMembershipInline(admin.TabularInline):
    model = RoleMembership
    extra = 0
    autocomplete_fields = ["commune", "agency", "service_point"]


User = get_user_model()
admin.site.unregister(User)
# Permissions come from roles, not from Django groups.
admin.site.unregister(Group)


@admin.register(User)
class StaffAdmin(UserAdmin):
    inlines = [RoleMembershipInline]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit.record(
                actor=request.user,
                action=f"auth.user.{'update' if change else 'create'}",
                obj=obj,
                new={"changed": sorted(form.changed_data)},
                ip=audit.client_ip(request),
            )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_formset(request, form, formset, change)
            for membership in formset.new_objects + [c[0] for c in formset.changed_objects]:
                audit.record(
                    actor=request.user,
                    action="organisation.role.grant",
                    obj=membership,
                    ip=audit.client_ip(request),
                )
            for membership in formset.deleted_objects:
                audit.record(
                    actor=request.user,
                    action="organisation.role.revoke",
                    obj=membership,
                    ip=audit.client_ip(request),
                )
