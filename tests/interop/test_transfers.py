"""Transfers between motcua instances, inside one process: the instance transfers to itself
(it is its own peer), so both ends run against one database. Signed envelopes, hash checks,
idempotency, the signed rejection, status back, supplements forwarded and the exclusion from
monitoring."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from django.test import Client
from django.urls import reverse

from motcua.core.errors import PermissionDenied
from motcua.core.jobs import Worker
from motcua.core.models import Notification
from motcua.digitisation.models import StoredDocument
from motcua.dossiers import processing, results, services
from motcua.dossiers.intake import UploadedFile
from motcua.dossiers.models import Channel, Dossier, Result, Slip, Status, Task
from motcua.interop.models import Delivery, OutboxEvent, Peer, Transfer, TransferUpdate
from motcua.interop.transfers import content, envelope, keys
from motcua.interop.transfers import services as transfers
from motcua.interop.transfers.envelope import EnvelopeError
from motcua.monitoring import contribution, tracking
from motcua.monitoring.models import UnitDay
from motcua.payments import selectors as payment_selectors
from motcua.payments import services as payments
from motcua.payments.models import Payment
from tests.intake_data import pdf_bytes
from tests.org import Org
from tests.processing_data import judicial_record

HERE = "http://motcua-a.test"
DECLARATION = pdf_bytes(2)


@pytest.fixture
def peer(processing_org: Org, settings: Any) -> Peer:
    settings.PUBLIC_URL = HERE
    return Peer.objects.create(name="motcua A", base_url=HERE, jwks=keys.public_jwks())


def received(org: Org) -> Dossier:
    return services.submit_dossier(
        submission=judicial_record(
            files={"to_khai": UploadedFile("to-khai.pdf", DECLARATION)}, on_paper=frozenset()
        ),
        channel=Channel.COUNTER,
        actor=org.users["counter_halong"],
        point=org.points["halong"],
        outcome=services.Outcome("accept"),
    )


def sent(org: Org, peer: Peer) -> tuple[Dossier, Transfer]:
    dossier = received(org)
    transfer = transfers.transfer_dossier(
        dossier=dossier, peer=peer, actor=org.users["leader_stp"], note="Thuộc thẩm quyền B"
    )
    return Dossier.objects.get(pk=dossier.pk), transfer


def parts_of(blobs: list[content.Blob]) -> dict[str, bytes]:
    return {blob.sha256: blob.data for blob in blobs}


def delivered(org: Org, peer: Peer) -> tuple[Dossier, Transfer, Dossier]:
    """Transferred, filed at the peer and acknowledged: (original, transfer, linked copy)."""
    dossier, transfer = sent(org, peer)
    token, blobs = transfers.transfer_envelope(transfer)
    answer = transfers.receive_transfer(token=token, parts=parts_of(blobs))
    transfer = transfers.record_answer(transfer=transfer, token=answer)
    return dossier, transfer, Dossier.objects.get(code=transfer.remote_code)


def post_to(route: str, token: str, parts: dict[str, bytes]) -> Any:
    files = [SimpleUploadedFile(name, data) for name, data in parts.items()]
    return Client().post(reverse(route), {"envelope": token, "document": files})


def post_inbox(token: str, parts: dict[str, bytes]) -> Any:
    return post_to("transfers:inbox", token, parts)


def test_jwks_is_public_and_cacheable(peer: Peer) -> None:
    response = Client().get(reverse("transfers:jwks"))
    assert response.status_code == 200
    assert "public" in response["Cache-Control"]
    assert "Vary" not in response
    (key,) = response.json()["keys"]
    assert (key["kty"], key["crv"], key["alg"], key["kid"]) == (
        "OKP",
        "Ed25519",
        "Ed25519",
        keys.key_id(),
    )
    assert "d" not in key  # never the private half


def test_transfer_hands_the_dossier_over_and_queues_the_envelope(
    processing_org: Org, peer: Peer
) -> None:
    dossier, transfer = sent(processing_org, peer)
    assert (dossier.status, dossier.step) == (Status.PROCESSING, processing.TRANSFERRED_STEP)
    assert not dossier.tasks.filter(state=Task.State.OPEN).exists()
    assert dossier.events.order_by("-pk").first().action == "transferred"  # type: ignore[union-attr]
    assert transfer.state == Transfer.State.PENDING
    event = OutboxEvent.objects.get(dossier=dossier, type="vn.motcua.dossier.transferred")
    assert list(Delivery.objects.filter(event=event, sink="transfer").values_list("target")) == [
        (f"envelope:{transfer.envelope_id}",)
    ]


def test_only_the_competent_agencys_leader_transfers(processing_org: Org, peer: Peer) -> None:
    dossier = received(processing_org)
    for officer in ("officer_stp", "counter_halong"):
        with pytest.raises(PermissionDenied):
            transfers.transfer_dossier(
                dossier=dossier, peer=peer, actor=processing_org.users[officer]
            )
    assert not Transfer.objects.exists()


def test_the_peer_files_a_linked_copy_and_acks_with_its_code(
    processing_org: Org, peer: Peer
) -> None:
    dossier, transfer, copy = delivered(processing_org, peer)
    assert transfer.state == Transfer.State.ACKNOWLEDGED
    assert copy.code != dossier.code
    assert (copy.origin_instance, copy.origin_code) == (HERE, dossier.code)
    assert (copy.status, copy.channel) == (Status.RECEIVED, Channel.API)
    assert copy.competent_agency == processing_org.agencies["stp"]
    assert copy.fee_amount is None
    assert copy.applicant_email == ""
    (document,) = copy.documents.exclude(file="")
    assert document.sha256 == hashlib.sha256(DECLARATION).hexdigest()
    received_in = Transfer.objects.get(direction=Transfer.Direction.IN, dossier=copy)
    assert received_in.remote_code == dossier.code
    assert [event["action"] for event in received_in.payload["history"]][:2] == [
        "submitted",
        "received",
    ]


def test_a_replayed_envelope_gets_the_same_ack_and_files_nothing(
    processing_org: Org, peer: Peer
) -> None:
    _dossier, transfer = sent(processing_org, peer)
    token, blobs = transfers.transfer_envelope(transfer)
    first = post_inbox(token, parts_of(blobs))
    count = Dossier.objects.count()
    again = post_inbox(token, parts_of(blobs))
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert Dossier.objects.count() == count
    _peer, ack = envelope.open_envelope(first.json()["envelope"], frozenset({"ack"}), peer=peer)
    assert ack["envelope_id"] == str(transfer.envelope_id)


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["dossier"]["applicant"]["name"] = "Người Khác"
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize("tamper", ["signature", "hash", "unknown_peer", "inactive", "to"])
def test_an_untrusted_envelope_is_refused_and_files_nothing(
    processing_org: Org, peer: Peer, tamper: str
) -> None:
    _dossier, transfer = sent(processing_org, peer)
    token, blobs = transfers.transfer_envelope(transfer)
    parts = parts_of(blobs)
    expected = {
        "signature": "bad_signature",
        "hash": "hash_mismatch",
        "unknown_peer": "unknown_peer",
        "inactive": "unknown_peer",
        "to": "wrong_recipient",
    }[tamper]
    if tamper == "signature":
        token = _tampered(token)
    elif tamper == "hash":
        parts = {name: data + b"%" for name, data in parts.items()}
    elif tamper == "unknown_peer":
        peer.base_url = "http://motcua-x.test"
        peer.save()
    elif tamper == "inactive":
        Peer.objects.filter(pk=peer.pk).update(active=False)
    else:
        body = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
        body.pop("kind"), body.pop("from"), body.pop("to")
        token = envelope.seal("transfer", "http://motcua-b.test", body)
    count = Dossier.objects.count()
    response = post_inbox(token, parts)
    assert response.status_code in (400, 403)
    assert response.json()["error"] == expected
    assert Dossier.objects.count() == count
    assert not Transfer.objects.filter(direction=Transfer.Direction.IN).exists()


def test_an_unknown_procedure_gets_a_signed_rejection_and_the_dossier_comes_back(
    processing_org: Org, peer: Peer
) -> None:
    dossier, transfer = sent(processing_org, peer)
    body, blobs = content.dossier_body(dossier)
    body["dossier"]["procedure"] = "9.999999"
    body["envelope_id"] = str(transfer.envelope_id)
    token = envelope.seal("transfer", HERE, body)
    count = Dossier.objects.count()
    answer = transfers.receive_transfer(token=token, parts=parts_of(blobs))
    assert Dossier.objects.count() == count
    _peer, rejection = envelope.open_envelope(answer, frozenset({"rejection"}), peer=peer)
    assert rejection["error"] == "unknown_procedure"
    assert transfers.receive_transfer(token=token, parts=parts_of(blobs)) == answer
    transfer = transfers.record_answer(transfer=transfer, token=answer)
    assert transfer.state == Transfer.State.REJECTED
    dossier.refresh_from_db()
    assert dossier.step == "tra_cuu"  # handled here again, from the step after receipt
    handle = dossier.tasks.get(state=Task.State.OPEN)
    assert (handle.kind, handle.agency) == (Task.Kind.HANDLE, processing_org.agencies["stp"])


def test_an_answer_for_another_envelope_is_refused(processing_org: Org, peer: Peer) -> None:
    _dossier, transfer = sent(processing_org, peer)
    forged = envelope.seal("ack", HERE, {"envelope_id": "0" * 32, "dossier": "X"})
    with pytest.raises(EnvelopeError):
        transfers.record_answer(transfer=transfer, token=forged)
    transfer.refresh_from_db()
    assert transfer.state == Transfer.State.PENDING


def test_the_linked_copy_is_not_counted_by_monitoring(processing_org: Org, peer: Peer) -> None:
    _dossier, _transfer, copy = delivered(processing_org, peer)
    assert contribution.load([copy.pk]) == []
    # Two dossiers received, one counted: the original.
    assert Dossier.objects.exclude(received_at=None).count() == 2
    assert UnitDay.objects.aggregate(n=Sum("received"))["n"] == 1
    assert tracking.verify() == []


def _process_at_peer(org: Org, copy: Dossier) -> Result:
    processing.assign_handler(
        dossier=copy, assignee=org.users["officer_stp"], actor=org.users["leader_stp"]
    )
    processing.propose(dossier=copy, decision="grant", note="", actor=org.users["officer_stp"])
    processing.approve(dossier=copy, actor=org.users["leader_stp"])
    result = Result.objects.get(dossier=copy)
    results.sign_result(result.pk)
    return Result.objects.get(pk=result.pk)


def test_the_peers_result_comes_back_and_is_returned_here(processing_org: Org, peer: Peer) -> None:
    dossier, _transfer, copy = delivered(processing_org, peer)
    # Only the copy's status changes after its receipt go back, in order.
    copy_events = OutboxEvent.objects.filter(dossier=copy).order_by("pk")
    assert not Delivery.objects.filter(event__in=copy_events, sink="transfer").exists()
    issued = _process_at_peer(processing_org, copy)
    # The copy's result is returned by the original's instance: nothing is left to do here.
    assert not copy.tasks.filter(state=Task.State.OPEN).exists()
    back = Delivery.objects.filter(event__dossier=copy, sink="transfer").order_by("event_id")
    assert [d.event.data["status"] for d in back] == [Status.PROCESSING, Status.PROCESSED]
    assert {d.target for d in back} == {f"peer:{peer.pk}"}
    # The copy's own outbox never reports it to the national portal.
    assert not Delivery.objects.filter(event__dossier=copy, sink="portal").exists()

    answers = []
    for delivery in back:
        token, blobs = transfers.status_envelope(delivery.event)
        answers.append(transfers.receive_status(token=token, parts=parts_of(blobs)))
    assert [a["applied"] for a in answers] == ["", "result"]
    token, blobs = transfers.status_envelope(back.last().event)  # type: ignore[union-attr]
    assert transfers.receive_status(token=token, parts=parts_of(blobs))["duplicate"] is True

    dossier.refresh_from_db()
    assert dossier.status == Status.PROCESSED
    # The other instance did it, not the applicant.
    assert dossier.events.get(action="result_received").actor_label == peer.name
    result = Result.objects.get(dossier=dossier)
    assert (result.number, result.sha256) == (issued.number, issued.sha256)
    assert results.result_pdf(result) == results.result_pdf(issued)
    processing.return_result(
        dossier=dossier, method="counter", actor=processing_org.users["counter_halong"]
    )
    dossier.refresh_from_db()
    assert dossier.status == Status.RETURNED


def test_a_status_envelope_with_a_forged_result_is_refused(processing_org: Org, peer: Peer) -> None:
    dossier, _transfer, copy = delivered(processing_org, peer)
    _process_at_peer(processing_org, copy)
    event = OutboxEvent.objects.filter(dossier=copy, data__status=Status.PROCESSED).get()
    token, blobs = transfers.status_envelope(event)
    response = Client().post(
        reverse("transfers:status"),
        {"envelope": token, "document": [SimpleUploadedFile(blobs[0].sha256, b"%PDF-forged")]},
    )
    assert (response.status_code, response.json()["error"]) == (400, "hash_mismatch")
    dossier.refresh_from_db()
    assert dossier.status == Status.PROCESSING


# Supplements: asked for at the peer, handed in here, forwarded --------------------------------

SUPPLEMENTED = pdf_bytes(3)


def _deliver_back(copy: Dossier, after: int = 0) -> list[Any]:
    """Apply here the copy's status envelopes from event `after` on, in order."""
    back = Delivery.objects.filter(
        event__dossier=copy, sink="transfer", event_id__gt=after
    ).order_by("event_id")
    answers = []
    for delivery in back:
        token, blobs = transfers.status_envelope(delivery.event)
        answers.append(transfers.receive_status(token=token, parts=parts_of(blobs)))
    return answers


