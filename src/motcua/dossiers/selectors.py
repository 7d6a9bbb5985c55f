"""Reads of dossiers, each narrowed to the actor's jurisdiction: the service points that received
them, the competent agency (and its sub-agencies), the commune, or the province."""

from __future__ import annotations

import hmac

from django.db.models import Q, QuerySet

from motcua.core import audit
from motcua.core.errors import NotFound
from motcua.core.permissions import Jurisdiction, Principal, scope
from motcua.dossiers.models import Dossier, Status

DOSSIER_JURISDICTION = Jurisdiction(
    province="province__code",
    commune="commune__code",
    agency="competent_agency_id",
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
