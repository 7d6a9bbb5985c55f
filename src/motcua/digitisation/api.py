"""Digitisation API (/api/v1/digitisation): scans, the document store, its metrics and the
CCCD QR reader, on the same services and selectors as the pages. Scanned files travel
base64-encoded inside the JSON body; a retried POST with the same `Idempotency-Key` answers
with the first scan (200) instead of making a second (201)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Header, Query, Router, Schema, Status

from motcua.core import audit
from motcua.core.access import demand
from motcua.core.schemas import decode_base64, responses
from motcua.digitisation import national, selectors, services, store
from motcua.digitisation.models import Digitisation, DocumentAccess, StoredDocument
from motcua.dossiers import selectors as dossier_selectors
from motcua.dossiers.cccd import parse_cccd_qr
from motcua.dossiers.intake import UploadedFile
from motcua.dossiers.points import receiving_point_for

router = Router()


class ScanFileIn(Schema):
    name: str = Field(max_length=255)
    content_base64: str


class ScanIn(Schema):
    owner_id: str = Field(description="The owner's 12-digit CCCD number, or a tax code.")
    owner_name: str = Field(max_length=200)
    document_type: str = Field("", description="A document type code; empty: recognise it.")
    declared_pages: int = Field(description="Pages counted on paper (TT 01/2023).")
    files: list[ScanFileIn] = Field(description="The scanned pages, in page order.")
    service_point: int | None = None
    dossier: str = Field("", description="The dossier the paper was handed in for.")
    requirement: str = Field("", description="Its document (requirement code).")


class ScanOut(Schema):
    id: int
    state: str
    owner_id: str
    owner_name: str
    document_type: str
    detected_type: str
    pages_total: int
    pages_done: int
    attempts: int
    error: str
    fields: dict[str, Any]
    cccd: dict[str, str] | None
    dossier: str | None = Field(None, alias="dossier.code")
    requirement: str
    document: int | None = Field(None, alias="document_id")
    revision: int


class ConfirmIn(Schema):
    document_type: str
    fields: dict[str, str]
    revision: int | None = Field(
        None, description="The scan's revision as read; a stale one is refused (409)."
    )


class RevisionIn(Schema):
    revision: int | None = None


class StoredDocumentOut(Schema):
    id: int
    owner_id: str
    owner_name: str
    document_type: str
    title: str
    issuer: str
    number: str
    issued_on: dt.date | None
    valid_until: dt.date | None
    source: str
    fields: dict[str, Any]
    pages: int
    sha256: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class DocumentQuery(Schema):
    q: str = Field("", max_length=200, description="Words of the text, diacritics optional.")
    owner: str = Field("", max_length=14)
    type: str = Field("", max_length=40)


class MetricsQuery(Schema):
    since: dt.date | None = None
    until: dt.date | None = Field(None, description="Exclusive.")


class MetricsOut(Schema):
    dossiers: int
    dossiers_with_digitised: int
    dossier_share: float | None
    results: int
    results_stored: int
    result_share: float | None
    reused_documents: int


class QrIn(Schema):
    payload: str = Field(max_length=1000)


class CccdOut(Schema):
    id_number: str
    old_id_number: str
    name: str
    birth_date: dt.date
    sex: str
    address: str
    issued_on: dt.date | None


def _decoded(files: list[ScanFileIn]) -> list[UploadedFile]:
    return [
        UploadedFile(item.name, decode_base64(item.content_base64, field="files")) for item in files
    ]


@router.post(
    "/scans",
    response=responses(ScanOut, 404, 409) | {201: ScanOut},
    url_name="digitisation_scans_create",
)
def create_scan(
    request: HttpRequest,
    payload: ScanIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=100),
) -> Status[Digitisation]:
    """Queue a scanned paper document for OCR; poll the scan for its progress and fields."""
    principal = demand(request, "document.digitise")
    point = receiving_point_for(principal, payload.service_point)
    dossier = (
        dossier_selectors.dossier_for(principal, payload.dossier, request=request)
        if payload.dossier
        else None
    )
    started = timezone.now()
    item = services.start_digitisation(
        owner_id=payload.owner_id,
        owner_name=payload.owner_name,
        document_type=payload.document_type,
        declared_pages=payload.declared_pages,
        files=_decoded(payload.files),
        point=point,
        actor=request.user,
        dossier=dossier,
        requirement=payload.requirement,
        key=f"staff:{principal.user_id}:{idempotency_key}" if idempotency_key else None,
        ip=audit.client_ip(request),
    )
    return Status(200 if item.created_at < started else 201, item)


@router.get("/scans", response=responses(list[ScanOut]), url_name="digitisation_scans")
def list_scans(request: HttpRequest, state: str = "") -> list[Digitisation]:
    """The scans of the actor's service points, newest first (at most 200)."""
    principal = demand(request, "document.digitise")
    return list(selectors.digitisations_for(principal, state=state)[:200])


