from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from motcua.catalogue.models import Procedure, ProcedureVersion
from motcua.core.admin import AuditedModelAdmin, ReadOnlyAdmin


class VersionInline(admin.TabularInline):
    model = ProcedureVersion
    fk_name = "procedure"
    fields = readonly_fields = (
        "number",
        "name",
        "level",
        "online_level",
        "borderless",
        "created_at",
        "created_by",
    )
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Procedure)
class ProcedureAdmin(AuditedModelAdmin):
    """Offer or withdraw a procedure here; its content changes by importing a new version
    (`motcua catalogue import`), so that filed dossiers keep theirs."""

    list_display = ["code", "current", "active"]
    list_filter = ["active"]
    search_fields = ["code", "versions__name"]
    fields = ["code", "current", "active"]
    readonly_fields = ["code", "current"]
    inlines = [VersionInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ProcedureVersion)
class ProcedureVersionAdmin(ReadOnlyAdmin):
    list_display = [
        "procedure",
        "number",
        "name",
        "field_name",
        "level",
        "borderless",
        "created_at",
    ]
    list_filter = ["level", "online_level", "borderless", "field_name"]
    search_fields = ["name", "procedure__code"]
