"""Writes of the digitisation station: one service per action.

`start_digitisation` checks the scanned files whole (TT 01/2023: every page counted and
scanned, in order) and queues the OCR pipeline; `run_pipeline` (a background job) makes the
searchable PDF/A, reads the text and the fields; `confirm_digitisation` takes the officer's
corrected fields, signs the e-copy as matching the paper and puts it in the owner's store (and
on the dossier it was scanned for). The store's own writes are in `motcua.digitisation.store`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import gettext as _

from motcua.core import audit
from motcua.core.access import staff_user
from motcua.core.errors import Conflict, MotcuaError
from motcua.core.events import publish
from motcua.core.jobs import enqueue_on_commit
from motcua.core.storage import files_kept_only_on_commit
from motcua.digitisation import doctypes, imaging, ocr, qr, store
from motcua.digitisation.models import Digitisation, DocumentAccess, StoredDocument
from motcua.digitisation.owners import TAX_CODE_RE, owner_key
from motcua.dossiers import history, signing
from motcua.dossiers.cccd import CccdCard, check_cccd, parse_cccd_qr
from motcua.dossiers.files import inspect_upload
from motcua.dossiers.intake import UploadedFile
from motcua.dossiers.models import Dossier, DossierDocument
from motcua.organisation.models import ServicePoint

logger = logging.getLogger(__name__)

# The scanned document's first pages carry a CCCD's QR code, if any; more is not worth the time.
QR_PAGES = 2

ACTIVE = (Digitisation.State.QUEUED, Digitisation.State.PROCESSING)
# A page takes about 5 s (DESIGN.md); a stuck run must not hold the OCR worker for ever.
OCR_START_SECONDS = 60
OCR_PAGE_SECONDS = 60


def topic(item: Digitisation) -> str:
    return f"service_point.{item.service_point_id}"


def start_digitisation(
    *,
    owner_id: str,
    owner_name: str,
    document_type: str,
    declared_pages: int | None,
    files: list[UploadedFile],
    point: ServicePoint,
    actor: Any,
    dossier: Dossier | None = None,
    requirement: str = "",
    key: str | None = None,
    batch: str = "",
    queue: bool = True,
    ip: str | None = None,
) -> Digitisation:
    """Queue one paper document for OCR. Every problem is reported at once and nothing is
    stored while any remains; `key` makes a repeated submission return the first item.
    `queue=False` leaves running the pipeline to the caller (a batch run does it itself)."""
    if key and (existing := Digitisation.objects.filter(submission_key=key).first()):
        return existing
    owner_id = owner_key(owner_id)
    found: dict[str, list[str]] = {}
    _check_owner(owner_id, owner_name, found)
    if document_type and document_type not in doctypes.DOCUMENT_TYPES:
        found.setdefault("document_type", []).append(_("Choose a document type from the list."))
    if dossier is not None and requirement not in {d["code"] for d in dossier.version.documents}:
        found.setdefault("requirement", []).append(
            _("Choose one of the documents of dossier %(code)s.") % {"code": dossier.code}
        )
    pages = _check_files(files, found)
    # None: not counted on paper (an archive's scans made earlier) — the scans' count stands.
    if declared_pages is not None and declared_pages < 1:
        found.setdefault("declared_pages", []).append(
            _("Count the pages of the paper document before scanning it.")
        )
    elif declared_pages is not None and pages and pages != declared_pages:
        found.setdefault("declared_pages", []).append(
            _(
                "You counted %(declared)s pages on paper but the scans hold %(scanned)s: "
                "every page must be scanned, in order."
            )
            % {"declared": declared_pages, "scanned": pages}
        )
    if found:
        raise MotcuaError(
            _("The scan has problems; nothing was stored. Please correct them."),
            code="invalid_scan",
            fields=found,
        )
    original = imaging.assemble([(upload.name, upload.data) for upload in files])
    try:
        with files_kept_only_on_commit() as written:
            return _create(
                owner_id=owner_id,
                owner_name=owner_name.strip(),
                document_type=document_type,
                pages=pages,
                original=original,
                names=[upload.name[:255] for upload in files],
                point=point,
                actor=actor,
                dossier=dossier,
                requirement=requirement,
                key=key,
                batch=batch,
                queue=queue,
                ip=ip,
                written=written,
            )
    except IntegrityError:
        # A concurrent retry with the same key committed first: answer with its item.
        if key and (existing := Digitisation.objects.filter(submission_key=key).first()):
            return existing
        raise


def _check_owner(owner_id: str, owner_name: str, found: dict[str, list[str]]) -> None:
    if not owner_name.strip():
        found.setdefault("owner_name", []).append(_("This field is required."))
    elif len(owner_name) > 200:
        found.setdefault("owner_name", []).append(_("At most %(n)d characters.") % {"n": 200})
    if TAX_CODE_RE.fullmatch(owner_id):
        return
    try:
        check_cccd(owner_id)
    except MotcuaError:
        found.setdefault("owner_id", []).append(
            _(
                "Enter the owner's 12-digit citizen identity number, or an organisation's "
                "tax code of 10 digits (branches: 10 digits, a hyphen and 3 digits)."
            )
        )


def _check_files(files: list[UploadedFile], found: dict[str, list[str]]) -> int:
    if not files:
        found.setdefault("files", []).append(_("Add the scanned pages."))
        return 0
    pages = 0
    for upload in files:
        try:
            pages += inspect_upload(upload.name, upload.data).pages
        except MotcuaError as error:
            found.setdefault("files", []).append(str(error.message))
    return pages


@transaction.atomic
def _create(
    *,
    owner_id: str,
    owner_name: str,
    document_type: str,
    pages: int,
    original: bytes,
    names: list[str],
    point: ServicePoint,
    actor: Any,
    dossier: Dossier | None,
    requirement: str,
    key: str | None,
    batch: str,
    queue: bool,
    ip: str | None,
    written: list[str],
) -> Digitisation:
    digest = hashlib.sha256(original).hexdigest()
    item = Digitisation(
        owner_id=owner_id,
        owner_name=owner_name,
        document_type=document_type,
        declared_pages=pages,
        pages_total=pages,
        service_point=point,
        created_by=staff_user(actor),
        dossier=dossier,
        requirement=requirement,
        original_names=names,
        original_sha256=digest,
        batch=batch,
        submission_key=key,
    )
    item.original.save(f"scan-{digest[:16]}.pdf", ContentFile(original), save=False)
    written.append(str(item.original.name))
    item.save()
    audit.record(
        actor=actor,
        action="digitisation.start",
        obj=item,
        case=dossier.code if dossier else "",
        new={"owner_id": owner_id, "pages": pages, "document_type": document_type},
        ip=ip,
    )
    if queue:
        _queue(item)
    return item


def _queue(item: Digitisation) -> None:
    from motcua.digitisation import tasks  # the jobs module imports these services

    enqueue_on_commit(tasks.process_digitisation, item.pk)
    transaction.on_commit(lambda: publish(topic(item), "digitisation.queued", {"id": item.pk}))


def run_pipeline(digitisation_id: int, *, jobs: int | None = None) -> None:
    """OCR → searchable PDF/A and text → the document type and its fields → review. A retried
    job starts the item over; a failure marks it failed with the reason, for a retry."""
    with transaction.atomic():
        item = Digitisation.objects.select_for_update().get(pk=digitisation_id)
        if item.state not in ACTIVE:
            return  # done, discarded or failed meanwhile
        item.state = Digitisation.State.PROCESSING
        item.pages_done = 0
        item.attempts += 1
        item.error = ""
        item.save()
    try:
        _read(item, jobs)
    except ocr.OcrFailed as failure:
        logger.warning("OCR of scan %s failed: %s", item.pk, failure.detail or failure.message)
        _fail(item, force_str(failure.message))
    except Exception:
        _fail(item, _("An unexpected error stopped the reading; retry it, or report it."))
        raise  # the job fails too, with the traceback on the jobs page


def _read(item: Digitisation, jobs: int | None) -> None:
    with item.original.open("rb") as stored:
        original = stored.read()
    try:
        output = ocr.run_ocr(
            original,
            jobs=jobs,
            on_progress=lambda done, _total: _progress(item, done),
            timeout=OCR_START_SECONDS + OCR_PAGE_SECONDS * item.pages_total,
        )
    except ocr.AlreadyHasText:
        # A born-digital PDF (or one OCRed by the scanner): its own text layer is kept, and
        # so is the file, as it is — rasterising it again would only lose quality.
        output = ocr.OcrOutput(
            pdf=original, text=imaging.pdf_text(original), pages=item.pages_total
        )
    type_code = item.document_type or doctypes.detect(output.text) or "other"
    card = _cccd_on(original) if type_code in ("cccd", "other") else None
    if card is not None:
        type_code = "cccd"
    fields = doctypes.extract(type_code, output.text)
    if card is not None:
        # The card's QR code holds the same data as its face, without OCR's misreadings.
        fields |= doctypes.card_values(card)
    with transaction.atomic():
        locked = Digitisation.objects.select_for_update().get(pk=item.pk)
        if locked.state != Digitisation.State.PROCESSING:
            return
        locked.searchable.save(
            f"scan-{locked.original_sha256[:16]}-ocr.pdf", ContentFile(output.pdf), save=False
        )
        locked.text = output.text
        locked.detected_type = type_code
        locked.fields = fields
        locked.cccd = _card_json(card) if card is not None else None
        locked.pages_done = output.pages
        locked.state = Digitisation.State.REVIEW
        locked.revision += 1
        locked.save()
        transaction.on_commit(
            lambda: publish(topic(locked), "digitisation.review", {"id": locked.pk})
        )


def _progress(item: Digitisation, done: int) -> None:
    # One short write a page, outside any transaction, so the station page can poll it.
    Digitisation.objects.filter(pk=item.pk, state=Digitisation.State.PROCESSING).update(
        pages_done=done
    )


def _cccd_on(pdf: bytes) -> CccdCard | None:
    payload = qr.find_cccd_qr(imaging.page_images(pdf, last=QR_PAGES))
    return parse_cccd_qr(payload) if payload is not None else None


def _card_json(card: CccdCard) -> dict[str, str]:
    # The card as the JSON column keeps it: ISO dates, "" for an issue date it does not give.
    return {
        name: value.isoformat() if isinstance(value, dt.date) else (value or "")
        for name, value in asdict(card).items()
    }


def _fail(item: Digitisation, reason: str) -> None:
    Digitisation.objects.filter(pk=item.pk).update(
        state=Digitisation.State.FAILED, error=reason[:2000], revision=F("revision") + 1
    )
    publish(topic(item), "digitisation.failed", {"id": item.pk})


def _locked(item: Digitisation, revision: int | None, allowed: Iterable[str]) -> Digitisation:
    locked = Digitisation.objects.select_for_update().get(pk=item.pk)
    _check(locked, revision, allowed)
    return locked


def _check(item: Digitisation, revision: int | None, allowed: Iterable[str]) -> None:
    if item.state not in allowed:
        raise Conflict(
            _("This scan is “%(state)s”: that cannot be done now.")
            % {"state": item.get_state_display()},
            code="illegal_transition",
        )
    if revision is not None and revision != item.revision:
        raise Conflict(
            _("This scan was changed meanwhile; reload the page and try again."),
            code="stale_digitisation",
        )


@transaction.atomic
def retry_digitisation(
    *, item: Digitisation, actor: Any, queue: bool = True, ip: str | None = None
) -> Digitisation:
    """Run a failed item's pipeline again (the scanned pages were kept); `queue=False` leaves
    running it to the caller."""
    locked = _locked(item, None, [Digitisation.State.FAILED])
    locked.state = Digitisation.State.QUEUED
    locked.error = ""
    locked.revision += 1
    locked.save()
    audit.record(actor=actor, action="digitisation.retry", obj=locked, ip=ip)
    if queue:
        _queue(locked)
    return locked


@transaction.atomic
def discard_digitisation(
    *, item: Digitisation, actor: Any, revision: int | None = None, ip: str | None = None
) -> Digitisation:
    """Drop a scan that will not be stored (the wrong paper, a bad scan to do again)."""
    allowed = [*ACTIVE, Digitisation.State.REVIEW, Digitisation.State.FAILED]
    locked = _locked(item, revision, allowed)
    locked.state = Digitisation.State.DISCARDED
    locked.revision += 1
    locked.save()
    audit.record(actor=actor, action="digitisation.discard", obj=locked, ip=ip)
    return locked


def confirm_digitisation(
    *,
    item: Digitisation,
    document_type: str,
    values: dict[str, str],
    actor: Any,
    revision: int | None = None,
    ip: str | None = None,
) -> StoredDocument:
    """The officer vouches that the e-copy matches the paper and that the fields are right:
    the searchable PDF/A is signed on the agency's behalf in the officer's name, stored in the
    owner's store, and attached to the dossier it was scanned for."""
    # Checked before the slow signing, and again under the lock when storing.
    item.refresh_from_db()
    _check(item, revision, [Digitisation.State.REVIEW])
    problems = {}
    if document_type not in doctypes.DOCUMENT_TYPES:
        problems["document_type"] = [_("Choose a document type from the list.")]
    else:
        problems.update(doctypes.field_problems(document_type, values))
    if problems:
        raise MotcuaError(
            _("Some fields are not right; nothing was stored. Please correct them."),
            code="invalid_fields",
            fields={f"fields.{name}": messages for name, messages in problems.items()},
        )
    agency = item.service_point.agency
    if agency is None:
        raise MotcuaError(
            _("The service point has no managing agency to sign the e-copy on behalf of."),
            code="no_signing_agency",
            status=409,
        )
    with item.searchable.open("rb") as stored:
        searchable = stored.read()
    signer = actor.get_full_name() or actor.get_username()
    signed = signing.sign_pdf(
        searchable,
        agency=agency,
        reason="Xác nhận bản điện tử khớp đúng với bản giấy",
        location=item.service_point.name,
        signer_name=signer,
    )
    with files_kept_only_on_commit() as written:
        return _store_scan(item, document_type, values, signed, actor, revision, ip, written)


