"""Issuer identity and signing keys of the credentials.

The credential issuer is the deployment (one identifier, :func:`issuer_id`); each agency signs
what it issues with its own key under the provincial CA (`signing.agency_key`), the same key
that signs its PDF results. A JWS names the key twice: `kid`, the RFC 7638 thumbprint (for
verifiers that look keys up in the JWKS) and `x5c`, the agency certificate (for verifiers that
trust the CA rather than a list of keys).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from django.conf import settings

from motcua.core.b64url import b64url
from motcua.dossiers import signing
from motcua.organisation.models import Agency

ALG = "ES256"
P256_BYTES = 32


def issuer_id() -> str:
    """The Credential Issuer Identifier of this deployment (OpenID4VCI 1.0 §12.2.1)."""
    return settings.PUBLIC_URL + "/credentials"


def public_jwk_of(key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    numbers = key.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(numbers.x.to_bytes(P256_BYTES, "big")),
        "y": b64url(numbers.y.to_bytes(P256_BYTES, "big")),
    }


def thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url) of an EC public key."""
    required = {name: jwk[name] for name in ("crv", "kty", "x", "y")}
    canonical = json.dumps(required, sort_keys=True, separators=(",", ":"))
    return b64url(hashlib.sha256(canonical.encode()).digest())


@dataclass(frozen=True)
class Signer:
    """An agency's signing key with what a JWS header says about it."""

    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    kid: str
    x5c: list[str]
    public_jwk: dict[str, str]

    def sign_jwt(self, typ: str, payload: dict[str, Any]) -> str:
        """A compact ES256 JWS of `payload` with header typ, kid and x5c."""
        header = {"alg": ALG, "typ": typ, "kid": self.kid, "x5c": self.x5c}
        signing_input = ".".join(
            b64url(json.dumps(part, separators=(",", ":"), ensure_ascii=False).encode())
            for part in (header, payload)
        )
        return signing_input + "." + b64url(self.sign(signing_input.encode("ascii")))

    def sign(self, data: bytes) -> bytes:
        """ES256 signature as JWS and COSE want it: r || s, 32 bytes each (not DER)."""
        r, s = decode_dss_signature(self.key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(P256_BYTES, "big") + s.to_bytes(P256_BYTES, "big")


def signer_for(agency: Agency) -> Signer:
    key, certificate = signing.agency_key(agency)
    jwk = public_jwk_of(key.public_key())
    return Signer(
        key=key,
        certificate=certificate,
        kid=thumbprint(jwk),
        x5c=[base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()],
        public_jwk=jwk,
    )


def public_jwks() -> dict[str, list[dict[str, Any]]]:
    """Every active agency's public key (RFC 7517 JWK Set): what `kid` in our JWS points at."""
    keys = []
    for agency in Agency.objects.filter(active=True).select_related("province").order_by("code"):
        signer = signer_for(agency)
        keys.append(
            {**signer.public_jwk, "kid": signer.kid, "alg": ALG, "use": "sig", "x5c": signer.x5c}
        )
    return {"keys": keys}


def metadata_agency() -> Agency:
    """The agency whose key signs the deployment's issuer metadata: the province's People's
    Committee (the authority over every issuing agency of the deployment); without one, the
    first province-level agency by code, so that the choice is stable across restarts."""
    province_level = Agency.objects.filter(
        active=True, level=Agency.Level.PROVINCE, province__code=settings.PROVINCE_CODE
    ).select_related("province")
    agency = (
        province_level.filter(kind=Agency.Kind.PEOPLES_COMMITTEE).order_by("code").first()
        or province_level.order_by("code").first()
        or Agency.objects.filter(active=True).select_related("province").order_by("code").first()
    )
    if agency is None:
        raise Agency.DoesNotExist("No active agency to sign the issuer metadata.")
    return agency
