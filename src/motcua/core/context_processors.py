from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# The navigation: (url name, label, permission). Each page shows only what the user may open.
NAVIGATION: list[tuple[str, Any, str]] = [
    ("dossiers:work", _("My work"), "dossier.view"),
    ("dossiers:list", _("Dossiers"), "dossier.view"),
    ("digitisation:station", _("Digitisation"), "document.digitise"),
    ("digitisation:documents", _("Document store"), "document.view"),
    ("queueing:counters", _("Counters"), "queue.serve"),
    ("monitoring:home", _("Monitoring"), "monitoring.view"),
    ("queueing:live", _("Queues live"), "monitoring.view"),
    ("queueing:reports", _("Queue reports"), "monitoring.view"),
    ("organisation:service_points", _("Service points"), "organisation.view"),
    ("organisation:agencies", _("Agencies"), "organisation.view"),
    ("workcalendar:calendar", _("Working calendar"), "calendar.view"),
    ("core:audit_log", _("Audit log"), "audit.view"),
    ("core:jobs", _("Background jobs"), "jobs.view"),
    ("admin:index", _("Administration"), "admin.access"),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    principal = getattr(request, "principal", None)
    if principal is None or not principal.is_authenticated:
        return {"nav_items": []}
    items = [
        {"url": reverse(name), "label": label, "active": request.path.startswith(reverse(name))}
        for name, label, permission in NAVIGATION
        if principal.has(permission)
    ]
    return {"nav_items": items}
