"""SD-JWT VC of an issued credential (RFC 9901, draft-ietf-oauth-sd-jwt-vc): what the result
says, signed by the issuing agency, with the holder's personal data and the form's facts as
selectively disclosable claims, so that the holder shows a verifier only what it needs.

Always disclosed: what identifies the document (number, title, date, authority, procedure)
and what a verifier must check (status entry, holder key). Disclosable: holder_name,
holder_id_number, holder_birth_date, holder_address, and `details` (itself a disclosure whose
members are disclosures again, RFC 9901 §6.3 recursive disclosures: a holder may show that a
birth certificate exists without any of its facts, or one fact of it)."""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any, Final
from zoneinfo import ZoneInfo

from motcua.core.b64url import b64url
from motcua.credentials.keys import issuer_id, signer_for
from motcua.credentials.models import IssuedCredential
from motcua.dossiers import eforms

TYP: Final = "dc+sd-jwt"
SD_ALG: Final = "sha-256"
SALT_BYTES: Final = 16  # 128 bits (RFC 9901 §9.3)
LOCAL_TIME: Final = ZoneInfo("Asia/Ho_Chi_Minh")


class _Disclosures:
    """Collects the disclosures of one credential as they are made."""

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def digest_of(self, name: str, value: Any) -> str:
        """Make the disclosure [salt, name, value] and give its digest for an `_sd` array."""
        disclosure = b64url(
            json.dumps(
                [b64url(secrets.token_bytes(SALT_BYTES)), name, value], ensure_ascii=False
            ).encode()
        )
        self.encoded.append(disclosure)
        return _digest(disclosure)


def _digest(disclosure: str) -> str:
    return b64url(hashlib.sha256(disclosure.encode("ascii")).digest())


def _sd_array(digests: list[str], decoys: int) -> list[str]:
    """Digests with `decoys` random ones among them, sorted so that the order reveals
    nothing (RFC 9901 §4.2.5)."""
    fakes = [b64url(hashlib.sha256(secrets.token_bytes(32)).digest()) for _n in range(decoys)]
    return sorted(digests + fakes)


def build(
    credential: IssuedCredential, *, holder_jwk: dict[str, str] | None = None, decoys: int = 0
) -> str:
    """The SD-JWT `<issuer-signed JWT>~<disclosure>~…~`, bound to `holder_jwk` when given."""
    result = credential.result
    dossier = result.dossier
    agency = result.agency
    disclosures = _Disclosures()

    personal: dict[str, Any] = {
        "holder_name": credential.holder_name,
        "holder_id_number": credential.holder_id_number,
        "holder_birth_date": (
            dossier.applicant_birth_date.isoformat() if dossier.applicant_birth_date else None
        ),
        "holder_address": dossier.applicant_address or None,
    }
    digests = [
        disclosures.digest_of(name, value) for name, value in personal.items() if value is not None
    ]
    facts = _facts(dossier.version.spec, dossier.data)
    if facts:
        details = {
            "_sd": _sd_array(
                [disclosures.digest_of(name, value) for name, value in facts.items()], decoys
            )
        }
        digests.append(disclosures.digest_of("details", details))

    iat = int(credential.issued_at.timestamp())
    payload: dict[str, Any] = {
        "iss": issuer_id(),
        "iat": iat,
        "nbf": iat,
        "exp": int(credential.expires_at.timestamp()),
        "vct": credential.vct,
        "_sd_alg": SD_ALG,
        "_sd": _sd_array(digests, decoys),
        "status": {
            "status_list": {"idx": credential.status_index, "uri": credential.status_list.uri}
        },
        "document_number": result.number,
        "title": result.title,
        "issued_on": result.approved_at.astimezone(LOCAL_TIME).date().isoformat(),
        "issuing_authority": {"code": agency.code, "name": agency.name},
        "dossier_code": dossier.code,
        "procedure": {"code": dossier.procedure.code, "name": dossier.version.name},
    }
    if holder_jwk is not None:
        payload["cnf"] = {"jwk": holder_jwk}
    issuer_jwt = signer_for(agency).sign_jwt(TYP, payload)
    return "~".join([issuer_jwt, *disclosures.encoded]) + "~"


def _facts(spec: dict[str, Any], data: dict[str, Any]) -> dict[str, str]:
    """The dossier's form answers, by field name, as text (what the result PDF prints)."""
    return {
        field.name: str(data[field.name])
        for field in eforms.form_fields(spec["form"])
        if data.get(field.name) not in (None, "")
    }