@transaction.atomic
def _store_scan(
    item: Digitisation,
    document_type: str,
    values: dict[str, str],
    signed: bytes,
    actor: Any,
    revision: int | None,
    ip: str | None,
    written: list[str],
) -> StoredDocument:
    locked = _locked(item, revision, [Digitisation.State.REVIEW])
    identity = doctypes.identity_of(document_type, values)
    title = _title(document_type, identity.number)
    document = StoredDocument(
        owner_id=locked.owner_id,
        owner_name=locked.owner_name,
        province=locked.service_point.province,
        document_type=document_type,
        title=title,
        issuer=identity.issuer[:300],
        number=identity.number[:60],
        issued_on=_date(identity.issued_on),
        valid_until=_date(identity.valid_until),
        source=StoredDocument.Source.SCAN,
        fields=values,
        text=locked.text,
        search_text=store.searchable_text(locked.owner_name, title, identity.number, locked.text),
        pages=locked.pages_total,
        sha256=hashlib.sha256(signed).hexdigest(),
        service_point=locked.service_point,
        agency=locked.service_point.agency,
        verified_by=staff_user(actor),
        verified_at=timezone.now(),
    )
    document.file.save(f"{document.sha256[:16]}.pdf", ContentFile(signed), save=False)
    written.append(str(document.file.name))
    document.save()
    store.record_access(document, actor, DocumentAccess.Purpose.STORE, dossier=locked.dossier)
    if locked.dossier is not None:
        _attach_to_dossier(locked.dossier, locked.requirement, document, actor)
    locked.state = Digitisation.State.CONFIRMED
    locked.document = document
    locked.fields = values
    locked.revision += 1
    locked.save()
    audit.record(
        actor=actor,
        action="digitisation.confirm",
        obj=document,
        case=locked.dossier.code if locked.dossier else "",
        new={"document_type": document_type, "sha256": document.sha256, "owner": document.owner_id},
        ip=ip,
    )
    transaction.on_commit(lambda: publish(topic(locked), "digitisation.stored", {"id": locked.pk}))
    return document


def _title(document_type: str, number: str) -> str:
    name = doctypes.DOCUMENT_TYPES[document_type].name
    return (f"{name} số {number}" if number else name)[:300]


def _date(iso: str | None) -> dt.date | None:
    return dt.date.fromisoformat(iso) if iso else None


def _attach_to_dossier(
    dossier: Dossier, requirement: str, document: StoredDocument, actor: Any
) -> None:
    row = DossierDocument.objects.select_for_update().get(dossier=dossier, requirement=requirement)
    row.state = DossierDocument.State.SUBMITTED
    store.attach_copy(row, document)
    row.save()
    history.append_event(dossier, actor, "digitised", dossier.status, note=row.name)
