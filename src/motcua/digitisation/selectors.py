"""Reads of the station's work and of the document store, narrowed to the actor's jurisdiction.

A stored document belongs to its owner, not to a place; staff reach it through where it was
digitised (the service point and its agency) or through a dossier of their jurisdiction that
uses it. Opening one is a read of personal data: it is written to its access log, which the
owner sees.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from motcua.core.errors import NotFound
from motcua.core.permissions import Jurisdiction, Principal, scope
from motcua.digitisation.models import Digitisation, DocumentAccess, StoredDocument
from motcua.digitisation.textnorm import fold
from motcua.dossiers.models import Dossier, DossierDocument, Result

STORE_JURISDICTION = Jurisdiction(
    province="province__code",
    commune="service_point__commune__code",
    agency=("agency_id", "uses__dossier__competent_agency_id", "uses__dossier__tasks__agency_id"),
    service_point=("service_point_id", "uses__dossier__receiving_point_id"),
)

STATION_JURISDICTION = Jurisdiction(
    province="service_point__province__code",
    commune="service_point__commune__code",
    agency="service_point__agency_id",
    service_point="service_point_id",
)

# Enough for an officer to pick from; a wider search should be narrowed, not paged through.
SEARCH_LIMIT = 50


def digitisations_for(principal: Principal, *, state: str = "") -> QuerySet[Digitisation]:
    items = scope(Digitisation.objects.all(), principal, STATION_JURISDICTION)
    if state:
        items = items.filter(state=state)
    return items.select_related("service_point", "dossier", "created_by", "document")


def digitisation_for(principal: Principal, pk: int) -> Digitisation:
    item = digitisations_for(principal).filter(pk=pk).first()
    if item is None:
        raise NotFound()
    return item


def documents_for(
    principal: Principal, *, query: str = "", owner_id: str = "", document_type: str = ""
) -> QuerySet[StoredDocument]:
    """The store as the actor may see it. `query` matches the recognised text, title, number
    and owner, each word on its own, with or without diacritics."""
    documents = scope(StoredDocument.objects.all(), principal, STORE_JURISDICTION)
    if owner_id.strip():
        documents = documents.filter(owner_id=owner_id.replace(" ", ""))
    if document_type:
        documents = documents.filter(document_type=document_type)
    for word in fold(query).split()[:8]:
        documents = documents.filter(search_text__contains=word)
    return documents.select_related("service_point", "agency").order_by("-created_at", "-pk")


def document_for(principal: Principal, pk: int) -> StoredDocument:
    document = documents_for(principal).filter(pk=pk).first()
    if document is None:
        raise NotFound()
    return document


def reusable_documents(
    requirements: Iterable[dict[str, Any]],
    owner_id: str,
    *,
    province_code: str,
    on: dt.date,
) -> dict[str, StoredDocument]:
    """For each of a procedure's `requirements` that names the store types standing for it
    (`accepts`), the owner's newest valid document of the first type they hold: what a new
    dossier attaches instead of asking for the paper again, and what the counter form says it
    will. Borderless within the province, like intake itself, so not narrowed to the
    officer's service point."""
    wanted = {r["code"]: r["accepts"] for r in requirements if r.get("accepts")}
    if not wanted:
        return {}
    candidates = (
        StoredDocument.objects.filter(
            owner_id=owner_id.replace(" ", ""),
            province__code=province_code,
            document_type__in={kind for kinds in wanted.values() for kind in kinds},
            revoked_at=None,
        )
        .filter(Q(valid_until=None) | Q(valid_until__gte=on))
        .order_by("-created_at", "-pk")
    )
    held: dict[str, StoredDocument] = {}
    for document in candidates:
        held.setdefault(document.document_type, document)
    found = {}
    for code, kinds in wanted.items():
        match = next((held[kind] for kind in kinds if kind in held), None)
        if match is not None:
            found[code] = match
    return found


def store_of(owner_id: str) -> QuerySet[StoredDocument]:
    """The owner's own view of their store, every document, withdrawn ones included."""
    return StoredDocument.objects.filter(owner_id=owner_id).order_by("-created_at", "-pk")


def accesses_of(owner_id: str) -> QuerySet[DocumentAccess]:
    """Who opened or used the owner's documents, newest first."""
    return (
        DocumentAccess.objects.filter(document__owner_id=owner_id)
        .select_related("document", "dossier")
        .order_by("-at", "-pk")
    )


@dataclass(frozen=True)
class DigitisationMetrics:
    dossiers: int
    dossiers_with_digitised: int
    results: int
    results_stored: int
    reused_documents: int

    @staticmethod
    def share(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def dossier_share(self) -> float | None:
        return self.share(self.dossiers_with_digitised, self.dossiers)

    @property
    def result_share(self) -> float | None:
        return self.share(self.results_stored, self.results)


def metrics(
    dossiers: QuerySet[Dossier],
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> DigitisationMetrics:
    """For the dossiers of `dossiers` (already scoped) submitted in [since, until): the share
    with at least one component in the document store, the share of their signed results
    stored, and the components reused from the store instead of asked for again."""
    until = until or timezone.now()
    window = dossiers.filter(submitted_at__lt=until)
    if since is not None:
        window = window.filter(submitted_at__gte=since)
    ids = window.values("pk")
    totals = Dossier.objects.filter(pk__in=ids).aggregate(
        dossiers=Count("pk", distinct=True),
        with_digitised=Count(
            "pk", filter=Q(documents__stored_document__isnull=False), distinct=True
        ),
    )
    results = Result.objects.filter(dossier__in=ids).exclude(signed_at=None)
    return DigitisationMetrics(
        dossiers=totals["dossiers"],
        dossiers_with_digitised=totals["with_digitised"],
        results=results.count(),
        results_stored=results.filter(stored_document__isnull=False).count(),
        reused_documents=DossierDocument.objects.filter(
            dossier__in=ids, state=DossierDocument.State.REUSED
        ).count(),
    )