def _supplement_requested_at_peer(org: Org, peer: Peer) -> tuple[Dossier, Transfer, Dossier]:
    dossier, transfer, copy = delivered(org, peer)
    processing.assign_handler(
        dossier=copy, assignee=org.users["officer_stp"], actor=org.users["leader_stp"]
    )
    processing.request_supplement_after_receipt(
        dossier=copy,
        items=["Tờ khai có chữ ký của người yêu cầu", "Bản sao giấy khai sinh"],
        actor=org.users["officer_stp"],
    )
    assert [a["applied"] for a in _deliver_back(copy)] == ["", "status"]
    return Dossier.objects.get(pk=dossier.pk), transfer, Dossier.objects.get(pk=copy.pk)


def test_the_peers_supplement_request_is_asked_of_the_applicant_here(
    processing_org: Org, peer: Peer
) -> None:
    dossier, _transfer, copy = _supplement_requested_at_peer(processing_org, peer)
    assert (copy.status, dossier.status) == (Status.SUPPLEMENT, Status.SUPPLEMENT)
    # This receiving point's slip lists what the peer asks for, as if it had asked.
    slip = dossier.slips.get(kind=Slip.Kind.SUPPLEMENT)
    assert slip.items == ["Tờ khai có chữ ký của người yêu cầu", "Bản sao giấy khai sinh"]
    assert slip.agency is None  # issued by the receiving point
    assert dossier.events.get(action="remote_status").actor_label == peer.name
    told = Notification.objects.filter(reference=dossier.code, topic="dossier.supplement_requested")
    assert set(told.values_list("channel", flat=True)) >= {"email", "sms"}
    # The peer's copy has no contact details: nobody is told twice.
    assert not Notification.objects.filter(reference=copy.code).exists()


