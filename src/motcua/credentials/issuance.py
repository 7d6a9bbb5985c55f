"""Credentials of granted results: created with their status entry when the result is signed,
issued to wallets over OpenID4VCI (the credential endpoint), revoked or suspended by staff.

The IssuedCredential row is the credential; the SD-JWT a wallet receives is built from it at
delivery, bound to that wallet's key, so that one result may live in several wallets (a new
phone) and every copy shares one status entry."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.core import audit
from motcua.core.b64url import b64url_decode
from motcua.core.errors import Conflict, MotcuaError
from motcua.credentials import offers, sdjwt
from motcua.credentials.keys import issuer_id, thumbprint
from motcua.credentials.models import Delivery, IssuedCredential, StatusList
from motcua.digitisation.doctypes import DOCUMENT_TYPES
from motcua.dossiers.models import Result

DEFAULT_TYPE: Final = "administrative_result"
# English names of the credential types; the Vietnamese ones are the document types' own.
TYPE_NAMES_EN: Final = {
    "cccd": "Identity card",
    "birth_certificate": "Birth certificate",
    "marriage_certificate": "Marriage certificate",
    "land_use_certificate": "Land use rights certificate",
    "marital_status_certificate": "Certificate of marital status",
    "business_registration": "Business registration certificate",
    DEFAULT_TYPE: "Administrative procedure result",
}
TYPE_NAMES_VI: Final = {
    **{code: DOCUMENT_TYPES[code].name for code in TYPE_NAMES_EN if code in DOCUMENT_TYPES},
    DEFAULT_TYPE: "Kết quả giải quyết thủ tục hành chính",
}
PROOF_TYP: Final = "openid4vci-proof+jwt"
# How far a proof's iat may lie in the past (a slow phone) or the future (a fast clock).
PROOF_MAX_AGE: Final = timedelta(minutes=5)
PROOF_MAX_SKEW: Final = timedelta(minutes=1)
# Random guesses at a free status entry before reading the whole list (see _random_free).
RANDOM_TRIES: Final = 16


class ProtocolError(MotcuaError):
    """An OpenID4VCI / OAuth error: `code` is the protocol's error code."""


@dataclass(frozen=True)
class WalletIssue:
    """What the credential endpoint answers: the SD-JWT and the id of its delivery for
    notifications."""

    credential: str
    notification_id: str


def type_name(result: Result) -> str:
    """The credential type of a result: its procedure's result_type; "other" or none at all
    gives the generic administrative result."""
    result_type = result.dossier.version.spec.get("result_type") or DEFAULT_TYPE
    return result_type if result_type in TYPE_NAMES_EN else DEFAULT_TYPE


def validity_days() -> int:
    """How long a credential is valid: setting CREDENTIAL_VALIDITY_DAYS, five years by default
    (the status list, not expiry, is how a credential ends early)."""
    return int(settings.CREDENTIAL_VALIDITY_DAYS)


def vct_for(name: str) -> str:
    return f"{issuer_id()}/types/{name}"


def prepare_credential(result: Result) -> IssuedCredential | None:
    """The credential of a granted result, with its status entry (a refusal gets none).

    Idempotent: a retried signing job gets the credential it made before. Called before the
    result's PDF is rendered, because the compact seal printed on it carries the status index."""
    if result.kind != Result.Kind.GRANT:
        return None
    with transaction.atomic():
        # The result row's lock makes two concurrent calls for one result queue here.
        # of=("self",): lock the result only, not the joined agency and procedure rows.
        locked = (
            Result.objects.select_for_update(of=("self",))
            .select_related("dossier__version", "agency")
            .get(pk=result.pk)
        )
        existing = IssuedCredential.objects.filter(result=locked).first()
        if existing is not None:
            return existing
        status_list, index = _allocate(locked)
        issued_at = timezone.now()
        return IssuedCredential.objects.create(
            result=locked,
            holder_id_number=locked.dossier.applicant_id_number,
            holder_name=locked.dossier.applicant_name,
            vct=vct_for(type_name(locked)),
            status_list=status_list,
            status_index=index,
            issued_at=issued_at,
            expires_at=issued_at + timedelta(days=validity_days()),
        )


def _allocate(result: Result) -> tuple[StatusList, int]:
    """A random free entry of the agency's newest list, opening a new list when it is full.

    The newest list's row is locked, so concurrent allocations for one agency take turns and
    never pick one index twice; two first allocations (no list yet) or two that find the list
    full race to create the next list, and the loser of the unique (agency, number) takes the
    winner's list on its next turn."""
    while True:
        current = (
            StatusList.objects.select_for_update()
            .filter(agency=result.agency)
            .order_by("-number")
            .first()
        )
        if current is not None:
            taken = IssuedCredential.objects.filter(status_list=current)
            if taken.count() < current.size:
                return current, _random_free(current, taken)
        try:
            with transaction.atomic():
                StatusList.objects.create(
                    agency=result.agency, number=current.number + 1 if current else 1
                )
        except IntegrityError:
            continue


