"""Reads of dossiers, each narrowed to the actor's jurisdiction: the service points that received
them, the competent agency and every agency they were handed to or consulted (with their
sub-agencies), the commune, or the province."""

from __future__ import annotations

import hmac
from typing import Any

from django.db.models import Q, QuerySet

from motcua.core import audit
from motcua.core.errors import NotFound
from motcua.core.permissions import Jurisdiction, Principal, scope
from motcua.dossiers.models import Dossier, Status, Task
from motcua.dossiers.workflow import STOPPABLE
from motcua.organisation.models import Agency, RoleMembership

DOSSIER_JURISDICTION = Jurisdiction(
    province="province__code",
    commune="commune__code",
    agency=("competent_agency_id", "tasks__agency_id"),
    service_point="receiving_point_id",
)


def dossiers_for(
    principal: Principal, *, status: int | None = None, query: str = "", point_id: int | None = None
) -> QuerySet[Dossier]:
    dossiers = scope(Dossier.objects.all(), principal, DOSSIER_JURISDICTION)
    if status is not None:
        dossiers = dossiers.filter(status=status)
    if point_id is not None:
        dossiers = dossiers.filter(receiving_point_id=point_id)
    text = query.strip()
    if text:
        dossiers = dossiers.filter(
            Q(code__icontains=text)
            | Q(applicant_id_number=text.replace(" ", ""))
            | Q(applicant_name__icontains=text)
        )
    return dossiers.select_related("version", "receiving_point", "competent_agency").order_by(
        "-submitted_at", "-pk"
    )


def awaiting_receipt(principal: Principal) -> QuerySet[Dossier]:
    """Online dossiers waiting for an officer's check, and those waiting for a supplement."""
    return dossiers_for(principal).filter(status__in=[Status.NEW, Status.SUPPLEMENT])


def dossier_for(principal: Principal, code: str, *, request: object = None) -> Dossier:
    """One dossier of the actor's jurisdiction. Opening a dossier reads personal data, so the
    read is written to the audit log."""
    dossier = (
        dossiers_for(principal)
        .select_related("receiving_agency", "commune", "province", "received_by", "submitted_by")
        .filter(code=code)
        .first()
    )
    if dossier is None:
        raise NotFound()
    audit.record(
        actor=getattr(request, "user", None),
        action="dossier.view",
        obj=dossier,
        case=dossier.code,
        ip=audit.client_ip(request),
    )
    return dossier


def tracked_dossier(code: str, secret: str) -> Dossier:
    """The dossier a citizen tracks with its code and the secret printed in its QR code."""
    dossier = (
        Dossier.objects.select_related("version", "receiving_point")
        .filter(code=code.strip())
        .first()
    )
    if dossier is None or not hmac.compare_digest(dossier.tracking_secret, secret.strip()):
        raise NotFound()
    return dossier


def _reaches(principal: Principal, agency_id: int, permission: str) -> bool:
    return principal.has(permission) and agency_id in principal.agency_ids


def actions_for(principal: Principal, user_id: int | None, dossier: Dossier) -> dict[str, Any]:
    """What the officer may do to the dossier now, as the page offers it (the services check
    the same rules again when the action comes in)."""
    tasks = list(dossier.tasks.filter(state=Task.State.OPEN).select_related("agency", "assignee"))
    found: dict[str, Any] = {}
    status = dossier.status
    for task in tasks:
        if task.kind == Task.Kind.HANDLE and status in (Status.RECEIVED, Status.PROCESSING):
            if _reaches(principal, task.agency_id, "dossier.approve"):
                found["assign"] = task
            handler = task.assignee_id == user_id or principal.has("dossier.approve")
            if (
                status == Status.PROCESSING
                and task.assignee_id
                and handler
                and _reaches(principal, task.agency_id, "dossier.process")
            ):
                found["handle"] = task
        if task.kind == Task.Kind.CONSULT and _reaches(
            principal, task.agency_id, "dossier.process"
        ):
            found.setdefault("reply", []).append(task)
        if task.kind == Task.Kind.APPROVE and _reaches(
            principal, task.agency_id, "dossier.approve"
        ):
            found["approve"] = task
        if (
            task.kind == Task.Kind.RETURN
            and status == Status.PROCESSED
            and principal.has("dossier.receive")
            and dossier.receiving_point_id in principal.service_point_ids
        ):
            found["return"] = task
    if (
        status in (Status.RECEIVED, Status.PROCESSING)
        and dossier.extended_at is None
        and _reaches(principal, dossier.competent_agency_id, "dossier.process")
    ):
        found["extend"] = True
    at_point = (
        principal.has("dossier.receive")
        and dossier.receiving_point_id in principal.service_point_ids
    )
    if at_point and status in STOPPABLE:
        found["request_stop"] = True
    if at_point and status == Status.WITHDRAWAL:
        found["stop"] = True
    return found


def handlers_of(agency_id: int) -> list[Any]:
    """The officers who may be assigned a dossier of the agency."""
    memberships = RoleMembership.objects.filter(agency_id=agency_id, user__is_active=True)
    return sorted(
        {
            m.user
            for m in memberships.select_related("role", "user")
            if "dossier.process" in m.role.permissions
        },
        key=lambda user: user.get_full_name() or user.get_username(),
    )


def agencies_to_consult(dossier: Dossier, lead_id: int) -> QuerySet[Agency]:
    """The province's agencies and those of the dossier's commune, but the lead one."""
    return (
        Agency.objects.filter(active=True, province_id=dossier.province_id)
        .filter(Q(level=Agency.Level.PROVINCE) | Q(commune_id=dossier.commune_id))
        .exclude(pk=lead_id)
        .order_by("level", "code")
    )


def tasks_of(dossier: Dossier) -> list[Task]:
    """The dossier's hand-offs in order: its process control slip."""
    return list(
        dossier.tasks.select_related("agency", "service_point", "assignee", "closed_by").order_by(
            "opened_at", "pk"
        )
    )
