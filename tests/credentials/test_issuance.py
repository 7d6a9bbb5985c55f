"""Credentials of results: who gets one, what the SD-JWT VC says and hides, and the status
changes staff may make."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta
from typing import Any

import pytest
from cryptography import x509
from django.utils import timezone

from motcua.core.errors import Conflict, MotcuaError
from motcua.core.models import AuditEntry
from motcua.credentials import issuance, sdjwt
from motcua.credentials.keys import public_jwk_of, signer_for, thumbprint
from motcua.credentials.models import IssuedCredential
from motcua.dossiers import signing
from motcua.dossiers.models import Result
from tests.credentials.conftest import TEST_SERVER, decided
from tests.credentials.wallet_client import HeldCredential, new_key, public_jwk, verify_x5c_jws
from tests.intake_data import BIRTH_DATE, ID_NUMBER
from tests.org import Org

ISSUER = TEST_SERVER + "/credentials"


def test_a_granted_result_gets_a_credential_with_a_status_entry(
    granted: Result, settings: Any
) -> None:
    before = timezone.now()
    credential = issuance.prepare_credential(granted)
    assert credential is not None
    assert credential.result == granted
    assert credential.holder_id_number == ID_NUMBER
    assert credential.holder_name == "Nguyễn Văn An"
    # The judicial record procedure names no result_type.
    assert credential.vct == ISSUER + "/types/administrative_result"
    assert credential.type_name == "administrative_result"
    assert credential.status == IssuedCredential.Status.VALID
    assert credential.status_list.agency == granted.agency
    assert 0 <= credential.status_index < credential.status_list.size
    assert credential.issued_at >= before
    assert credential.expires_at - credential.issued_at == timedelta(days=1826)


def test_the_validity_is_a_setting(granted: Result, settings: Any) -> None:
    settings.CREDENTIAL_VALIDITY_DAYS = 30
    credential = issuance.prepare_credential(granted)
    assert credential is not None
    assert credential.expires_at - credential.issued_at == timedelta(days=30)


def test_preparing_twice_gives_the_same_credential(granted: Result) -> None:
    first = issuance.prepare_credential(granted)
    second = issuance.prepare_credential(granted)
    assert first is not None
    assert second is not None
    assert (first.pk, first.status_index) == (second.pk, second.status_index)
    assert IssuedCredential.objects.count() == 1


def test_a_refusal_gets_no_credential(processing_org: Org) -> None:
    refusal = decided(processing_org, decision="refuse", note="Không đủ điều kiện")
    assert refusal.kind == Result.Kind.REFUSAL
    assert issuance.prepare_credential(refusal) is None
    assert IssuedCredential.objects.count() == 0


def test_the_result_type_of_the_procedure_names_the_credential_type(granted: Result) -> None:
    version = granted.dossier.version
    version.spec = {**version.spec, "result_type": "birth_certificate"}
    version.save(update_fields=["spec"])
    granted.refresh_from_db()
    assert issuance.type_name(granted) == "birth_certificate"
    version.spec = {**version.spec, "result_type": "other"}
    version.save(update_fields=["spec"])
    granted.refresh_from_db()
    assert issuance.type_name(granted) == "administrative_result"


# --- the SD-JWT VC --------------------------------------------------------------------------


def built(credential: IssuedCredential, **options: Any) -> HeldCredential:
    key = new_key()
    return HeldCredential(sdjwt.build(credential, holder_jwk=public_jwk(key), **options), key)


def test_the_sd_jwt_is_signed_by_the_issuing_agency_under_the_ca(
    credential: IssuedCredential, processing_org: Org
) -> None:
    held = built(credential)
    assert held.sd_jwt.endswith("~")
    header, _payload = verify_x5c_jws(held.issuer_jwt, signing.ca_certificate())
    stp = signer_for(processing_org.agencies["stp"])
    assert header == {"alg": "ES256", "typ": "dc+sd-jwt", "kid": stp.kid, "x5c": stp.x5c}
    leaf = x509.load_der_x509_certificate(base64.b64decode(header["x5c"][0]))
    assert thumbprint(public_jwk_of(leaf.public_key())) == header["kid"]  # type: ignore[arg-type]


def test_what_the_sd_jwt_always_shows(credential: IssuedCredential) -> None:
    held = built(credential)
    payload = held.payload
    result = credential.result
    dossier = result.dossier
    assert payload["iss"] == ISSUER
    assert payload["iat"] == payload["nbf"] == int(credential.issued_at.timestamp())
    assert payload["exp"] == int(credential.expires_at.timestamp())
    assert payload["vct"] == credential.vct
    assert payload["_sd_alg"] == "sha-256"
    assert payload["status"] == {
        "status_list": {
            "idx": credential.status_index,
            "uri": f"{ISSUER}/status/{result.agency.code}/{credential.status_list.number}",
        }
    }
    assert payload["document_number"] == result.number
    assert payload["title"] == result.title
    assert payload["issued_on"] == timezone.localtime(result.approved_at).date().isoformat()
    assert payload["issuing_authority"] == {"code": result.agency.code, "name": result.agency.name}
    assert payload["dossier_code"] == dossier.code
    assert payload["procedure"] == {"code": "2.000488", "name": dossier.version.name}
    assert "cnf" in payload
    # Nothing personal is in the clear.
    text = json.dumps(payload, ensure_ascii=False)
    for secret in (ID_NUMBER, "Nguyễn Văn An", "Bãi Cháy", "Bổ sung hồ sơ"):
        assert secret not in text


def test_the_personal_claims_and_each_fact_are_disclosures(credential: IssuedCredential) -> None:
    held = built(credential)
    by_name = {d.name: d for d in held.disclosures}
    assert set(by_name) == {
        "holder_name",
        "holder_id_number",
        "holder_birth_date",
        "holder_address",
        "details",
        "muc_dich",
    }
    for disclosure in held.disclosures:
        assert len(base64.urlsafe_b64decode(disclosure.salt + "==")) == 16
    assert len({d.salt for d in held.disclosures}) == len(held.disclosures)
    # details is itself a disclosure whose member is one again (recursive).
    assert by_name["details"].digest in held.payload["_sd"]
    assert by_name["details"].value["_sd"] == [by_name["muc_dich"].digest]
    claims = held.claims()
    assert claims["holder_birth_date"] == BIRTH_DATE.isoformat()
    assert claims["holder_address"] == "Tổ 5, khu 3, phường Bãi Cháy"
    assert claims["details"] == {"muc_dich": "Bổ sung hồ sơ xin việc"}
    # The digest is SHA-256 of the disclosure's ASCII text.
    name = by_name["holder_name"]
    assert (
        name.digest
        == base64.urlsafe_b64encode(hashlib.sha256(name.encoded.encode()).digest())
        .rstrip(b"=")
        .decode()
    )


def test_decoy_digests_hide_how_many_claims_there_are(credential: IssuedCredential) -> None:
    plain, padded = built(credential), built(credential, decoys=3)
    assert len(padded.payload["_sd"]) == len(plain.payload["_sd"]) + 3
    assert padded.payload["_sd"] == sorted(padded.payload["_sd"])
    assert padded.claims()["holder_name"] == plain.claims()["holder_name"]


def test_without_a_holder_key_there_is_no_cnf(credential: IssuedCredential) -> None:
    held = HeldCredential(sdjwt.build(credential), new_key())
    assert "cnf" not in held.payload


# --- status changes -------------------------------------------------------------------------


def test_suspend_reinstate_then_revoke(credential: IssuedCredential, processing_org: Org) -> None:
    leader = processing_org.users["leader_stp"]
    suspended = issuance.set_status(credential, "suspended", "Đang xác minh", leader)
    assert (suspended.status, suspended.status_reason) == ("suspended", "Đang xác minh")
    assert suspended.status_changed_by == leader
    assert suspended.status_changed_at is not None
    reinstated = issuance.set_status(credential, "valid", "Đã xác minh", leader)
    assert reinstated.status == "valid"
    revoked = issuance.set_status(credential, "revoked", "Cấp sai", leader)
    assert revoked.status == "revoked"
    actions = list(
        AuditEntry.objects.filter(object_type="credentials.issuedcredential")
        .values_list("action", "new_values")
        .order_by("pk")
    )
    assert [action for action, _new in actions] == [
        "credential.suspended",
        "credential.valid",
        "credential.revoked",
    ]
    assert actions[-1][1] == {"status": "revoked", "status_reason": "Cấp sai"}


@pytest.mark.parametrize("status", ["valid", "suspended", "revoked"])
def test_revocation_is_final(
    credential: IssuedCredential, processing_org: Org, status: str
) -> None:
    leader = processing_org.users["leader_stp"]
    issuance.set_status(credential, "revoked", "Cấp sai", leader)
    with pytest.raises(Conflict):
        issuance.set_status(credential, status, "Thử lại", leader)
    credential.refresh_from_db()
    assert (credential.status, credential.status_reason) == ("revoked", "Cấp sai")


def test_a_status_change_needs_a_reason_and_a_real_change(
    credential: IssuedCredential, processing_org: Org
) -> None:
    leader = processing_org.users["leader_stp"]
    with pytest.raises(MotcuaError) as no_reason:
        issuance.set_status(credential, "revoked", "   ", leader)
    assert "reason" in no_reason.value.fields
    with pytest.raises(Conflict):
        issuance.set_status(credential, "valid", "Không đổi", leader)
    with pytest.raises(MotcuaError):
        issuance.set_status(credential, "lost", "?", leader)
    credential.refresh_from_db()
    assert (credential.status, credential.status_reason) == ("valid", "")
    assert not AuditEntry.objects.filter(object_type="credentials.issuedcredential").exists()