def test_a_supplement_handed_in_here_goes_to_the_peer_once(processing_org: Org, peer: Peer) -> None:
    dossier, transfer, copy = _supplement_requested_at_peer(processing_org, peer)
    last_back = Delivery.objects.filter(event__dossier=copy).order_by("-event_id")[0].event_id
    services.supplement_dossier(
        dossier=dossier,
        files={"to_khai": UploadedFile("to-khai-ky.pdf", SUPPLEMENTED)},
        actor=processing_org.users["counter_halong"],
    )
    dossier.refresh_from_db()
    assert dossier.status == Status.PROCESSING
    forward = Delivery.objects.get(event__dossier=dossier, target__startswith="forward:")
    assert forward.target == f"forward:{transfer.envelope_id}"

    token, blobs = transfers.forward_envelope(forward.event, transfer)
    assert [blob.data for blob in blobs] == [SUPPLEMENTED]
    answer = post_to("transfers:applicant", token, parts_of(blobs))
    assert answer.status_code == 200
    assert answer.json() == {
        "event_id": str(forward.event.event_id),
        "duplicate": False,
        "status": Status.PROCESSING,
    }
    copy.refresh_from_db()
    assert copy.status == Status.PROCESSING
    document = copy.documents.get(requirement="to_khai")
    assert document.sha256 == hashlib.sha256(SUPPLEMENTED).hexdigest()
    # The same envelope again (a redelivery) changes nothing.
    again = post_to("transfers:applicant", token, parts_of(blobs))
    assert again.json()["duplicate"] is True
    assert copy.events.filter(action="supplemented").count() == 1
    # The copy's processing goes on; its 4 comes back and changes nothing here.
    assert [a["applied"] for a in _deliver_back(copy, after=last_back)] == [""]
    dossier.refresh_from_db()
    assert dossier.status == Status.PROCESSING


