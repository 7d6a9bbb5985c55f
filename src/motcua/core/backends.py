"""Django model permissions (used by the admin) derived from motcua's role permissions."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend

from motcua.core.principal import principal_for

# Which motcua permission grants which Django app's model permissions in the admin.
APP_PERMISSION = {
    "organisation": "organisation.manage",
    "workcalendar": "calendar.manage",
    "catalogue": "catalogue.manage",
    "auth": "staff.manage",
    "core": "jobs.view",
    "django_tasks_database": "jobs.view",
    # Payments and dossiers are records, read (never edited) in the admin by those who may
    # read the audit log; every change goes through the services.
    "payments": "audit.view",
    "dossiers": "audit.view",
    # The queues' configuration (services, priorities, counters served) is the organisation's;
    # their tickets and sessions are records, read only.
    "queueing": "organisation.manage",
    # The document store is personal data: read (never edited) by those who read the audit log.
    "digitisation": "audit.view",
    # Issued credentials are revoked or suspended by those who sign results, in their
    # jurisdiction; nothing else of them is edited.
    "credentials": "dossier.approve",
    # The service-quality index and the OKRs are the province's own rules and targets, set by
    # whoever manages its organisation; the rollups are shown read-only.
    "monitoring": "organisation.manage",
    # API clients, webhook subscriptions, portal mappings, transfer peers and the outbox hold
    # the province's credentials for other systems: a permission of their own.
    "interop": "interop.manage",
}
# Memberships are staff management, not organisation structure.
MODEL_PERMISSION = {
    "organisation.rolemembership": "staff.manage",
    "organisation.role": "staff.manage",
    "core.auditentry": "audit.view",
}


class RolePermissionBackend(BaseBackend):
    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        if not user_obj.is_active:
            return False
        principal = principal_for(user_obj)
        if not principal.has("admin.access"):
            return False
        app_label, _, codename = perm.partition(".")
        model = codename.split("_", 1)[-1]
        needed = MODEL_PERMISSION.get(f"{app_label}.{model}") or APP_PERMISSION.get(app_label)
        return needed is not None and principal.has(needed)

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        if not user_obj.is_active:
            return False
        principal = principal_for(user_obj)
        needed = APP_PERMISSION.get(app_label)
        return principal.has("admin.access") and needed is not None and principal.has(needed)
