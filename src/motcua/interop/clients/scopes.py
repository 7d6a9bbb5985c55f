"""The scopes an API client may be granted: `resource.action`, one per kind of call."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

DOSSIERS_READ = "dossiers.read"
DOSSIERS_CREATE = "dossiers.create"
DOSSIER_EVENTS_READ = "dossiers.events.read"
DOSSIER_DOCUMENTS_READ = "dossiers.documents.read"

SCOPES: dict[str, object] = {
    DOSSIERS_READ: _("Read dossiers, including the applicant's personal data"),
    DOSSIERS_CREATE: _("File dossiers"),
    DOSSIER_EVENTS_READ: _("Read the history of dossiers"),
    DOSSIER_DOCUMENTS_READ: _("Download the documents and the signed result of dossiers"),
}