def test_a_forged_or_untimely_supplement_changes_nothing_at_the_peer(
    processing_org: Org, peer: Peer
) -> None:
    dossier, transfer, copy = _supplement_requested_at_peer(processing_org, peer)
    services.supplement_dossier(
        dossier=dossier,
        files={"to_khai": UploadedFile("to-khai-ky.pdf", SUPPLEMENTED)},
        actor=processing_org.users["counter_halong"],
    )
    forward = Delivery.objects.get(event__dossier=dossier, target__startswith="forward:")
    token, blobs = transfers.forward_envelope(forward.event, transfer)
    forged = post_to("transfers:applicant", token, {"x": b"%PDF-forged"})
    assert (forged.status_code, forged.json()["error"]) == (400, "hash_mismatch")
    # Signed for another kind of endpoint: refused.
    assert post_to("transfers:status", token, parts_of(blobs)).status_code == 400
    copy.refresh_from_db()
    assert copy.status == Status.SUPPLEMENT
    # The copy went on without it (its counter took papers): the late one is a conflict.
    services.supplement_dossier(dossier=copy, files={}, on_paper=frozenset({"to_khai"}), actor=None)
    late = post_to("transfers:applicant", token, parts_of(blobs))
    assert late.status_code == 409
    copy.refresh_from_db()
    assert (
        copy.documents.get(requirement="to_khai").sha256 != hashlib.sha256(SUPPLEMENTED).hexdigest()
    )
    assert not TransferUpdate.objects.filter(event_id=forward.event.event_id).exists()


