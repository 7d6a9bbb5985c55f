"""The compact seal printed as a QR code on a result's PDF: a signed CWT small enough for a
QR code a phone reads from paper, checkable offline against the issuing agency's key.

    "VNQR1:" + Base45(zlib(COSE_Sign1))

after the EU Digital COVID Certificate (HCERT). The COSE_Sign1 (RFC 9052, CBOR tag 18) is
``[protected {1: -7 (ES256), 4: kid}, unprotected {}, payload, signature]``: the kid is the raw
32-byte RFC 7638 thumbprint of the agency key, and no certificate travels along (it would
triple the size), so a verifier finds the key by thumbprint among the agencies it trusts
(:func:`motcua.credentials.trust.key_for_kid`). The payload holds the CWT claims iss (1),
iat (6), exp (4) and, under the private claim -65537, the few facts printed on the paper: type,
number, holder, date, agency, and the credential's entry in the agency's status list, which
tells a verifier online whether the result was revoked since. Built by hand on cbor2 and
`cryptography`: the whole format is the few lines below.

Base45 is the QR alphanumeric alphabet, so the string is encoded in alphanumeric mode
(5.5 bits a character). With a real deployment's address and a Vietnamese name a seal is about
430 to 480 characters, a version 13 QR code (M): the 64-byte signature, the 32-byte kid and the
issuer's address are most of it, and zlib gains almost nothing on them.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, TypeGuard

import base45
import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.utils.translation import gettext as _

from motcua.core.b64url import b64url, b64url_decode
from motcua.credentials import keys, trust
from motcua.credentials.models import IssuedCredential
from motcua.credentials.trust import FORGED, MALFORMED, UNKNOWN_ISSUER, Rejected
from motcua.workcalendar.engine import VN_TZ

PREFIX: Final = "VNQR1:"
COSE_SIGN1_TAG: Final = 18
ALG_ES256: Final = -7
HEADER_ALG: Final = 1
HEADER_KID: Final = 4
CLAIM_ISS: Final = 1
CLAIM_EXP: Final = 4
CLAIM_IAT: Final = 6
CLAIM_RESULT: Final = -65537
# A seal decompresses to a few hundred bytes: refuse to inflate anything much larger.
MAX_INFLATED: Final = 4096
SIGNATURE_BYTES: Final = 64
# The private claim's members and their types.
_FIELDS: Final = {"t": str, "n": str, "h": str, "d": str, "a": str, "s": str, "i": int}


@dataclass(frozen=True, slots=True)
class SealClaims:
    """What a seal whose signature checked out says, with the key that signed it."""

    issuer: str
    issued_at: datetime
    expires_at: datetime
    type: str  # the result type, e.g. "birth_certificate"
    number: str
    holder_name: str
    issued_on: str  # YYYY-MM-DD
    agency_code: str
    status_path: str  # "<agency code>/<list number>", under the issuer's /status/
    status_index: int
    key: trust.TrustedKey

    @property
    def status_uri(self) -> str:
        return f"{self.issuer}/status/{self.status_path}"


def make_seal(credential: IssuedCredential) -> str:
    """The seal string of an issued credential, signed now with its agency's key."""
    result = credential.result
    status_list = credential.status_list
    signer = keys.signer_for(status_list.agency)
    claims = {
        CLAIM_ISS: keys.issuer_id(),
        CLAIM_IAT: int(credential.issued_at.timestamp()),
        CLAIM_EXP: int(credential.expires_at.timestamp()),
        CLAIM_RESULT: {
            "t": credential.vct.rsplit("/types/", 1)[-1],
            "n": result.number,
            "h": credential.holder_name,
            "d": result.approved_at.astimezone(VN_TZ).date().isoformat(),
            "a": status_list.agency.code,
            "s": status_list.path_suffix,
            "i": credential.status_index,
        },
    }
    protected = cbor2.dumps({HEADER_ALG: ALG_ES256, HEADER_KID: b64url_decode(signer.kid)})
    payload = cbor2.dumps(claims)
    signature = signer.sign(_to_be_signed(protected, payload))
    cose = cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature]))
    return PREFIX + base45.b45encode(zlib.compress(cose, 9)).decode("ascii")


def looks_like_seal(text: str) -> bool:
    return text.strip().upper().startswith(PREFIX)


