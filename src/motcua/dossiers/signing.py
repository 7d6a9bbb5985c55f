"""PAdES signatures on the results an agency issues, with a provincial demo CA.

Each agency signs with its own EC P-256 key; its certificate is issued by one demo CA per
deployment ("motcua Demo CA <province>"). Nothing here is a legally recognised digital
signature: a real deployment signs through the agency's token or a remote signing service of a
licensed CA (for state agencies, the Government Cipher Committee's). The demo CA makes the
whole chain checkable today, by pyHanko here and by anyone with their own tool once they import
the CA certificate (:func:`ca_certificate_pem`).

The keys live outside the repository, in ``MOTCUA_PKI_DIR`` (default ``DATA_DIR / "pki"``)::

    ca.pem                      CA private key + certificate
    agencies/<agency code>.pem  agency private key + certificate

Key and certificate share one file, mode 0600, so that a reader never sees a key next to a
certificate of another key: each file is written whole to a temporary file and then moved into
place. The CA is created with an exclusive link, so when two processes race the first one wins
and the other adopts its CA (replacing it would orphan the certificates already issued). An
agency file is simply replaced: whichever of two racing certificates wins is issued by the CA.

Signing takes a few hundredths of a second and validation less, which is still too slow for a
request's hot path (DESIGN.md, "Performance facts"): sign once, in a job after commit, and serve
the stored bytes. pyHanko runs its own event loop (``asyncio.run``), so call these functions from
synchronous code (``sync_to_async`` from an async view).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from io import BytesIO
from pathlib import Path
from typing import Final, TypeVar

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_signer import DSSContentSettings, SigDSSPlacementPreference
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import (
    ModificationLevel,
    PdfSignatureStatus,
    SignatureCoverageLevel,
)
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from motcua.core.keyfiles import write_private_file
from motcua.organisation.models import AGENCY_CODE_RE, Agency, Province

T = TypeVar("T")

CA_VALIDITY: Final = timedelta(days=3650)
AGENCY_VALIDITY: Final = timedelta(days=1095)
# Reissue an agency certificate this long before it expires, so that a result signed today is
# not checked tomorrow against a certificate that has lapsed in between.
RENEW_BEFORE: Final = timedelta(days=30)
# Tolerate clocks of verifying machines running a little behind ours.
BACKDATE: Final = timedelta(hours=1)
# RFC 5280's upper bound for commonName and organizationName, in characters; `cryptography`
# enforces it for commonName in UTF-8 bytes, which a Vietnamese name of 50 letters can exceed.
NAME_MAX: Final = 64


@dataclass(frozen=True, slots=True)
class SignatureReport:
    """What :func:`validate_pdf` found, for the newest signature and the document as a whole."""

    signed: bool  # at least one signature is present
    intact: bool  # every signature matches the bytes it covers
    trusted: bool  # every signer's certificate chains to the demo CA
    valid: bool  # intact, trusted, and nothing but validation data after the newest signature
    signer: str  # subject organizationName (else commonName) of the newest signature
    agency_code: str  # subject organizationIdentifier of the newest signature
    signed_at: datetime | None  # the signer's own claim (no timestamp authority yet)
    summary: str  # one sentence for the citizen or officer


@dataclass(frozen=True, slots=True)
class _Credential:
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate


def pki_dir() -> Path:
    return Path(settings.MOTCUA_PKI_DIR)


def ensure_ca() -> None:
    """Create the demo CA unless it exists (safe when several processes start at once)."""
    _ca()


def ensure_agency_certificate(agency: Agency) -> None:
    """Issue the agency a certificate unless it holds a current one from the CA."""
    _agency_credential(agency)


def ensure_active_agencies() -> tuple[int, int]:
    """Ensure the CA and a certificate for every active agency: (agencies, newly issued)."""
    _ca()
    agencies = Agency.objects.filter(active=True).select_related("province")
    issued = [_agency_credential(agency)[1] for agency in agencies]
    return len(issued), sum(issued)


def ca_certificate_pem() -> bytes:
    """The CA certificate, for anyone to import as a trust root in their own PDF reader."""
    return ca_certificate().public_bytes(serialization.Encoding.PEM)


def ca_certificate() -> x509.Certificate:
    """The provincial CA's certificate: the trust anchor of every agency's signatures."""
    return _ca().certificate


def agency_key(agency: Agency) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """The agency's signing key and its current certificate from the CA: the same key signs
    its PDF results, its credentials and their status lists (one key per issuing authority)."""
    credential = _agency_credential(agency)[0]
    return credential.key, credential.certificate


def _outside_any_event_loop(call: Callable[[], T]) -> T:
    """pyHanko runs its own event loop (asyncio.run), which fails in a thread already running
    one (an async caller): there, the call runs in a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return call()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