def test_the_peers_result_goes_into_the_applicants_document_store_here(
    processing_org: Org, peer: Peer, django_capture_on_commit_callbacks: Any
) -> None:
    dossier, _transfer, copy = delivered(processing_org, peer)
    _process_at_peer(processing_org, copy)
    with django_capture_on_commit_callbacks(execute=True):
        _deliver_back(copy)
    Worker(batch=True, interval=0).run()
    result = Result.objects.get(dossier=dossier)
    stored = StoredDocument.objects.get(result=result)
    assert (stored.owner_id, stored.number, stored.sha256) == (
        dossier.applicant_id_number,
        result.number,
        result.sha256,
    )


def _obligation_requested_at_peer(org: Org, peer: Peer) -> tuple[Dossier, Transfer, Dossier]:
    dossier, transfer, copy = delivered(org, peer)
    processing.assign_handler(
        dossier=copy, assignee=org.users["officer_stp"], actor=org.users["leader_stp"]
    )
    processing.request_financial_obligation(
        dossier=copy, amount=500_000, note="Lệ phí trước bạ", actor=org.users["officer_stp"]
    )
    assert [a["applied"] for a in _deliver_back(copy)] == ["", "status"]
    return Dossier.objects.get(pk=dossier.pk), transfer, Dossier.objects.get(pk=copy.pk)