def _random_free(status_list: StatusList, taken: QuerySet[IssuedCredential]) -> int:
    """A random index not yet taken (the caller holds the list's lock and knows one is free).

    Random, not sequential: the index tells a verifier nothing about when or to whom it was
    given (herd privacy, draft-ietf-oauth-status-list §12.5). While the list is sparse a guess
    or two, one indexed query each, finds a free entry; a nearly full list is read whole."""
    for _try in range(RANDOM_TRIES):
        index = secrets.randbelow(status_list.size)
        if not taken.filter(status_index=index).exists():
            return index
    used = set(taken.values_list("status_index", flat=True))
    return secrets.choice([index for index in range(status_list.size) if index not in used])


ALLOWED_CHANGES: Final = {
    IssuedCredential.Status.VALID: {
        IssuedCredential.Status.REVOKED,
        IssuedCredential.Status.SUSPENDED,
    },
    IssuedCredential.Status.SUSPENDED: {
        IssuedCredential.Status.VALID,
        IssuedCredential.Status.REVOKED,
    },
    IssuedCredential.Status.REVOKED: set(),
}


@transaction.atomic
def set_status(
    credential: IssuedCredential, status: str, reason: str, actor: Any
) -> IssuedCredential:
    """Revoke, suspend or reinstate a credential; the change shows in its status list at once.

    Revocation is final. A reason is required: the holder and later staff must see why."""
    reason = reason.strip()
    if not reason:
        raise MotcuaError(_("Give the reason for the change."), fields={"reason": [_("Required.")]})
    if status not in IssuedCredential.Status.values:
        raise MotcuaError(_("Unknown credential status."))
    locked = IssuedCredential.objects.select_for_update().get(pk=credential.pk)
    if status not in ALLOWED_CHANGES[IssuedCredential.Status(locked.status)]:
        if locked.status == IssuedCredential.Status.REVOKED:
            raise Conflict(_("The credential is revoked; revocation cannot be undone."))
        raise Conflict(
            _("The credential is already %(status)s.") % {"status": locked.get_status_display()}
        )
    old = audit.model_values(locked, ["status", "status_reason"])
    locked.status = status
    locked.status_reason = reason
    locked.status_changed_at = timezone.now()
    locked.status_changed_by = actor if getattr(actor, "is_authenticated", False) else None
    locked.save(update_fields=["status", "status_reason", "status_changed_at", "status_changed_by"])
    audit.record(
        actor=actor,
        action=f"credential.{status}",
        obj=locked,
        old=old,
        new=audit.model_values(locked, ["status", "status_reason"]),
    )
    return locked


def _json(body: bytes, error_code: str) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        parsed = None
    if not isinstance(parsed, dict):
        raise ProtocolError(_("The request must be a JSON object."), code=error_code)
    return parsed


def issue_to_wallet(access_token: str, body: bytes) -> WalletIssue:
    """The credential endpoint (OpenID4VCI 1.0 §8): check the token, the request and its key
    proof, and issue the offered credential bound to the proof's key."""
    offer = offers.offer_for_token(access_token)
    request = _json(body, "invalid_credential_request")
    credential = (
        IssuedCredential.objects.select_related(
            "result__dossier__version__procedure", "result__agency__province", "status_list__agency"
        )
        .filter(pk=offer.credential_id)
        .get()
    )
    config_id = request.get("credential_configuration_id")
    if not isinstance(config_id, str):
        raise ProtocolError(
            _("Name the credential_configuration_id."), code="invalid_credential_request"
        )
    if config_id != offers.configuration_id(credential.type_name):
        raise ProtocolError(
            _("This credential configuration was not offered."),
            code="unknown_credential_configuration",
        )
    proofs = request.get("proofs")
    jwts = proofs.get("jwt") if isinstance(proofs, dict) else None
    # No batch issuance is advertised: exactly one proof (OpenID4VCI 1.0 §8.2).
    if not isinstance(jwts, list) or len(jwts) != 1 or not isinstance(jwts[0], str):
        raise ProtocolError(
            _("Send exactly one key proof, in proofs.jwt."), code="invalid_credential_request"
        )
    holder_jwk, nonce = check_proof(jwts[0])
    if not offers.consume_nonce(nonce):
        raise ProtocolError(
            _("The nonce is unknown, used or expired; get a new one."), code="invalid_nonce"
        )
    if credential.status != IssuedCredential.Status.VALID:
        raise ProtocolError(
            _("This credential is revoked or suspended and is not issued."),
            code="credential_request_denied",
        )
    if credential.expires_at <= timezone.now():
        raise ProtocolError(
            _("This credential has expired and is not issued."), code="credential_request_denied"
        )
    issued = sdjwt.build(credential, holder_jwk=holder_jwk)
    delivery = Delivery.objects.create(
        credential=credential,
        offer=offer,
        sd_jwt_sha256=hashlib.sha256(issued.encode()).hexdigest(),
        holder_key_thumbprint=thumbprint(holder_jwk),
        notification_id=secrets.token_urlsafe(16),
    )
    return WalletIssue(credential=issued, notification_id=delivery.notification_id)


