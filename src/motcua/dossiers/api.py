"""Dossier API (/api/v1/dossiers for staff, /api/v1/public for citizens): the same services as
the pages. Files travel base64-encoded inside the JSON body; a retried POST with the same
`Idempotency-Key` header answers with the first dossier (200) instead of making a second (201)."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Header, Query, Router, Schema, Status

from motcua.core import audit
from motcua.core.access import demand
from motcua.core.errors import MotcuaError
from motcua.core.ratelimits import limit_public
from motcua.core.schemas import ErrorOut, decode_base64, responses
from motcua.dossiers import printing, selectors, services
from motcua.dossiers.intake import Applicant, Submission, UploadedFile, VerifiedIdentity
from motcua.dossiers.models import Channel, Dossier
from motcua.dossiers.points import receiving_point_for
from motcua.identity import prefill, rp

router = Router()
public_router = Router()

MAX_LISTED = 200


class ApplicantIn(Schema):
    name: str = Field(max_length=100)
    id_number: str = Field(description="12-digit personal identity number (CCCD).")
    address: str = Field(max_length=300)
    birth_date: dt.date
    phone: str = Field("", max_length=20)
    email: str = Field("", max_length=254)


class FileIn(Schema):
    document: str = Field(description="The requirement code of the procedure's document.")
    name: str = Field(max_length=255)
    content_base64: str


class DecisionIn(Schema):
    decision: Literal["accept", "supplement", "refuse"]
    items: list[str] = Field(
        default_factory=list, description="What is missing, or the reasons for refusal."
    )
    revision: int | None = Field(
        None, description="The dossier's revision as read; a stale one is refused (409)."
    )


class OnlineDossierIn(Schema):
    procedure: str = Field(description="National procedure code, e.g. 2.000815.")
    applicant: ApplicantIn
    data: dict[str, Any] = Field(default_factory=dict, description="The procedure's e-form.")
    commune: str | None = Field(None, description="Code of the commune-level unit chosen.")
    files: list[FileIn] = Field(default_factory=list)


class CitizenDossierIn(OnlineDossierIn):
    represent: Literal["self", "organisation"] = Field(
        "self",
        description="`organisation`: file for the business the e-ID account acts for "
        "(its legal representative or authorised employee).",
    )


class DossierIn(OnlineDossierIn):
    channel: Literal["counter", "post", "api"] = "api"
    service_point: int | None = Field(
        None, description="The receiving point; may be left out by staff of one point."
    )
    on_paper: list[str] = Field(
        default_factory=list, description="Requirement codes handed in on paper."
    )
    queue_ticket: str = Field("", max_length=20)
    decision: DecisionIn | None = Field(None, description="Decide at once, as at the counter.")


class AgencyRef(Schema):
    code: str
    name: str


class PointRef(Schema):
    id: int
    name: str


class DocumentOut(Schema):
    requirement: str
    name: str
    form: str
    state: str
    content_type: str
    pages: int
    size: int


class SlipOut(Schema):
    id: int
    kind: str
    issued_at: dt.datetime
    items: list[str]


class EventOut(Schema):
    at: dt.datetime
    action: str
    actor_label: str
    from_status: int | None
    to_status: int
    note: str


class DossierHeadOut(Schema):
    """What every view of a dossier starts with."""

    code: str
    procedure_name: str
    status: int = Field(description="National portal status code (1–10).")
    status_name: str
    submitted_at: dt.datetime
    due_at: dt.datetime | None

    @staticmethod
    def resolve_procedure_name(obj: Dossier) -> str:
        return obj.version.name

    @staticmethod
    def resolve_status_name(obj: Dossier) -> str:
        return str(obj.get_status_display())


class DossierSummaryOut(DossierHeadOut):
    id: int
    procedure: str
    channel: str
    applicant_name: str

    @staticmethod
    def resolve_procedure(obj: Dossier) -> str:
        return obj.procedure.code


class DossierOut(DossierSummaryOut):
    version: int
    revision: int
    receiving_point: PointRef
    receiving_agency: AgencyRef
    competent_agency: AgencyRef
    commune: str
    applicant_id_number: str
    applicant_birth_date: dt.date | None
    applicant_address: str
    applicant_phone: str
    applicant_email: str
    data: dict[str, Any]
    fee_amount: int | None = Field(description="In đồng; null when the province sets it.")
    received_at: dt.datetime | None
    queue_ticket: str
    tracking_url: str
    documents: list[DocumentOut]
    slips: list[SlipOut]
    events: list[EventOut]

    @staticmethod
    def resolve_version(obj: Dossier) -> int:
        return obj.version.number

    @staticmethod
    def resolve_commune(obj: Dossier) -> str:
        return obj.commune.code

    @staticmethod
    def resolve_tracking_url(obj: Dossier) -> str:
        return printing.tracking_url(obj)

    @staticmethod
    def resolve_documents(obj: Dossier) -> list[Any]:
        return list(obj.documents.all())

    @staticmethod
    def resolve_slips(obj: Dossier) -> list[Any]:
        return list(obj.slips.all())

    @staticmethod
    def resolve_events(obj: Dossier) -> list[Any]:
        return list(obj.events.all())


class TrackingOut(DossierHeadOut):
    """What anyone holding the code and the secret may read: no personal data but initials."""

    applicant_initials: str
    receiving_point: str
    received_at: dt.datetime | None
    tracking_url: str
    steps: list[EventOut]
    slips: list[SlipOut]

    @staticmethod
    def resolve_receiving_point(obj: Dossier) -> str:
        return obj.receiving_point.name

    @staticmethod
    def resolve_tracking_url(obj: Dossier) -> str:
        return printing.tracking_url(obj)

    @staticmethod
    def resolve_steps(obj: Dossier) -> list[dict[str, Any]]:
        # Staff user names are not the public's business: steps say what, not who.
        return [
            {**_event_fields(event), "actor_label": "", "note": ""} for event in obj.events.all()
        ]

    @staticmethod
    def resolve_slips(obj: Dossier) -> list[Any]:
        return list(obj.slips.all())


def _event_fields(event: Any) -> dict[str, Any]:
    return {
        "at": event.at,
        "action": event.action,
        "actor_label": event.actor_label,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "note": event.note,
    }


class ListQuery(Schema):
    status: int | None = Field(None, ge=1, le=10)
    q: str = Field("", max_length=100, description="Code, identity number or name.")


class TrackingQuery(Schema):
    s: str = Field(max_length=64, description="The secret printed in the slip's QR code.")


def _files(files: list[FileIn]) -> dict[str, UploadedFile]:
    decoded: dict[str, UploadedFile] = {}
    for item in files:
        data = decode_base64(item.content_base64, field=f"documents.{item.document}")
        if item.document in decoded:
            raise MotcuaError(
                _("Send one file per document."),
                code="invalid_file",
                fields={f"documents.{item.document}": [_("Send one file per document.")]},
            )
        decoded[item.document] = UploadedFile(item.name, data)
    return decoded


def replayed_status(dossier: Dossier, started: dt.datetime) -> int:
    """200 for a retry answered with the dossier a first request filed, 201 for a new one."""
    return 200 if dossier.submitted_at < started else 201


def submission_of(payload: OnlineDossierIn, **extra: Any) -> Submission:
    applicant = payload.applicant
    return Submission(
        procedure_code=payload.procedure,
        applicant=Applicant(
            name=applicant.name,
            id_number=applicant.id_number,
            address=applicant.address,
            birth_date=applicant.birth_date,
            phone=applicant.phone,
            email=applicant.email,
        ),
        data=payload.data,
        commune_code=payload.commune,
        files=_files(payload.files),
        **extra,
    )


@router.post(
    "",
    response=responses(DossierOut, 404, 409) | {201: DossierOut},
    url_name="dossiers_create",
)
def create_dossier(
    request: HttpRequest,
    payload: DossierIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=100),
) -> Status[Dossier]:
    """File a dossier at a counter, from the post room or from another system."""
    principal = demand(request, "dossier.receive")
    point = receiving_point_for(principal, payload.service_point)
    key = f"staff:{principal.user_id}:{idempotency_key}" if idempotency_key else None
    started = timezone.now()
    outcome = (
        services.Outcome(payload.decision.decision, tuple(payload.decision.items))
        if payload.decision
        else None
    )
    dossier = services.submit_dossier(
        submission=submission_of(
            payload, on_paper=frozenset(payload.on_paper), queue_ticket=payload.queue_ticket
        ),
        channel=payload.channel,
        actor=request.user,
        point=point,
        key=key,
        outcome=outcome,
        ip=audit.client_ip(request),
    )
    return Status(replayed_status(dossier, started), dossier)


@router.get("", response=responses(list[DossierSummaryOut]), url_name="dossiers")
def list_dossiers(request: HttpRequest, query: Query[ListQuery]) -> list[Dossier]:
    """The dossiers of the actor's jurisdiction, newest first (at most 200)."""
    principal = demand(request, "dossier.view")
    return list(selectors.dossiers_for(principal, status=query.status, query=query.q)[:MAX_LISTED])