def test_the_peers_financial_obligation_is_paid_here_and_settles_the_peers(
    processing_org: Org, peer: Peer, django_capture_on_commit_callbacks: Any
) -> None:
    users = processing_org.users
    dossier, transfer, copy = _obligation_requested_at_peer(processing_org, peer)
    assert dossier.status == Status.FINANCIAL
    owed = payment_selectors.open_payment(processing.obligation_reference(dossier))
    assert owed is not None
    assert (owed.amount, owed.purpose) == (500_000, "Lệ phí trước bạ")
    assert Notification.objects.filter(
        reference=dossier.code, topic="dossier.financial_obligation_requested"
    ).exists()

    # The applicant pays at this counter: this dossier resumes, and the payment goes over.
    with django_capture_on_commit_callbacks(execute=True):
        payments.record_counter_payment(payment=owed, method="cash", actor=users["counter_halong"])
    dossier.refresh_from_db()
    assert dossier.status == Status.PROCESSING
    forward = Delivery.objects.get(event__dossier=dossier, target__startswith="forward:")
    token, blobs = transfers.forward_envelope(forward.event, transfer)
    assert blobs == []
    with django_capture_on_commit_callbacks(execute=True):
        answer = post_to("transfers:applicant", token, {})
    assert answer.status_code == 200, answer.content
    paid = Payment.objects.get(reference=processing.obligation_reference(copy))
    assert (paid.status, paid.method, paid.provider) == ("paid", "cash", f"motcua:{peer.pk}")
    copy.refresh_from_db()
    assert copy.status == Status.PROCESSING  # the peer's processing resumed
    assert post_to("transfers:applicant", token, {}).json()["duplicate"] is True
    assert Payment.objects.filter(reference=processing.obligation_reference(copy)).count() == 1


def test_an_obligation_settled_at_the_peer_is_no_longer_owed_here(
    processing_org: Org, peer: Peer, django_capture_on_commit_callbacks: Any
) -> None:
    users = processing_org.users
    dossier, _transfer, copy = _obligation_requested_at_peer(processing_org, peer)
    theirs = payment_selectors.open_payment(processing.obligation_reference(copy))
    assert theirs is not None
    with django_capture_on_commit_callbacks(execute=True):
        payments.exempt_payment(payment=theirs, reason="Hộ nghèo", actor=users["leader_stp"])
    after = Delivery.objects.filter(event__dossier=copy).order_by("event_id")[1].event_id
    assert [a["applied"] for a in _deliver_back(copy, after=after)] == ["status"]
    dossier.refresh_from_db()
    assert dossier.status == Status.PROCESSING
    assert payment_selectors.open_payment(processing.obligation_reference(dossier)) is None
    ours = Payment.objects.get(reference=processing.obligation_reference(dossier))
    assert ours.status == Payment.Status.CANCELLED
    assert not Delivery.objects.filter(event__dossier=dossier, target__startswith="forward:")
