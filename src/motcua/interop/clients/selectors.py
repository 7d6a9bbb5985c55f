"""Reads of the exchange API, each narrowed to what the client's authorisations for one scope
reach (as staff selectors narrow to the Principal): procedures, competent or receiving agency
(with sub-agencies) and confidentiality."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from motcua.core import audit
from motcua.core.errors import NotFound, PermissionDenied
from motcua.dossiers.models import Dossier, DossierDocument, DossierEvent, Result
from motcua.interop.clients.access import ClientAccess


def reach(access: ClientAccess, scope: str) -> Q:
    """The dossiers some authorisation giving `scope` covers; none without one."""
    covered = Q(pk__in=[])
    for grant in access.grants_for(scope):
        agencies = sorted(grant.agency_ids)
        part = Q(procedure__confidentiality__lte=grant.max_confidentiality) & (
            Q(competent_agency_id__in=agencies) | Q(receiving_agency_id__in=agencies)
        )
        if grant.procedure_ids is not None:
            part &= Q(procedure_id__in=sorted(grant.procedure_ids))
        covered |= part
    return covered


def dossiers_for(
    access: ClientAccess,
    scope: str,
    *,
    procedure: str = "",
    status: int | None = None,
    changed_since: dt.datetime | None = None,
) -> QuerySet[Dossier]:
    """Oldest first, so that paging stays stable while new dossiers come in."""
    dossiers = Dossier.objects.filter(reach(access, scope))
    if procedure:
        dossiers = dossiers.filter(procedure__code=procedure)
    if status is not None:
        dossiers = dossiers.filter(status=status)
    if changed_since is not None:
        changed = DossierEvent.objects.filter(dossier=OuterRef("pk"), at__gte=changed_since)
        dossiers = dossiers.filter(Exists(changed))
    return dossiers.select_related(
        "procedure", "version", "receiving_agency", "competent_agency"
    ).order_by("pk")


def dossier_for(access: ClientAccess, scope: str, code: str) -> Dossier:
    """One dossier in reach; 403 when it exists beyond the client's authorisations."""
    dossier = dossiers_for(access, scope).select_related("commune").filter(code=code).first()
    if dossier is not None:
        return dossier
    if Dossier.objects.filter(code=code).exists():
        raise PermissionDenied(_("This API client is not authorised for this dossier."))
    raise NotFound()


def dossier_with_applicant(
    access: ClientAccess, scope: str, code: str, *, ip: str | None
) -> Dossier:
    """A dossier read with its applicant's personal data: the read goes to the audit log under
    the client's service account, where the citizen's view of reads of their data finds it
    (identity.data_access), as an officer opening the dossier does."""
    dossier = dossier_for(access, scope, code)
    _log_read(access, dossier, ip)
    return dossier


def document_file(
    access: ClientAccess, scope: str, code: str, requirement: str, *, ip: str | None
) -> DossierDocument:
    """A dossier's uploaded or scanned document, its download logged as a read of the
    applicant's personal data (as `dossier_with_applicant`)."""
    dossier = dossier_for(access, scope, code)
    document = dossier.documents.filter(requirement=requirement).exclude(file="").first()
    if document is None:
        raise NotFound()
    _log_read(access, dossier, ip, document=requirement)
    return document


def signed_result(access: ClientAccess, scope: str, code: str, *, ip: str | None) -> Result:
    """A dossier's result once signed; its download is logged as the documents' are."""
    dossier = dossier_for(access, scope, code)
    result = Result.objects.filter(dossier=dossier).exclude(signed_at=None).first()
    if result is None:
        raise NotFound()
    _log_read(access, dossier, ip, document="result")
    return result


def _log_read(access: ClientAccess, dossier: Dossier, ip: str | None, **detail: str) -> None:
    audit.record(
        actor=access.client.user,
        action="dossier.view",
        obj=dossier,
        case=dossier.code,
        new={"client": access.client.client_id, **detail},
        ip=ip,
    )


def events_of(dossier: Dossier) -> QuerySet[DossierEvent]:
    return dossier.events.order_by("at", "pk")