@router.get("/{code}", response=responses(DossierOut, 404), url_name="dossier")
def get_dossier(request: HttpRequest, code: str) -> Dossier:
    principal = demand(request, "dossier.view")
    return selectors.dossier_for(principal, code, request=request)


@router.post(
    "/{code}/decision", response=responses(DossierOut, 404, 409), url_name="dossier_decide"
)
def decide(request: HttpRequest, code: str, payload: DecisionIn) -> Dossier:
    """The check at receipt: accept (receipt and due date), request a supplement, or refuse."""
    principal = demand(request, "dossier.receive")
    dossier = selectors.dossier_for(principal, code, request=request)
    services.decide(
        dossier=dossier,
        outcome=services.Outcome(payload.decision, tuple(payload.items), payload.revision),
        actor=request.user,
        ip=audit.client_ip(request),
    )
    return selectors.dossier_for(principal, code, request=request)


@router.get(
    "/{code}/slips/{slip_id}.pdf",
    response={200: None, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    url_name="dossier_slip_pdf",
)
def slip_pdf(request: HttpRequest, code: str, slip_id: int) -> HttpResponse:
    principal = demand(request, "dossier.view")
    dossier = selectors.dossier_for(principal, code, request=request)
    return printing.slip_response(dossier, slip_id)


@public_router.post(
    "/dossiers",
    auth=None,
    response={
        201: TrackingOut,
        200: TrackingOut,
        400: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
        429: ErrorOut,
        503: ErrorOut,
    },
    url_name="public_dossiers_create",
)
def submit_online(
    request: HttpRequest,
    payload: CitizenDossierIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=100),
    eid_id_token: str | None = Header(None, alias="X-Eid-Id-Token", max_length=8000),
) -> Status[Dossier]:
    """File a dossier online, logged in with e-ID: the app sends the provider's access token
    (`Authorization: Bearer …`) and ID token (`X-Eid-Id-Token`) issued to motcua's client; the
    applicant's verified fields must be the login's, and the procedure's minimum e-ID level is
    enforced. It waits as "newly registered" until an officer checks it; the answer's tracking
    URL (with its secret) is the applicant's way back to it."""
    limit_public(request, "online_submission")
    key = None
    if idempotency_key:
        # Keys share one space: bind them to the applicant so that knowing someone else's key
        # is not enough to read their dossier.
        binding = f"{idempotency_key}:{payload.applicant.id_number}".encode()
        key = "online:" + hashlib.sha256(binding).hexdigest()
    started = timezone.now()
    dossier = services.submit_dossier(
        submission=submission_of(payload, identity=_identity(request, payload, eid_id_token)),
        channel=Channel.ONLINE,
        key=key,
        ip=audit.client_ip(request),
    )
    return Status(replayed_status(dossier, started), dossier)


def _identity(
    request: HttpRequest, payload: CitizenDossierIn, id_token: str | None
) -> VerifiedIdentity | None:
    """The e-ID login the request carries, or None (then only procedures needing no login)."""
    scheme, _space, access_token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not access_token or not id_token:
        return None
    citizen = rp.citizen_from_tokens(access_token=access_token.strip(), id_token=id_token)
    return prefill.verified_identity(citizen, for_organisation=payload.represent == "organisation")


@public_router.get(
    "/tracking/{code}",
    auth=None,
    response={200: TrackingOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    url_name="public_tracking",
)
def track(request: HttpRequest, code: str, query: Query[TrackingQuery]) -> Dossier:
    limit_public(request, "tracking")
    return selectors.tracked_dossier(code, query.s)
