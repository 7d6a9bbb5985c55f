"""Result documents: laid out from the dossier, rendered, PAdES-signed with the issuing agency's
key (after the approval commits: signing is slow next to a request) and checked by anyone at
the result's verification address. A granted result gets its verifiable credential at the same
time, and the PDF carries the credential's compact seal."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone

from motcua.core.errors import NotFound
from motcua.core.events import publish
from motcua.credentials import issuance, seal
from motcua.dossiers import eforms, resultdoc, signing
from motcua.dossiers.models import Result
from motcua.monitoring import tracking

SIGNER_TITLES = {"peoples_committee": "CHỦ TỊCH", "department": "GIÁM ĐỐC"}


def verify_url(result: Result) -> str:
    return settings.PUBLIC_URL + reverse(
        "dossiers:verify_result", args=[result.verification_secret]
    )


def seal_check_url() -> str:
    """The public page where anyone checks a seal (or a credential) by hand."""
    return settings.PUBLIC_URL + reverse("verifier:verify")


def layout(result: Result, *, result_seal: str = "") -> resultdoc.ResultDocument:
    dossier = result.dossier
    agency = result.agency
    signer = result.approved_by
    place = dossier.receiving_point.commune or dossier.province
    return resultdoc.ResultDocument(
        kind=result.kind,
        number=result.number,
        authority=agency.parent.name.upper() if agency.parent else "",
        agency=agency.name.upper(),
        place=place.short_name,
        issued_at=result.approved_at,
        title=result.title,
        procedure_name=dossier.version.name,
        dossier_code=dossier.code,
        applicant_name=dossier.applicant_name,
        applicant_id_number=dossier.applicant_id_number,
        applicant_birth_date=dossier.applicant_birth_date,
        applicant_address=dossier.applicant_address,
        facts=tuple(
            (field.title, str(dossier.data[field.name]))
            for field in eforms.form_fields(dossier.version.spec["form"])
            if field.name in dossier.data
        ),
        reasons=tuple(result.reasons),
        legal_basis=tuple(dossier.version.spec["legal_basis"]),
        signer_title=SIGNER_TITLES.get(agency.kind, "THỦ TRƯỞNG CƠ QUAN"),
        signer_name=(signer.get_full_name() or signer.get_username()) if signer else "",
        verify_url=verify_url(result),
        seal=result_seal,
        seal_check_url=seal_check_url() if result_seal else "",
    )


def sign_result(result_id: int) -> None:
    """Render and sign the result once; a repeated run (a retried job) changes nothing."""
    result = Result.objects.select_related(
        "dossier__version",
        "dossier__province",
        "dossier__receiving_point__commune",
        "agency__parent",
        "agency__province",
        "approved_by",
    ).get(pk=result_id)
    if result.signed_at is not None:
        return
    # Before rendering: the seal carries the credential's status entry. Both are idempotent, so
    # a retried job prints the same entry; only the run that stores its PDF below counts.
    credential = issuance.prepare_credential(result)
    document = layout(result, result_seal=seal.make_seal(credential) if credential else "")
    pdf = signing.sign_pdf(
        resultdoc.render_result_pdf(document),
        agency=result.agency,
        reason=f"Ký số kết quả giải quyết hồ sơ {result.dossier.code}",
        location=document.place,
        signer_name=document.signer_name,
    )
    with transaction.atomic():
        locked = Result.objects.select_for_update().get(pk=result_id)
        if locked.signed_at is not None:
            return
        locked.pdf.save(f"{result.dossier.code}-ket-qua.pdf", ContentFile(pdf), save=False)
        locked.sha256 = hashlib.sha256(pdf).hexdigest()
        locked.signed_at = timezone.now()
        locked.save()
        tracking.track(locked.dossier_id)
        publish(
            f"service_point.{result.dossier.receiving_point_id}",
            "result.signed",
            {"code": result.dossier.code},
        )


def result_pdf(result: Result) -> bytes:
    if not result.pdf:
        raise NotFound()
    with result.pdf.open("rb") as stored:
        return stored.read()


def result_response(result: Result, *, attachment: bool = False) -> HttpResponse:
    """The signed result as a PDF download named after its dossier (404 until signed)."""
    response = HttpResponse(result_pdf(result), content_type="application/pdf")
    disposition = "attachment" if attachment else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{result.dossier.code}-ket-qua.pdf"'
    return response


def verified_result(secret: str) -> Result:
    """The result a QR code points at (its secret makes the address unguessable)."""
    result = (
        Result.objects.select_related("dossier__version", "agency")
        .filter(verification_secret=secret.strip())
        .exclude(signed_at=None)
        .first()
    )
    if result is None:
        raise NotFound()
    return result