@router.get("/scans/{pk}", response=responses(ScanOut, 404), url_name="digitisation_scan")
def get_scan(request: HttpRequest, pk: int) -> Digitisation:
    return selectors.digitisation_for(demand(request, "document.digitise"), pk)


@router.post(
    "/scans/{pk}/confirm",
    response=responses(StoredDocumentOut, 404, 409),
    url_name="digitisation_scan_confirm",
)
def confirm_scan(request: HttpRequest, pk: int, payload: ConfirmIn) -> StoredDocument:
    """Vouch that the e-copy matches the paper, with the corrected fields: it is signed and
    stored (and attached to its dossier)."""
    item = selectors.digitisation_for(demand(request, "document.digitise"), pk)
    return services.confirm_digitisation(
        item=item,
        document_type=payload.document_type,
        values=payload.fields,
        actor=request.user,
        revision=payload.revision,
        ip=audit.client_ip(request),
    )


@router.post(
    "/scans/{pk}/retry", response=responses(ScanOut, 404, 409), url_name="digitisation_scan_retry"
)
def retry_scan(request: HttpRequest, pk: int) -> Digitisation:
    item = selectors.digitisation_for(demand(request, "document.digitise"), pk)
    return services.retry_digitisation(item=item, actor=request.user, ip=audit.client_ip(request))


@router.post(
    "/scans/{pk}/discard",
    response=responses(ScanOut, 404, 409),
    url_name="digitisation_scan_discard",
)
def discard_scan(request: HttpRequest, pk: int, payload: RevisionIn) -> Digitisation:
    item = selectors.digitisation_for(demand(request, "document.digitise"), pk)
    return services.discard_digitisation(
        item=item, actor=request.user, revision=payload.revision, ip=audit.client_ip(request)
    )


@router.get(
    "/documents", response=responses(list[StoredDocumentOut]), url_name="digitisation_documents"
)
def list_documents(request: HttpRequest, query: Query[DocumentQuery]) -> list[StoredDocument]:
    """Search the document store of the actor's jurisdiction (at most 50 documents)."""
    principal = demand(request, "document.view")
    found = list(
        selectors.documents_for(
            principal, query=query.q, owner_id=query.owner, document_type=query.type
        )[: selectors.SEARCH_LIMIT]
    )
    store.log_search(
        actor=request.user,
        criteria={"q": query.q, "owner": query.owner, "type": query.type},
        hits=len(found),
        ip=audit.client_ip(request),
    )
    return found


@router.get(
    "/documents/{pk}", response=responses(StoredDocumentOut, 404), url_name="digitisation_document"
)
def get_document(request: HttpRequest, pk: int) -> StoredDocument:
    document = selectors.document_for(demand(request, "document.view"), pk)
    store.record_access(document, request.user, DocumentAccess.Purpose.VIEW)
    return document


@router.get("/metrics", response=responses(MetricsOut), url_name="digitisation_metrics")
def get_metrics(request: HttpRequest, query: Query[MetricsQuery]) -> dict[str, Any]:
    """Digitisation of the actor's jurisdiction over dossiers submitted in [since, until):
    the share with a component in the document store, the share of results stored, and the
    components reused instead of asked for again."""
    principal = demand(request, "dossier.view")
    found = selectors.metrics(
        dossier_selectors.dossiers_for(principal),
        since=_local_midnight(query.since),
        until=_local_midnight(query.until),
    )
    return {
        "dossiers": found.dossiers,
        "dossiers_with_digitised": found.dossiers_with_digitised,
        "dossier_share": found.dossier_share,
        "results": found.results,
        "results_stored": found.results_stored,
        "result_share": found.result_share,
        "reused_documents": found.reused_documents,
    }


def _local_midnight(day: dt.date | None) -> dt.datetime | None:
    if day is None:
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


class PersonIn(Schema):
    id_number: str = Field(max_length=14)


class PersonOut(Schema):
    id_number: str
    name: str
    birth_date: dt.date
    sex: str
    address: str
    temporary_address: str


@router.post(
    "/population",
    response=responses(PersonOut, 404, 503),
    url_name="digitisation_population",
)
def look_up_person(request: HttpRequest, payload: PersonIn) -> Any:
    """The applicant as the national population database knows them (name, date of birth,
    residence), for the counter form; the lookup is logged."""
    demand(request, "dossier.receive")
    return store.look_up_person(
        id_number=payload.id_number,
        databases=national.national_databases(),
        actor=request.user,
        ip=audit.client_ip(request),
    )


@router.post("/cccd-qr", response=responses(CccdOut), url_name="digitisation_cccd_qr")
def read_cccd_qr(request: HttpRequest, payload: QrIn) -> Any:
    """What a citizen identity card's QR code says (the reader types it), checked: the number
    against the date of birth and sex. Nothing is stored."""
    demand(request, "dossier.receive")
    return parse_cccd_qr(payload.payload)