def read_seal(text: str) -> SealClaims:
    """The claims of a seal string once its issuer, key and signature check out.

    Raises :class:`trust.Rejected`: "malformed" for anything that is not a seal,
    "unknown_issuer" for an issuer or key this deployment does not trust, "forged" when the
    signature does not match (the seal was altered, or signed by someone else)."""
    protected, payload, signature = _cose_parts(_inflate(text))
    header = _cbor_map(protected)
    kid = header.get(HEADER_KID)
    if header.get(HEADER_ALG) != ALG_ES256 or not isinstance(kid, bytes):
        raise Rejected(MALFORMED, _("The seal is signed in a way this page does not know."))
    claims = _cbor_map(payload)
    fields = claims.get(CLAIM_RESULT)
    iss, iat, exp = claims.get(CLAIM_ISS), claims.get(CLAIM_IAT), claims.get(CLAIM_EXP)
    if not (
        isinstance(iss, str)
        and _is_int(iat)
        and _is_int(exp)
        and isinstance(fields, Mapping)
        and all(_is_type(fields.get(name), kind) for name, kind in _FIELDS.items())
    ):
        raise Rejected(MALFORMED, _("The seal lacks some of its information."))
    if not trust.is_trusted_issuer(iss):
        raise Rejected(UNKNOWN_ISSUER, _("The seal was issued by an issuer not trusted here."))
    key = trust.key_for_kid(b64url(kid), agency_code=fields["a"])
    if key is None:
        raise Rejected(UNKNOWN_ISSUER, _("The seal was signed with a key this page does not know."))
    if not _signature_matches(key.public_key, _to_be_signed(protected, payload), signature):
        raise Rejected(FORGED, _("The seal's signature does not match its content."))
    try:
        issued_at, expires_at = datetime.fromtimestamp(iat, UTC), datetime.fromtimestamp(exp, UTC)
    except (OverflowError, OSError, ValueError):
        raise Rejected(MALFORMED, _("The seal's dates cannot be read.")) from None
    return SealClaims(
        issuer=iss,
        issued_at=issued_at,
        expires_at=expires_at,
        type=fields["t"],
        number=fields["n"],
        holder_name=fields["h"],
        issued_on=fields["d"],
        agency_code=fields["a"],
        status_path=fields["s"],
        status_index=fields["i"],
        key=key,
    )


def _to_be_signed(protected: bytes, payload: bytes) -> bytes:
    """RFC 9052 §4.4 Sig_structure of a COSE_Sign1 without external data."""
    return cbor2.dumps(["Signature1", protected, b"", payload])


def _signature_matches(key: ec.EllipticCurvePublicKey, data: bytes, signature: bytes) -> bool:
    half = SIGNATURE_BYTES // 2
    der = encode_dss_signature(
        int.from_bytes(signature[:half], "big"), int.from_bytes(signature[half:], "big")
    )
    try:
        key.verify(der, data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def _inflate(text: str) -> bytes:
    not_a_seal = Rejected(MALFORMED, _("This is not a seal of a result."))
    # Base45 has a space among its characters, but never as the last one: only the line breaks
    # of a wrapped paste go, and whitespace around it.
    text = re.sub(r"[\r\n\t]", "", text).strip()
    if not text.upper().startswith(PREFIX):
        raise not_a_seal
    try:
        compressed = base45.b45decode(text[len(PREFIX) :])
        inflater = zlib.decompressobj()
        data = inflater.decompress(compressed, MAX_INFLATED)
    except (ValueError, zlib.error):
        raise not_a_seal from None
    if inflater.unconsumed_tail or not inflater.eof:
        raise not_a_seal
    return bytes(data)


def _cose_parts(data: bytes) -> tuple[bytes, bytes, bytes]:
    """protected, payload and signature of a (tagged or untagged) COSE_Sign1."""
    try:
        message = cbor2.loads(data)
    # A CBOR decoder fed anything raises its own errors, or ValueError/TypeError/…
    except Exception:
        raise Rejected(MALFORMED, _("This is not a seal of a result.")) from None
    if isinstance(message, cbor2.CBORTag):
        message = message.value if message.tag == COSE_SIGN1_TAG else None
    # Inside a tag, cbor2 decodes arrays as tuples and maps as (frozen) mappings.
    if not (
        isinstance(message, list | tuple)
        and len(message) == 4
        and isinstance(message[0], bytes)
        and isinstance(message[1], Mapping)
        and isinstance(message[2], bytes)
        and isinstance(message[3], bytes)
        and len(message[3]) == SIGNATURE_BYTES
    ):
        raise Rejected(MALFORMED, _("This is not a seal of a result."))
    return message[0], message[2], message[3]


def _cbor_map(data: bytes) -> Mapping[Any, Any]:
    try:
        value = cbor2.loads(data)
    except Exception:
        value = None
    if not isinstance(value, Mapping):
        raise Rejected(MALFORMED, _("This is not a seal of a result."))
    return value


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_type(value: object, kind: type) -> bool:
    return _is_int(value) if kind is int else isinstance(value, kind)
