"""The roles every deployment starts with. They are data: the admin can edit them later."""

from __future__ import annotations

from motcua.core.permissions import PERMISSIONS, ScopeKind

DEFAULT_ROLES: list[dict[str, object]] = [
    {
        "code": "counter_officer",
        "name": "Cán bộ tiếp nhận (một cửa)",
        "scope_kind": ScopeKind.SERVICE_POINT,
        "permissions": [
            "organisation.view",
            "calendar.view",
            "queue.serve",
            "dossier.view",
            "dossier.receive",
            "document.digitise",
            "document.view",
        ],
        "description": "Receives citizens and dossiers at a counter of a service centre.",
    },
    {
        "code": "processing_officer",
        "name": "Chuyên viên xử lý hồ sơ",
        "scope_kind": ScopeKind.AGENCY,
        "permissions": [
            "organisation.view",
            "calendar.view",
            "dossier.view",
            "dossier.process",
            "document.view",
        ],
        "description": "Appraises and processes dossiers for an agency.",
    },
    {
        "code": "agency_leader",
        "name": "Lãnh đạo cơ quan",
        "scope_kind": ScopeKind.AGENCY,
        "permissions": [
            "organisation.view",
            "calendar.view",
            "dossier.view",
            "dossier.process",
            "dossier.approve",
            "document.view",
            "monitoring.view",
        ],
        "description": "Assigns handlers, approves and signs results of an agency.",
    },
    {
        "code": "centre_manager",
        "name": "Quản lý trung tâm",
        "scope_kind": ScopeKind.SERVICE_POINT,
        "permissions": [
            "organisation.view",
            "calendar.view",
            "queue.serve",
            "dossier.view",
            "dossier.receive",
            "document.digitise",
            "document.view",
            "monitoring.view",
        ],
        "description": "Runs a service centre: counters, staff on duty, service quality.",
    },
    {
        "code": "commune_leader",
        "name": "Lãnh đạo UBND xã",
        "scope_kind": ScopeKind.COMMUNE,
        "permissions": [
            "organisation.view",
            "calendar.view",
            "dossier.view",
            "document.view",
            "monitoring.view",
        ],
        "description": "Leads a commune: its service quality, agencies, centre and officers.",
    },
    {
        "code": "provincial_monitor",
        "name": "Giám sát cấp tỉnh",
        "scope_kind": ScopeKind.PROVINCE,
        "permissions": [
            "organisation.view",
            "calendar.view",
            "dossier.view",
            "document.view",
            "monitoring.view",
        ],
        "description": "Watches service quality across the province.",
    },
    {
        "code": "system_admin",
        "name": "Quản trị hệ thống",
        "scope_kind": ScopeKind.PROVINCE,
        "permissions": sorted(PERMISSIONS),
        "description": "Administers the deployment: organisation, staff, calendar, audit, jobs.",
    },
]
