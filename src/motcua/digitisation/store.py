"""Writes of the document store (kho dữ liệu điện tử) besides the station's scans: a dossier's
reuse of stored documents, issued results, national database records, withdrawals, and the
access log of every staff read."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.core import audit
from motcua.core.access import staff_user
from motcua.core.errors import Conflict, MotcuaError, NotFound
from motcua.digitisation.models import DocumentAccess, StoredDocument
from motcua.digitisation.national import NationalDatabases, PersonRecord, RegistryDocument
from motcua.digitisation.owners import TAX_CODE_RE, owner_key
from motcua.digitisation.textnorm import fold
from motcua.dossiers.models import Dossier, DossierDocument, Result


def attach_copy(row: DossierDocument, document: StoredDocument) -> None:
    """Point a dossier's document at the store's copy (the same file: nothing is copied)."""
    row.stored_document = document
    row.file.name = document.file.name
    row.original_name = f"{document.title}.pdf"[:255]
    row.content_type = "application/pdf" if document.file else ""
    row.size = document.file.size if document.file else 0
    row.pages = document.pages
    row.sha256 = document.sha256


def searchable_text(*parts: str) -> str:
    return fold(" ".join(part for part in parts if part))


def record_access(
    document: StoredDocument, actor: Any, purpose: str, *, dossier: Dossier | None = None
) -> None:
    staff = staff_user(actor)
    DocumentAccess.objects.create(
        document=document,
        actor=staff,
        actor_label=(staff.get_full_name() or staff.get_username()) if staff else _("System"),
        purpose=purpose,
        dossier=dossier,
    )


@transaction.atomic
def withdraw_document(
    *, document: StoredDocument, reason: str, actor: Any, ip: str | None = None
) -> StoredDocument:
    """Take a document out of reuse (a wrong scan, a certificate revoked or replaced): later
    dossiers no longer take it; those that did keep their copy, and its history."""
    reason = " ".join(reason.split())
    if not reason or len(reason) > 300:
        raise MotcuaError(
            _("Say why the document is withdrawn (at most 300 characters)."),
            code="reason_required",
            fields={"reason": [_("This field is required.")]},
        )
    locked = StoredDocument.objects.select_for_update().get(pk=document.pk)
    if locked.revoked_at is not None:
        raise Conflict(_("The document is already withdrawn."), code="illegal_transition")
    locked.revoked_at = timezone.now()
    locked.revoked_reason = reason
    locked.save(update_fields=["revoked_at", "revoked_reason"])
    audit.record(
        actor=actor,
        action="document_store.withdraw",
        obj=locked,
        new={"reason": reason},
        ip=ip,
    )
    return locked


def look_up_person(
    *, id_number: str, databases: NationalDatabases, actor: Any, ip: str | None = None
) -> PersonRecord:
    """The citizen as the national population database knows them, for the counter form:
    the data replaces the ID card and the proof of residence (NQ 66.7/2025). Logged."""
    person = databases.person(id_number)  # raises when the database is down
    with transaction.atomic():
        audit.record(
            actor=actor,
            action="population.lookup",
            object_type="citizen",
            object_id=owner_key(id_number),
            new={"found": person is not None},
            ip=ip,
        )
    if person is None:
        raise NotFound(_("The national population database has no citizen with this number."))
    return person


@transaction.atomic
def log_search(*, actor: Any, criteria: dict[str, str], hits: int, ip: str | None) -> None:
    """A search of the store lists people's documents: it is a read of personal data."""
    audit.record(
        actor=actor,
        action="document_store.search",
        object_type="digitisation.storeddocument",
        new={**criteria, "hits": hits},
        ip=ip,
    )


def store_result(*, result_id: int) -> StoredDocument | None:
    """Put a signed result in the applicant's store (once: a repeated call changes nothing)."""
    result = Result.objects.select_related("dossier__version", "dossier__province", "agency").get(
        pk=result_id
    )
    if result.signed_at is None:
        return None
    with transaction.atomic():
        existing = StoredDocument.objects.filter(result=result).first()
        if existing is not None:
            return existing
        dossier = result.dossier
        granted = result.kind == Result.Kind.GRANT
        document = StoredDocument.objects.create(
            owner_id=dossier.applicant_id_number,
            owner_name=dossier.applicant_name,
            province=dossier.province,
            document_type=dossier.version.spec.get("result_type", "other") if granted else "other",
            title=result.title,
            issuer=result.agency.name,
            number=result.number,
            issued_on=timezone.localdate(result.signed_at),
            source=StoredDocument.Source.RESULT,
            fields={"dossier": dossier.code},
            search_text=searchable_text(dossier.applicant_name, result.title, result.number),
            file=result.pdf.name,
            sha256=result.sha256,
            agency=result.agency,
            result=result,
        )
        record_access(document, None, DocumentAccess.Purpose.STORE, dossier=dossier)
        return document


def store_national_records(
    *,
    owner_id: str,
    databases: NationalDatabases,
    province: Any,
    actor: Any,
    dossier: Dossier | None = None,
) -> list[StoredDocument]:
    """Fetch the owner's records from the civil status (a person) or business registration
    (an organisation) database into the store; fetching again updates the same rows."""
    owner_id = owner_key(owner_id)
    if TAX_CODE_RE.fullmatch(owner_id):
        business = databases.business(owner_id)
        records = [business] if business else []
    else:
        records = databases.civil_status(owner_id)  # raises when the database is down
    return [_store_record(owner_id, record, province, actor, dossier) for record in records]


@transaction.atomic
def _store_record(
    owner_id: str, record: RegistryDocument, province: Any, actor: Any, dossier: Dossier | None
) -> StoredDocument:
    reference = f"{record.registry}:{record.document_type}:{record.number}"[:120]
    owner_name = _holder_name(record)
    document, _created = StoredDocument.objects.update_or_create(
        owner_id=owner_id,
        source_reference=reference,
        defaults={
            "owner_name": owner_name[:200],
            "province": province,
            "document_type": record.document_type,
            "title": record.title[:300],
            "issuer": record.issuer[:300],
            "number": record.number[:60],
            "issued_on": record.issued_on,
            "valid_until": record.valid_until,
            "source": StoredDocument.Source.NATIONAL_DB,
            "fields": record.fields,
            "search_text": searchable_text(owner_name, record.title, record.number),
        },
    )
    record_access(document, actor, DocumentAccess.Purpose.STORE, dossier=dossier)
    return document


def _holder_name(record: RegistryDocument) -> str:
    """Whose the record is: the person named, the spouse whose number it is filed under, or
    the company."""
    fields = record.fields
    if record.document_type == "marriage_certificate":
        wife = fields.get("wife_id_number") == record.holder_id
        return fields.get("wife_name" if wife else "husband_name", "")
    return fields.get("name") or fields.get("company_name", "")


def record_reuse(*, dossier: Dossier, documents: Iterable[StoredDocument]) -> None:
    """Each store document a new dossier took instead of the paper goes in its access log."""
    for document in {document.pk: document for document in documents}.values():
        record_access(document, dossier.submitted_by, DocumentAccess.Purpose.REUSE, dossier=dossier)
