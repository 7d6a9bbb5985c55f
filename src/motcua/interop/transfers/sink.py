"""Transfers as an outbox destination, ordered per dossier.

A dossier's "transferred" event sends its transfer envelope to the peer (target
"envelope:<id>"); every status change of a linked copy goes back to the instance of its
original (target "peer:<id>"), in order, so that the original replays the copy's statuses as
they happened; what the applicant does for a dossier sent out (a supplement handed in, a
financial obligation settled) goes to the peer after the dossier itself (target
"forward:<id>").
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import httpx

from motcua.core.errors import Conflict
from motcua.dossiers import processing
from motcua.dossiers.models import Dossier
from motcua.interop import sinks
from motcua.interop.models import OutboxEvent, Peer, Transfer
from motcua.interop.sinks import DeliveryError
from motcua.interop.transfers import content, services
from motcua.interop.transfers.envelope import EnvelopeError

ENVELOPE, PEER, FORWARD = "envelope:", "peer:", "forward:"
# The applicant's answers to the peer's requests, given here.
FORWARDED = frozenset({"supplemented", "financial_obligation_met"})
# A linked copy's filing and receipt are its ack: the original's instance has them already.
CREATION = frozenset({"submitted", "received"})
TIMEOUT = httpx.Timeout(30.0, connect=5.0)
# Refusals of the request itself: sending the same envelope again cannot succeed.
FINAL_STATUSES = frozenset({400, 401, 403, 404, 409, 413, 422})


class TransferSink:
    name = "transfer"
    ordered = True

    def targets(self, event: OutboxEvent) -> Iterable[str]:
        data = event.data
        dossier = event.dossier
        if data["action"] == "transferred" and not dossier.origin_code:
            envelope_id = _sent_out(dossier, (Transfer.State.PENDING,))
            return [f"{ENVELOPE}{envelope_id}"] if envelope_id else []
        if data["action"] in FORWARDED and data["step"] == processing.TRANSFERRED_STEP:
            envelope_id = _sent_out(dossier, (Transfer.State.PENDING, Transfer.State.ACKNOWLEDGED))
            return [f"{FORWARD}{envelope_id}"] if envelope_id else []
        changed = data["from_status"] is not None and data["from_status"] != data["status"]
        if dossier.origin_code and changed and data["action"] not in CREATION:
            peer = (
                Peer.objects.filter(base_url=dossier.origin_instance)
                .values_list("pk", flat=True)
                .first()
            )
            return [f"{PEER}{peer}"] if peer else []
        return []

    def send(self, event: OutboxEvent, target: str) -> None:
        if target.startswith(ENVELOPE):
            send_transfer(uuid.UUID(target.removeprefix(ENVELOPE)))
        elif target.startswith(FORWARD):
            send_forwarded(event, uuid.UUID(target.removeprefix(FORWARD)))
        else:
            send_status(event)


def _sent_out(dossier: Dossier, states: tuple[str, ...]) -> uuid.UUID | None:
    """The envelope id of the dossier's newest transfer out in one of `states`."""
    found: uuid.UUID | None = (
        Transfer.objects.filter(dossier=dossier, direction=Transfer.Direction.OUT, state__in=states)
        .order_by("-pk")
        .values_list("envelope_id", flat=True)
        .first()
    )
    return found


def send_transfer(envelope_id: uuid.UUID) -> None:
    transfer = Transfer.objects.select_related("peer", "dossier").get(
        direction=Transfer.Direction.OUT, envelope_id=envelope_id
    )
    if transfer.state != Transfer.State.PENDING:
        return  # answered already: this is a redelivery
    token, blobs = services.transfer_envelope(transfer)
    answer = post(transfer.peer, "/interop/transfers/inbox", token, blobs)
    try:
        services.record_answer(transfer=transfer, token=str(answer["envelope"]))
    except (KeyError, EnvelopeError) as error:
        # The peer's keys changed, or it is not the instance registered: an administrator
        # updates the peer (transfer_peer add) and replays the dead letter.
        message = f"The peer's answer does not verify: {error}"
        raise DeliveryError(message, retryable=False) from error


def send_status(event: OutboxEvent) -> None:
    try:
        token, blobs = services.status_envelope(event)
    except Conflict as waiting:
        raise DeliveryError(str(waiting.message)) from waiting
    transfer = Transfer.objects.select_related("peer").get(
        direction=Transfer.Direction.IN, dossier_id=event.dossier_id
    )
    post(transfer.peer, "/interop/transfers/status", token, blobs)


def send_forwarded(event: OutboxEvent, envelope_id: uuid.UUID) -> None:
    transfer = Transfer.objects.select_related("peer", "dossier").get(
        direction=Transfer.Direction.OUT, envelope_id=envelope_id
    )
    if transfer.state == Transfer.State.PENDING:
        raise DeliveryError("The peer has not acknowledged the dossier yet.")
    if transfer.state != Transfer.State.ACKNOWLEDGED:
        return  # refused by the peer: the dossier is processed here, with what was given
    try:
        token, blobs = services.forward_envelope(event, transfer)
    except Conflict as waiting:
        raise DeliveryError(str(waiting.message)) from waiting
    post(transfer.peer, "/interop/transfers/applicant", token, blobs)


def post(peer: Peer, path: str, token: str, blobs: list[content.Blob]) -> dict[str, object]:
    files = [("document", (part.sha256, part.data, part.media_type)) for part in blobs]
    try:
        response = httpx.post(
            peer.base_url + path, data={"envelope": token}, files=files, timeout=TIMEOUT
        )
    except httpx.HTTPError as error:
        raise DeliveryError(f"{peer.base_url} unreachable: {error}") from error
    if response.status_code != 200:
        raise DeliveryError(
            f"{peer.base_url} answered {response.status_code}: {response.text[:500]}",
            retryable=response.status_code not in FINAL_STATUSES,
        )
    try:
        return dict(response.json())
    except ValueError as error:
        raise DeliveryError(f"{peer.base_url} answered no JSON") from error


sinks.register(TransferSink())
