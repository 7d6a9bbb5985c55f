"""The document store and the station's scans in the admin: read only. Documents are
personal data; they change only through the station's services (and the audit log)."""

from __future__ import annotations

from django.contrib import admin

from motcua.core.admin import ReadOnlyAdmin
from motcua.digitisation.models import Digitisation, DocumentAccess, StoredDocument


@admin.register(StoredDocument)
class StoredDocumentAdmin(ReadOnlyAdmin):
    list_display = ["title", "owner_id", "document_type", "source", "created_at", "revoked_at"]
    list_filter = ["source", "document_type"]
    search_fields = ["owner_id", "number"]
    exclude = ["text", "search_text"]


@admin.register(Digitisation)
class DigitisationAdmin(ReadOnlyAdmin):
    list_display = ["owner_id", "service_point", "state", "pages_total", "attempts", "created_at"]
    list_filter = ["state"]
    search_fields = ["owner_id", "batch"]
    exclude = ["text"]


@admin.register(DocumentAccess)
class DocumentAccessAdmin(ReadOnlyAdmin):
    list_display = ["at", "document", "actor_label", "purpose", "dossier"]
    list_filter = ["purpose"]
    list_select_related = ["document", "dossier"]
