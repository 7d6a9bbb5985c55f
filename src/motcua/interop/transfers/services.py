"""Transfers of dossiers between motcua instances.

On the sending instance (A), `transfer_dossier` hands a received dossier over to a peer: the
dossier's event and the Transfer(out) are written in one transaction, and the transfer sink
(`motcua.interop.transfers.sink`) sends the signed envelope after commit, retried by the
outbox until the peer answers. `record_answer` stores the peer's signed answer: an ack with
its dossier code, or a rejection, after which A processes the dossier itself.

On the receiving instance (B), `receive_transfer` files the linked copy through the one intake
service, accepted at once at B's competent agency for the procedure, referencing the original
(origin_instance, origin_code: not counted by B's monitoring, not reported to the portal by
B), and answers with a signed ack; a dossier B cannot take gets a signed rejection. The
envelope id is the idempotency key: a repeated envelope gets the stored answer.

B's status changes of the linked copy flow back to A through the same sink; `receive_status`
applies each one once (by event id) through the processing services: the result (9) becomes
A's result, and A's receiving point returns it (10); supplement (5), financial obligation
(6), processing again (4) and stopped (8) are mirrored; the rest is recorded only.

The applicant deals with A only. B's supplement request becomes A's slip, B's financial
obligation A's payment; what the applicant then hands in or pays at A goes to B
(`forward_envelope`, `receive_forwarded`), where it supplements the linked copy or settles its
obligation, and B's processing goes on.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.core.errors import Conflict, MotcuaError, NotFound
from motcua.core.storage import files_kept_only_on_commit
from motcua.dossiers import processing, services
from motcua.dossiers.models import Channel, Dossier, Status
from motcua.interop.models import Peer, Transfer, TransferUpdate
from motcua.interop.transfers import content, envelope
from motcua.interop.transfers.envelope import EnvelopeError
from motcua.payments import selectors as payment_selectors
from motcua.payments import services as payments

TRANSFER, ACK, REJECTION, STATUS = "transfer", "ack", "rejection", "status"
SUPPLEMENT, OBLIGATION = "supplement", "obligation"
SUBMISSION_KEY_PREFIX = "transfer:"
MIRRORED = frozenset({Status.PROCESSING, Status.SUPPLEMENT, Status.FINANCIAL, Status.STOPPED})


# Sending (A) -------------------------------------------------------------------------------


@transaction.atomic
def transfer_dossier(
    *,
    dossier: Dossier,
    peer: Peer,
    actor: Any,
    note: str = "",
    revision: int | None = None,
    ip: str | None = None,
) -> Transfer:
    """Hand a received dossier over to another instance (authorised in `processing.hand_over`:
    the competent agency's leader)."""
    dossier = processing.lock(dossier, revision)
    if not peer.active:
        raise MotcuaError(
            _("This instance is not an active peer."), fields={"peer": [_("Choose a peer.")]}
        )
    if dossier.transfers.filter(
        direction=Transfer.Direction.OUT,
        state__in=(Transfer.State.PENDING, Transfer.State.ACKNOWLEDGED),
    ).exists():
        raise Conflict(_("This dossier was already transferred."), code="already_transferred")
    size = dossier.documents.aggregate(total=Sum("size"))["total"] or 0
    if size > content.MAX_DOCUMENTS_BYTES:
        raise Conflict(
            _("The dossier's documents are too large to transfer (%(mb)d MB at most).")
            % {"mb": content.MAX_DOCUMENTS_BYTES // (1024 * 1024)},
            code="too_large",
        )
    note = (note or "").strip()[:1000]
    transfer = Transfer.objects.create(
        direction=Transfer.Direction.OUT, peer=peer, dossier=dossier, note=note
    )
    # Appends the "transferred" event, whose outbox delivery sends the envelope.
    processing.hand_over(dossier, actor, peer.name, note, ip)
    return transfer


def transfer_envelope(transfer: Transfer) -> tuple[str, list[content.Blob]]:
    assert transfer.dossier is not None
    body, blobs = content.dossier_body(transfer.dossier)
    body |= {"envelope_id": str(transfer.envelope_id), "sent_at": content.iso(timezone.now())}
    return envelope.seal(TRANSFER, transfer.peer.base_url, body), blobs


@transaction.atomic
def record_answer(*, transfer: Transfer, token: str) -> Transfer:
    """Store the peer's signed answer to a transfer (once: a repeated answer changes
    nothing)."""
    transfer = Transfer.objects.select_for_update().select_related("peer").get(pk=transfer.pk)
    peer, answer = envelope.open_envelope(token, frozenset({ACK, REJECTION}), peer=transfer.peer)
    if answer.get("envelope_id") != str(transfer.envelope_id):
        raise EnvelopeError(_("The answer is for another envelope."), code="wrong_envelope")
    if transfer.state != Transfer.State.PENDING:
        return transfer
    transfer.answer, transfer.answered_at = token, timezone.now()
    if answer["kind"] == ACK:
        transfer.state = Transfer.State.ACKNOWLEDGED
        transfer.remote_code = str(answer["dossier"])
    else:
        transfer.state = Transfer.State.REJECTED
        transfer.error = str(answer.get("detail", ""))
        assert transfer.dossier is not None
        processing.take_back(
            processing.lock(transfer.dossier), f"{peer.name}: {transfer.error}".strip(), peer.name
        )
    transfer.save()
    return transfer


# Receiving (B) -----------------------------------------------------------------------------


def receive_transfer(*, token: str, parts: dict[str, bytes]) -> str:
    """File the linked copy of a peer's dossier; the signed answer (ack or rejection)."""
    peer, body = envelope.open_envelope(token, frozenset({TRANSFER}))
    envelope_id = _uuid(body.get("envelope_id"))
    known = _answered(envelope_id, peer)
    if known is not None:
        return known
    try:
        blobs = content.checked_parts(list(body["documents"]), parts)
        submission = content.submission_of(body, blobs, peer.base_url)
    except (KeyError, TypeError, ValueError) as error:
        raise _malformed() from error
    try:
        try:
            with transaction.atomic():
                dossier = services.submit_dossier(
                    submission=submission,
                    channel=Channel.API,
                    key=SUBMISSION_KEY_PREFIX + str(envelope_id),
                    outcome=services.Outcome(services.ACCEPT),
                )
                return _answer(peer, envelope_id, body, dossier=dossier)
        except MotcuaError as refusal:
            if refusal.code == "not_found":
                refusal = MotcuaError(
                    _("This instance does not offer procedure %(code)s.")
                    % {"code": submission.procedure_code},
                    code="unknown_procedure",
                )
            with transaction.atomic():
                return _answer(peer, envelope_id, body, refusal=refusal)
    except IntegrityError:
        # The same envelope, received twice at once: the first one's answer stands.
        answered = _answered(envelope_id, peer)
        if answered is None:
            raise
        return answered


def _uuid(value: object) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError as error:
        raise EnvelopeError(
            _("The envelope has no valid id."), code="malformed", status=400
        ) from error


def _malformed() -> EnvelopeError:
    return EnvelopeError(_("The envelope's payload is malformed."), code="malformed", status=400)


def _applied_before(event_id: uuid.UUID) -> dict[str, Any] | None:
    """The answer to a peer event applied already (a redelivery), or None."""
    if TransferUpdate.objects.filter(event_id=event_id).exists():
        return {"event_id": str(event_id), "duplicate": True}
    return None


def _answered(envelope_id: uuid.UUID, peer: Peer) -> str | None:
    known = Transfer.objects.filter(direction=Transfer.Direction.IN, envelope_id=envelope_id)
    found = known.first()
    if found is None:
        return None
    if found.peer_id != peer.pk:
        raise EnvelopeError(_("This envelope id belongs to another peer."), code="wrong_envelope")
    return found.answer


def _answer(
    peer: Peer,
    envelope_id: uuid.UUID,
    body: dict[str, Any],
    *,
    dossier: Dossier | None = None,
    refusal: MotcuaError | None = None,
) -> str:
    now = timezone.now()
    signed: dict[str, Any] = {"envelope_id": str(envelope_id), "at": content.iso(now)}
    if dossier is not None:
        kind = ACK
        signed |= {"dossier": dossier.code, "status": dossier.status}
    else:
        assert refusal is not None
        kind = REJECTION
        signed |= refusal.as_dict()
    token = envelope.seal(kind, peer.base_url, signed)
    Transfer.objects.create(
        direction=Transfer.Direction.IN,
        envelope_id=envelope_id,
        peer=peer,
        dossier=dossier,
        remote_code=str(body["dossier"]["code"]),
        state=Transfer.State.ACKNOWLEDGED if dossier else Transfer.State.REJECTED,
        error=str(signed.get("detail", "")),
        payload=body,
        answer=token,
        answered_at=now,
    )
    return token


def status_envelope(event: Any) -> tuple[str, list[content.Blob]]:
    """The signed status change of a linked copy, for its original's instance; the result
    document travels with the result (9). Raises Conflict while the result is being signed."""
    transfer = (
        Transfer.objects.select_related("peer")
        .filter(direction=Transfer.Direction.IN, dossier_id=event.dossier_id)
        .get()
    )
    data = event.data
    body: dict[str, Any] = {
        "event_id": str(event.event_id),
        "envelope_id": str(transfer.envelope_id),
        "dossier": transfer.remote_code,
        "remote_dossier": event.subject,
        "status": data["status"],
        "action": data["action"],
        "note": data["note"],
        "at": content.iso(event.time),
    }
    blobs = []
    if data["status"] == Status.FINANCIAL:
        owed = payment_selectors.open_payment(processing.obligation_reference(event.dossier))
        if owed is not None:
            body["obligation"] = {"amount": owed.amount, "purpose": owed.purpose}
    if data["status"] == Status.PROCESSED:
        result = event.dossier.result
        if result.signed_at is None:
            raise Conflict(_("The result is still being signed."), code="result_unsigned")
        body["result"], part = content.result_body(result)
        blobs.append(part)
    return envelope.seal(STATUS, transfer.peer.base_url, body), blobs


# Status back (A) ---------------------------------------------------------------------------


def receive_status(*, token: str, parts: dict[str, bytes]) -> dict[str, Any]:
    """Apply a peer's status change to the dossier transferred to it, once per event."""
    peer, body = envelope.open_envelope(token, frozenset({STATUS}))
    event_id = _uuid(body.get("event_id"))
    applied_before = _applied_before(event_id)
    if applied_before is not None:
        return applied_before
    try:
        result = body.get("result")
        blobs = content.checked_parts([result] if result else [], parts)
        with files_kept_only_on_commit() as written, transaction.atomic():
            applied = _apply_status(peer, body, event_id, blobs, written)
    except IntegrityError:
        # The same event, received twice at once: the first one applied it.
        applied_before = _applied_before(event_id)
        if applied_before is None:
            raise
        return applied_before
    except (KeyError, TypeError, ValueError) as error:
        raise _malformed() from error
    return {"event_id": str(event_id), "duplicate": False, "applied": applied}


def _apply_status(
    peer: Peer,
    body: dict[str, Any],
    event_id: uuid.UUID,
    blobs: dict[str, bytes],
    written: list[str],
) -> str:
    transfer = (
        Transfer.objects.select_for_update()
        .filter(direction=Transfer.Direction.OUT, peer=peer, envelope_id=_uuid(body["envelope_id"]))
        .first()
    )
    if transfer is None or transfer.dossier is None or transfer.state == Transfer.State.REJECTED:
        raise NotFound(_("No dossier was transferred to you with this envelope."))
    if transfer.state == Transfer.State.PENDING:
        # The ack was lost on its way here; the peer's dossier code comes with its statuses.
        transfer.state = Transfer.State.ACKNOWLEDGED
        transfer.answered_at = timezone.now()
    transfer.remote_code = str(body["remote_dossier"])
    transfer.save()
    dossier = processing.lock(transfer.dossier)
    status = int(body["status"])
    note = f"{peer.name} — {body['remote_dossier']}: {body.get('note') or body['action']}"
    applied = ""
    if status == Status.PROCESSED and body.get("result") and dossier.status == Status.PROCESSING:
        result = body["result"]
        remote = processing.RemoteResult(
            kind=str(result["kind"]),
            number=str(result["number"]),
            title=str(result["title"]),
            reasons=[str(reason) for reason in result["reasons"]],
            agency_code=str(result["agency"]),
            approved_at=dt.datetime.fromisoformat(result["approved_at"]),
            signed_at=dt.datetime.fromisoformat(result["signed_at"]),
            by=peer.name,
        )
        stored = processing.take_remote_result(dossier, remote, blobs[result["sha256"]], note)
        written.append(str(stored.pdf.name))
        applied = "result"
    elif status in MIRRORED and processing.mirror_remote_status(
        dossier, _remote_status(peer, body, note)
    ):
        applied = "status"
    TransferUpdate.objects.create(
        transfer=transfer, event_id=event_id, status=status, action=body["action"], applied=applied
    )
    return applied


def _remote_status(peer: Peer, body: dict[str, Any], note: str) -> processing.RemoteStatus:
    obligation = body.get("obligation")
    return processing.RemoteStatus(
        by=peer.name,
        status=int(body["status"]),
        action=str(body["action"]),
        note=note,
        items=str(body.get("note") or "").splitlines(),
        obligation=(int(obligation["amount"]), str(obligation["purpose"])) if obligation else None,
    )


# The applicant's answers (A to B) --------------------------------------------------------------


def forward_envelope(event: Any, transfer: Transfer) -> tuple[str, list[content.Blob]]:
    """What the applicant did at A for B's request, for B (A's event): the documents handed
    in for a supplement ("supplemented"), or the financial obligation's settlement
    ("financial_obligation_met")."""
    dossier = transfer.dossier
    assert dossier is not None
    body: dict[str, Any] = {
        "event_id": str(event.event_id),
        "envelope_id": str(transfer.envelope_id),
        "dossier": transfer.remote_code,
        "original": dossier.code,
        "status": event.data["status"],
        "action": event.data["action"],
        "at": content.iso(event.time),
    }
    blobs: list[content.Blob] = []
    if event.data["action"] == "supplemented":
        kind = SUPPLEMENT
        codes = services.supplemented_documents(event.data["note"])
        body["documents"], body["on_paper"], blobs = content.documents_of(dossier, codes)
    else:
        kind = OBLIGATION
        payment = payment_selectors.settled_payment(processing.obligation_reference(dossier))
        if payment is None:
            raise Conflict(_("The financial obligation is not settled."), code="not_settled")
        body["payment"] = {
            "id": payment.pk,
            "amount": payment.amount,
            "status": payment.status,
            "method": payment.method,
            "reason": payment.exemption_reason,
            "settled_at": content.iso(payment.settled_at),
        }
    return envelope.seal(kind, transfer.peer.base_url, body), blobs


def receive_forwarded(*, token: str, parts: dict[str, bytes]) -> dict[str, Any]:
    """Apply to the linked copy what its original's applicant did, once per event: a
    supplement, or the financial obligation settled. The copy's processing goes on, and its
    new status flows back as any other."""
    peer, body = envelope.open_envelope(token, frozenset({SUPPLEMENT, OBLIGATION}))
    event_id = _uuid(body.get("event_id"))
    applied_before = _applied_before(event_id)
    if applied_before is not None:
        return applied_before
    try:
        apply = _forwarded(peer, body, parts)
        action = str(body["action"])
        transfer = (
            Transfer.objects.filter(
                direction=Transfer.Direction.IN, peer=peer, envelope_id=_uuid(body["envelope_id"])
            )
            .exclude(dossier=None)
            .first()
        )
        peer_status = int(body["status"])
    except (KeyError, TypeError, ValueError) as error:
        raise _malformed() from error
    if transfer is None or transfer.dossier is None:
        raise NotFound(_("No dossier was transferred here with this envelope."))
    try:
        with transaction.atomic():
            # Claimed first: a concurrent copy of this envelope fails here, before any file
            # is written.
            TransferUpdate.objects.create(
                transfer=transfer,
                event_id=event_id,
                status=peer_status,
                action=action,
                applied=body["kind"],
            )
            copy = apply(transfer.dossier)
    except IntegrityError:
        # The same event, received twice at once: the first one applied it.
        applied_before = _applied_before(event_id)
        if applied_before is None:
            raise
        return applied_before
    return {"event_id": str(event_id), "duplicate": False, "status": copy.status}


def _forwarded(
    peer: Peer, body: dict[str, Any], parts: dict[str, bytes]
) -> Callable[[Dossier], Dossier]:
    """How the envelope applies to the copy, its payload read and checked first."""
    if body["kind"] == SUPPLEMENT:
        files = content.files_of(body, content.checked_parts(list(body["documents"]), parts))
        on_paper = frozenset(str(code) for code in body["on_paper"])
        return lambda copy: services.supplement_dossier(
            dossier=copy, files=files, on_paper=on_paper
        )
    settled = body["payment"]
    amount, status, method = int(settled["amount"]), str(settled["status"]), str(settled["method"])
    receipt = f"{body['original']}#{int(settled['id'])}"

    def settle(copy: Dossier) -> Dossier:
        payment = payment_selectors.open_payment(processing.obligation_reference(copy))
        if payment is None:
            raise Conflict(_("No financial obligation is owed for this dossier."), code="not_owed")
        payments.record_settled_elsewhere(
            payment=payment,
            amount=amount,
            status=status,
            method=method,
            reason=str(settled.get("reason") or ""),
            provider=f"motcua:{peer.pk}",
            receipt=receipt,
        )
        return Dossier.objects.get(pk=copy.pk)

    return settle
