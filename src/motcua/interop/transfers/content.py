"""What the envelopes between instances carry, and reading it back.

The documents' bytes travel beside the envelope, as the parts of a multipart request named
by their SHA-256, not inside the signed payload: the payload signs each document's hash, so
the bytes are as trustworthy as if they were signed, the signature stays small whatever the
files weigh, and the receiver streams large files to disk instead of holding base64 text in
memory. The receiver checks every part against the signed list before it files anything.

Applicants' phone numbers and e-mail addresses are not sent: the applicant deals with the
instance that received the dossier, which keeps telling them; the other instance processes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from motcua.dossiers.intake import Applicant, Submission, UploadedFile
from motcua.dossiers.models import Dossier, DossierDocument, Result
from motcua.interop.transfers.envelope import EnvelopeError

# All of a dossier's documents in one transfer: the receiver's intake caps each one
# (MOTCUA_UPLOAD_MAX_MB); this caps the request.
MAX_DOCUMENTS_BYTES = 100 * 1024 * 1024
HELD_ON_PAPER = (DossierDocument.State.SUBMITTED, DossierDocument.State.REUSED)


@dataclass(frozen=True)
class Blob:
    sha256: str
    name: str
    media_type: str
    data: bytes


def iso(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def read_file(field: Any) -> bytes:
    with field.open("rb") as stored:
        return bytes(stored.read())


def blob(name: str, media_type: str, data: bytes) -> Blob:
    return Blob(hashlib.sha256(data).hexdigest(), name, media_type, data)


def documents_of(
    dossier: Dossier, codes: list[str] | None = None
) -> tuple[list[dict[str, Any]], list[str], list[Blob]]:
    """The dossier's documents (those of `codes`, or all) as an envelope lists them, the codes
    of those handed in on paper, and the files' bytes."""
    documents, on_paper, blobs = [], [], []
    rows = dossier.documents.all()
    if codes is not None:
        rows = rows.filter(requirement__in=codes)
    for row in rows:
        if row.file:
            part = blob(
                row.original_name or str(row.file.name), row.content_type, read_file(row.file)
            )
            blobs.append(part)
            documents.append(
                {
                    "kind": row.requirement,
                    "name": part.name,
                    "sha256": part.sha256,
                    "size": len(part.data),
                    "media_type": part.media_type,
                }
            )
        elif row.state in HELD_ON_PAPER:
            on_paper.append(row.requirement)
    return documents, on_paper, blobs


def dossier_body(dossier: Dossier) -> tuple[dict[str, Any], list[Blob]]:
    """The dossier as a transfer envelope describes it, and its documents' bytes."""
    documents, on_paper, blobs = documents_of(dossier)
    body = {
        "dossier": {
            "code": dossier.code,
            "procedure": dossier.procedure.code,
            "procedure_version": dossier.version.number,
            "channel": dossier.channel,
            "status": dossier.status,
            "commune": dossier.commune.code,
            "receiving_agency": dossier.receiving_agency.code,
            "applicant": {
                "name": dossier.applicant_name,
                "id_number": dossier.applicant_id_number,
                "birth_date": iso(dossier.applicant_birth_date),
                "address": dossier.applicant_address,
            },
            "data": dossier.data,
            "on_paper": on_paper,
            "submitted_at": iso(dossier.submitted_at),
            "received_at": iso(dossier.received_at),
            "due_at": iso(dossier.due_at),
        },
        "documents": documents,
        "history": [
            {
                "at": iso(event.at),
                "action": event.action,
                "from_status": event.from_status,
                "status": event.to_status,
                "by": event.actor_label,
                "note": event.note,
            }
            for event in dossier.events.order_by("at", "pk")
        ],
    }
    return body, blobs


def result_body(result: Result) -> tuple[dict[str, Any], Blob]:
    part = blob(f"{result.number}.pdf", "application/pdf", read_file(result.pdf))
    return {
        "kind": result.kind,
        "number": result.number,
        "title": result.title,
        "reasons": result.reasons,
        "agency": result.agency.code,
        "agency_name": result.agency.name,
        "approved_at": iso(result.approved_at),
        "signed_at": iso(result.signed_at),
        "sha256": part.sha256,
        "size": len(part.data),
    }, part


def checked_parts(signed: list[dict[str, Any]], parts: dict[str, bytes]) -> dict[str, bytes]:
    """The parts by hash, once each one is exactly a document the envelope signed."""
    actual = {hashlib.sha256(data).hexdigest(): data for data in parts.values()}
    if set(parts) != set(actual) or {entry.get("sha256") for entry in signed} != set(actual):
        raise EnvelopeError(
            _("The documents do not match the hashes the envelope signed."),
            code="hash_mismatch",
            status=400,
        )
    return actual


def files_of(body: dict[str, Any], parts: dict[str, bytes]) -> dict[str, UploadedFile]:
    """The files an envelope lists, by document code, from its checked parts."""
    return {
        entry["kind"]: UploadedFile(entry["name"], parts[entry["sha256"]])
        for entry in body["documents"]
    }


def submission_of(body: dict[str, Any], parts: dict[str, bytes], origin: str) -> Submission:
    """The linked copy's submission: the original's applicant, form and documents."""
    dossier = body["dossier"]
    applicant = dossier["applicant"]
    birth = applicant.get("birth_date")
    return Submission(
        procedure_code=dossier["procedure"],
        applicant=Applicant(
            name=applicant["name"],
            id_number=applicant["id_number"],
            address=applicant["address"],
            birth_date=dt.date.fromisoformat(birth) if birth else None,
        ),
        data=dossier["data"],
        commune_code=dossier["commune"],
        files=files_of(body, parts),
        on_paper=frozenset(dossier["on_paper"]),
        origin_instance=origin,
        origin_code=dossier["code"],
    )