def sign_pdf(
    pdf: bytes, *, agency: Agency, reason: str, location: str, signer_name: str = ""
) -> bytes:
    """Sign ``pdf`` as the agency (PAdES baseline, SHA-256), in one incremental update that
    also carries the certificate chain (the DSS), so that the signature covers the whole file.
    ``signer_name`` is the officer who signs on the agency's behalf (the /Name entry)."""
    credential, _issued = _agency_credential(agency)
    ca = _asn1_certificate(_ca().certificate)
    signer = signers.SimpleSigner(
        signing_cert=_asn1_certificate(credential.certificate),
        signing_key=asn1_keys.PrivateKeyInfo.load(
            credential.key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
        cert_registry=SimpleCertificateStore.from_certs([ca]),
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    existing = len(list(fields.enumerate_sig_fields(writer)))
    metadata = signers.PdfSignatureMetadata(
        field_name=f"Signature{existing + 1}",
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
        name=signer_name or None,
        embed_validation_info=True,
        validation_context=_validation_context(ca),
        # The default puts the DSS in a second revision, which leaves the signature covering
        # only "the signed revision"; in the same revision it covers the entire file, which
        # simpler validators (and pdfsig's "Total document signed") want.
        dss_settings=DSSContentSettings(
            placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE, include_vri=False
        ),
    )
    output = BytesIO()
    _outside_any_event_loop(
        lambda: signers.sign_pdf(writer, metadata, signer=signer, output=output)
    )
    return output.getvalue()


def validate_pdf(pdf: bytes) -> SignatureReport:
    """Check every signature in ``pdf`` against the demo CA as the only trust root, offline
    (creating the CA if there is none yet, as every function here does).

    Any input gives a report, never an exception: the file may come from anyone."""
    try:
        signatures = PdfFileReader(BytesIO(pdf)).embedded_signatures
    # A malformed file can make the PDF parser raise almost anything.
    except Exception:
        return _unsigned(_("This file is not a readable PDF."))
    if not signatures:
        return _unsigned(_("The document is not signed."))
    ca = _asn1_certificate(_ca().certificate)
    statuses: list[PdfSignatureStatus | None] = []
    for signature in signatures:
        try:
            statuses.append(
                _outside_any_event_loop(
                    partial(validate_pdf_signature, signature, _validation_context(ca))
                )
            )
        # A broken signature dictionary or CMS blob is a failed signature, not a crash.
        except Exception:
            statuses.append(None)
    newest = statuses[-1]
    signer, agency_code = _subject(newest) if newest is not None else ("", "")
    intact = all(s is not None and s.intact and s.valid for s in statuses)
    trusted = all(s is not None and s.trusted for s in statuses)
    # bottom_line: intact, trusted, and only changes allowed after each signature (another
    # signature, say); the newest one must then cover all that follows it.
    valid = all(s is not None and s.bottom_line for s in statuses) and _covers_rest(newest)
    signed_at = newest.signer_reported_dt if newest is not None else None
    if not intact:
        summary = _("The document was changed after it was signed.")
    elif not trusted:
        summary = _(
            "The signature is intact, but the signer's certificate was not issued by this "
            "platform's certification authority, or is no longer valid."
        )
    elif not valid:
        summary = _("The document was changed after its last signature.")
    else:
        summary = _("Signed by %(signer)s on %(time)s. The signature is valid.") % {
            "signer": signer,
            "time": timezone.localtime(signed_at).strftime("%d/%m/%Y %H:%M") if signed_at else "?",
        }
    return SignatureReport(
        signed=True,
        intact=intact,
        trusted=trusted,
        valid=valid,
        signer=signer,
        agency_code=agency_code,
        signed_at=signed_at,
        summary=summary,
    )


def _unsigned(summary: str) -> SignatureReport:
    return SignatureReport(
        signed=False,
        intact=False,
        trusted=False,
        valid=False,
        signer="",
        agency_code="",
        signed_at=None,
        summary=summary,
    )


def _covers_rest(status: PdfSignatureStatus | None) -> bool:
    """The signature covers the file, or only validation data (DSS, timestamps) follows it."""
    if status is None:
        return False
    return status.coverage == SignatureCoverageLevel.ENTIRE_FILE or status.modification_level in (
        ModificationLevel.NONE,
        ModificationLevel.LTA_UPDATES,
    )


def _subject(status: PdfSignatureStatus) -> tuple[str, str]:
    subject = status.signing_cert.subject.native
    signer = subject.get("organization_name") or subject.get("common_name") or ""
    return str(signer), str(subject.get("organization_identifier", ""))


def _validation_context(ca: asn1_x509.Certificate) -> ValidationContext:
    # Our certificates name no CRL or OCSP endpoint: nothing to fetch, and signing and checking
    # must work offline. (pyHanko logs a warning about this on every signature.)
    return ValidationContext(trust_roots=[ca], allow_fetching=False)


def _asn1_certificate(certificate: x509.Certificate) -> asn1_x509.Certificate:
    """pyHanko works with asn1crypto objects; we build with `cryptography`."""
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _ca() -> _Credential:
    path = pki_dir() / "ca.pem"
    credential = _read(path)
    if credential is not None:
        return credential
    key = ec.generate_private_key(ec.SECP256R1())
    province = Province.objects.filter(code=settings.PROVINCE_CODE).first()
    common_name = f"motcua Demo CA {province.name}" if province else "motcua Demo CA"
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, _clip(common_name)),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "motcua (demo)"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        ]
    )
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    try:
        _write(path, _Credential(key, certificate), exclusive=True)
    except FileExistsError:
        # Another process created the CA meanwhile: use theirs.
        return _ca()
    return _Credential(key, certificate)


