"""Whom a verifier of this deployment trusts: issuers, certification authorities and keys.

A signature is trusted when its key's certificate was issued directly by a trusted CA (the
provincial demo CA, plus the CA certificates listed in setting ``CREDENTIAL_TRUSTED_CAS``), the
certificate was valid when the object was signed, and the object's ``iss`` is this deployment's
issuer identifier or one of setting ``CREDENTIAL_TRUSTED_ISSUERS``. A JWS brings its certificate
along (``x5c``); a compact seal is too small for one and names its key by thumbprint only, so
seals are checked against the keys of this deployment's agencies (:func:`key_for_kid`).

Verdicts are built from :class:`Rejected`: what the verifier found wrong, as one of the verdict
states and a sentence for the person who checks.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.utils.translation import gettext as _

from motcua.credentials import keys
from motcua.dossiers import signing
from motcua.organisation.models import Agency

MALFORMED = "malformed"
FORGED = "forged"
UNKNOWN_ISSUER = "unknown_issuer"


class Rejected(Exception):
    """The object fails a check: `state` is the verdict state, `reason` says why."""

    def __init__(self, state: str, reason: str) -> None:
        super().__init__(reason)
        self.state = state
        self.reason = reason


@dataclass(frozen=True, slots=True)
class TrustedKey:
    """A public key a trusted CA certified for an issuing agency."""

    kid: str  # RFC 7638 thumbprint
    public_key: ec.EllipticCurvePublicKey
    certificate: x509.Certificate
    agency_code: str  # the certificate's organizationIdentifier
    agency_name: str  # its organizationName


def trusted_issuers() -> set[str]:
    return {keys.issuer_id(), *settings.CREDENTIAL_TRUSTED_ISSUERS}


def is_trusted_issuer(iss: object) -> bool:
    return isinstance(iss, str) and iss in trusted_issuers()


def trusted_cas() -> list[x509.Certificate]:
    """The provincial CA and every CA certificate of the files in CREDENTIAL_TRUSTED_CAS."""
    cas = [signing.ca_certificate()]
    for path in settings.CREDENTIAL_TRUSTED_CAS:
        cas.extend(x509.load_pem_x509_certificates(Path(path).read_bytes()))
    return cas


def check_chain(x5c: object, at: datetime) -> TrustedKey:
    """The key of the leaf certificate of a JWS ``x5c`` header, when a trusted CA issued the
    leaf directly and both were valid at ``at`` (when the object says it was signed).

    Raises :class:`Rejected` ("unknown_issuer") otherwise, or without a certificate; "malformed"
    for one that cannot be read."""
    if x5c is None:
        raise Rejected(UNKNOWN_ISSUER, _("The signature does not carry its certificate."))
    if not isinstance(x5c, list) or not x5c or not isinstance(x5c[0], str):
        raise Rejected(MALFORMED, _("The signer's certificate cannot be read."))
    try:
        leaf = x509.load_der_x509_certificate(base64.b64decode(x5c[0], validate=True))
    except (ValueError, binascii.Error):
        raise Rejected(MALFORMED, _("The signer's certificate cannot be read.")) from None
    for ca in trusted_cas():
        try:
            leaf.verify_directly_issued_by(ca)
        except (ValueError, TypeError, InvalidSignature):
            continue
        if _valid_at(ca, at) and _valid_at(leaf, at) and _signs_documents(leaf):
            return _trusted_key(leaf)
    raise Rejected(
        UNKNOWN_ISSUER,
        _("The signer's certificate was not issued by a certification authority trusted here."),
    )


def key_for_kid(kid: str, *, agency_code: str) -> TrustedKey | None:
    """The key of this deployment's agency ``agency_code`` when its thumbprint is ``kid``, else
    None. A seal names its agency, so only that agency's current key is looked at (an agency
    whose certificate was renewed has a new key: seals signed by the old one no longer check)."""
    agency = Agency.objects.filter(active=True, code=agency_code).select_related("province").first()
    if agency is None:
        return None
    signer = keys.signer_for(agency)
    return _trusted_key(signer.certificate) if signer.kid == kid else None


def _valid_at(certificate: x509.Certificate, at: datetime) -> bool:
    return certificate.not_valid_before_utc <= at <= certificate.not_valid_after_utc


def _signs_documents(certificate: x509.Certificate) -> bool:
    """An end-entity P-256 certificate whose key usage, when stated, allows signatures."""
    if not isinstance(certificate.public_key(), ec.EllipticCurvePublicKey):
        return False
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
        if constraints.value.ca:
            return False
    except x509.ExtensionNotFound:
        pass
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage)
    except x509.ExtensionNotFound:
        return True
    return bool(usage.value.digital_signature)


def _trusted_key(certificate: x509.Certificate) -> TrustedKey:
    public_key = certificate.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)  # checked by _signs_documents
    return TrustedKey(
        kid=keys.thumbprint(keys.public_jwk_of(public_key)),
        public_key=public_key,
        certificate=certificate,
        agency_code=_subject_value(certificate, NameOID.ORGANIZATION_IDENTIFIER),
        agency_name=_subject_value(certificate, NameOID.ORGANIZATION_NAME),
    )


def _subject_value(certificate: x509.Certificate, oid: x509.ObjectIdentifier) -> str:
    values = certificate.subject.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""
