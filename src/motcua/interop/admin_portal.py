"""National portal synchronisation in the admin: procedure codes on the portal (editable data)
and the dossiers pulled from it (read only: the pull job writes them)."""

from __future__ import annotations

from django.contrib import admin

from motcua.core.admin import AuditedModelAdmin, ReadOnlyAdmin
from motcua.interop.models import PortalProcedure, PulledSubmission


@admin.register(PortalProcedure)
class PortalProcedureAdmin(AuditedModelAdmin):
    list_display = ["procedure", "portal_code"]
    search_fields = ["procedure__code", "portal_code"]
    autocomplete_fields = ["procedure"]


@admin.register(PulledSubmission)
class PulledSubmissionAdmin(ReadOnlyAdmin):
    list_display = ["portal_id", "state", "dossier", "procedure_code", "pulled_at", "reported_at"]
    list_filter = ["state"]
    search_fields = ["portal_id", "dossier__code"]
    fields = readonly_fields = (
        "portal_id",
        "state",
        "dossier",
        "procedure_code",
        "filed_at",
        "pulled_at",
        "reported_at",
        "problem",
        "problem_fields",
    )
