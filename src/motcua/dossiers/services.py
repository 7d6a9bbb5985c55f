"""Writes to dossiers at intake: one service per action, for every channel.

`submit_dossier` files a dossier (online it waits as "newly registered" for an officer; at the
counter the officer decides at once); `accept_dossier`, `request_supplement` and `refuse_dossier`
are the three outcomes of the check at receipt, each issuing its slip; `supplement_dossier` adds
what was asked for. Each action is one transaction that locks the dossier row, checks its state,
appends an event and an audit row; slips are rendered and notifications sent after commit.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.catalogue import selectors as catalogue
from motcua.catalogue.fees import compute_fee
from motcua.catalogue.models import ProcedureVersion
from motcua.core import audit
from motcua.core.access import staff_user
from motcua.core.errors import Conflict, MotcuaError
from motcua.core.events import publish
from motcua.core.storage import files_kept_only_on_commit
from motcua.digitisation import selectors as store_selectors
from motcua.digitisation import store as document_store
from motcua.digitisation.models import StoredDocument
from motcua.dossiers import deadlines, history, notices, processing, routing
from motcua.dossiers.intake import (
    CheckedFile,
    Submission,
    UploadedFile,
    VerifiedIdentity,
    check_submission,
    check_supplement,
    missing_documents,
    verified_hash,
    verified_values,
)
from motcua.dossiers.models import Channel, Dossier, DossierDocument, Slip, Status
from motcua.dossiers.numbering import next_code
from motcua.organisation.models import ServicePoint
from motcua.payments import services as payments
from motcua.workcalendar.selectors import calendar_for

ACCEPT, SUPPLEMENT, REFUSE = "accept", "supplement", "refuse"
# The states in which the check at receipt may still decide.
AWAITING_RECEIPT = {Status.NEW, Status.SUPPLEMENT}


@dataclass(frozen=True)
class Outcome:
    """An officer's decision at receipt: accept, or ask for a supplement or refuse with items
    (what is missing and why, or the reasons for refusal)."""

    decision: str
    items: tuple[str, ...] = ()
    revision: int | None = None


def submit_dossier(
    *,
    submission: Submission,
    channel: str,
    actor: Any = None,
    point: ServicePoint | None = None,
    key: str | None = None,
    outcome: Outcome | None = None,
    ip: str | None = None,
) -> Dossier:
    """File a dossier. `point` is the receiving service point (None online: the routing picks
    it). `key` makes a retried submission return the first dossier instead of a second one."""
    if key:
        existing = Dossier.objects.filter(submission_key=key).first()
        if existing is not None:
            return existing
    version = catalogue.offered_procedure(submission.procedure_code)
    province_code = _province_code(point)
    reused = _reusable(submission, version, channel, province_code)
    files = check_submission(submission, version, channel, frozenset(reused))
    route = routing.route(
        version=version,
        data=submission.data,
        commune_code=submission.commune_code,
        point=point,
        province_code=province_code,
    )
    try:
        with files_kept_only_on_commit() as written:
            return _file(
                submission,
                version,
                channel,
                route,
                files,
                reused,
                actor,
                key,
                outcome,
                ip,
                written,
            )
    except IntegrityError:
        # A concurrent retry with the same key committed first: answer with its dossier.
        if key and (existing := Dossier.objects.filter(submission_key=key).first()):
            return existing
        raise


def _province_code(point: ServicePoint | None) -> str:
    """The province a submission is filed in: the point's, or this deployment's online."""
    return point.province.code if point is not None else settings.PROVINCE_CODE


@transaction.atomic
def _file(
    submission: Submission,
    version: ProcedureVersion,
    channel: str,
    route: routing.Route,
    files: dict[str, CheckedFile],
    reused: dict[str, StoredDocument],
    actor: Any,
    key: str | None,
    outcome: Outcome | None,
    ip: str | None,
    written: list[str],
) -> Dossier:
    now = timezone.now()
    point = route.receiving_point
    applicant = submission.applicant
    dossier = Dossier.objects.create(
        code=next_code(route.receiving_agency, now),
        procedure=version.procedure,
        version=version,
        channel=channel,
        status=Status.NEW,
        province=point.province,
        receiving_point=point,
        receiving_agency=route.receiving_agency,
        competent_agency=route.competent_agency,
        commune=route.commune,
        applicant_name=applicant.name.strip(),
        applicant_id_number=applicant.id_number.replace(" ", ""),
        applicant_birth_date=applicant.birth_date,
        applicant_address=applicant.address.strip(),
        applicant_phone=applicant.phone.strip(),
        applicant_email=applicant.email.strip(),
        data=submission.data,
        # A linked copy's fee was collected by the original's instance.
        fee_amount=None if submission.origin_code else fee_for(version, submission.data, channel),
        submitted_at=now,
        submitted_by=staff_user(actor),
        check_due_at=deadlines.check_due_at(channel, now, calendar_for(point.province.code)),
        queue_ticket=submission.queue_ticket,
        submission_key=key,
        origin_instance=submission.origin_instance,
        origin_code=submission.origin_code,
        **_identity_fields(submission.identity),
    )
    _store_documents(dossier, version, files, submission.on_paper, reused, written)
    history.append_event(dossier, actor, "submitted", None, at=now)
    audit.record(
        actor=actor,
        action="dossier.submit",
        obj=dossier,
        case=dossier.code,
        new={"channel": channel, "procedure": version.procedure.code, "version": version.number},
        ip=ip,
    )
    if outcome is not None:
        # Decided at once: the decision's own live event tells the point's screens.
        return decide(dossier=dossier, outcome=outcome, actor=actor, ip=ip)
    publish(f"service_point.{point.pk}", "dossier.submitted", {"code": dossier.code})
    return dossier


def fee_for(version: ProcedureVersion, data: dict[str, Any], channel: str) -> int | None:
    """The fee of a dossier filed under `version` with the form `data` through `channel`."""
    fee = version.fee
    pages = int(data.get(fee.get("pages_field", ""), 1) or 1)
    copies = int(data.get(fee.get("copies_field", ""), 1) or 1)
    return compute_fee(fee, pages=pages, copies=copies, online=channel == Channel.ONLINE)


def _identity_fields(identity: VerifiedIdentity | None) -> dict[str, Any]:
    """What an e-ID login leaves on the dossier: who vouched, at which level, the digest of the
    verified fields, and who filed for whom."""
    if identity is None:
        return {}
    representation = identity.representation
    return {
        "eid_subject": identity.subject,
        "eid_level": identity.level,
        "verified_hash": verified_hash(
            identity.subject, identity.level, verified_values(identity.applicant)
        ),
        "representation": dataclasses.asdict(representation) if representation else {},
    }


def _store_documents(
    dossier: Dossier,
    version: ProcedureVersion,
    files: dict[str, CheckedFile],
    on_paper: frozenset[str],
    reused: dict[str, StoredDocument],
    written: list[str],
) -> None:
    rows = []
    for document in version.documents:
        code = document["code"]
        row = DossierDocument(
            dossier=dossier,
            requirement=code,
            name=document["name"],
            form=document["form"],
            count=document["count"],
            state=_state_of(document, code in files or code in on_paper),
        )
        _attach(row, files.get(code), written)
        if code in reused:
            row.state = DossierDocument.State.REUSED
            document_store.attach_copy(row, reused[code])
        rows.append(row)
    DossierDocument.objects.bulk_create(rows)
    document_store.record_reuse(dossier=dossier, documents=reused.values())


def _reusable(
    submission: Submission, version: ProcedureVersion, channel: str, province_code: str
) -> dict[str, StoredDocument]:
    """The store's valid copies of the documents the applicant did not hand in: asking for
    them again is prohibited (NĐ 118/2025 Đ5), so the dossier takes them. Only where someone
    has checked who the applicant is: staff at the counter, or an e-ID login online (an
    anonymous filer could type anyone's number)."""
    if channel == Channel.ONLINE and submission.identity is None:
        return {}
    handed_in = set(submission.files) | submission.on_paper
    return store_selectors.reusable_documents(
        [document for document in version.documents if document["code"] not in handed_in],
        submission.applicant.id_number.replace(" ", ""),
        province_code=province_code,
        on=timezone.localdate(),
    )


def _state_of(document: dict[str, Any], handed_in: bool) -> str:
    if handed_in:
        return DossierDocument.State.SUBMITTED
    if document.get("replaced_by", "document_store") != "document_store":
        # Read from a national database instead (NQ 66.7/2025); a copy in the document store
        # is only taken when there is one (_reusable).
        return DossierDocument.State.REPLACED
    return DossierDocument.State.MISSING


def _attach(row: DossierDocument, checked: CheckedFile | None, written: list[str]) -> None:
    if checked is None:
        return
    facts = checked.facts
    name = f"{row.requirement}-{facts.sha256[:12]}{facts.extension}"
    row.file.save(name, ContentFile(checked.upload.data), save=False)
    written.append(str(row.file.name))
    row.original_name = checked.upload.name[:255]
    row.content_type = facts.content_type
    row.size = facts.size
    row.pages = facts.pages
    row.sha256 = facts.sha256


def decide(*, dossier: Dossier, outcome: Outcome, actor: Any, ip: str | None = None) -> Dossier:
    action = {ACCEPT: accept_dossier, SUPPLEMENT: request_supplement, REFUSE: refuse_dossier}.get(
        outcome.decision
    )
    if action is None:
        raise MotcuaError(_("Choose accept, supplement or refuse."), code="invalid_decision")
    return action(
        dossier=dossier, items=outcome.items, revision=outcome.revision, actor=actor, ip=ip
    )


def _locked(dossier: Dossier, revision: int | None) -> Dossier:
    locked = processing.lock(dossier, revision)
    # A supplement asked for after receipt (5 with a receipt) is no check at receipt.
    if locked.status not in AWAITING_RECEIPT or locked.received_at is not None:
        raise Conflict(
            _("Dossier %(code)s is “%(status)s”: it is no longer waiting for the check at receipt.")
            % {"code": locked.code, "status": locked.get_status_display()},
            code="illegal_transition",
        )
    return locked


def _move(dossier: Dossier, to: Status, actor: Any, action: str, note: str = "") -> None:
    before = dossier.status
    now = timezone.now()
    dossier.status = to
    dossier.revision += 1
    dossier.save()
    history.append_event(dossier, actor, action, before, at=now, note=note)
    publish(
        f"service_point.{dossier.receiving_point_id}", f"dossier.{action}", {"code": dossier.code}
    )
    notices.tell_applicant(dossier, action)


def _handed_in(dossier: Dossier) -> set[str]:
    """The requirements handed in or replaced by shared data."""
    documents = dossier.documents.exclude(state=DossierDocument.State.MISSING)
    return set(documents.values_list("requirement", flat=True))


def _clean_items(items: tuple[str, ...] | list[str]) -> list[str]:
    cleaned = [item.strip() for item in items if item and item.strip()]
    if any(len(item) > 500 for item in cleaned):
        raise MotcuaError(
            _("Each item is at most 500 characters."),
            code="invalid",
            fields={"items": [_("At most %(n)d characters.") % {"n": 500}]},
        )
    return cleaned


@transaction.atomic
def accept_dossier(
    *,
    dossier: Dossier,
    actor: Any,
    items: tuple[str, ...] = (),
    revision: int | None = None,
    ip: str | None = None,
) -> Dossier:
    """The dossier is complete: receive it, set its due instant, issue the receipt. (`items`
    is there so that every decision takes the same arguments: a receipt lists nothing.)"""
    dossier = _locked(dossier, revision)
    missing = missing_documents(dossier.version, _handed_in(dossier))
    if missing:
        raise Conflict(
            _("The dossier is incomplete (%(names)s): request a supplement instead.")
            % {"names": "; ".join(document["name"] for document in missing)},
            code="incomplete_dossier",
        )
    now = timezone.now()
    calendar = calendar_for(dossier.province.code)
    dossier.received_at = now
    dossier.received_by = staff_user(actor)
    dossier.due_at = deadlines.due_at(dossier.version.time, now, calendar)
    processing.start_processing(dossier, actor, now, calendar)
    _move(dossier, Status.RECEIVED, actor, "received")
    history.issue_slip(dossier, Slip.Kind.RECEIPT, actor, [])
    if dossier.fee_amount:
        payments.create_payment(
            reference=dossier.code,
            purpose=_("Fee for dossier %(code)s") % {"code": dossier.code},
            amount=dossier.fee_amount,
            actor=actor,
        )
    audit.record(
        actor=actor,
        action="dossier.accept",
        obj=dossier,
        case=dossier.code,
        new={"due_at": dossier.due_at},
        ip=ip,
    )
    return dossier


SLIP_OF = {Status.SUPPLEMENT: Slip.Kind.SUPPLEMENT, Status.NOT_RECEIVED: Slip.Kind.REFUSAL}


def _conclude(
    dossier: Dossier, to: Status, action: str, items: list[str], actor: Any, ip: str | None
) -> Dossier:
    """A check at receipt that ends with a slip listing `items`: move, issue, audit."""
    _move(dossier, to, actor, action, "\n".join(items))
    history.issue_slip(dossier, SLIP_OF[to], actor, items)
    audit.record(
        actor=actor,
        action=f"dossier.{action}",
        obj=dossier,
        case=dossier.code,
        new={"items": items},
        ip=ip,
    )
    return dossier


@transaction.atomic
def request_supplement(
    *,
    dossier: Dossier,
    actor: Any,
    items: tuple[str, ...] = (),
    revision: int | None = None,
    ip: str | None = None,
) -> Dossier:
    """Ask for everything missing at once: every mandatory document not handed in, plus the
    officer's own items."""
    dossier = _locked(dossier, revision)
    # Slips are Vietnamese legal documents, whatever language the officer's screen is in.
    listed = [
        f"{document['name']} (chưa có trong hồ sơ)"
        for document in missing_documents(dossier.version, _handed_in(dossier))
    ]
    listed += _clean_items(items)
    if not listed:
        raise MotcuaError(
            _("Say what must be supplemented: nothing is missing from the checklist."),
            code="no_items",
            fields={"items": [_("List at least one item.")]},
        )
    return _conclude(dossier, Status.SUPPLEMENT, "supplement_requested", listed, actor, ip)


@transaction.atomic
def refuse_dossier(
    *,
    dossier: Dossier,
    actor: Any,
    items: tuple[str, ...] = (),
    revision: int | None = None,
    ip: str | None = None,
) -> Dossier:
    """Refuse to receive the dossier, with the reasons (each on the refusal slip)."""
    dossier = _locked(dossier, revision)
    reasons = _clean_items(items)
    if not reasons:
        raise MotcuaError(
            _("A refusal must give its reasons."),
            code="no_items",
            fields={"items": [_("List at least one reason.")]},
        )
    return _conclude(dossier, Status.NOT_RECEIVED, "refused", reasons, actor, ip)


def supplement_dossier(
    *,
    dossier: Dossier,
    files: dict[str, UploadedFile],
    on_paper: frozenset[str] = frozenset(),
    actor: Any = None,
    ip: str | None = None,
) -> Dossier:
    """Add what a supplement request asked for (files online, papers at the counter); the
    dossier goes back to the check at receipt."""
    checked = check_supplement(dossier, files, on_paper)
    with files_kept_only_on_commit() as written:
        return _supplement(dossier, checked, on_paper, actor, ip, written)


# A "supplemented" event's note lists the documents it added, by code.
SUPPLEMENTED_SEPARATOR = ", "


def supplemented_documents(event_note: str) -> list[str]:
    """The codes of the documents a "supplemented" event added."""
    return [code for code in event_note.split(SUPPLEMENTED_SEPARATOR) if code]


@transaction.atomic
def _supplement(
    dossier: Dossier,
    checked: dict[str, CheckedFile],
    on_paper: frozenset[str],
    actor: Any,
    ip: str | None,
    written: list[str],
) -> Dossier:
    dossier = processing.lock(dossier)
    if dossier.status != Status.SUPPLEMENT:
        raise Conflict(
            _("Dossier %(code)s is “%(status)s”: no supplement was asked for.")
            % {"code": dossier.code, "status": dossier.get_status_display()},
            code="illegal_transition",
        )
    added = sorted(set(checked) | on_paper)
    rows = {row.requirement: row for row in dossier.documents.all()}
    for code in added:
        row = rows[code]
        row.state = DossierDocument.State.SUBMITTED
        _attach(row, checked.get(code), written)
        row.save()
    note = SUPPLEMENTED_SEPARATOR.join(added)
    if dossier.received_at is None:
        # Asked for at the check at receipt: the dossier goes back to that check.
        _move(dossier, Status.NEW, actor, "supplemented", note)
    else:
        # Asked for during the appraisal: processing goes on, its time counted from zero.
        processing.restart_after_supplement(dossier, actor, timezone.now())
        _move(dossier, Status.PROCESSING, actor, "supplemented", note)
    audit.record(
        actor=actor,
        action="dossier.supplement",
        obj=dossier,
        case=dossier.code,
        new={"documents": added},
        ip=ip,
    )
    return dossier