def check_proof(proof: str) -> tuple[dict[str, str], str]:
    """Verify a key proof JWT (OpenID4VCI 1.0 Appendix F.1): the holder's public JWK and the
    nonce it signed. Every fault is `invalid_proof` with a reason."""
    try:
        header_part, payload_part, signature_part = proof.split(".")
        header = json.loads(b64url_decode(header_part))
        payload = json.loads(b64url_decode(payload_part))
        signature = b64url_decode(signature_part)
    except ValueError as broken:
        raise _invalid_proof(_("The proof is not a JWT.")) from broken
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise _invalid_proof(_("The proof is not a JWT."))
    if header.get("typ") != PROOF_TYP:
        raise _invalid_proof(_("The proof's typ must be openid4vci-proof+jwt."))
    if header.get("alg") != "ES256":
        raise _invalid_proof(_("The proof must be signed with ES256."))
    jwk = header.get("jwk")
    public_key = _ec_public_key(jwk)
    if public_key is None or not isinstance(jwk, dict):
        raise _invalid_proof(_("The proof's header must carry the holder's public P-256 key."))
    if len(signature) != 64:
        raise _invalid_proof(_("The proof's signature does not verify."))
    try:
        public_key.verify(
            encode_dss_signature(
                int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            ),
            f"{header_part}.{payload_part}".encode("ascii"),
            ec.ECDSA(hashes.SHA256()),
        )
    except InvalidSignature as forged:
        raise _invalid_proof(_("The proof's signature does not verify.")) from forged
    if payload.get("aud") != issuer_id():
        raise _invalid_proof(_("The proof's audience is not this credential issuer."))
    iat = payload.get("iat")
    now = time.time()
    if not isinstance(iat, int | float) or not (
        now - PROOF_MAX_AGE.total_seconds() <= iat <= now + PROOF_MAX_SKEW.total_seconds()
    ):
        raise _invalid_proof(_("The proof's iat is missing or not recent."))
    nonce = payload.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise ProtocolError(_("The proof carries no nonce."), code="invalid_nonce")
    public_jwk = {name: jwk[name] for name in ("kty", "crv", "x", "y")}
    return public_jwk, nonce


def _invalid_proof(message: Any) -> ProtocolError:
    return ProtocolError(message, code="invalid_proof")


def _ec_public_key(jwk: Any) -> ec.EllipticCurvePublicKey | None:
    """The P-256 public key of a JWK; None for anything else, or for a private key (a wallet
    that sends "d" has leaked its key to us)."""
    if not isinstance(jwk, dict) or jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        return None
    if "d" in jwk or not isinstance(jwk.get("x"), str) or not isinstance(jwk.get("y"), str):
        return None
    try:
        x, y = b64url_decode(jwk["x"]), b64url_decode(jwk["y"])
        if len(x) != 32 or len(y) != 32:
            return None
        return ec.EllipticCurvePublicNumbers(
            int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()
        ).public_key()
    except ValueError:
        return None


NOTIFICATION_EVENTS: Final = {choice.value for choice in Delivery.Event}


@transaction.atomic
def record_notification(access_token: str, body: bytes) -> None:
    """The notification endpoint (OpenID4VCI 1.0 §11): what the wallet did with a delivery."""
    offer = offers.offer_for_token(access_token)
    notice = _json(body, "invalid_notification_request")
    if notice.get("event") not in NOTIFICATION_EVENTS:
        raise ProtocolError(
            _("Name the event: credential_accepted, credential_deleted or credential_failure."),
            code="invalid_notification_request",
        )
    notification_id = notice.get("notification_id")
    delivery = (
        Delivery.objects.select_for_update()
        .filter(
            offer=offer, notification_id=notification_id if isinstance(notification_id, str) else ""
        )
        .first()
    )
    if delivery is None:
        raise ProtocolError(_("Unknown notification_id."), code="invalid_notification_id")
    description = notice.get("event_description")
    delivery.event = notice["event"]
    delivery.event_description = description[:500] if isinstance(description, str) else ""
    delivery.event_at = timezone.now()
    delivery.save(update_fields=["event", "event_description", "event_at"])
