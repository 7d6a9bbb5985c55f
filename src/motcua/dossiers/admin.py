"""Dossiers in the admin: read only, for administrators. Every change goes through the
services (pages and API), which check the state, append the event and write the audit log."""

from __future__ import annotations

from django.contrib import admin

from motcua.core.admin import ReadOnlyAdmin, ReadOnlyInline
from motcua.dossiers.models import (
    Dossier,
    DossierDocument,
    DossierEvent,
    Evaluation,
    Result,
    Slip,
    Task,
)


class DocumentInline(ReadOnlyInline):
    model = DossierDocument
    fields = readonly_fields = ("requirement", "name", "state", "content_type", "pages", "size")


class EventInline(ReadOnlyInline):
    model = DossierEvent
    fields = readonly_fields = ("at", "actor_label", "action", "from_status", "to_status", "note")


class SlipInline(ReadOnlyInline):
    model = Slip
    fields = readonly_fields = ("kind", "issued_at", "issued_by", "items")


class TaskInline(ReadOnlyInline):
    model = Task
    fk_name = "dossier"
    fields = readonly_fields = (
        "step",
        "kind",
        "agency",
        "assignee",
        "state",
        "opened_at",
        "due_at",
        "closed_at",
        "outcome",
    )


class ResultInline(ReadOnlyInline):
    model = Result
    fields = readonly_fields = ("kind", "number", "agency", "approved_at", "signed_at", "sha256")


class EvaluationInline(ReadOnlyInline):
    model = Evaluation
    fields = readonly_fields = (
        "evaluated_at",
        "total_time",
        "agency_time",
        "contacts",
        "agencies_contacted",
    )


@admin.register(Dossier)
class DossierAdmin(ReadOnlyAdmin):
    list_display = [
        "code",
        "version",
        "channel",
        "status",
        "receiving_point",
        "submitted_at",
        "due_at",
        "timeliness",
    ]
    list_filter = ["status", "channel", "timeliness", "receiving_point__kind"]
    search_fields = ["code", "applicant_name", "applicant_id_number"]
    date_hierarchy = "submitted_at"
    list_select_related = ["version", "receiving_point"]
    inlines = [
        DocumentInline,
        SlipInline,
        TaskInline,
        ResultInline,
        EvaluationInline,
        EventInline,
    ]
