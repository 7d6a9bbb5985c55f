"""The exchange API (/api/v1/exchange) for other agencies' systems: OAuth 2.0 bearer tokens of
API clients (client credentials at /oauth/token/), never a staff session. Each operation needs
a scope, and reads and filings are narrowed to the client's authorisations; a dossier beyond
them answers 403. Every call, refused ones too, leaves an ApiCall row."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Header, Query, Router, Schema, Status

from motcua.core import audit
from motcua.core.schemas import ErrorOut
from motcua.dossiers import files, results
from motcua.dossiers.api import (
    AgencyRef,
    DocumentOut,
    DossierHeadOut,
    EventOut,
    OnlineDossierIn,
    replayed_status,
    submission_of,
)
from motcua.dossiers.models import Dossier, DossierEvent
from motcua.interop.clients import calls, selectors, services
from motcua.interop.clients.access import ClientAccess
from motcua.interop.clients.auth import ClientToken
from motcua.interop.clients.scopes import (
    DOSSIER_DOCUMENTS_READ,
    DOSSIER_EVENTS_READ,
    DOSSIERS_READ,
)

router = Router(auth=ClientToken())
router.add_decorator(calls.logged, mode="view")

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def _errors(*statuses: int) -> dict[int, Any]:
    # Every exchange operation may answer 401 (token), 403 (scope), 422 and 429 (rate).
    return dict.fromkeys((401, 403, 422, 429, *statuses), ErrorOut)


class ExchangeDossierOut(DossierHeadOut):
    """A dossier as the list shows it: codes, states and dates, no personal data."""

    procedure: str
    channel: str
    receiving_agency: AgencyRef
    competent_agency: AgencyRef
    received_at: dt.datetime | None
    finished_at: dt.datetime | None

    @staticmethod
    def resolve_procedure(obj: Dossier) -> str:
        return obj.procedure.code


class ExchangeDossierDetailOut(ExchangeDossierOut):
    """The whole dossier with its applicant: reading it is logged as a read of personal data."""

    version: int
    commune: str
    applicant_name: str
    applicant_id_number: str
    applicant_birth_date: dt.date | None
    applicant_address: str
    applicant_phone: str
    applicant_email: str
    data: dict[str, Any]
    fee_amount: int | None = Field(description="In đồng; null when the province sets it.")
    documents: list[DocumentOut]

    @staticmethod
    def resolve_version(obj: Dossier) -> int:
        return obj.version.number

    @staticmethod
    def resolve_commune(obj: Dossier) -> str:
        return obj.commune.code

    @staticmethod
    def resolve_documents(obj: Dossier) -> list[Any]:
        return list(obj.documents.all())


class DossierPage(Schema):
    items: list[ExchangeDossierOut]
    next_offset: int | None = Field(
        description="Pass as `offset` for the next page; null at the end."
    )


class ExchangeListQuery(Schema):
    procedure: str = Field("", max_length=20, description="National procedure code.")
    status: int | None = Field(None, ge=1, le=10)
    changed_since: dt.datetime | None = Field(
        None, description="Only dossiers with a history event at or after this time."
    )
    offset: int = Field(0, ge=0)
    limit: int = Field(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


def _access(request: HttpRequest) -> ClientAccess:
    return request.auth  # type: ignore[attr-defined]


@router.get(
    "/dossiers",
    response={200: DossierPage} | _errors(),
    url_name="exchange_dossiers",
)
def list_dossiers(request: HttpRequest, query: Query[ExchangeListQuery]) -> dict[str, Any]:
    """The dossiers the client's `dossiers.read` authorisations reach, oldest first."""
    dossiers = selectors.dossiers_for(
        _access(request),
        DOSSIERS_READ,
        procedure=query.procedure,
        status=query.status,
        changed_since=query.changed_since,
    )
    page = list(dossiers[query.offset : query.offset + query.limit + 1])
    more = len(page) > query.limit
    return {
        "items": page[: query.limit],
        "next_offset": query.offset + query.limit if more else None,
    }


@router.get(
    "/dossiers/{code}",
    response={200: ExchangeDossierDetailOut} | _errors(404),
    url_name="exchange_dossier",
)
def get_dossier(request: HttpRequest, code: str) -> Dossier:
    """One dossier with its applicant and documents (`dossiers.read`)."""
    return selectors.dossier_with_applicant(
        _access(request), DOSSIERS_READ, code, ip=audit.client_ip(request)
    )


@router.get(
    "/dossiers/{code}/events",
    response={200: list[EventOut]} | _errors(404),
    url_name="exchange_dossier_events",
)
def dossier_events(request: HttpRequest, code: str) -> list[DossierEvent]:
    """The dossier's history, oldest first (`dossiers.events.read`)."""
    dossier = selectors.dossier_for(_access(request), DOSSIER_EVENTS_READ, code)
    return list(selectors.events_of(dossier))


FILE = {200: None} | _errors(404)


@router.get(
    "/dossiers/{code}/documents/{requirement}",
    response=FILE,
    url_name="exchange_dossier_document",
    openapi_extra={"responses": {"200": {"description": "The file, as it was handed in."}}},
)
def dossier_document(request: HttpRequest, code: str, requirement: str) -> FileResponse:
    """A document of the dossier by its code in the procedure (`dossiers.documents.read`);
    404 for one handed in on paper only."""
    document = selectors.document_file(
        _access(request), DOSSIER_DOCUMENTS_READ, code, requirement, ip=audit.client_ip(request)
    )
    return files.document_response(document)


@router.get(
    "/dossiers/{code}/result.pdf",
    response=FILE,
    url_name="exchange_dossier_result",
    openapi_extra={"responses": {"200": {"description": "The signed PDF (PAdES)."}}},
)
def dossier_result(request: HttpRequest, code: str) -> HttpResponse:
    """The dossier's signed result (`dossiers.documents.read`); 404 until it is signed."""
    result = selectors.signed_result(
        _access(request), DOSSIER_DOCUMENTS_READ, code, ip=audit.client_ip(request)
    )
    return results.result_response(result, attachment=True)


@router.post(
    "/dossiers",
    response={200: ExchangeDossierDetailOut, 201: ExchangeDossierDetailOut}
    | _errors(400, 404, 409),
    url_name="exchange_dossiers_create",
)
def create_dossier(
    request: HttpRequest,
    payload: OnlineDossierIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=100),
) -> Status[Dossier]:
    """File a dossier through the API channel (`dossiers.create`), for a procedure and an
    agency the client is authorised for. It waits as "newly registered" for an officer's
    check. A retry with the same `Idempotency-Key` answers 200 with the first dossier."""
    started = timezone.now()
    dossier = services.file_dossier(
        access=_access(request),
        submission=submission_of(payload),
        key=idempotency_key,
        ip=audit.client_ip(request),
    )
    calls.note_resource(request, dossier.code)
    return Status(replayed_status(dossier, started), dossier)
