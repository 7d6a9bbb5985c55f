"""Credential API (/api/v1/credentials): the verifier behind the public page, for apps and for
relying parties that check what a citizen shows them."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema

from motcua.core.ratelimits import limit_public
from motcua.core.schemas import ErrorOut
from motcua.credentials import verify

router = Router()

State = Literal[
    "valid",
    "revoked",
    "suspended",
    "expired",
    "forged",
    "unknown_issuer",
    "malformed",
    "unknown_status",
]


class VerifyIn(Schema):
    credential: str = Field(
        max_length=verify.MAX_LENGTH,
        description=(
            "An SD-JWT VC or a presentation of one (with or without a key-binding JWT), a "
            'result\'s compact seal ("VNQR1:…"), or the verification address of a result.'
        ),
    )


class VerdictOut(Schema):
    state: State = Field(
        description=(
            "valid; revoked or suspended by the issuing authority; expired; forged (a signature, "
            "a disclosure or the issuer binding does not match, or dated in the future); "
            "unknown_issuer (not signed under a trusted CA, or an issuer not trusted here); "
            "malformed (not a credential); unknown_status (genuine, but its status list could "
            "not be checked)."
        )
    )
    reason: str = Field(description="One sentence for the person who checks, in their language.")
    kind: Literal["sd-jwt", "seal", "result", ""] = Field(
        description='What was checked; "" when it could not be read.'
    )
    document_type: str
    document_number: str
    title: str
    issuing_authority: str
    issued_on: str = Field(description="YYYY-MM-DD, Vietnam time; empty when unknown.")
    holder_name: str = Field(description="Empty unless disclosed.")
    holder_id_number: str = Field(
        description="Masked but for its last 3 digits; empty unless disclosed."
    )
    disclosed: list[str] = Field(description='Names of the disclosed claims ("details.x" nested).')
    key_bound: bool = Field(description="A key-binding JWT by the holder's key was checked.")
    audience: str = Field(
        description="The key-binding JWT's aud. Its nonce and aud are for the relying party "
        "that asked for the presentation to check: this public verifier chose neither."
    )
    expires_at: dt.datetime | None


@router.post(
    "/verify",
    auth=None,
    response={200: VerdictOut, 422: ErrorOut, 429: ErrorOut},
    url_name="credentials_verify",
)
def verify_credential(request: HttpRequest, payload: VerifyIn) -> verify.Verdict:
    """Check a credential, a presentation or a seal. Facts are filled in only when the signature
    is good (valid, revoked, suspended, expired, unknown_status); nothing sent is stored."""
    limit_public(request, "credential_verify")
    return verify.verify(payload.credential)
