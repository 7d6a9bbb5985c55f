"""Reads of the credentials app: the issuer's published metadata documents and the citizen's
own credentials.

The metadata carry their display texts in both locales at once (the wallet picks), so they are
literals here rather than gettext strings."""

from __future__ import annotations

import time
from typing import Any, Final

from django.db.models import Prefetch, QuerySet

from motcua.core.errors import NotFound
from motcua.credentials import issuance, offers, sdjwt
from motcua.credentials.keys import issuer_id, metadata_agency, public_jwks, signer_for
from motcua.credentials.models import Delivery, IssuedCredential

METADATA_JWT_TYP: Final = "openidvci-issuer-metadata+jwt"
ISSUER_NAMES: Final = {
    "vi": "Hệ thống một cửa — kết quả giải quyết thủ tục hành chính",
    "en": "motcua — results of administrative procedures",
}
# (vi, en) labels of the claims, in the order a wallet should show them; `sd` per the type
# metadata draft: "always" disclosable, "never" (always shown).
CLAIMS: Final = (
    ("document_number", "Số", "Number", "never"),
    ("title", "Tên giấy tờ", "Title", "never"),
    ("issued_on", "Ngày cấp", "Date of issue", "never"),
    ("issuing_authority", "Cơ quan cấp", "Issuing authority", "never"),
    ("procedure", "Thủ tục hành chính", "Administrative procedure", "never"),
    ("dossier_code", "Mã hồ sơ", "Dossier code", "never"),
    ("holder_name", "Họ và tên", "Full name", "always"),
    ("holder_id_number", "Số định danh cá nhân", "Personal identification number", "always"),
    ("holder_birth_date", "Ngày sinh", "Date of birth", "always"),
    ("holder_address", "Nơi cư trú", "Address", "always"),
    ("details", "Nội dung", "Details", "always"),
)


def _url(path: str) -> str:
    return f"{issuer_id()}/{path}"


def _display(vi: str, en: str, key: str = "name") -> list[dict[str, str]]:
    return [{"locale": "vi", key: vi}, {"locale": "en", key: en}]


def _claims_metadata() -> list[dict[str, Any]]:
    return [{"path": [name], "display": _display(vi, en, "label")} for name, vi, en, _sd in CLAIMS]


def issuer_metadata() -> dict[str, Any]:
    """Credential Issuer Metadata (OpenID4VCI 1.0 §12.2): one configuration per type."""
    issuer = issuer_id()
    return {
        "credential_issuer": issuer,
        "authorization_servers": [issuer],
        "credential_endpoint": _url("credential"),
        "nonce_endpoint": _url("nonce"),
        "notification_endpoint": _url("notification"),
        "display": _display(ISSUER_NAMES["vi"], ISSUER_NAMES["en"]),
        "credential_configurations_supported": {
            offers.configuration_id(name): {
                "format": sdjwt.TYP,
                "vct": issuance.vct_for(name),
                "cryptographic_binding_methods_supported": ["jwk"],
                "credential_signing_alg_values_supported": ["ES256"],
                "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": ["ES256"]}},
                "credential_metadata": {
                    "display": _display(issuance.TYPE_NAMES_VI[name], en_name),
                    "claims": _claims_metadata(),
                },
            }
            for name, en_name in issuance.TYPE_NAMES_EN.items()
        },
    }


def signed_issuer_metadata() -> str:
    """The metadata as a JWT (OpenID4VCI 1.0 §12.2.3), signed by the province's key so that a
    wallet can check, against the provincial CA, who publishes them."""
    claims = issuer_metadata()
    now = int(time.time())
    return signer_for(metadata_agency()).sign_jwt(
        METADATA_JWT_TYP,
        {
            **claims,
            "iss": claims["credential_issuer"],
            "sub": claims["credential_issuer"],
            "iat": now,
            "exp": now + 24 * 3600,
        },
    )


def authorization_server_metadata() -> dict[str, Any]:
    """RFC 8414 metadata of the issuer's own token endpoint (pre-authorized code only)."""
    return {
        "issuer": issuer_id(),
        "token_endpoint": _url("token"),
        "grant_types_supported": [offers.PRE_AUTHORIZED_GRANT],
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": ["none"],
        "pre-authorized_grant_anonymous_access_supported": True,
    }


def jwt_vc_issuer_metadata() -> dict[str, Any]:
    """SD-JWT VC issuer metadata (draft-ietf-oauth-sd-jwt-vc §5): where `kid` points."""
    return {"issuer": issuer_id(), "jwks": public_jwks()}


def type_metadata(name: str) -> dict[str, Any]:
    """SD-JWT VC type metadata (draft-ietf-oauth-sd-jwt-vc §6) of one credential type."""
    if name not in issuance.TYPE_NAMES_EN:
        raise NotFound()
    vi_name, en_name = issuance.TYPE_NAMES_VI[name], issuance.TYPE_NAMES_EN[name]
    return {
        "vct": issuance.vct_for(name),
        "name": en_name,
        "display": _display(vi_name, en_name),
        "claims": [
            {"path": [claim], "display": _display(vi, en, "label"), "sd": sd}
            for claim, vi, en, sd in CLAIMS
        ],
    }


def credentials_of(id_number: str) -> QuerySet[IssuedCredential]:
    """The credentials held by the person with this ID number, newest first, each with its
    accepted deliveries (what the page shows as "added to a wallet")."""
    return (
        IssuedCredential.objects.filter(holder_id_number=id_number)
        .select_related("result__agency", "result__dossier")
        .prefetch_related(
            Prefetch(
                "deliveries",
                queryset=Delivery.objects.order_by("-delivered_at"),
                to_attr="wallet_deliveries",
            )
        )
        .order_by("-issued_at", "-pk")
    )


def credential_of(id_number: str, pk: int) -> IssuedCredential:
    """One of the person's credentials; NotFound for anybody else's (never a 403, which would
    confirm it exists)."""
    credential = credentials_of(id_number).filter(pk=pk).first()
    if credential is None:
        raise NotFound()
    return credential