def _agency_credential(agency: Agency) -> tuple[_Credential, bool]:
    """The agency's key and certificate, and whether they were issued just now."""
    # The code names the file: never let it climb out of the directory.
    if not AGENCY_CODE_RE.match(agency.code):
        raise ValueError(f"Not an agency code: {agency.code!r}")
    path = pki_dir() / "agencies" / f"{agency.code}.pem"
    ca = _ca()
    subject = _agency_subject(agency)
    credential = _read(path)
    if credential is not None and _is_current(credential.certificate, ca.certificate, subject):
        return credential, False
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + AGENCY_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False
        )
        # No extendedKeyUsage: NSS (pdfsig, Firefox, Thunderbird) checks document signatures as
        # e-mail signatures; with documentSigning (RFC 9336) alone pdfsig reports "Unknown
        # issue with Certificate".
        .sign(ca.key, hashes.SHA256())
    )
    credential = _Credential(key, certificate)
    _write(path, credential, exclusive=False)
    return credential, True


def _agency_subject(agency: Agency) -> x509.Name:
    """CN: the name, or the short name when only that fits; O: the name as far as 64 characters
    go (what validate_pdf reports); organizationIdentifier (ETSI EN 319 412-1, the attribute for
    a legal person's identifier): the agency code; ST: the province."""
    common_name = next(
        (name for name in (agency.name, agency.short_name) if name and name == _clip(name)),
        _clip(agency.name),
    )
    attributes = [
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, agency.name[:NAME_MAX]),
        x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, agency.code),
    ]
    if agency.province is not None:
        attributes.append(
            x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, agency.province.name[:NAME_MAX])
        )
    attributes.append(x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"))
    return x509.Name(attributes)


def _clip(text: str) -> str:
    """At most NAME_MAX bytes of UTF-8, cut between characters."""
    return text.encode()[:NAME_MAX].decode(errors="ignore")


def _is_current(
    certificate: x509.Certificate, ca_certificate: x509.Certificate, subject: x509.Name
) -> bool:
    """Still fit to sign: from the present CA (a wiped and recreated CA orphans older ones), for
    the agency's present name, and not about to expire."""
    if certificate.subject != subject:
        return False
    if certificate.not_valid_after_utc - RENEW_BEFORE < datetime.now(UTC):
        return False
    try:
        certificate.verify_directly_issued_by(ca_certificate)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _key_usage(
    *,
    digital_signature: bool = False,
    content_commitment: bool = False,
    key_cert_sign: bool = False,
    crl_sign: bool = False,
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=content_commitment,  # a.k.a. nonRepudiation
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=crl_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _read(path: Path) -> _Credential | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{path}: expected an EC private key")
    return _Credential(key, x509.load_pem_x509_certificate(data))


def _write(path: Path, credential: _Credential, *, exclusive: bool) -> None:
    """Key + certificate in one private file (see `write_private_file`)."""
    data = credential.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ) + credential.certificate.public_bytes(serialization.Encoding.PEM)
    write_private_file(path, data, exclusive=exclusive)
